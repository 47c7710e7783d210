"""mv's If-Match probe (s3/conditional.deletes_if_match, service/delete_guard.py) against a server that answers
404 NoSuchKey to the DELETE of ANY key that holds nothing, If-Match or not, and ignores If-Match on a key that
holds an object (Google Cloud Storage's XML API answers a DELETE of a missing object 404 NoSuchKey; a proxy
in front of a bucket can do the same). The probe took that 404 for "If-Match honoured" (moto's and AWS's
answer), so mv's DELETE went out with an If-Match the server ignored and no HEAD before it: a rewrite between
the copy and the DELETE was deleted (lost), exit 0, `delete_conditional: true` in --json.

Here: rclone serve s3 and Ceph RGW (both ignore If-Match on DELETE: test_mv_delete_if_match_ignored.py) behind
tests/faultproxy.py, which answers the probe's DELETE 404 NoSuchKey as such a server does (the request still
reaches rclone), and at the probe (after the copy, before mv's DELETE) writes a new object at the source
(another writer, straight to the server). Now the 404 is checked by the same DELETE without If-Match
(another 404: unknown), so the source is HEADed right before its DELETE, finds the rewrite and keeps it
(exit 5). A rewrite in that last round trip is lost still, the race every peer has (service/delete_guard.py).
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import plain_client, unique

MOVED = b"the frame that is moved"
NEW = b"the other writer's new frame"
_NO_SUCH_KEY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                b"<Message>The specified key does not exist.</Message><RequestId>atk38</RequestId></Error>")
ANSWER_404 = (b"HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
              % len(_NO_SUCH_KEY) + _NO_SUCH_KEY)


@pytest.mark.parametrize("object_server", ["rclone", "ceph"], indirect=True)
def test_a_404_to_every_missing_key_is_not_taken_for_an_honoured_if_match(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from faultproxy import FaultProxy

    from its_store.service.delete_guard import PROBE_NAME

    direct = plain_client(object_server)
    bucket = unique("b")
    direct.make_bucket(bucket)
    direct.put_object(bucket, "in/src.jpg", io.BytesIO(MOVED), len(MOVED))
    present = {"in/src.jpg"}
    rewrote: list[str] = []

    def answer(seen: Any) -> bytes | None:
        key = seen.path.lstrip("/").partition("/")[2]
        if seen.method == "DELETE" and PROBE_NAME in key and not rewrote:  # another writer, after the copy
            direct.put_object(bucket, "in/src.jpg", io.BytesIO(NEW), len(NEW))
            rewrote.append(key)
        return None

    def replace(seen: Any) -> bytes | None:  # a server that answers 404 to a DELETE of any key with no object
        key = seen.path.lstrip("/").partition("/")[2]
        if seen.method == "DELETE" and "uploadId" not in seen.query and key not in present and key != "in/src.jpg":
            return ANSWER_404
        return None

    proxy = FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=answer,
                       replace_answer=replace).start()
    try:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/in/src.jpg", f"s3://{bucket}/out/dst.jpg", "--json")
    finally:
        proxy.stop()
    assert rewrote, run
    names = [o.object_name for o in direct.list_objects(bucket, recursive=True)]
    assert "in/src.jpg" in names, f"the other writer's object was deleted: {run.stdout}"
    kept = direct.get_object(bucket, "in/src.jpg").read()
    # the rewrite is kept (the HEAD right before the plain DELETE finds it): exit 5, never a silent loss
    assert run.exit_code == 5 and run.json()["error"]["code"] == "conflict", run
    assert kept == NEW
    assert direct.get_object(bucket, "out/dst.jpg").read() == MOVED

