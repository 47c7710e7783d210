"""Content types from file names, with ML artifacts pinned to application/octet-stream.

The system MIME tables map some model extensions to unrelated formats (.pt is a SNES "page table"
in /etc/mime.types), which would mislabel weights in object metadata and presigned downloads.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

BINARY_ARTIFACTS = {".pt", ".pth", ".onnx", ".engine", ".trt", ".plan", ".safetensors", ".ckpt", ".bin",
                    ".pb", ".tflite", ".h5", ".hdf5", ".pkl", ".joblib", ".npz", ".npy", ".weights", ".mlmodel"}
EXTRA = {".yaml": "application/yaml", ".yml": "application/yaml", ".jsonl": "application/jsonl",
         ".ndjson": "application/x-ndjson", ".log": "text/plain", ".parquet": "application/vnd.apache.parquet"}
DEFAULT = "application/octet-stream"


def guess_content_type(name: str | PurePath) -> str:
    suffix = PurePath(str(name)).suffix.lower()
    if suffix in BINARY_ARTIFACTS:
        return DEFAULT
    if suffix in EXTRA:
        return EXTRA[suffix]
    guessed, _ = mimetypes.guess_type(str(name), strict=True)
    return guessed or DEFAULT
