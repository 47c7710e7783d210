"""A closed stdout pipe is told by cli/failures.pipe_closed, imported on use in two places of cli/app.py: the root
group's invoke (a command's own write meets the closed pipe) and _flush (the last buffered output, written when
the command has ended). That import can fail itself (out of memory, a Ctrl-C at that moment), as the error
mapping's import can (tests/test_error_mapping_unloadable.py, whose import hook this reuses). In invoke a Ctrl-C
there went to Typer, which returns it as exit 130 without a word; in _flush, outside the error mapping, it went
up as a traceback. Now both end as app._unmapped ends: one line ("out of memory", exit 1; "interrupted", exit
130), never a traceback.

stdout is a pipe whose reader has gone (its read end closed before the command starts). For _flush, the program
leaves a byte in stdout's buffer before the command (buffered: without PYTHONUNBUFFERED), and `-q audit tail` of
an empty log ends normally without a write to stdout, so the first write to the closed pipe is the last flush.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_error_mapping_unloadable import _SCRIPT as _REFUSING

ROOT = Path(__file__).resolve().parent.parent

# that file's script (its import hook refusing cli/failures), with bytes left in stdout's buffer before the command
_SCRIPT = _REFUSING.replace("\ncli()", "\nsys.stdout.write({pending!r})\ncli()")
assert _SCRIPT != _REFUSING

ERRORS = {"out-of-memory": ('MemoryError("cannot allocate")', 1, "its-store: error: out of memory"),
          "ctrl-c": ("KeyboardInterrupt()", 130, "its-store: error: interrupted")}


def _run(error: str, args: list[str], pending: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    kept = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    env = {**kept, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "MINIO_CACHE_DIR": str(tmp_path / "c"),
           "MINIO_AUDIT_LOG": str(tmp_path / "audit.log")}
    read, write = os.pipe()
    os.close(read)  # the reader has gone: every write to stdout is EPIPE
    try:
        return subprocess.run([sys.executable, "-c", _SCRIPT.format(error=error, args=args, pending=pending)],
                              env=env, cwd=tmp_path, stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    finally:
        os.close(write)


def _one_line(done: subprocess.CompletedProcess[str], code: int, line: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done
    assert len(lines) == 1 and lines[0].startswith(line), done.stderr


@pytest.mark.parametrize("kind", list(ERRORS))
def test_the_pipe_rule_unloadable_in_a_command_is_one_line(kind: str, tmp_path: Path) -> None:
    error, code, line = ERRORS[kind]
    _one_line(_run(error, ["completion", "show", "bash"], "", tmp_path), code, line)


@pytest.mark.parametrize("kind", list(ERRORS))
def test_the_pipe_rule_unloadable_in_the_last_flush_is_one_line(kind: str, tmp_path: Path) -> None:
    error, code, line = ERRORS[kind]
    _one_line(_run(error, ["-q", "audit", "tail"], "x", tmp_path), code, line)
