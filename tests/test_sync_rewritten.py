"""sync s3 -> local after another tool rewrote an object with other bytes of the same size but the custody
sha256 (x-amz-meta-its-sha256) of the old ones carried over (`aws s3 cp --metadata-directive COPY`, a put with
explicit metadata): the object has no MD5 ETag (multipart), so the only checksum it shows is that stale
metadata. The listing's ETag says it changed since it was downloaded: it is fetched again (left-out item 4)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import plain_client
from helpers import random_bytes

SIZE = 6 * 1024 * 1024  # two parts of 5 MiB and 1 MiB: a multipart object, ETag "...-2"


def _put(client: Any, bucket: str, key: str, data: bytes, metadata: dict[str, str]) -> None:
    """A multipart put by another tool (minio-py, an unknown length) with `metadata` as given."""
    client.put_object(bucket, key, io.BytesIO(data), length=-1, part_size=5 * 1024 * 1024, metadata=metadata)


def _sync(cli: Any, *args: str, code: int = 0) -> dict[str, Any]:
    run = cli("sync", *args, "--json")
    assert run.exit_code == code, (run.stdout, run.stderr)
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def _rewrite(client: Any, bucket: str, how: str, data: bytes, metadata: dict[str, str]) -> None:
    """r/a.bin rewritten with `data` and `metadata` by another tool: a put, or a server-side copy onto the key
    (metadata directive COPY) of an object holding them."""
    if how == "put":
        _put(client, bucket, "r/a.bin", data, metadata)
    else:
        from minio.commonconfig import CopySource
        _put(client, bucket, "elsewhere/a.bin", data, metadata)
        client.copy_object(bucket, "r/a.bin", CopySource(bucket, "elsewhere/a.bin"))
    etag = client.stat_object(bucket, "r/a.bin").etag or ""
    assert "-" in etag, etag  # still no MD5 ETag: the content's only checksum shown is the metadata


@pytest.mark.parametrize("carried", [("its-sha256",), ("its-sha256", "mtime"), ("mtime",)],
                         ids=["sha256", "sha256+mtime", "mtime"])
@pytest.mark.parametrize("how", ["put", "copy"])
def test_rewrite_carrying_the_old_metadata_is_fetched(cli: Any, bucket: str, s3_server: Any, tmp_path: Path,
                                                      carried: tuple[str, ...], how: str) -> None:
    """The old bytes' sha256 and/or mtime carried over onto new bytes of the same size: the file is fetched
    again, not kept (the run used to report it unchanged). With the stale sha256 the verified download refuses
    the new bytes (exit 4, the old file kept) on every run until the object is fixed; with the mtime alone the
    new bytes arrive and the next run finds them unchanged."""
    client = plain_client(s3_server)
    old, new = random_bytes(SIZE, seed=1), random_bytes(SIZE, seed=2)
    meta = {"its-sha256": hashlib.sha256(old).hexdigest(), "mtime": "1765000000.000000000"}
    kept = {k: v for k, v in meta.items() if k in carried}
    _put(client, bucket, "r/a.bin", old, kept)
    back = tmp_path / "back"
    report = _sync(cli, f"s3://{bucket}/r/", str(back))
    assert [i["path"] for i in report["copied"]] == ["a.bin"], report
    assert (back / "a.bin").read_bytes() == old
    _rewrite(client, bucket, how, new, kept)
    if "its-sha256" in carried:
        for _ in range(2):  # said again on the next run: the file is still the one downloaded, the object is not
            report = _sync(cli, f"s3://{bucket}/r/", str(back), code=4)
            assert [(i["path"], i["code"]) for i in report["failed"]] == [("a.bin", "integrity_error")], report
            assert report["copied"] == [] and (back / "a.bin").read_bytes() == old
        return
    report = _sync(cli, f"s3://{bucket}/r/", str(back))
    assert [(i["path"], i["reason"]) for i in report["copied"]] == [
        ("a.bin", "rewritten on the server since it was downloaded")], report
    assert (back / "a.bin").read_bytes() == new
    report = _sync(cli, f"s3://{bucket}/r/", str(back))
    assert report["copied"] == [] and report["totals"]["unchanged"] == 1, report


def test_each_folder_and_a_tree_fetched_before_the_record(cli: Any, bucket: str, s3_server: Any, env: dict[str, str],
                                                          tmp_path: Path) -> None:
    """What a download left is kept per folder: a second folder fetching the rewritten object does not make the
    first one's old file look current. A tree downloaded before the store kept it (the rows gone) is recorded
    by the next run that finds it unchanged, so a rewrite after that is fetched too."""
    import sqlite3

    from its_store.sync.engine import STATE_FILE
    client = plain_client(s3_server)
    kept = {"mtime": "1765000000.000000000"}
    one, two = tmp_path / "one", tmp_path / "two"
    _put(client, bucket, "r/a.bin", random_bytes(SIZE, seed=1), kept)
    for folder in (one, two):
        assert [i["path"] for i in _sync(cli, f"s3://{bucket}/r/", str(folder))["copied"]] == ["a.bin"]
    with sqlite3.connect(Path(env["MINIO_CACHE_DIR"]) / STATE_FILE) as db:  # as a version without the record left it
        assert db.execute("DELETE FROM fetched").rowcount == 2
    for folder in (one, two):  # unchanged: recorded now
        assert _sync(cli, f"s3://{bucket}/r/", str(folder))["totals"]["unchanged"] == 1
    new = random_bytes(SIZE, seed=3)
    _rewrite(client, bucket, "put", new, kept)
    for folder in (two, one):
        report = _sync(cli, f"s3://{bucket}/r/", str(folder))
        assert [(i["path"], i["reason"]) for i in report["copied"]] == [(
            "a.bin", "rewritten on the server since it was downloaded")], (folder.name, report)
        assert (folder / "a.bin").read_bytes() == new


def test_a_get_answering_another_etag_spelling_is_not_fetched_every_run(cli: Any, bucket: str, s3_server: Any,
                                                                         tmp_path: Path) -> None:
    """The record of a download holds the listing's ETag, which the next listing is compared with: a server whose
    GET answer gives the ETag otherwise than its listing (here: a part count added) gets each file once, not every
    run."""
    import re

    from faultproxy import FaultProxy

    def shouted(method: str, head: bytes) -> bytes:
        if method != "GET" or b"\r\nx-amz-meta-mtime:" not in head.lower():  # an object's GET, not a listing
            return head
        return re.sub(rb"(?i)(\r\netag: *\"?)([0-9a-f]+)", lambda m: m.group(0) + b"-1", head)

    data = random_bytes(100_000, seed=4)  # one GET (a larger object is fetched in ranges, which record no answer)
    plain_client(s3_server).put_object(bucket, "r/a.bin", io.BytesIO(data), len(data),
                                       metadata={"mtime": "1765000000.000000000"})
    back = tmp_path / "back"
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), head_of=shouted) as proxy:
        run = cli("sync", f"s3://{bucket}/r/", str(back), "--json", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
        assert run.exit_code == 0 and [i["path"] for i in json.loads(run.stdout)["copied"]] == ["a.bin"], run.stdout
        run = cli("sync", f"s3://{bucket}/r/", str(back), "--json", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    report = json.loads(run.stdout)
    assert run.exit_code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report


def test_a_file_sync_deletes_takes_its_fetched_record_along(cli: Any, bucket: str, s3_server: Any,
                                                             env: dict[str, str], tmp_path: Path) -> None:
    """`sync --delete` removing a local file whose object is gone from the source removes the record of what the
    download left there too (the fetched table does not grow with every file ever synced); the record of a file
    kept stays."""
    import sqlite3

    from its_store.sync.remember import STATE_FILE

    client = plain_client(s3_server)
    for name in ("a.bin", "b.bin"):
        client.put_object(bucket, f"d/{name}", io.BytesIO(random_bytes(1000, seed=len(name))), 1000)
    back = tmp_path / "back"
    assert sorted(i["path"] for i in _sync(cli, f"s3://{bucket}/d/", str(back))["copied"]) == ["a.bin", "b.bin"]
    client.remove_object(bucket, "d/a.bin")
    report = _sync(cli, f"s3://{bucket}/d/", str(back), "--delete")
    assert [i["path"] for i in report["deleted"]] == ["a.bin"] and not (back / "a.bin").exists(), report
    with sqlite3.connect(Path(env["MINIO_CACHE_DIR"]) / STATE_FILE) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM fetched WHERE bucket = ? ORDER BY key", (bucket,))]
    assert keys == ["d/b.bin"]
