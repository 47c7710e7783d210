"""Content types from file names, with ML artifacts pinned to application/octet-stream.

The system MIME tables map some model extensions to unrelated formats (.pt is a SNES "page table"
in /etc/mime.types), which would mislabel weights in object metadata and presigned downloads.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import threading
from pathlib import PurePath

BINARY_ARTIFACTS = {".pt", ".pth", ".onnx", ".engine", ".trt", ".plan", ".safetensors", ".ckpt", ".bin",
                    ".pb", ".tflite", ".h5", ".hdf5", ".pkl", ".joblib", ".npz", ".npy", ".weights", ".mlmodel"}
EXTRA = {".yaml": "application/yaml", ".yml": "application/yaml", ".jsonl": "application/jsonl",
         ".ndjson": "application/x-ndjson", ".log": "text/plain", ".parquet": "application/vnd.apache.parquet"}
DEFAULT = "application/octet-stream"
_ALTSEP = os.altsep  # None on POSIX


def guess_content_type(name: str | PurePath) -> str:
    suffix = name.suffix if isinstance(name, PurePath) else suffix_of(name)
    if suffix and suffix not in _COMPOUND:  # the usual case: the type depends on the last suffix alone
        return _by_suffix(suffix)
    return _guess(str(name))


def suffix_of(name: str) -> str:
    """PurePath(name).suffix, without making the PurePath for the usual name (a file's path, a key): a walk
    hands each file's path as a str, and a PurePath made of it cost ~21k instructions a camera frame (issue 22;
    tests/test_mime_suffix.py compares the two)."""
    last = name.rpartition("/")[2]
    if not last or last == "." or (_ALTSEP and _ALTSEP in name):  # "x/", "x/.", a Windows path: PurePath's own way
        return PurePath(name).suffix
    dot = last.rfind(".")
    return last[dot:] if 0 < dot < len(last) - 1 else ""


# suffixes mimetypes reads together with the one before (archive.tar.gz is a gzip of a tar)
_COMPOUND = {*mimetypes.suffix_map, *mimetypes.encodings_map}


@functools.lru_cache(maxsize=256)
def _by_suffix(suffix: str) -> str:
    """The type of any name ending in `suffix` (one lookup per suffix: thousands of frames share .jpg)."""
    return _guess("x" + suffix)


def _guess(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix in BINARY_ARTIFACTS:
        return DEFAULT
    if suffix in EXTRA:
        return EXTRA[suffix]
    _read_tables()
    guessed, _ = mimetypes.guess_type(name, strict=True)
    return guessed or DEFAULT


_TABLES = threading.Lock()
_tables_read = False


def _read_tables() -> None:
    """Read the system MIME tables once per process (~7 ms). mimetypes.guess_type reads them on its first
    call, without a lock: the 16 upload workers of a batch, each guessing its first file at once, read
    them up to 16 times (~50 ms of CPU in a 2,000-frame upload or sync)."""
    global _tables_read
    if _tables_read:
        return
    with _TABLES:
        if not _tables_read:
            mimetypes.init()
            _tables_read = True
