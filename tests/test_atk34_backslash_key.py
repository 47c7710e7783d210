"""Session 34 attack: a key we are asked to CREATE that holds a backslash, named on the command line.

SeaweedFS stores (and reads, and deletes) 'd\\f2' as 'd/f2'. Keys of a walk with a backslash were refused
(core/refs.local_name_problem), and a written key with '//' too (validate_new_key: "some servers merge empty
segments and would replace another object"), but `upload - s3://B/d\\f2` (or a cp/mv target) was sent: it
replaced the other object s3://B/d/f2, exit 0, reported as uploaded under a key no listing shows.
Keys already stored stay readable and deletable. Real SeaweedFS, no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error


@pytest.mark.parametrize("verb", ["upload", "cp", "mv"])
def test_a_new_key_with_a_backslash_is_refused_and_replaces_nothing(cli: Any, bucket: str, tmp_path: Path,
                                                                   verb: str) -> None:
    assert cli("upload", "-", f"s3://{bucket}/d/f2", input=b"the original").exit_code == 0
    assert cli("upload", "-", f"s3://{bucket}/src.bin", input=b"intruder").exit_code == 0
    args = (["upload", "-", f"s3://{bucket}/d\\f2"] if verb == "upload"
            else [verb, f"s3://{bucket}/src.bin", f"s3://{bucket}/d\\f2"])
    run = cli(*args, input=b"intruder")
    assert run.exit_code == 2 and "backslash" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/d/f2", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"the original", got
    assert cli("get", f"s3://{bucket}/src.bin", "-").stdout_bytes == b"intruder"  # a refused mv keeps its source
