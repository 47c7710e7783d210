"""The error mapping (cli/failures.py) is imported only when a command ends by an exception, so that a command
which ends normally never loads it. That import is then the first thing a failing command does, and it can
fail itself: out of memory (a process at its `ulimit -v` / LimitAS= after many small allocations: loading a
module allocates), or a second Ctrl-C. It went up as a raw traceback where the rule is one line on stderr and
a documented exit code. Now the mapping that cannot be loaded is said in one line: "out of memory", exit 1,
where the import ran out of it; "interrupted", exit 130, for a Ctrl-C; else one "unexpected" line, exit 1.

The import's failure is injected (a finder that raises it for cli/failures), as test_fix34_memory_and_pipe
injects its MemoryError: a real address-space limit cannot be made to run out at that very import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = textwrap.dedent("""
    import sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "its_store.cli.failures":
                raise {error}
            return None

    sys.meta_path.insert(0, Refuse())
    from its_store.__main__ import cli
    sys.argv = ["its-store", *{args!r}]
    cli()
""")


def _run(error: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "MINIO_CACHE_DIR": str(tmp_path / "c")}
    return subprocess.run([sys.executable, "-c", _SCRIPT.format(error=error, args=args)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args", [["stat"], ["--json", "stat"], ["presign", "s3://b/", "--expires", "9d"]],
                         ids=["usage-error", "usage-error-json", "invalid-input"])
def test_out_of_memory_loading_the_error_mapping_is_one_line(args: list[str], tmp_path: Path) -> None:
    done = _run('MemoryError("cannot allocate")', args, tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done
    assert len(lines) == 1 and lines[0].startswith("its-store: error: out of memory"), done.stderr


def test_a_ctrl_c_while_loading_the_error_mapping_is_interrupted(tmp_path: Path) -> None:
    done = _run("KeyboardInterrupt()", ["stat"], tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 130, done
    assert len(lines) == 1 and lines[0].startswith("its-store: error: interrupted"), done.stderr


def test_another_failure_loading_the_error_mapping_is_one_unexpected_line(tmp_path: Path) -> None:
    done = _run('ImportError("broken install")', ["stat"], tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done
    assert len(lines) == 1 and lines[0].startswith("its-store: error: unexpected ImportError"), done.stderr
