"""Session 34 attack (atk3): the UTF-8 re-exec of a program read from standard input, and one that cannot end.

restart_argv() runs sys.orig_argv again. A program given on stdin (`python - ARGS < prog.py`, or `python <
prog.py`) was read by the first interpreter; the one started again read an empty stdin as its program and
ended at once: exit 0, nothing done, nothing said (the list rebuilt from sys.flags ran `-m its_store ARGS`).
Such a process is rebuilt again. And an interpreter that is started again and still not in UTF-8 mode (one
that ignores `-X utf8`: an embedding or frozen executable) is not started again and again: the process run
again is marked in its environment, and a marked process goes on as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from test_atk33b_locale import ASCII_LOCALE

from tests.helpers import ROOT

PROGRAM = "import its_store.__main__ as m\nm.cli()\n"


@pytest.mark.parametrize("entry", [["-"], []], ids=["dash", "no-entry"])
def test_a_program_read_from_stdin_runs_its_command(entry: list[str]) -> None:
    done = subprocess.run([sys.executable, *entry, *(["--version"] if entry else [])], input=PROGRAM,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **ASCII_LOCALE, "PYTHONPATH": str(ROOT)})
    if entry:
        assert done.returncode == 0 and done.stdout.startswith("its-store "), done
    else:  # no arguments: the usage, as `its-store` alone says it
        assert "Usage" in done.stdout + done.stderr, done


def test_a_process_started_again_is_not_started_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The restarted process (marked) whose interpreter still is not in UTF-8 mode goes on as it is."""
    from its_store import __main__ as entry
    started: list[Any] = []

    def execve(*args: Any) -> None:
        started.append(args)
        raise OSError("started")

    monkeypatch.setattr(sys, "flags", SimpleNamespace(**{name: getattr(sys.flags, name) for name in dir(sys.flags)
                                                         if not name.startswith("_")} | {"utf8_mode": 0}))
    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "ascii")
    monkeypatch.setattr(os, "execv", execve)
    monkeypatch.setattr(os, "execve", execve)
    entry._in_utf8_mode()
    assert len(started) == 1, started  # not in UTF-8 mode: started again, once
    environ = started[0][2] if len(started[0]) > 2 else os.environ
    monkeypatch.setattr(os, "environ", dict(environ))  # as the process started again finds it
    entry._in_utf8_mode()
    assert len(started) == 1, started
