"""Attack on core/teardown (session 30): the promise "a caller that caught the SystemExit and went on is left
to the normal teardown" does not hold. cli() (the console script's entry, importable by anyone) records the
command's status for good; a Python program that runs `cli()`, catches its SystemExit and goes on ends with
os._exit(THE COMMAND'S status) after its exit handlers: its own `sys.exit(7)` became 0, an uncaught exception
after it (a traceback, status 1) became 0, and its own unclosed buffered file lost what it wrote. Now
cli() hands teardown.finished its caller's frame, and a caller's frame that ran on means the normal
teardown. Cheap: one `--version` each (no server, no heavy import)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _wrapper(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent("""
        import sys
        sys.argv = ["its-store", "--version"]
        from its_store.__main__ import cli
        try:
            cli()
        except SystemExit as end:
            said = end.code
    """) + textwrap.dedent(body)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=env, check=False)


def test_a_caller_that_went_on_keeps_its_own_exit_status(tmp_path: Path) -> None:
    done = _wrapper("""
        assert said == 0
        sys.exit(7)
    """, tmp_path)
    assert done.returncode == 7, done


def test_a_caller_that_went_on_and_crashed_is_not_a_success(tmp_path: Path) -> None:
    done = _wrapper("""
        raise RuntimeError("the wrapper's own failure")
    """, tmp_path)
    assert "RuntimeError" in done.stderr, done
    assert done.returncode == 1, done


def test_a_caller_that_went_on_keeps_its_buffered_writes(tmp_path: Path) -> None:
    done = _wrapper("""
        report = open("report.txt", "w")   # left open: the interpreter's teardown closes and flushes it
        report.write("written after its-store")
    """, tmp_path)
    assert done.returncode == 0, done
    assert (tmp_path / "report.txt").read_text() == "written after its-store", done


def test_the_console_scripts_shape_still_skips_the_teardown(tmp_path: Path) -> None:
    """pip's console script (`sys.exit(cli())` at module level) runs nothing after cli(): still no teardown
    (a finalizer that prints does not run), with the command's status."""
    script = textwrap.dedent("""
        import re
        import sys
        from its_store.__main__ import cli
        class Torn:
            def __del__(self):
                sys.stderr.write("torn down\\n")
        keep = Torn()
        if __name__ == '__main__':
            sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
            sys.exit(cli())
    """)
    (tmp_path / "its-store").write_text(script)
    done = subprocess.run([sys.executable, str(tmp_path / "its-store"), "stat", "s3://no such bucket/k"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done
    assert "torn down" not in done.stderr, done
