"""Session 36 (gaps b; left out at the last stop, item 3): the first `sync` s3 -> local after `get -r` trusted the
object's custody sha256 once. `get -r` recorded what each GET answer said (the `objects` table) but not what it
left in the folder (the `fetched` table: the listing's ETag and size, the file's size and mtime), so a rewrite of
the object by another tool with other bytes of the same size and the old bytes' its-sha256 and mtime carried over
(a server-side copy with metadata directive COPY) was not seen: the file's mtime (get -r keeps none) differed, its
content matched the stale sha256, and the sync only set the file's mtime and reported it unchanged, the new bytes
never fetched. `get -r` now records what it left as a sync's download does: the sync fetches the rewritten object
(whose stale sha256 then refuses the new bytes, exit 4, as after a sync: tests/test_sync_rewritten.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from test_sync_rewritten import SIZE, _put, _rewrite, _sync

from conftest import plain_client
from helpers import random_bytes


@pytest.mark.parametrize("carried", [("its-sha256",), ("its-sha256", "mtime")], ids=["sha256", "sha256+mtime"])
def test_a_rewrite_after_get_r_is_fetched_by_the_first_sync(cli: Any, bucket: str, s3_server: Any, tmp_path: Path,
                                                            carried: tuple[str, ...]) -> None:
    client = plain_client(s3_server)
    old, new = random_bytes(SIZE, seed=11), random_bytes(SIZE, seed=12)
    meta = {"its-sha256": hashlib.sha256(old).hexdigest(), "mtime": "1765000000.000000000"}
    kept = {k: v for k, v in meta.items() if k in carried}
    _put(client, bucket, "r/a.bin", old, kept)
    back = tmp_path / "back"
    got = cli("get", f"s3://{bucket}/r/", str(back), "-r")
    assert got.exit_code == 0 and (back / "a.bin").read_bytes() == old, got
    _rewrite(client, bucket, "copy", new, kept)
    report = _sync(cli, f"s3://{bucket}/r/", str(back), code=4)
    assert [(i["path"], i["code"]) for i in report["failed"]] == [("a.bin", "integrity_error")], report
    assert report["copied"] == [] and (back / "a.bin").read_bytes() == old


def test_an_unchanged_tree_after_get_r_is_still_not_fetched(cli: Any, bucket: str, s3_server: Any,
                                                            tmp_path: Path) -> None:
    """The record changes nothing for objects left alone: the first sync after `get -r` fetches none of them (the
    file gets its mtime only), and the one after it finds every file unchanged."""
    client = plain_client(s3_server)
    data = random_bytes(SIZE, seed=13)
    _put(client, bucket, "r/a.bin", data, {"its-sha256": hashlib.sha256(data).hexdigest(),
                                           "mtime": "1765000000.000000000"})
    back = tmp_path / "back"
    assert cli("get", f"s3://{bucket}/r/", str(back), "-r").exit_code == 0
    for _ in range(2):
        report = _sync(cli, f"s3://{bucket}/r/", str(back))
        assert report["copied"] == [] and report["totals"]["unchanged"] == 1, report


def test_get_r_into_a_folder_named_through_a_link_is_recorded_as_sync_names_it(cli: Any, bucket: str,
                                                                                s3_server: Any, tmp_path: Path) -> None:
    """`get -r` into `link/back` (link -> real) records the folder as the sync names it (its real path), so that
    the first sync through the same name finds the record and fetches the rewritten object: recorded under the
    name as typed, the sync's lookup under the real path found nothing and the stale sha256 was trusted."""
    client = plain_client(s3_server)
    old, new = random_bytes(SIZE, seed=14), random_bytes(SIZE, seed=15)
    kept = {"its-sha256": hashlib.sha256(old).hexdigest()}
    _put(client, bucket, "r/a.bin", old, kept)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    back = tmp_path / "link" / "back"
    got = cli("get", f"s3://{bucket}/r/", str(back), "-r")
    assert got.exit_code == 0 and (back / "a.bin").read_bytes() == old, got
    _rewrite(client, bucket, "copy", new, kept)
    report = _sync(cli, f"s3://{bucket}/r/", str(back), code=4)
    assert [(i["path"], i["code"]) for i in report["failed"]] == [("a.bin", "integrity_error")], report
