"""Object I/O over a Context: upload, download (to a file or a stream), stat, head, delete, presign.

Split by concern: service/object_upload.py (upload, plan_shared), service/object_download.py (download,
download_to_stream, head, stat_object), service/object_delete.py (delete, delete_many, remove_batch); the
presigned URLs are here. Every name stays importable from this module, as before (each module on the first
use of one of its names).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.lazy import lazy_names
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_key

if TYPE_CHECKING:
    from its_store.service.context import Context
    from its_store.service.object_delete import (
        DeletedObjects,
        DeletePlan,
        PlannedDelete,
        delete,
        delete_each,
        delete_many,
        plan_delete,
        remove_batch,
    )
    from its_store.service.object_download import (
        download,
        download_info,
        download_into,
        download_to_stream,
        head,
        stat_object,
    )
    from its_store.service.object_upload import (
        SharedUpload,
        _guess_type,
        _headers,
        _lock_asked,
        _upload,
        plan_shared,
        upload,
        upload_walked,
    )

__all__ = ["MAX_PRESIGN_SECONDS", "DeletePlan", "DeletedObjects", "PlannedDelete", "PresignedUrl", "SharedUpload",
           "_guess_type", "_headers", "_lock_asked", "_upload", "delete", "delete_each", "delete_many", "download",
           "download_info", "download_into", "download_to_stream", "head", "plan_delete", "plan_shared", "presign",
           "presigned", "remove_batch", "stat_object", "upload", "upload_walked"]

MAX_PRESIGN_SECONDS = 7 * 24 * 3600

# where each name of the split lives: imported on its first use, so that a download does not import the upload
# and delete modules (nor build their models), then kept here (no __getattr__ per object of a batch)
_MOVED = {**dict.fromkeys(("DeletedObjects", "DeletePlan", "PlannedDelete", "delete", "delete_each", "delete_many",
                           "plan_delete", "remove_batch"), "object_delete"),
          **dict.fromkeys(("download", "download_info", "download_into", "download_to_stream", "head",
                           "stat_object"), "object_download"),
          **dict.fromkeys(("SharedUpload", "_guess_type", "_headers", "_lock_asked", "_upload", "plan_shared",
                           "upload", "upload_walked"), "object_upload")}


if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above (core/lazy.py)
    __getattr__ = lazy_names(globals(), _MOVED, "its_store.service")

    def __dir__() -> list[str]:
        """The module's names and the split's (help(), dir() and completion list them before their first use)."""
        return sorted({*globals(), *_MOVED})


# ----------------------------------------------------------------------------------------- presign
class PresignedUrl(Result):
    """A URL that grants `method` on one object without credentials, until `expires_at` (UTC)."""

    url: str
    method: str
    bucket: str
    key: str
    expires_in_seconds: int
    expires_at: datetime


def presigned(ctx: Context, bucket: str, key: str, expires_in_seconds: int = 3600,
              method: str = "GET") -> PresignedUrl:
    """presign() with what the URL grants and when it expires."""
    url = presign(ctx, bucket, key, expires_in_seconds, method)
    expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in_seconds))
    return PresignedUrl(url=url, method=method.upper(), bucket=bucket, key=key,
                        expires_in_seconds=int(expires_in_seconds), expires_at=expires_at)


def presign(ctx: Context, bucket: str, key: str, expires_in_seconds: int = 3600, method: str = "GET") -> str:
    """A URL that grants `method` on one object for at most 7 days, with no credentials needed."""
    validate_bucket(bucket)
    validate_key(key)
    method = method.upper()
    if method not in ("GET", "PUT", "HEAD", "DELETE"):
        raise E.InvalidInputError(f"unsupported presign method {method!r}", hint="use GET or PUT")
    if not 1 <= int(expires_in_seconds) <= MAX_PRESIGN_SECONDS:
        raise E.InvalidInputError(
            f"expiry must be between 1 second and 7 days (got {int(expires_in_seconds)} s)",
            hint="S3 signatures are valid for at most 7 days (604800 s)")
    return ctx.s3.presign(method, bucket, key, timedelta(seconds=int(expires_in_seconds)))
