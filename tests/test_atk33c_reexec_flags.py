"""The UTF-8 re-exec (__main__._in_utf8_mode) starts Python again with the flags this one was started with.
`python -P -m its_store` (or -I; a service unit's way of never importing from its working folder, which may be
a drop folder others write to) was run again as `python -X utf8 -m its_store`: the working folder first on
sys.path, and a `typer.py` there ran."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_atk33b_locale import ASCII_LOCALE

from tests.helpers import ROOT


def test_safe_path_flag_survives_the_utf8_reexec(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    (tmp_path / "typer.py").write_text('raise SystemExit("typer.py of the working folder was imported")\n')
    done = subprocess.run([sys.executable, "-P", "-m", "its_store", "ls", f"s3://{bucket}/"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240, check=False,
                          env={**os.environ, **env, **ASCII_LOCALE, "PYTHONPATH": str(ROOT)})
    assert "working folder was imported" not in done.stderr, done
    assert done.returncode == 0, done


def test_the_flags_carried() -> None:
    """The flags given again: those that decide what is imported and from where (-E, -s, -P, -I), and -O."""
    code = "import its_store.__main__ as m; print(' '.join(m.interpreter_flags()))"
    done = subprocess.run([sys.executable, "-P", "-s", "-O", "-c", code], capture_output=True, text=True,
                          timeout=60, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["-s", "-P", "-O"], done
