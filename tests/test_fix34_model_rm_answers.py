"""Session 34, fix: `model rm` and `model gc` say what their deletes did from the delete answers, as `rm` does.

Whether a removed version's data is gone or only hidden behind delete markers was decided from the bucket's
versioning alone (RegistryContext.leaves_delete_markers): a key that may not read it (no
s3:GetBucketVersioning) got `delete_markers: null`, `hidden: null` ("unknown") in a versioned bucket, though
each <Deleted> of the DeleteObjects answer said DeleteMarker true. Now the answers come first
(RegistryContext.heard, s3/deleted.py), as service/versions.markers_of does for `rm`. The refusal of GET
?versioning comes from tests/faultproxy.py in front of SeaweedFS (what such a key's policy answers); everything
else is SeaweedFS's own answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from conftest import unique

DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied.'
          b"</Message><RequestId>fault-proxy</RequestId></Error>")


def _deny_versioning(seen: Seen) -> bytes | None:
    if "versioning" in seen.query:
        return (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "
                + str(len(DENIED)).encode() + b"\r\n\r\n" + DENIED)
    return None


@pytest.fixture
def models(cli: Any, service: Any, s3_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A versioned models bucket with det@1.0.0 and det@1.0.1 registered; then the CLI reaches SeaweedFS
    through a proxy that refuses GET ?versioning (AccessDenied)."""
    bucket = unique("m")
    service.s3.make_bucket(bucket)
    service.s3.set_versioning(bucket, True)
    monkeypatch.setenv("MINIO_MODELS_BUCKET", bucket)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 3000)
    for version in ("1.0.0", "1.0.1"):
        run = cli("model", "register", str(weights), "--name", "det", "--version", version)
        assert run.exit_code == 0, run
    proxy = FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_deny_versioning, record=True).start()
    monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
    monkeypatch.setenv("MINIO_CACHE_DIR", str(tmp_path / "other-cache"))  # nothing known of the bucket
    yield proxy
    proxy.stop()


def test_model_rm_says_hidden_from_the_answers(cli: Any, models: Any) -> None:
    run = cli("--json", "model", "rm", "det@1.0.0", "--yes")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["delete_markers"] is True and doc["hidden"] is True and doc["hidden_bytes"] >= 3000, doc


def test_model_gc_says_hidden_from_the_answers(cli: Any, models: Any) -> None:
    run = cli("--json", "model", "gc", "det", "--keep-last", "1", "--older-than", "0s", "--yes")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["delete_markers"] is True and doc["hidden_bytes"] >= 3000, doc
    assert [row["hidden"] for row in doc["removed"]] == [True], doc
