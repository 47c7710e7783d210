"""Request/response models of the library API (pydantic), and the enums the CLI offers.

Field names here are also the --json field names: a public API. Add, never rename.
"""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from its_store.core.enums import ObjectType as ObjectType  # re-exported: services import it from here
from its_store.core.model_base import RequestModel as RequestModel
from its_store.core.model_base import Result as Result
from its_store.core.model_base import invalid_input as invalid_input

if TYPE_CHECKING:
    from pydantic import BaseModel

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
from its_store.core.meta_names import META_CODEC as META_CODEC  # noqa: E402
from its_store.core.meta_names import META_ORIGINAL_SIZE as META_ORIGINAL_SIZE  # noqa: E402
from its_store.core.meta_names import META_SHA256 as META_SHA256  # noqa: E402

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
M = TypeVar("M", bound="BaseModel")


@functools.cache
def listed_parts() -> tuple[dict[str, Any], Setter, Setter, Setter, Setter]:
    """What ObjectInfo.listed (and service/listing's loop over a whole listing) build an ObjectInfo from:
    its fields with their defaults (None for a required one) in field order, and the setters of an
    instance's __dict__ and pydantic's three slots (slot_setters). tests/test_listing.py holds a listed
    ObjectInfo equal to a validated one, so a pydantic that lays them out otherwise fails there."""
    defaults = {name: (None if field.is_required() else field.default)
                for name, field in ObjectInfo.model_fields.items()}
    return (defaults, *slot_setters(ObjectInfo))


@functools.cache
def slot_setters(cls: type) -> tuple[Setter, Setter, Setter, Setter]:
    """The setters of a `cls` instance's __dict__ and pydantic's three slots (__pydantic_fields_set__,
    __pydantic_extra__, __pydantic_private__), found as object.__setattr__ finds them (the first class of the
    MRO that defines the name; object.__setattr__ by name for one that is no data descriptor there). The one
    place that reaches pydantic's instance slots (listed_parts, copier): tests/test_listing.py and
    tests/test_request_copier.py fail when a pydantic lays them out otherwise."""
    setters: list[Setter] = []
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        found = next((vars(c)[name] for c in cls.__mro__ if name in vars(c)), None)
        setter = getattr(found, "__set__", None)
        setters.append(setter if setter is not None else functools.partial(_setattr, name=name))
    return setters[0], setters[1], setters[2], setters[3]


def copier(template: M, names: tuple[str, ...]) -> Callable[..., M]:
    """A maker of `template.model_copy(update=dict(zip(names, values)))` for each call with `values`, built as
    listed_parts builds a listed ObjectInfo (a batch's request for each object: ~22K instructions a
    model_copy, pydantic's __copy__ and its three copy.copy calls, get -r, issue 22 W5). Like model_copy, the
    values are not validated (the caller's are typed: a listing's key, size and ETag). A template of a class that
    allows extra fields (model_extra a dict, even an empty one) or has private attributes is copied by
    model_copy itself."""
    if template.model_extra is not None or type(template).__private_attributes__:
        return lambda *values: template.model_copy(update=dict(zip(names, values, strict=True)))
    cls = type(template)
    new = cls.__new__
    set_dict, set_fields, set_extra, set_private = slot_setters(cls)
    base = dict(template.__dict__)  # its fields' values, as model_copy copies them
    fields = template.model_fields_set | set(names)

    def make(*values: Any) -> M:
        made = new(cls)
        found = base.copy()
        found.update(zip(names, values))  # noqa: B905 - as many as names: the caller's
        set_dict(made, found)
        set_fields(made, set(fields))
        set_extra(made, None)
        set_private(made, None)
        return made
    return make


def _setattr(obj: Any, value: Any, *, name: str) -> None:
    object.__setattr__(obj, name, value)
