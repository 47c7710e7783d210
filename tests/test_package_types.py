"""The package's own code passes `mypy --strict` (issue 21: "a library that is typed").

tests/test_library_examples.py checks what a user sees (their scripts, `--disallow-any-expr`, the package
through its py.typed); this checks the package itself, so that a change that breaks a type inside it (a
wrong return, a None not handled, an untyped call) fails here instead of reaching a user as `Any` or a
crash. mypy runs from the checkout, so pyproject.toml's [tool.mypy] applies: it names the third-party
gaps (lz4 and diskcache without stubs, zstandard's unannotated close(), typer.completion's re-exports)
and asks every `# type: ignore` to name its error code. The run is conftest.py's `mypy_package_run`, once a
session, into the mypy cache the user-script checks share (tests/test_library_examples.py,
test_library_typing.py: they then find the package and its libraries checked with these same options);
the cache lives in pytest's cache folder, else (`-p no:cacheprovider`) in the checkout's .mypy_cache: a
warm run re-checks only what changed (mypy's incremental mode; a cold one took 65 s of a loaded suite).
"""

from __future__ import annotations

from typing import Any


def test_package_passes_mypy_strict(mypy_package_run: Any) -> None:
    proc = mypy_package_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout, proc.stdout
