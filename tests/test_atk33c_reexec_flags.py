"""The UTF-8 re-exec (__main__._in_utf8_mode) starts Python again with the flags this one was started with.
`python -P -m its_store` (or -I; a service unit's way of never importing from its working folder, which may be
a drop folder others write to) was run again as `python -X utf8 -m its_store`: the working folder first on
sys.path, and a `typer.py` there ran."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from test_atk33b_locale import ASCII_LOCALE

from tests.helpers import ROOT


def test_safe_path_flag_survives_the_utf8_reexec(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    (tmp_path / "typer.py").write_text('raise SystemExit("typer.py of the working folder was imported")\n')
    done = subprocess.run([sys.executable, "-P", "-m", "its_store", "ls", f"s3://{bucket}/"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240, check=False,
                          env={**os.environ, **env, **ASCII_LOCALE, "PYTHONPATH": str(ROOT)})
    assert "working folder was imported" not in done.stderr, done
    assert done.returncode == 0, done


_REPORTER = """import os, sys
os.write(2, ("started utf8=%d dev=%d warnoptions=%s write_through=%s\\n" % (
    sys.flags.utf8_mode, sys.flags.dev_mode, ",".join(sys.warnoptions), sys.stdout.write_through)).encode())
"""


def _started(flags: list[str], args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[list[str], Any]:
    """`python FLAGS -m its_store ARGS` under an ASCII locale, with a sitecustomize that says, as each process
    starts, the flags it runs with: the lines said, and the finished process."""
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "sitecustomize.py").write_text(_REPORTER)
    done = subprocess.run([sys.executable, *flags, "-m", "its_store", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=240, check=False,
                          env={**os.environ, **env, **ASCII_LOCALE,
                               "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])})
    return [line for line in done.stderr.splitlines() if line.startswith("started ")], done


def test_every_flag_survives_the_utf8_reexec(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    """-X dev, -W error and -u were dropped by the re-exec (a list rebuilt from sys.flags kept only the import
    flags and -O): the process that did the work ran without them. Now sys.orig_argv is run again as it was."""
    started, done = _started(["-X", "dev", "-W", "error", "-u"], ["ls", f"s3://{bucket}/"], env, tmp_path)
    assert done.returncode == 0, done
    assert started == ["started utf8=0 dev=1 warnoptions=default,error write_through=True",
                       "started utf8=1 dev=1 warnoptions=default,error write_through=True"], done


def test_a_callers_utf8_off_runs_again_once(env: dict[str, str], tmp_path: Path) -> None:
    """`-X utf8=0` given by the caller is kept too, after the re-exec's own `-X utf8`, which wins: the process
    runs again once, in UTF-8 mode, not again and again."""
    started, done = _started(["-X", "utf8=0"], ["--version"], env, tmp_path)
    assert done.returncode == 0, done
    assert [line.split()[1] for line in started] == ["utf8=0", "utf8=1"], done


def test_the_flags_carried_without_orig_argv() -> None:
    """A program that set sys.argv itself before calling cli(): its arguments are not sys.orig_argv's, and
    the command is rebuilt with the flags that decide what is imported and from where (-E, -s, -P, -I), and -O."""
    code = ("import sys, its_store.__main__ as m; sys.argv = ['its-store', 'ls']; "
            "print(' '.join(m.restart_argv()[1:]))")
    done = subprocess.run([sys.executable, "-P", "-s", "-O", "-W", "error", "-c", code], capture_output=True,
                          text=True, timeout=60, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["-s", "-P", "-O", "-X", "utf8", "-m", "its_store", "ls"], done


def test_a_program_that_set_sys_argv_without_arguments_is_not_run_again() -> None:
    """sys.argv set to the command alone (no arguments: an empty tail matches every sys.orig_argv) is still a
    program's own command line: rebuilt, not the program run again from its start (its work before cli()
    done twice); the same entry with the program's own arguments is kept as it was (a `-c` program here)."""
    code = ("import sys, its_store.__main__ as m; sys.argv = ['its-store']; "
            "print(' '.join(m.restart_argv()[1:]))")
    done = subprocess.run([sys.executable, "-s", "-c", code, "x"], capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["-s", "-X", "utf8", "-m", "its_store"], done
    same = ("import sys, its_store.__main__ as m; "
            "print(repr(m.restart_argv()[1:]))")
    done = subprocess.run([sys.executable, "-s", "-c", same], capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == repr(["-X", "utf8", "-s", "-c", same]), done
    done = subprocess.run([sys.executable, "-s", "-c" + same, "ls"], capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # `-cCODE`, as `-mits_store`
    assert done.stdout.strip() == repr(["-X", "utf8", "-s", "-c" + same, "ls"]), done


def test_a_program_read_from_stdin_is_not_read_again() -> None:
    """`python - ARGS`: the program came on stdin, which it has read to its end; run again, it would read
    nothing and end at once, exit 0, the command never run. The command is rebuilt (`-m its_store ARGS`)."""
    code = "import its_store.__main__ as m; print(repr(m.restart_argv()[1:]))"
    done = subprocess.run([sys.executable, "-s", "-", "ls"], input=code, capture_output=True, text=True,
                          timeout=60, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == repr(["-s", "-X", "utf8", "-m", "its_store", "ls"]), done
