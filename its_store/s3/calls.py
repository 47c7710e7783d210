"""What S3Client hands the objects it is composed of, as types: s3/governance.Governance, s3/copies.ServerCopies,
s3/multipart.Multipart and s3/conditional.ConditionalWrites.

They get the client's calls, not the client: a callable returning the current minio client (S3Client
makes a new one in a forked child, so nobody keeps the old one), its `_raw` (still the ONE caller of
minio's private API, tests/test_s3_adapter.py), its `stat` and its `remove`. Typed here as Protocols
rather than by importing s3/client.py, which imports those modules: no import cycle, not even at type
level (layers.py --strict).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from minio import Minio
    from urllib3 import BaseHTTPResponse

__all__ = ["Head", "MinioOf", "Raw", "Remove", "Stat"]

MinioOf = Callable[[], "Minio"]
"""Returns the client's minio client as it is now (S3Client._connect replaces it after a fork)."""


class Raw(Protocol):
    """S3Client._raw: one request minio has no public call for, signed and checked by minio."""

    def __call__(self, method: str, bucket: str, key: str | None = None, *, body: bytes | None = None,
                 headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
                 place: str | None = None) -> BaseHTTPResponse: ...


class Head(Protocol):
    """What these calls read of a HEAD (s3/client.ObjectStat)."""

    @property
    def etag(self) -> str: ...

    @property
    def version_id(self) -> str | None: ...

    @property
    def metadata(self) -> Mapping[str, str]: ...

    @property
    def size(self) -> int: ...


class Stat(Protocol):
    """S3Client.stat: HEAD one object (version)."""

    def __call__(self, bucket: str, key: str, version_id: str | None = None,
                 headers: dict[str, str] | None = None) -> Head: ...


class Remove(Protocol):
    """S3Client.remove: DELETE one object (version); what the answer says of a delete marker."""

    def __call__(self, bucket: str, key: str, version_id: str | None = None,
                 headers: dict[str, str] | None = None) -> bool | None: ...
