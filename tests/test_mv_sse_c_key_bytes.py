"""A move whose SSE-C key is given to the library as its bytes (`Copier(..., options={"sse_c_key": key})`, no key
file): the download read the object with that key, but every check of the source before its DELETE HEADed it
with a key file or the settings' key only, so without the key. The checks are service/xmove.MoveGuard (the
source unchanged since the download), service/delete_guard.py's last HEAD (a server that ignores If-Match on
DELETE) and sync/copy._delete_source, which passes the key on. The key-less HEAD is refused (SseKeyRequiredError),
which MoveGuard took for a rewrite: "changed while it was downloaded", ConflictError (exit 5), the source kept.
Now each check uses the key the download used, given either way.

SeaweedFS takes SSE-C over loopback; a server that ignores If-Match on DELETE is what its probe finds when
tests/faultproxy.py answers that probe 204 (tests/test_mv_sse_c_source_if_match_ignored.py sets it up alike).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faultproxy import FaultProxy
from test_mv_sse_c_source_if_match_ignored import _probe_ignored
from test_xcopy import context_on

from conftest import plain_client, unique
from helpers import put_sse_c

DATA = b"an encrypted frame moved with a key given as bytes"


def _move_with_key_bytes(endpoint: str, server: Any, bucket: str, key_file: Path, target: Path,
                         state: Path) -> Any:
    from its_store.sync.copy import Copier
    ctx = context_on(endpoint, server.access_key, server.secret_key, state)
    try:
        return Copier(ctx, options={"sse_c_key": key_file.read_bytes()}).move(f"s3://{bucket}/in/sealed.bin",
                                                                              str(target))
    finally:
        ctx.close()


def test_a_source_moved_with_its_key_as_bytes_is_deleted(s3_server: Any, cli: Any, tmp_path: Path) -> None:
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)
    key_file = put_sse_c(cli, bucket, "in/sealed.bin", tmp_path, DATA)
    target = tmp_path / "out.bin"
    result = _move_with_key_bytes(s3_server.endpoint, s3_server, bucket, key_file, target, tmp_path / "state")
    assert not result.failed, result
    (item,) = result.objects
    assert item.deleted is True and item.delete_conditional is not False, item
    assert target.read_bytes() == DATA
    assert cli("stat", f"s3://{bucket}/in/sealed.bin").exit_code == 3  # gone


def test_the_last_head_before_a_plain_delete_carries_the_key_given_as_bytes(s3_server: Any, cli: Any,
                                                                            tmp_path: Path) -> None:
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)  # unversioned: the last HEAD, then a plain DELETE
    key_file = put_sse_c(cli, bucket, "in/sealed.bin", tmp_path, DATA)
    target = tmp_path / "out.bin"
    proxy = FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_probe_ignored, record=True).start()
    try:
        result = _move_with_key_bytes(proxy.endpoint, s3_server, bucket, key_file, target, tmp_path / "state")
        assert proxy.counters.answered == 1, "the probe was not made"
        seen = list(proxy.seen)
    finally:
        proxy.stop()
    assert not result.failed, result
    (item,) = result.objects
    assert item.deleted is True and item.delete_conditional is False, item
    sent = [s for s in seen if s.path.endswith("/in/sealed.bin")]
    delete = next(n for n, s in enumerate(sent) if s.method == "DELETE")
    last = sent[delete - 1]
    assert last.method == "HEAD" and "x-amz-server-side-encryption-customer-key" in last.headers, sent
    assert target.read_bytes() == DATA
    assert cli("stat", f"s3://{bucket}/in/sealed.bin").exit_code == 3  # gone


def test_the_key_given_as_bytes_is_not_in_the_guards_repr(service: Any) -> None:
    """The guard holds the key's own bytes now: its repr (a log line, a debugger) never shows them."""
    from its_store.service.xmove import MoveGuard
    secret = b"k" * 32
    guard = MoveGuard.of_download(service, "b", "in/sealed.bin", "etag", None, 1, secret)
    assert guard.key_file == secret
    assert repr(secret) not in repr(guard) and "kkkk" not in repr(guard), repr(guard)
