"""service/xmove.stamp with an SSE-C key on a plain object (last read of session 33): AWS and MinIO refuse a
HEAD that carries SSE-C headers for an object that is not SSE-C (400). A move between endpoints with a key
configured (moving plain objects into an SSE-C backup) took the source's stamp with that key and failed on
the 400: every such move refused. The stamp reads again without the key, as decoding.stat_with_key does."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request, s3_error
from test_atk30b_conditional import _service  # a StorageService on the fault server


def _refuse_keys_on_plain(server: FaultServer, req: Request, conn: Conn) -> bool:
    if req.method == "HEAD" and "x-amz-server-side-encryption-customer-algorithm" in req.headers:
        conn.send(s3_error(400, "InvalidRequest", "The encryption parameters are not applicable to this object.",
                           req.path))
        return True
    return False


def test_the_stamp_of_a_plain_object_is_read_without_the_key_it_refuses(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    from its_store.service.xmove import stamp
    key_file = tmp_path / "sse.key"
    key_file.write_bytes(bytes(range(32)))
    key_file.chmod(0o600)
    with FaultServer(_refuse_keys_on_plain, buckets=("c-video",)) as fake, \
            _service(fake, monkeypatch, tmp_path) as svc:
        fake.put_object("c-video", "plain.jpg", FakeObject(b"frame"))
        got = stamp(svc, "c-video", "plain.jpg", key_file)
        assert got is not None and got[2] == 5, got  # read: the size of the plain object
        assert stamp(svc, "c-video", "missing.jpg", key_file) is None
