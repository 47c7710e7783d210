"""DownloadRequest and DownloadResponse: the library's download request and result (core/models.py re-exports them).

Their own module, as upload_models.py: a pydantic class costs its creation when its module is imported (~4M
instructions for these two), and `ls`, `verify` or a `sync` with nothing to fetch never build one.
"""

import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from its_store.core.localname import checked
from its_store.core.model_base import RequestModel, Result


class DownloadRequest(RequestModel):
    """Download one object to `file_path` (a file, or an existing folder to download into)."""

    bucket: str
    key: str
    file_path: Path
    version_id: str | None = None
    workers: int | None = None
    part_size: int | None = None
    raw: bool = False                      # the stored bytes, without undoing compression
    sse_c_key_file: Path | None = None     # the SSE-C key of an SSE-C object (else MINIO_SSE_C_KEY*)
    sse_c_key: bytes | None = Field(default=None, exclude=True, repr=False)
    size_hint: int | None = None           # size known from a listing: small objects take one GET, no HEAD
    etag_hint: str | None = None           # the ETag that listing gave: a GET answering another is not taken
    # Check a plain object's its-sha256 too where the server's CRC32 already verifies the bytes (by
    # default that is left to `verify`): a move does, before it deletes the object.
    custody: bool = False
    # A byte range (`get --range`): from `offset` (negative: that many bytes before the end, like
    # HTTP's `bytes=-N`), `length` bytes or None to the end. A partial download cannot be verified.
    offset: int = 0
    length: int | None = Field(default=None, ge=1)

    @field_validator("file_path", mode="before")
    @classmethod
    def _nameable(cls, value: Any) -> Any:
        """A NUL, a lone surrogate or an over-long name: its-store's error now, not Python's later (core/localname)."""
        return checked(value) if isinstance(value, (str, Path)) else value  # else pydantic's own error

    @property
    def ranged(self) -> bool:
        return self.offset != 0 or self.length is not None


class DownloadResponse(Result):
    """Result of a download; `str()` and `os.fspath()` give the local path it was written to."""

    bucket: str
    key: str
    file_path: Path
    size: int
    etag: str = ""
    version_id: str | None = None
    verified: bool = False
    duration_seconds: float = 0.0
    codec: str | None = None          # the codec undone (None: stored as is, or --raw)
    stored_size: int | None = None    # bytes fetched from the server (size is what was written)
    offset: int | None = None         # a ranged download (`get --range`): first byte written
    object_size: int | None = None    # ... and the whole object's size; `verified` is then false
    note: str | None = None           # why `verified` is false when it cannot be otherwise (a range, a weak ETag)

    def __str__(self) -> str:
        return str(self.file_path)

    def __fspath__(self) -> str:
        return os.fspath(self.file_path)
