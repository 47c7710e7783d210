"""mv of an SSE-C source where the server ignores If-Match on DELETE, in a bucket that keeps no versions
(service/delete_guard.py): the source is HEADed once more right before its plain DELETE, and that HEAD was sent
without the SSE-C key. S3 needs the key's headers on a HEAD of an SSE-C object (HeadObject: "you must use the
following headers"), SeaweedFS and MinIO answer 400: the move stopped after its copy with SseKeyRequiredError
(exit 2), the source kept, and a line that did not say the copy had been made. Now that HEAD carries the key the
copy was read with: the unchanged source is deleted (`delete_conditional: false`).

The server is SeaweedFS (SSE-C over loopback), which honours If-Match on DELETE; a server that ignores it is
what its probe finds when tests/faultproxy.py answers that probe 204, as MinIO, rclone serve s3 and Ceph 16.2
do (tests/test_mv_delete_if_match_ignored.py): every other request reaches the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from conftest import plain_client, unique
from helpers import object_bytes, put_sse_c

DATA = b"an encrypted frame that is moved"


def _probe_ignored(seen: Seen) -> bytes | None:
    """The probe of If-Match on DELETE answered as a server that ignores it answers (204); nothing else."""
    from its_store.service.delete_guard import PROBE_NAME
    return response(204) if seen.method == "DELETE" and PROBE_NAME in seen.path else None


@pytest.fixture
def ignoring(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    proxy = FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_probe_ignored, record=True).start()
    monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
    try:
        yield proxy
    finally:
        proxy.stop()


def test_an_unchanged_sse_c_source_is_deleted_after_a_keyed_head(s3_server: Any, cli: Any, ignoring: Any,
                                                                  tmp_path: Path) -> None:
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)  # unversioned
    key_file = put_sse_c(cli, bucket, "in/sealed.bin", tmp_path, DATA)
    target = tmp_path / "out.bin"
    run = cli("mv", f"s3://{bucket}/in/sealed.bin", str(target), "--sse-c-key-file", str(key_file), "--json")
    assert run.exit_code == 0, run
    assert ignoring.counters.answered == 1, "the probe was not made"
    item = run.json()["objects"][0]
    assert item["deleted"] is True and item["delete_conditional"] is False, item
    sent = [s for s in ignoring.seen if s.path.endswith("/in/sealed.bin")]
    delete = next(n for n, s in enumerate(sent) if s.method == "DELETE")
    last = sent[delete - 1]  # the HEAD right before the plain DELETE, with the key
    assert last.method == "HEAD" and "x-amz-server-side-encryption-customer-key" in last.headers, sent
    assert target.read_bytes() == DATA
    assert cli("stat", f"s3://{bucket}/in/sealed.bin").exit_code == 3  # gone


def test_an_sse_c_source_moved_to_another_endpoint_is_deleted_after_a_keyed_head(
        s3_server: Any, second_seaweed: Any, cli: Any, tmp_path: Path) -> None:
    """The same between two endpoints (a relay, service/xcopy.py): the source's last HEAD carries the key the
    relay read it with (`source_sse_c_key_file`)."""
    from test_xcopy import context_on

    from its_store.sync.copy import Copier
    bucket, dest_bucket = unique("b"), unique("d")
    plain_client(s3_server).make_bucket(bucket)  # unversioned
    key_file = put_sse_c(cli, bucket, "in/sealed.bin", tmp_path, DATA)
    proxy = FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_probe_ignored).start()
    src = context_on(proxy.endpoint, s3_server.access_key, s3_server.secret_key, tmp_path / "src-state")
    dest = context_on(second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key,
                      tmp_path / "dest-state")
    try:
        dest.s3.make_bucket(dest_bucket)
        result = Copier(src, dest_owner=dest, options={"source_sse_c_key_file": key_file, "sse": "none"}).move(
            f"s3://{bucket}/in/sealed.bin", f"s3://{dest_bucket}/out/sealed.bin")
        assert not result.failed, result
        assert proxy.counters.answered == 1, "the probe was not made"
        (item,) = result.objects
        assert item.deleted is True and item.delete_conditional is False, item
        assert object_bytes(dest, dest_bucket, "out/sealed.bin") == DATA
    finally:
        proxy.stop()
        src.close()
        dest.close()
    assert cli("stat", f"s3://{bucket}/in/sealed.bin").exit_code == 3  # gone
