"""UploadRequest and UploadResponse: the library's upload request and result (core/models.py re-exports them).

Their own module, as download_models.py: a pydantic class costs its creation when its module is imported
(~6M instructions for these two), and `ls`, `verify`, `get` or a `sync` with nothing to send never build one.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, SkipValidation, computed_field, field_validator, model_validator

from its_store.core.enums import ObjectType
from its_store.core.localname import checked
from its_store.core.model_base import RequestModel, Result
from its_store.core.streams import BinaryReader


class UploadRequest(RequestModel):
    """Upload one object from `file_path`, from `data` (bytes), or from `stream` (a binary file object).

    `bucket` None means the default bucket for `object_type`; `key` None means the file's name.
    """

    bucket: str | None = None
    key: str | None = None
    file_path: Path | None = None
    follow_symlinks: bool = False  # file_path may be a symbolic link (else it is refused, core.files.open_regular)
    data: bytes | None = None
    stream: SkipValidation[BinaryReader | None] = Field(default=None, exclude=True)  # read() only, not checked
    object_type: ObjectType = ObjectType.OTHER
    content_type: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    part_size: int | None = None
    workers: int | None = None
    resume: bool = False  # continue an interrupted multipart upload of the same file
    # auto|none|gzip|lz4|zstd; None: auto when MINIO_ENABLE_COMPRESSION=true, else none (its_store.codec.compression)
    compression: str | None = None
    compression_level: int | None = None   # zstd 1-22 (auto: zstd), gzip 1-9, lz4 0-16
    # none|s3|c; None: SSE-C if a key is given/configured, else SSE-S3 if MINIO_ENABLE_ENCRYPTION (encryption.py)
    sse: str | None = None
    sse_c_key_file: Path | None = None     # SSE-C key: 32 bytes raw, base64 or hex in a file
    sse_c_key: bytes | None = Field(default=None, exclude=True, repr=False)  # or the 32-byte key itself
    # object lock at write time (bucket needs object lock); build them with core.lock.upload_lock_fields
    retain_mode: str | None = None         # GOVERNANCE or COMPLIANCE (with retain_until)
    retain_until: datetime | None = None   # aware UTC; in the future
    legal_hold: bool = False

    @field_validator("file_path", mode="before")
    @classmethod
    def _nameable(cls, value: Any) -> Any:
        """A NUL, a lone surrogate or an over-long name: its-store's error now, not Python's later (core/localname)."""
        return checked(value) if isinstance(value, (str, Path)) else value  # else pydantic's own error

    @field_validator("retain_mode", mode="before")
    @classmethod
    def _lock_mode(cls, value: Any) -> Any:
        from its_store.core.lock import parse_mode
        return None if value in (None, "") else parse_mode(value)

    @model_validator(mode="after")
    def _lock(self) -> "UploadRequest":
        if self.retain_mode is not None and self.retain_until is None:
            raise ValueError("retain_mode needs retain_until")
        if self.retain_until is not None and self.retain_mode is None:
            from its_store.core.lock import DEFAULT_MODE
            self.retain_mode = DEFAULT_MODE
        return self

    @field_validator("compression", "sse", mode="before")
    @classmethod
    def _choice(cls, value: Any) -> Any:
        value = getattr(value, "value", value)  # CLI enums
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _codec(self) -> "UploadRequest":
        from its_store.core.codecs import check_level, resolve
        if self.compression is not None:
            resolve(self.compression, True)
        check_level(self.compression, self.compression_level)
        return self

    @model_validator(mode="after")
    def _one_source(self) -> "UploadRequest":
        sources = sum(x is not None for x in (self.file_path, self.data, self.stream))
        if sources != 1:
            raise ValueError("give exactly one of file_path, data or stream")
        if self.key is None and self.file_path is None:
            raise ValueError("key is required when uploading data or a stream")
        import io
        if isinstance(self.stream, io.TextIOBase):  # its read() gives str: a TypeError deep in the upload
            raise ValueError("stream must be a binary file object (open(path, 'rb'), io.BytesIO), not a text stream")
        if self.stream is not None and not callable(getattr(self.stream, "read", None)):  # bytes, a path, an fd
            raise ValueError(f"stream must be a binary file object with read() (open(path, 'rb'), io.BytesIO), not "
                             f"{type(self.stream).__name__}: bytes go in data=, a file's path in file_path=")
        return self


class UploadResponse(Result):
    """What one upload stored: where, its ETag and version, its size and how it is stored."""

    bucket: str
    key: str
    etag: str
    version_id: str | None = None
    total_size: int
    content_type: str
    object_type: ObjectType
    multipart: bool = False
    parts: int = 1
    duration_seconds: float = 0.0
    codec: str = "none"               # how it is stored: none, gzip, lz4, zstd (total_size is the original)
    stored_size: int | None = None    # bytes stored on the server
    encryption: str | None = None     # SSE-S3 or SSE-C when requested
    sha256: str | None = None         # SHA-256 of the original content, recorded as its-sha256 (custody)
    unchecked: str | None = None      # "sse": stored, its encryption not checked (the key may not read it back);
    # "tags": its --tag not checked (the key may not read tags: s3:GetObjectTagging); "etag": a multipart
    # upload whose parts' ETags are no MD5s, its Complete's answer taken as it is (the key may not HEAD it);
    # "version": a multipart upload whose Complete was proven by the bytes read back (its answer lost, the upload
    # gone), not its version: version_id is None, as the one at the key may be another writer's of the same bytes

    @computed_field  # type: ignore[prop-decorator]
    @property
    def version_unproven(self) -> bool | None:
        """True where version_id is null because the version at the key is not proven this write's (unchecked
        "version": a multipart Complete proven by its bytes read back, the upload gone); else None."""
        return True if self.unchecked == "version" else None
