"""A download does not import the upload half of the codec path (issue 22): service/decoding.py decodes and
verifies, service/upload_plan.py plans what to store, and only the latter imports transfer/upload.py (~20M
instructions on every `get` of one object when a download imported it, callgrind).

Each way the library downloads (to a file, a stored-compressed object to a file, to a stream, a prefix by a
batch; a HEAD and a stat) runs in a fresh interpreter against the real server, and says what it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import DEADLINE, ROOT, random_bytes

# service/objects.py imports its upload (and delete) half on first use: a download imports neither; nor the `auto`
# compression rules (codec/auto.py: whether to compress), which codec/compression.py offers on first use
UPLOAD_HALF = {"its_store.transfer.upload", "its_store.service.upload_plan", "its_store.service.object_upload",
               "its_store.codec.auto"}

_DOWNLOAD = """
import io, json, sys
from pathlib import Path
from its_store import DownloadRequest, StorageService, load_settings
svc = StorageService(load_settings())
bucket, key, out, how = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
if how == "file":
    got = svc.download_object(DownloadRequest(bucket=bucket, key=key, file_path=out)).size
elif how == "stream":
    sink = io.BytesIO()
    got = svc.download_to_stream(bucket, key, sink)
    out.write_bytes(sink.getvalue())
elif how == "batch":
    got = svc.batch().download_prefix(bucket, "frames/", out, workers=2).objects[0].size
else:
    got = svc.head(bucket, key).size + svc.stat_object(bucket, key).size
svc.close()
print(json.dumps({"size": got, "loaded": sorted(m for m in sys.modules if m.startswith("its_store."))}))
"""


@pytest.mark.parametrize(("how", "codec"), [("file", "none"), ("file", "zstd"), ("stream", "none"),
                                            ("stream", "zstd"), ("batch", "none"), ("batch", "zstd"),
                                            ("head", "none")])
def test_a_library_download_does_not_load_the_upload_half(env: dict[str, str], service: Any, bucket: str,
                                                          tmp_path: Path, how: str, codec: str) -> None:
    from its_store import UploadRequest
    data = random_bytes(100_000, seed=7) if codec == "none" else b"frame " * 20_000
    key = "frames/cam1/f.jpg"
    service.upload_object(UploadRequest(bucket=bucket, key=key, data=data, compression=codec))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", _DOWNLOAD, bucket, key, str(out), how], capture_output=True,
                         text=True, timeout=DEADLINE, env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout)
    assert not UPLOAD_HALF & set(said["loaded"]), how
    assert "its_store.service.decoding" in said["loaded"]  # the download ran through it
    if how == "head":
        assert said["size"] == 2 * len(data)
    else:
        written = out / "cam1" / "f.jpg" if how == "batch" else out
        assert said["size"] == len(data) and written.read_bytes() == data
