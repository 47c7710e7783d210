"""The package's own code passes `mypy --strict` (issue 21: "a library that is typed").

tests/test_library_examples.py checks what a user sees (their scripts, `--disallow-any-expr`, the package
through its py.typed); this checks the package itself, so that a change that breaks a type inside it (a
wrong return, a None not handled, an untyped call) fails here instead of reaching a user as `Any` or a
crash. mypy runs from the checkout, so pyproject.toml's [tool.mypy] applies: it names the third-party
gaps (lz4 and diskcache without stubs, zstandard's unannotated close(), typer.completion's re-exports)
and asks every `# type: ignore` to name its error code. The cache lives in pytest's cache folder, else
(`-p no:cacheprovider`) in mypy's own default, the checkout's .mypy_cache, which the `mypy --strict its_store`
run before every commit keeps warm with the same options: a warm run re-checks only what changed (mypy's
incremental mode; a cold one took 65 s of a loaded suite).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import DEADLINE, ROOT


@pytest.fixture
def mypy_cache(request: pytest.FixtureRequest) -> Path:
    cache: Any = getattr(request.config, "cache", None)
    return Path(cache.mkdir("mypy-package")) if cache is not None else ROOT / ".mypy_cache"


def test_package_passes_mypy_strict(mypy_cache: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-color-output", "--cache-dir", str(mypy_cache), "its_store"],
        cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout, proc.stdout
