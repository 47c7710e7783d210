"""core/teardown: the its-store process skips the interpreter's teardown only after every exit handler ran,
with the command's own exit status; anything it cannot account for gets the normal teardown."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import textwrap

# An object whose finalizer prints: the interpreter's teardown runs it, an os._exit does not.
_PRELUDE = textwrap.dedent(r"""
    import atexit, sys
    class Torn:
        def __del__(self):
            sys.stderr.write("torn down\n")
    keep = Torn()
""")


def _run(body: str, *, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as a command's is
    return subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(body)], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=60, env=env)


def test_atexit_count_is_still_there() -> None:
    """The one private call (atexit._ncallbacks): fails loudly when a Python upgrade removes or changes it."""
    from its_store.core import teardown
    before = teardown._handlers_registered()
    atexit.register(print)
    try:
        assert teardown._handlers_registered() == before + 1
    finally:
        atexit.unregister(print)  # (CPython keeps the emptied slot counted: it errs on the normal teardown's side)


def test_skips_the_teardown_after_every_later_handler_with_the_commands_status() -> None:
    done = _run("""
        from its_store.core import teardown
        assert teardown.end_without_teardown()
        atexit.register(print, "handler ran")       # registered during the command: runs first
        print("buffered output", end="")            # no newline, no flush: the handler flushes it
        teardown.finished(3)
        sys.exit(3)
    """)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "buffered outputhandler ran\n"   # the handler ran, then no teardown:
    assert "torn down" not in done.stderr


def test_a_message_status_or_an_unfinished_command_gets_the_normal_teardown() -> None:
    message = _run("""
        from its_store.core import teardown
        teardown.end_without_teardown()
        teardown.finished("its-store: bye")
        sys.exit("its-store: bye")
    """)
    assert (message.returncode, message.stderr) == (1, "its-store: bye\ntorn down\n")
    crashed = _run("""
        from its_store.core import teardown
        teardown.end_without_teardown()
        raise RuntimeError("boom")
    """)
    assert crashed.returncode == 1 and "RuntimeError: boom" in crashed.stderr
    assert crashed.stderr.endswith("torn down\n")


def test_not_arranged_when_another_handler_came_first() -> None:
    """A tool started before the command (coverage, a profiler) registered its handler first: it must run."""
    done = _run("""
        atexit.register(print, "tool's handler ran")
        from its_store.core import teardown
        print("arranged:", teardown.end_without_teardown())
        teardown.finished(0)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["arranged: False", "tool's handler ran"]
    assert done.stderr == "torn down\n"


def test_a_failed_flush_is_still_reported() -> None:
    """stdout on a full disk: the normal teardown's flush fails and says so (exit 120), as without this."""
    with open("/dev/full", "w") as full:
        done = _run("""
            from its_store.core import teardown
            teardown.end_without_teardown()
            print("lost")
            teardown.finished(0)
        """, stdout=full.fileno())
    assert done.returncode == 120 and "No space left on device" in done.stderr and "torn down" in done.stderr


def test_a_caller_that_catches_systemexit_goes_on_with_its_own_status() -> None:
    """runpy.run_module(..., run_name='__main__') in another program runs main() alone, not cli()."""
    done = _run("""
        import runpy
        sys.argv = ["its-store", "--version"]
        try:
            runpy.run_module("its_store", run_name="__main__")
        except SystemExit as end:
            print("caught", end.code)
        print("went on")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["its-store 0.1.0", "went on"] or done.stdout.splitlines()[-1] == "went on"
    assert done.stderr == "torn down\n"


def test_the_console_script_and_python_m_end_with_the_commands_status(tmp_path) -> None:
    """Both entries go through cli(): a usage error's status survives the skipped teardown."""
    from pathlib import Path
    script = Path(sys.executable).with_name("its-store")
    for argv in ([str(script)], [sys.executable, "-m", "its_store"]):
        done = subprocess.run([*argv, "stat", "s3://no such bucket/k"], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stderr.startswith("its-store: error: ") and len(done.stderr.splitlines()) == 1
