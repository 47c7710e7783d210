"""`get -r` (Batch.download_prefix) keeps per object only what its BatchItem says: no DownloadResponse is
made for each object (objects.download_into), and the items, files and statistics are those of download()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import DEADLINE, ROOT, random_bytes

_BATCH = """
import json, sys
from pathlib import Path
from its_store import StorageService, load_settings
from its_store.core.models import DownloadResponse
svc = StorageService(load_settings())
result = svc.batch().download_prefix(sys.argv[1], "frames/", Path(sys.argv[2]), workers=2)
counted = svc.stats.operations["download"]
svc.close()
print(json.dumps({"built": DownloadResponse.__pydantic_complete__, "result": result.model_dump(mode="json"),
                  "counted": [counted.count, counted.bytes]}))
"""


def test_get_recursive_makes_no_download_response_and_reports_what_download_does(
        env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    from its_store import DownloadRequest, UploadRequest
    bodies = {f"frames/cam{i}/f{i}.jpg": random_bytes(30_000 + i, seed=i) for i in range(3)}
    for key, data in bodies.items():
        source = tmp_path / "src" / key
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        service.upload_object(UploadRequest(bucket=bucket, key=key, file_path=source))
    out = subprocess.run([sys.executable, "-c", _BATCH, bucket, str(tmp_path / "dst")], capture_output=True,
                         text=True, timeout=DEADLINE, env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    said = json.loads(out.stdout)
    assert said["built"] is False  # the model's schema is built on its first use: never used
    items = {item["key"]: item for item in said["result"]["objects"]}
    assert said["result"]["failed"] == 0 and set(items) == set(bodies)
    for key, data in bodies.items():
        written = tmp_path / "dst" / key.removeprefix("frames/")
        assert written.read_bytes() == data
        one = service.download_object(DownloadRequest(bucket=bucket, key=key, file_path=tmp_path / "one.jpg"))
        assert items[key]["path"] == str(written)
        assert (items[key]["size"], items[key]["verified"]) == (one.size, one.verified) == (len(data), True)
    assert said["counted"] == [3, sum(map(len, bodies.values()))]  # each download counted, as download() does
