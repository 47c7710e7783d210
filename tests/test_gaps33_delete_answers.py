"""What a delete did, said from the server's own answer: each <Deleted> of a DeleteObjects names its
<DeleteMarker> (and a DELETE its x-amz-delete-marker), which minio's quiet remove_objects never asked
for. A key without s3:GetBucketVersioning (`writerlist`: Write + List) then still learns that its deletes in a
versioned bucket only hid the objects: `rm -r`, `rm`, `sync --delete` and the library say "hidden (delete
marker)", not null; where the answer says nothing and the versioning cannot be read (a plain bucket, the
same key), the report says unknown, never "deleted" alone. Server: test_atk34_least_privilege's SeaweedFS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_atk34_least_privilege import _bucket, _service_as, keys, least_server  # noqa: F401 - the server

from helpers import random_bytes


def _put(cli: Any, keys: dict[str, dict[str, str]], tmp_path: Path, url: str, size: int) -> None:  # noqa: F811
    (tmp_path / "f.bin").write_bytes(random_bytes(size, seed=size))
    assert cli("upload", str(tmp_path / "f.bin"), url, extra_env=keys["admin"]).exit_code == 0


def _still_stored(cli: Any, keys: dict[str, dict[str, str]], url: str, key: str) -> bool:  # noqa: F811
    versions = cli("ls", url, "--versions", "--json", extra_env=keys["admin"]).jsonl()
    return any(v["key"] == key and not v.get("delete_marker") for v in versions)


def test_rm_r_says_hidden_from_the_answers_without_the_versioning(cli, keys, tmp_path: Path) -> None:  # noqa: F811
    bucket = _bucket(cli, keys, versioned=True)
    _put(cli, keys, tmp_path, f"s3://{bucket}/old/a.bin", 2_000)
    run = cli("--json", "rm", "-r", f"s3://{bucket}/old/", "--yes", extra_env=keys["writerlist"])
    assert run.exit_code == 0, run
    assert _still_stored(cli, keys, f"s3://{bucket}/old/", "old/a.bin")
    doc = run.json()
    assert doc["delete_markers"] is True and doc["still_stored_bytes"] == 2_000, doc
    assert [o["delete_marker"] for o in doc["objects"]] == [True], doc
    assert "GetBucketVersioning" not in run.stderr  # the answers told: nothing is unknown
    _put(cli, keys, tmp_path, f"s3://{bucket}/old/b.bin", 300)
    human = cli("rm", "-r", f"s3://{bucket}/old/", "--yes", extra_env=keys["writerlist"])
    assert human.exit_code == 0, human
    assert "hid " in human.stderr and "300 B still stored" in human.stderr, human.stderr


def test_sync_delete_says_hidden_from_the_answers(cli, keys, tmp_path: Path) -> None:  # noqa: F811
    bucket = _bucket(cli, keys, versioned=True)
    _put(cli, keys, tmp_path, f"s3://{bucket}/d/gone.bin", 700)
    (tmp_path / "src").mkdir()
    run = cli("sync", str(tmp_path / "src"), f"s3://{bucket}/d/", "--delete", "--allow-empty-source", "--json",
              extra_env=keys["writerlist"])
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["delete_markers"] is True and doc["totals"]["still_stored_bytes"] == 700, doc
    assert [i["delete_marker"] for i in doc["deleted"]] == [True], doc
    assert _still_stored(cli, keys, f"s3://{bucket}/d/", "d/gone.bin")


def test_the_library_says_hidden_from_the_answers(keys, monkeypatch: pytest.MonkeyPatch, cli,  # noqa: F811
                                                  tmp_path: Path) -> None:
    bucket = _bucket(cli, keys, versioned=True)
    _put(cli, keys, tmp_path, f"s3://{bucket}/lib/a.bin", 100)
    svc = _service_as(monkeypatch, keys["writerlist"])
    try:
        done = svc.delete_objects(bucket, ["lib/a.bin"])
    finally:
        svc.close()
    assert [(r.deleted, r.delete_marker) for r in done] == [(True, True)], done


def test_unknown_is_said_unknown_never_removed(cli, keys, tmp_path: Path) -> None:  # noqa: F811
    """A plain bucket: S3 names no marker in its answer, and this key may not read the versioning: whether
    the data went is not known to the client. The report says null and the human lines say unknown."""
    bucket = _bucket(cli, keys, versioned=False)
    _put(cli, keys, tmp_path, f"s3://{bucket}/p/a.bin", 50)
    run = cli("--json", "rm", "-r", f"s3://{bucket}/p/", "--yes", extra_env=keys["writerlist"])
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["delete_markers"] is None and doc["still_stored_bytes"] is None, doc
    assert [o["delete_marker"] for o in doc["objects"]] == [None], doc
    _put(cli, keys, tmp_path, f"s3://{bucket}/p/a.bin", 50)
    human = cli("rm", "-r", f"s3://{bucket}/p/", "--yes", extra_env=keys["writerlist"])
    assert human.exit_code == 0, human
    assert "removed or only hidden behind delete markers is unknown" in human.stderr, human.stderr


def test_the_answer_is_read_entry_by_entry() -> None:
    """s3/deleted.read, no server: a marker said true, said false, not said; an entry asked with a version
    id (a version erased: its DeleteMarker means another thing) says nothing of markers; an <Error> entry is
    a failure; an <Error> document as the whole answer fails the batch (keys.with_versions)."""
    from its_store.s3 import deleted
    from its_store.s3.keys import with_versions
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    answer = (f'<?xml version="1.0"?><DeleteResult {ns}><Deleted><Key>a</Key><DeleteMarker>true</DeleteMarker>'
              "<DeleteMarkerVersionId>m1</DeleteMarkerVersionId></Deleted><Deleted><Key>b</Key>"
              "<DeleteMarker>false</DeleteMarker></Deleted><Deleted><Key>c</Key></Deleted><Deleted><Key>v</Key>"
              "<VersionId>1</VersionId><DeleteMarker>true</DeleteMarker></Deleted><Error><Key>d</Key>"
              "<Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>").encode()
    chunk = [("a", None), ("b", None), ("c", None), ("d", None), ("v", "1")]
    said: deleted.Said = {}
    assert deleted.read(answer, chunk, said) == [("d", None, "AccessDenied: no")]
    assert said == {"a": True, "b": False, "c": None}
    whole = deleted.read(b"<Error><Code>InternalError</Code><Message>x</Message></Error>", chunk[:2], said)
    assert with_versions(whole, chunk[:2])[0][2].startswith("BadAnswer")  # no key named: every key failed
    assert len(with_versions(whole, chunk[:2])) == 2
    body, headers = deleted.request([("a", None), ("v", "1")])
    assert b"<Quiet>" not in body and b"<VersionId>1</VersionId>" in body and len(headers["Content-MD5"]) == 24
    assert deleted.header_said({"x-amz-delete-marker": "true"}) is True and deleted.header_said({}) is None


def test_one_rm_and_mv_say_it_from_the_delete_answer(cli, s3_server, service, bucket, tmp_path: Path) -> None:
    """`rm KEY` and `mv` (one DELETE each) with the bucket's versioning unreadable (tests/faultproxy.py
    answers GET ?versioning 403): in the versioned bucket the DELETE's x-amz-delete-marker says "hidden";
    in a plain one nothing says, and the line says unknown, never "deleted" alone."""
    from faultproxy import FaultProxy, Seen
    from test_gaps33_denied_settings import ANSWER, _port

    from conftest import unique
    from helpers import put_stdin

    def answer(seen: Seen) -> bytes | None:
        return ANSWER if seen.method == "GET" and "versioning" in seen.query else None

    plain = unique("p")
    service.s3.make_bucket(plain)
    for where in (bucket, plain):
        put_stdin(cli, where, "one.bin", data=b"x" * 10)
        put_stdin(cli, where, "two.bin", data=b"y" * 20)
    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        through = {"MINIO_ENDPOINT": proxy.endpoint}
        hid = cli("--json", "rm", f"s3://{bucket}/one.bin", extra_env=through)
        unknown = cli("rm", f"s3://{plain}/one.bin", extra_env=through)
        moved = cli("--json", "mv", f"s3://{bucket}/two.bin", str(tmp_path / "two.bin"), extra_env=through)
    assert hid.exit_code == 0 and hid.json()["deleted"][0]["delete_marker"] is True, hid
    assert "GetBucketVersioning" not in hid.stderr, hid.stderr
    assert unknown.exit_code == 0, unknown
    assert "removed or only hidden behind a delete marker, unknown" in unknown.stderr, unknown.stderr
    assert moved.exit_code == 0 and moved.json()["delete_markers"] is True, moved
    assert moved.json()["still_stored_bytes"] == 20, moved.stdout
