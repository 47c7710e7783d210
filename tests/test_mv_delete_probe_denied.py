"""A move's source DELETE when the key may not make the If-Match probe (service/delete_guard.py).

The probe is a DELETE of `.its-store-delete-probe-<hex>` beside the source. A key allowed to delete only some
names (least privilege: `arn:aws:s3:::bucket/in/*.jpg`) is refused it (403 AccessDenied), while the source's own
DELETE is allowed. Found by attack (session 37): every move then failed, exit 6, naming the probe's key (a name
the user never gave), the copy and the source both kept, and `mv -r` sent one refused probe per object. Now a
refused probe is a finding of its own, kept per bucket: whether the server honours If-Match is unknown, so the
source is HEADed right before its DELETE (still the object copied, else kept: exit 5) and the DELETE still
carries If-Match (exact where the server honours it); the item says `delete_conditional: false` (not known to
be exact). The refusal comes from tests/faultproxy.py (only the probe's name is refused), on all four servers.
Also: the probe's delete marker that cannot be removed (said now, with the command that removes it), and a
source whose folder leaves no room for the probe's key (it goes to the bucket's top).
"""

from __future__ import annotations

from typing import Any

import pytest
from faultproxy import FaultProxy

from conftest import one_line_error, plain_client, unique

MOVED = b"the frame that is moved"
NEW = b"the other writer's new frame"
_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
           b"<Message>Access Denied</Message></Error>")


def _refuse_probe(seen: Any) -> bytes | None:
    """403 AccessDenied to a DELETE of the probe's name, as a key allowed to delete only `*.jpg` gets it."""
    from its_store.service.delete_guard import PROBE_NAME
    if seen.method == "DELETE" and PROBE_NAME in seen.path:
        return (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
                % len(_DENIED)) + _DENIED
    return None


def _bucket(server: Any) -> str:
    name = unique("b")
    plain_client(server).make_bucket(name)
    return name


def test_a_refused_probe_still_moves_every_object_and_is_sent_once(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.service.delete_guard import PROBE_NAME
    bucket = _bucket(object_server)
    for n in range(3):
        assert object_cli("upload", "-", f"s3://{bucket}/in/{n}.jpg", input=MOVED).exit_code == 0
    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=_refuse_probe, record=True) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/in/", f"s3://{bucket}/out/", "-r", "-w", "1", "--json")
        probes = [s for s in proxy.seen if s.method == "DELETE" and PROBE_NAME in s.path]
    monkeypatch.setenv("MINIO_ENDPOINT", object_server.endpoint)
    assert run.exit_code == 0, run
    items = run.json()["objects"]
    assert [(i["deleted"], i["delete_conditional"]) for i in items] == [(True, False)] * 3, items
    assert len(probes) == 1, [s.path for s in probes]  # the refusal is kept for the bucket
    left = sorted(o.object_name for o in plain_client(object_server).list_objects(bucket, recursive=True))
    assert left == [f"out/{n}.jpg" for n in range(3)], left


def test_a_refused_probe_keeps_a_source_rewritten_before_its_last_head(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer rewrites the source at the probe (after the copy and its checks, before the HEAD right
    before the DELETE), whose DELETE is refused: that HEAD finds the rewrite, both are kept (exit 5)."""
    import io
    bucket, done = _bucket(object_server), []
    assert object_cli("upload", "-", f"s3://{bucket}/src.jpg", input=MOVED).exit_code == 0

    def rewrite_then_refuse(seen: Any) -> bytes | None:
        refusal = _refuse_probe(seen)
        if refusal is not None and not done:
            plain_client(object_server).put_object(bucket, "src.jpg", io.BytesIO(NEW), len(NEW))
            done.append(seen.path)
        return refusal

    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=rewrite_then_refuse) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/src.jpg", f"s3://{bucket}/dst.jpg")
    monkeypatch.setenv("MINIO_ENDPOINT", object_server.endpoint)
    assert done, "the other writer never wrote"
    assert run.exit_code == 5 and "rewritten" in one_line_error(run), run
    assert object_cli("get", f"s3://{bucket}/src.jpg", "-").stdout_bytes == NEW
    assert object_cli("get", f"s3://{bucket}/dst.jpg", "-").stdout_bytes == MOVED


@pytest.mark.parametrize("object_server", ["ceph"], indirect=True)  # the versioned server that ignores If-Match
def test_a_probe_marker_that_cannot_be_removed_is_said_with_its_removal(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key that may DeleteObject but not DeleteObjectVersion (history kept safe): the probe's DELETE leaves a
    delete marker in a versioned bucket that its removal by version id cannot take away. It was left silently,
    one more for each run, seen by `ls --versions`; now a warning names it and the command that removes it."""
    import re
    import shlex

    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    from its_store.service.delete_guard import PROBE_NAME
    bucket = _bucket(object_server)  # the source's folder has a space: the command said is quoted
    plain_client(object_server).set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    assert object_cli("upload", "-", f"s3://{bucket}/in x/a.jpg", input=MOVED).exit_code == 0

    def refuse_version_delete(seen: Any) -> bytes | None:
        return _refuse_probe(seen) if "versionId" in seen.query else None

    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=refuse_version_delete) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/in x/a.jpg", f"s3://{bucket}/out/a.jpg")
    monkeypatch.setenv("MINIO_ENDPOINT", object_server.endpoint)
    assert run.exit_code == 0, run
    said = re.search(r"`its-store (rm [^`]+)` removes it", run.stderr)
    assert said is not None and PROBE_NAME in said.group(1), run
    assert object_cli(*shlex.split(said.group(1))).exit_code == 0  # the command said removes the marker
    left = [o.object_name for o in plain_client(object_server).list_objects(bucket, recursive=True,
                                                                            include_version=True)]
    assert not any(PROBE_NAME in name for name in left), left


def test_a_source_in_a_folder_too_long_for_the_probe_is_moved(object_server: Any, object_cli: Any) -> None:
    """A source whose folder leaves no room for the probe's name in S3's 1,024 bytes: Ceph (as AWS) refuses the
    probe's key (InvalidObjectName), and every move out of that folder failed, exit 2, naming the probe. The
    folder: 100 parts of 10 bytes (rclone keeps keys as files: a part over 255 bytes is no file name)."""
    bucket = _bucket(object_server)
    src = f"s3://{bucket}/{'abcdefghi/' * 100}a.jpg"
    assert object_cli("upload", "-", src, input=MOVED).exit_code == 0
    run = object_cli("mv", src, f"s3://{bucket}/out/a.jpg")
    assert run.exit_code == 0, run
    left = [o.object_name for o in plain_client(object_server).list_objects(bucket, recursive=True)]
    assert left == ["out/a.jpg"], left


def test_a_refused_probe_heads_an_sse_c_source_with_its_key(
        s3_server: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The HEAD right before the DELETE, where the probe was refused, carries the SSE-C key the copy was read with
    (as the last HEAD where If-Match is ignored: tests/test_mv_sse_c_source_if_match_ignored.py); key-less, S3,
    SeaweedFS and MinIO refuse it, and the move stopped after its copy (exit 2, sse_c_key_required)."""
    from helpers import put_sse_c
    bucket = _bucket(s3_server)
    key_file = put_sse_c(cli, bucket, "in/sealed.jpg", tmp_path, MOVED)
    target = tmp_path / "out.jpg"
    with FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_refuse_probe, record=True) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = cli("mv", f"s3://{bucket}/in/sealed.jpg", str(target), "--sse-c-key-file", str(key_file), "--json")
        sent = [s for s in proxy.seen if s.path.endswith("/in/sealed.jpg")]
    monkeypatch.setenv("MINIO_ENDPOINT", s3_server.endpoint)
    assert run.exit_code == 0, run
    item = run.json()["objects"][0]
    assert item["deleted"] is True and item["delete_conditional"] is False, item
    delete = next(n for n, s in enumerate(sent) if s.method == "DELETE")
    assert "if-match" in sent[delete].headers, sent[delete].headers  # the DELETE still carries If-Match
    last = sent[delete - 1]
    assert last.method == "HEAD" and "x-amz-server-side-encryption-customer-key" in last.headers, sent
    assert target.read_bytes() == MOVED
    assert cli("stat", f"s3://{bucket}/in/sealed.jpg").exit_code == 3  # gone
