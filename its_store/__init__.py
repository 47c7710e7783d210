"""its_store: object storage for ITS camera frames and ML models (MinIO / any S3-compatible server).

The public API is importable from here; names are loaded on first use so that `import its_store`
stays cheap (the CLI's start-up time depends on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from its_store._version import __version__

_EXPORTS = {
    "StorageService": "service.storage", "get_storage_service": "service.storage",
    "ModelRegistry": "registry.registry", "get_model_registry": "registry.registry",
    "Settings": "core.settings", "load_settings": "core.settings",
    "UploadRequest": "core.models", "UploadResponse": "core.models", "DownloadRequest": "core.models",
    "DownloadResponse": "core.models", "ListObjectsRequest": "core.models", "ObjectInfo": "core.models",
    "BucketInfo": "core.models", "DeleteResult": "core.models",
    "ObjectType": "core.enums", "CompressionType": "core.enums", "SseMode": "core.enums",
    "StorageStats": "state.stats",
    "BatchResult": "service.batch",
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

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'its_store' has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
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
    from its_store.service.batch import BatchResult
    from its_store.service.storage import StorageService, get_storage_service
    from its_store.state.stats import StorageStats
