"""Session 34, fix: a closed pipe and an out-of-memory error met in one failure are told apart by which
happened LAST, the exception in flight, not by what it was raised while handling.

cli/app._handle (now cli/failures.handle) asked E.out_of_memory first, and that follows __context__: a
BrokenPipeError of stdout's
reader going away (`| head`), raised while a MemoryError was being handled (a `finally` that flushed the
output), was reported as "out of memory", exit 1, instead of the closed pipe's silent exit 141 (the rule of
tests/test_gaps_closed_pipe.py). Now the exception itself decides first (a closed pipe: 141; a MemoryError:
"out of memory", 1), and only an exception that is neither is judged by what caused it. Real pipes whose
reader is gone (descriptor 1 of a child process), real exceptions raised inside handlers; no mocks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import ROOT

EXIT_PIPE = 141

_SCRIPT = textwrap.dedent("""
    import os, sys
    from its_store.cli import failures
    from its_store.cli.stdout_lost import ReaderGone

    def write_out():
        sys.stdout.write("x" * 100_000)
        sys.stdout.flush()

    def memory():
        raise MemoryError("cannot allocate 3 GB")

    def pipe_while_memory():
        try:
            memory()
        finally:
            write_out()  # the reader is gone: BrokenPipeError, its __context__ the MemoryError

    def reader_gone_while_memory():  # as ItsGroup.invoke passes a closed pipe on
        try:
            pipe_while_memory()
        except BrokenPipeError:
            raise ReaderGone from None

    def memory_while_pipe():
        try:
            write_out()
        except BrokenPipeError:
            memory()  # its __context__ the BrokenPipeError

    try:
        {case}()
    except BaseException as exc:
        code = failures.handle(exc)
    os.write(2, f"\\ncode={{code}}\\n".encode())
""")


def _run(case: str) -> tuple[int, str]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-c", _SCRIPT.format(case=case)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(write_end)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done
    said, _, code = done.stderr.rpartition("\ncode=")
    return int(code), said.strip()


@pytest.mark.parametrize("case", ["pipe_while_memory", "reader_gone_while_memory"])
def test_a_closed_pipe_met_while_out_of_memory_is_the_closed_pipe(case: str) -> None:
    code, said = _run(case)
    assert (code, said) == (EXIT_PIPE, ""), (code, said)


def test_out_of_memory_met_while_the_pipe_closed_is_out_of_memory() -> None:
    code, said = _run("memory_while_pipe")
    assert code == 1, (code, said)
    assert said.startswith("its-store: error: out of memory: MemoryError") and "\n" not in said, said
