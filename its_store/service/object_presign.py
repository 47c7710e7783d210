"""Presigned URLs over a Context: presign (the URL) and presigned (the URL, what it grants and until when).

Importable from service/objects.py as before; a module of its own so that the PresignedUrl model is created
only by the commands that presign (a pydantic class costs its creation at import: issue 22, start-up).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_key, validate_new_key
from its_store.core.units import whole

if TYPE_CHECKING:
    from its_store.service.context import Context

MAX_PRESIGN_SECONDS = 7 * 24 * 3600


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
    """A URL that grants `method` on one object for at most 7 days, with no credentials needed. A PUT URL
    creates the object: its key is held to what an upload's is (validate_new_key: no '//', no backslash,
    which some servers merge into another object's key). A DELETE URL of such a key is signed only when the
    server keeps it apart (heads.not_another, as rm asks: SeaweedFS deletes 'd/f2' for 'd\\f2'); a GET URL
    of it is signed as it is."""
    validate_bucket(bucket)
    if not isinstance(method, str):
        raise E.InvalidInputError(f"unsupported presign method {method!r}", hint="use GET or PUT")
    if isinstance(expires_in_seconds, float) and math.isfinite(expires_in_seconds):
        expires_in_seconds = int(expires_in_seconds)  # timedelta.total_seconds(), as before
    expires_in_seconds = whole(expires_in_seconds, "expires_in_seconds", low=None)  # out of range: the line below
    method = method.upper()
    if method == "PUT":
        validate_new_key(key)
    else:
        validate_key(key)
    if method not in ("GET", "PUT", "HEAD", "DELETE"):
        raise E.InvalidInputError(f"unsupported presign method {method!r}", hint="use GET or PUT")
    if not 1 <= int(expires_in_seconds) <= MAX_PRESIGN_SECONDS:
        raise E.InvalidInputError(
            f"expiry must be between 1 second and 7 days (got {int(expires_in_seconds)} s)",
            hint="S3 signatures are valid for at most 7 days (604800 s)")
    if method == "DELETE":
        from its_store.service.heads import not_another
        not_another(ctx, bucket, key)  # a request only for a key some server may read as another
    return ctx.s3.presign(method, bucket, key, timedelta(seconds=int(expires_in_seconds)))
