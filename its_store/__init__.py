"""its_store: object storage for ITS camera frames and ML models (MinIO / any S3-compatible server).

The public API is importable from here. At run time the names are loaded on first use, so that
`import its_store` stays cheap (the CLI's start-up time depends on it); a type checker sees the real
imports below and the literal `__all__` (the package ships `py.typed`), so `mypy --strict` checks a
script's use of them: `from its_store import UploadRequest` is the class, not `Any`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store._version import __version__

# name -> module under its_store that defines it (the run-time side of the imports below)
_EXPORTS = {
    "StorageService": "service.storage", "get_storage_service": "service.storage",
    "ModelRegistry": "registry.registry", "get_model_registry": "registry.registry",
    "Settings": "core.settings", "load_settings": "core.settings",
    "UploadRequest": "core.models", "UploadResponse": "core.models", "DownloadRequest": "core.models",
    "DownloadResponse": "core.models", "ListObjectsRequest": "core.models", "ObjectInfo": "core.models",
    "BucketInfo": "core.models", "DeleteResult": "core.models",
    "ObjectType": "core.enums", "CompressionType": "core.enums", "SseMode": "core.enums",
    "StorageStats": "state.stats",
    "BatchResult": "service.batch_result",
    "ItsStoreError": "core.errors", "InvalidInputError": "core.errors", "NotFoundError": "core.errors",
    "BucketNotFoundError": "core.errors", "ObjectNotFoundError": "core.errors", "LocalFileNotFoundError": "core.errors",
    "IntegrityError": "core.errors", "ConflictError": "core.errors", "AlreadyExistsError": "core.errors",
    "AccessDeniedError": "core.errors", "ServiceUnavailableError": "core.errors", "ConfigError": "core.errors",
    "LocalIOError": "core.errors",
    "BucketAdmin": "service.buckets", "Versions": "service.versions", "ObjectVersion": "service.versions",
    "RestoreResult": "service.versions",
    "ErasureResult": "service.versions", "Lifecycle": "service.lifecycle", "LifecycleRule": "service.lifecycle",
    "Tagging": "service.tags",
    "TagSet": "service.tags",
}

# A literal list (a type checker reads it; tests/test_library_typing.py checks it against _EXPORTS).
__all__ = [
    "__version__",
    "StorageService", "get_storage_service", "ModelRegistry", "get_model_registry", "Settings", "load_settings",
    "UploadRequest", "UploadResponse", "DownloadRequest", "DownloadResponse", "ListObjectsRequest", "ObjectInfo",
    "BucketInfo", "DeleteResult", "ObjectType", "CompressionType", "SseMode", "StorageStats", "BatchResult",
    "ItsStoreError", "InvalidInputError", "NotFoundError", "BucketNotFoundError", "ObjectNotFoundError",
    "LocalFileNotFoundError", "IntegrityError", "ConflictError", "AlreadyExistsError", "AccessDeniedError",
    "ServiceUnavailableError", "ConfigError", "LocalIOError",
    "BucketAdmin", "Versions", "ObjectVersion", "RestoreResult", "ErasureResult", "Lifecycle", "LifecycleRule",
    "Tagging", "TagSet",
]

if TYPE_CHECKING:  # pragma: no cover - what a type checker sees; at run time __getattr__ below loads them
    from its_store.core.enums import CompressionType, ObjectType, SseMode
    from its_store.core.errors import (
        AccessDeniedError,
        AlreadyExistsError,
        BucketNotFoundError,
        ConfigError,
        ConflictError,
        IntegrityError,
        InvalidInputError,
        ItsStoreError,
        LocalFileNotFoundError,
        LocalIOError,
        NotFoundError,
        ObjectNotFoundError,
        ServiceUnavailableError,
    )
    from its_store.core.models import (
        BucketInfo,
        DeleteResult,
        DownloadRequest,
        DownloadResponse,
        ListObjectsRequest,
        ObjectInfo,
        UploadRequest,
        UploadResponse,
    )
    from its_store.core.settings import Settings, load_settings
    from its_store.registry.registry import ModelRegistry, get_model_registry
    from its_store.service.batch_result import BatchResult
    from its_store.service.buckets import BucketAdmin
    from its_store.service.lifecycle import Lifecycle, LifecycleRule
    from its_store.service.storage import StorageService, get_storage_service
    from its_store.service.tags import Tagging, TagSet
    from its_store.service.versions import ErasureResult, ObjectVersion, RestoreResult, Versions
    from its_store.state.stats import StorageStats
else:
    # Hidden from type checkers: a module __getattr__ would make every misspelt name `Any` to them.
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), _EXPORTS, __name__)
    del lazy_names  # not a name of the API

    def __dir__() -> list[str]:
        return sorted(__all__)
