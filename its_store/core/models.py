"""Request/response models of the library API (pydantic), and the enums the CLI offers.

Field names here are also the --json field names: a public API. Add, never rename.
"""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from its_store.core.enums import ObjectType as ObjectType  # re-exported: services import it from here
from its_store.core.model_base import RequestModel as RequestModel
from its_store.core.model_base import Result as Result
from its_store.core.model_base import invalid_input as invalid_input

if TYPE_CHECKING:
    from its_store.core.bucket_models import BucketInfo as BucketInfo
    from its_store.core.delete_models import DeleteResult as DeleteResult
    from its_store.core.download_models import DownloadRequest as DownloadRequest
    from its_store.core.download_models import DownloadResponse as DownloadResponse
    from its_store.core.error_models import ErrorDetail as ErrorDetail
    from its_store.core.error_models import ErrorDocument as ErrorDocument
    from its_store.core.list_models import ListObjectsRequest as ListObjectsRequest
    from its_store.core.upload_models import UploadRequest as UploadRequest
    from its_store.core.upload_models import UploadResponse as UploadResponse
else:  # created on first use (upload_models.py, download_models.py, ...), then plain names of this module
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"UploadRequest": "upload_models", "UploadResponse": "upload_models",
                                         "DownloadRequest": "download_models", "DownloadResponse": "download_models",
                                         "ListObjectsRequest": "list_models", "BucketInfo": "bucket_models",
                                         "DeleteResult": "delete_models", "ErrorDetail": "error_models",
                                         "ErrorDocument": "error_models"},
                             "its_store.core")

META_TYPE = "its-type"  # x-amz-meta-its-type: the ObjectType of an object
# what codec/compression writes beside a stored object (here: a listing hides them without importing the codec)
META_CODEC = "its-codec"
META_ORIGINAL_SIZE = "its-original-size"
META_SHA256 = "its-sha256"
CODEC_META = frozenset({META_CODEC, META_ORIGINAL_SIZE, META_SHA256})



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
    error: str | None = None               # a listing's entry whose HEAD failed alone (ls --metadata: an answer
    #                                        no HTTP client reads): why; its type, metadata and lock unknown


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
