"""mv's If-Match probe (s3/conditional.deletes_if_match) read ANY ConflictError as "If-Match honoured": a 409
OperationAborted (or InvalidBucketState, BucketNotEmpty: the codes mapped to a conflict, s3/error_codes.py) to
the probe's DELETE is no refusal of its If-Match (only 412 PreconditionFailed is: no object carries the ETag it
names), yet mv then sent its DELETE with an If-Match the server ignores and no HEAD before it: a rewrite between
the copy and the DELETE was deleted, exit 0, `delete_conditional: true`.

Here: rclone serve s3 (ignores If-Match on DELETE: test_mv_delete_if_match_ignored.py) behind tests/faultproxy.py,
which answers the probe's DELETE 409 OperationAborted (the request still reaches rclone) and at the probe writes
a new object at the source (another writer, after the copy). The rewrite must be kept: exit 5 (the HEAD right
before a DELETE not known exact finds it), never deleted.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import plain_client, unique

MOVED = b"the frame that is moved"
NEW = b"the other writer's new frame"
_ABORTED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>OperationAborted</Code><Message>A conflicting '
            b"conditional operation is currently in progress against this resource.</Message></Error>")
ANSWER_409 = (b"HTTP/1.1 409 Conflict\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
              % len(_ABORTED) + _ABORTED)


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
def test_a_409_to_the_probe_is_not_taken_for_an_honoured_if_match(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from faultproxy import FaultProxy

    from its_store.service.delete_guard import PROBE_NAME

    direct = plain_client(object_server)
    bucket = unique("b")
    direct.make_bucket(bucket)
    direct.put_object(bucket, "in/src.jpg", io.BytesIO(MOVED), len(MOVED))
    rewrote: list[str] = []

    def answer(seen: Any) -> bytes | None:
        key = seen.path.lstrip("/").partition("/")[2]
        if seen.method == "DELETE" and PROBE_NAME in key and not rewrote:  # another writer, after the copy
            direct.put_object(bucket, "in/src.jpg", io.BytesIO(NEW), len(NEW))
            rewrote.append(key)
        return None

    def replace(seen: Any) -> bytes | None:
        key = seen.path.lstrip("/").partition("/")[2]
        return ANSWER_409 if seen.method == "DELETE" and PROBE_NAME in key else None

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
    assert run.exit_code == 5 and run.json()["error"]["code"] == "conflict", run
    assert direct.get_object(bucket, "in/src.jpg").read() == NEW
    assert direct.get_object(bucket, "out/dst.jpg").read() == MOVED
