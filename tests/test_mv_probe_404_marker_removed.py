"""mv's If-Match probe answered 404 (moto's and AWS's answer on a key with no object) is checked by the same
DELETE without If-Match (s3/conditional._plain_probe). In a versioned bucket that plain DELETE leaves a delete
marker on the probe key; it must be removed at once, as the ignored-If-Match path removes its own
(_drop_marker). No real server here answers the probe 404 in a versioned bucket (moto answers 412 there), so
tests/faultproxy.py answers the probe's If-Match DELETE 404 NoSuchKey (the request still reaches SeaweedFS,
which refuses it: no marker); the plain DELETE goes through and makes the marker this test looks for."""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import plain_client, unique

FRAME = b"a frame moved in a versioned bucket"
_NO_SUCH_KEY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                b"<Message>The specified key does not exist.</Message><RequestId>mut</RequestId></Error>")
ANSWER_404 = (b"HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
              % len(_NO_SUCH_KEY) + _NO_SUCH_KEY)


@pytest.mark.parametrize("object_server", ["seaweedfs"], indirect=True)
def test_the_plain_probe_leaves_no_delete_marker(object_server: Any, object_cli: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from faultproxy import FaultProxy
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    from its_store.service.delete_guard import PROBE_NAME

    direct = plain_client(object_server)
    bucket = unique("b")
    direct.make_bucket(bucket)
    direct.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    direct.put_object(bucket, "in/src.jpg", io.BytesIO(FRAME), len(FRAME))
    plain: list[str] = []

    def replace(seen: Any) -> bytes | None:  # the probe's If-Match DELETE answered as moto/AWS answer it
        if seen.method == "DELETE" and PROBE_NAME in seen.target:
            if "if-match" in seen.headers:
                return ANSWER_404
            if "versionId" not in seen.target:
                plain.append(seen.target)
        return None

    proxy = FaultProxy(int(object_server.endpoint.rpartition(":")[2]), replace_answer=replace).start()
    try:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/in/src.jpg", f"s3://{bucket}/out/dst.jpg", "--json")
    finally:
        proxy.stop()
    assert run.exit_code == 0, run
    assert plain, "the 404 was not checked by a plain DELETE"
    left = [(o.object_name, o.version_id) for o in direct.list_objects(bucket, recursive=True, include_version=True)
            if PROBE_NAME in (o.object_name or "")]
    assert left == [], f"the plain probe's delete marker was left: {left}"
