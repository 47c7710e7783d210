"""Session 35 (fix3): an upload journal record that names another key is never used for this one.

One JSON record per (endpoint, bucket, key) under MINIO_CACHE_DIR/uploads, named by a digest. A record file
copied over another key's (a restore, a hand copy) named the other key's upload: `abandon` of this key sent an
abort naming this key with the other key's upload id (SeaweedFS refuses it; a server that aborts by upload id
alone would abort the other key's upload). Such a record is unusable now: forgotten, never aborted or resumed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy

from its_store.transfer.resume import UploadJournal


def test_a_record_naming_another_key_is_forgotten_never_aborted(s3_server: Any, service: Any, bucket: str,
                                                                tmp_path: Path) -> None:
    from its_store import StorageService, load_settings
    other = service.s3.create_multipart(bucket, "other.bin", {})
    journal = UploadJournal(tmp_path / "uploads", "fix3-endpoint")
    assert journal.save(bucket, "other.bin", {"upload_id": other})
    assert journal.save(bucket, "this.bin", {"upload_id": "placeholder-id"})
    records = {json.loads(p.read_text())["key"]: p for p in (tmp_path / "uploads").glob("*.json")}
    shutil.copyfile(records["other.bin"], records["this.bin"])  # this key's record file: the other key's copy
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), record=True) as proxy:
        via = StorageService(load_settings(endpoint=proxy.endpoint, access_key=s3_server.access_key,
                                           secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "state", max_retries=0))
        journal.abandon(via.s3, bucket, "this.bin")
        aborts = proxy.requests_to("DELETE", lambda s: "uploadId" in s.query)
    assert aborts == [], "an abort was sent for this key with another key's upload id"
    assert not records["this.bin"].exists()  # forgotten
    assert journal.load(bucket, "other.bin") == {"upload_id": other, "endpoint": "fix3-endpoint",
                                                 "bucket": bucket, "key": "other.bin"}  # the other key's stays
    assert (other_upload := ("other.bin", other)) in service.s3.list_multipart_uploads(bucket), other_upload
    service.s3.abort_multipart(bucket, "other.bin", other)
