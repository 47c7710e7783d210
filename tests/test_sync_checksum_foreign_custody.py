"""An x-amz-meta-its-sha256 that is no SHA-256 (not 64 hex digits: another tool's metadata of that name) is no
custody: `get` and copies between endpoints check such an object another way (tests/test_get_foreign_its_sha256.py),
and so does `sync --checksum` (its records: sync/remember); what counts as a SHA-256 is pinned here."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest


def test_sync_checksum_compares_foreign_custody_by_the_md5_etag(cli: Any, bucket: str, s3_server: Any,
                                                                tmp_path: Path) -> None:
    """`sync --checksum` of a folder whose file is the object's bytes, the object carrying a foreign its-sha256:
    the same by its MD5 ETag, skipped (it was "different" on every run: the file's SHA-256 against the foreign
    value, uploaded again each time, over the other tool's object)."""
    from conftest import plain_client
    data = b"frame" * 200
    (tmp_path / "cam").mkdir()
    (tmp_path / "cam" / "f.jpg").write_bytes(data)
    plain_client(s3_server).put_object(bucket, "cam/f.jpg", io.BytesIO(data), len(data),
                                       metadata={"its-sha256": "md5:" + hashlib.md5(data).hexdigest()})
    run = cli("sync", str(tmp_path / "cam"), f"s3://{bucket}/cam/", "--checksum", "--json")
    doc = run.json()
    assert run.exit_code == 0 and doc["copied"] == [] and doc["totals"]["copied"] == 0, doc


@pytest.mark.parametrize(("value", "custody"), [
    ("ab" * 32, True), ("AB" * 32, True), ("0x" + "a" * 62, False), (" " + "a" * 63, False), ("a" * 63, False),
    ("a" * 65, False), ("\u0663" * 64, False), ("g" * 64, False), ("+" + "a" * 63, False), ("", False)])
def test_what_is_a_custody_sha256(value: str, custody: bool) -> None:
    """64 hex digits, either case; nothing that int() or bytes.fromhex would also take (0x, blanks, signs,
    other scripts' digits)."""
    from its_store.core.meta_names import custody_sha256, is_sha256
    assert is_sha256(value) is custody and (custody_sha256({"its-sha256": value}) == value) is custody
