"""Request/response models of the library API (pydantic), and the enums the CLI offers.

Field names here are also the --json field names: a public API. Add, never rename.
"""

import functools
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    ValidationError,
    field_validator,
    model_validator,
)

from its_store.core.enums import ObjectType as ObjectType  # re-exported: services import it from here
from its_store.core.errors import InvalidInputError
from its_store.core.streams import BinaryReader

META_TYPE = "its-type"  # x-amz-meta-its-type: the ObjectType of an object
# what codec/compression writes beside a stored object (here: a listing hides them without importing the codec)
META_CODEC = "its-codec"
META_ORIGINAL_SIZE = "its-original-size"
META_SHA256 = "its-sha256"
CODEC_META = frozenset({META_CODEC, META_ORIGINAL_SIZE, META_SHA256})


# defer_build: a model's validator and serializer are built on its first use, not when its module is imported
# (~55 models here and in the services: ~25 ms of every command's start for models most commands never use).
class _Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, use_enum_values=False, defer_build=True)


def invalid_input(exc: ValidationError, what: str) -> InvalidInputError:
    """pydantic's ValidationError as the one error tree has it: InvalidInputError (exit 2), one line naming
    the first field that failed and why. The input is not echoed (it may be a key or a secret)."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in err.get("loc", ()))
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    line = " ".join(f"invalid {what}: {where + ': ' if where else ''}{msg}".split())
    more = exc.error_count() - 1
    return InvalidInputError(line + (f" (and {more} more)" if more > 0 else ""))


class RequestModel(_Model):
    """Base of the library's request models: a bad field is InvalidInputError naming it, never pydantic's
    ValidationError, whether the model is built by its constructor or by model_validate(_json). (Not a
    model validator: a subclass's own "after" validators would run outside it.)"""

    input_name: ClassVar[str] = ""  # how the error names the model; "" = the class name

    if not TYPE_CHECKING:  # a type checker keeps pydantic's signatures (the fields as keyword arguments)
        def __init__(self, /, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise invalid_input(exc, type(self).input_name or type(self).__name__) from None

        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
            try:
                return super().model_validate(obj, **kwargs)
            except ValidationError as exc:
                raise invalid_input(exc, cls.input_name or cls.__name__) from None

        @classmethod
        def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Any:
            try:
                return super().model_validate_json(json_data, **kwargs)
            except ValidationError as exc:
                raise invalid_input(exc, cls.input_name or cls.__name__) from None


class Result(BaseModel):
    """Base of every result the library returns (issue 21: one style). `--json` prints exactly
    `result.model_dump(mode="json")`, and the JSON Schema of every result is generated from these models
    and committed under docs/schema/. Field names are a public API: add, never rename."""

    model_config = ConfigDict(populate_by_name=True, use_enum_values=False, defer_build=True)  # see _Model

    def __getitem__(self, name: str) -> object:
        """Read access by field name, as the product documentation's examples read results
        (`model["model_name"]`, `health["status"]`): the value of that field (computed ones and, where a
        model allows them, extra ones included), as `model_dump()` has it."""
        if name not in self:
            raise KeyError(name)
        value = getattr(self, name)
        return self.model_dump(include={name})[name] if isinstance(value, BaseModel | list | dict) else value

    def __contains__(self, name: object) -> bool:
        cls = type(self)
        return isinstance(name, str) and (name in cls.model_fields or name in cls.model_computed_fields
                                          or name in (self.model_extra or {}))

    def get(self, name: str, default: object = None) -> object:
        """`result.get("field", default)`, as on the dict results of earlier versions."""
        return self[name] if name in self else default


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
    unchecked: str | None = None      # "sse": stored, its encryption not checked (the key may not read it back)


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
    # Check a plain object's its-sha256 too where the server's CRC32 already verifies the bytes (by
    # default that is left to `verify`): a move does, before it deletes the object.
    custody: bool = False
    # A byte range (`get --range`): from `offset` (negative: that many bytes before the end, like
    # HTTP's `bytes=-N`), `length` bytes or None to the end. A partial download cannot be verified.
    offset: int = 0
    length: int | None = Field(default=None, ge=1)

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
    note: str | None = None           # why `verified` is false when it cannot be otherwise (a range)

    def __str__(self) -> str:
        return str(self.file_path)

    def __fspath__(self) -> str:
        return os.fspath(self.file_path)


class ListObjectsRequest(RequestModel):
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


class ObjectInfo(Result):
    """One object (or, with `is_prefix`, one common prefix) of a listing, or one object's `stat`."""

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
    codec: str | None = None               # its-codec: gzip, lz4, zstd (None: stored as is)
    original_size: int | None = None       # size before compression (`size` is the stored size)
    compression_ratio: float | None = None  # original_size / size
    sha256: str | None = None              # sha256 of the original content, when recorded
    encryption: str | None = None          # SSE-S3, SSE-KMS or SSE-C (from a HEAD; None in plain listings)
    retention_mode: str | None = None      # object lock: GOVERNANCE or COMPLIANCE (from a HEAD)
    retain_until: datetime | None = None   # object lock: retained until (UTC)
    legal_hold: bool | None = None         # object lock: under legal hold (None: not known / no lock)


    @classmethod
    def listed(cls, **values: Any) -> "ObjectInfo":
        """Build from already-typed listing values without validation, ~10x cheaper than
        model_construct (which deep-copies every default): listings create one per key."""
        defaults, set_dict, set_fields, set_extra, set_private = listed_parts()
        obj = cls.__new__(cls)
        fields = defaults.copy()  # in field order, like JSON; update() keeps that order
        fields.update(values)
        set_dict(obj, fields)
        set_fields(obj, set(values))
        set_extra(obj, None)
        set_private(obj, None)
        return obj


Setter = Callable[[Any, Any], None]


@functools.cache
def listed_parts() -> tuple[dict[str, Any], Setter, Setter, Setter, Setter]:
    """What ObjectInfo.listed (and service/listing's loop over a whole listing) build an ObjectInfo from:
    its fields with their defaults (None for a required one) in field order, and the setters of an
    instance's __dict__ and pydantic's three slots (__pydantic_fields_set__, __pydantic_extra__,
    __pydantic_private__), found as object.__setattr__ finds them (the first class of the MRO that defines
    the name; object.__setattr__ by name for one that is no data descriptor there). The one place that
    reaches pydantic's instance slots: tests/test_listing.py holds a listed ObjectInfo equal to a validated
    one, so a pydantic that lays them out otherwise fails there."""
    defaults = {name: (None if field.is_required() else field.default)
                for name, field in ObjectInfo.model_fields.items()}
    setters: list[Setter] = []
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        found = next((vars(c)[name] for c in ObjectInfo.__mro__ if name in vars(c)), None)
        setter = getattr(found, "__set__", None)
        setters.append(setter if setter is not None else functools.partial(_setattr, name=name))
    return defaults, setters[0], setters[1], setters[2], setters[3]


def _setattr(obj: Any, value: Any, *, name: str) -> None:
    object.__setattr__(obj, name, value)


class BucketInfo(Result):
    """One bucket of `ls` without a target (list_buckets)."""

    name: str
    created: datetime | None = None


class DeleteResult(Result):
    """One object (or version) deleted, or not (`deleted` false, `error` says why, in a batch delete)."""

    bucket: str
    key: str
    version_id: str | None = None
    deleted: bool = True
    error: str | None = None
    delete_marker: bool | None = False  # versioned bucket, no version id: hidden behind a delete marker, still
    #                                     stored (None: unknown, the key may not read the bucket's versioning)


class ErrorDetail(Result):
    """What went wrong: the error's stable `code` (core/errors.py), a one-line `message`, and a `hint`."""

    code: str
    message: str
    hint: str | None = None


class ErrorDocument(Result):
    """What `--json` prints (on stdout, or on stderr after a report) when a command fails."""

    error: ErrorDetail
