"""fix2 (atk2's): an --env-file that exists but is no env file (a device, a folder, a FIFO, a file over 1 MiB)
is refused in one line that says what it is (exit 78), not "env file not found"; a FIFO is never opened (no
hang), /dev/zero never read (no memory filled)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error


@pytest.mark.parametrize(("make", "said"), [
    (lambda tmp: Path("/dev/zero"), "is a character device, not a regular file"),
    (lambda tmp: tmp, "is a folder, not a regular file"),
    (lambda tmp: (os.mkfifo(tmp / "p.env"), tmp / "p.env")[1], "is a named pipe (FIFO), not a regular file"),
    (lambda tmp: (os.truncate((tmp / "big.env").open("w").name, 2 * 1024 * 1024), tmp / "big.env")[1],
     "is larger than 1048576 bytes"),
])
def test_an_env_file_that_is_no_env_file_is_named_for_what_it_is(cli: Any, tmp_path: Path, make: Any,
                                                                  said: str) -> None:
    path = make(tmp_path)
    run = cli("--env-file", str(path), "config")
    assert run.exit_code == 78, run
    line = one_line_error(run)
    assert said in line and "not found" not in line, line
