"""Request/response models of the library API (pydantic), and the enums the CLI offers.

Field names here are also the --json field names: a public API. Add, never rename.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .enums import ObjectType

META_TYPE = "its-type"  # x-amz-meta-its-type: the ObjectType of an object


class _Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, use_enum_values=False)


class UploadRequest(_Model):
    """Upload one object from `file_path`, from `data` (bytes), or from `stream` (a binary file object).

    `bucket` None means the default bucket for `object_type`; `key` None means the file's name.
    """

    bucket: str | None = None
    key: str | None = None
    file_path: Path | None = None
    data: bytes | None = None
    stream: Any | None = Field(default=None, exclude=True)
    object_type: ObjectType = ObjectType.OTHER
    content_type: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    part_size: int | None = None
    workers: int | None = None
    resume: bool = False  # continue an interrupted multipart upload of the same file

    @model_validator(mode="after")
    def _one_source(self) -> UploadRequest:
        sources = sum(x is not None for x in (self.file_path, self.data, self.stream))
        if sources != 1:
            raise ValueError("give exactly one of file_path, data or stream")
        if self.key is None and self.file_path is None:
            raise ValueError("key is required when uploading data or a stream")
        return self


class UploadResponse(_Model):
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


class DownloadRequest(_Model):
    """Download one object to `file_path` (a file, or an existing folder to download into)."""

    bucket: str
    key: str
    file_path: Path
    version_id: str | None = None
    workers: int | None = None
    part_size: int | None = None


class DownloadResponse(_Model):
    """Result of a download; `str()` and `os.fspath()` give the local path it was written to."""

    bucket: str
    key: str
    file_path: Path
    size: int
    etag: str = ""
    version_id: str | None = None
    verified: bool = False
    duration_seconds: float = 0.0

    def __str__(self) -> str:
        return str(self.file_path)

    def __fspath__(self) -> str:
        return os.fspath(self.file_path)


class ListObjectsRequest(_Model):
    """Filters for listing. `size_range` is (min, max) in bytes, either end may be None."""

    bucket: str
    prefix: str = ""
    recursive: bool = True
    max_keys: int | None = Field(default=None, ge=1)
    object_types: list[ObjectType] | None = None
    size_range: tuple[int | None, int | None] | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    include_metadata: bool = False
    match_tags: dict[str, str] | None = None      # only objects carrying every one of these tags
    match_metadata: dict[str, str] | None = None  # only objects with these user metadata values

    @field_validator("size_range")
    @classmethod
    def _range(cls, value: tuple[int | None, int | None] | None) -> Any:
        if value and value[0] is not None and value[1] is not None and value[0] > value[1]:
            raise ValueError("size_range minimum is larger than its maximum")
        return value


class ObjectInfo(_Model):
    bucket: str
    key: str
    size: int = 0
    etag: str | None = None
    last_modified: datetime | None = None
    content_type: str | None = None
    object_type: ObjectType | None = None
    metadata: dict[str, str] | None = None
    tags: dict[str, str] | None = None
    version_id: str | None = None
    is_prefix: bool = False


class BucketInfo(_Model):
    name: str
    created: datetime | None = None


class DeleteResult(_Model):
    bucket: str
    key: str
    version_id: str | None = None
    deleted: bool = True
    error: str | None = None
