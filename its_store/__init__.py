"""its_store: object storage for ITS camera frames and ML models (MinIO / any S3-compatible server).

The public API is importable from here; names are loaded on first use so that `import its_store`
stays cheap (the CLI's start-up time depends on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

_EXPORTS = {
    "StorageService": "service", "get_storage_service": "service",
    "ModelRegistry": "registry", "get_model_registry": "registry",
    "Settings": "settings", "load_settings": "settings",
    "UploadRequest": "models", "UploadResponse": "models", "DownloadRequest": "models",
    "DownloadResponse": "models", "ListObjectsRequest": "models", "ObjectInfo": "models",
    "BucketInfo": "models", "DeleteResult": "models",
    "ObjectType": "enums", "CompressionType": "enums", "SseMode": "enums",
    "StorageStats": "stats",
    "BatchResult": "batch",
    "ItsStoreError": "errors", "InvalidInputError": "errors", "NotFoundError": "errors",
    "BucketNotFoundError": "errors", "ObjectNotFoundError": "errors", "LocalFileNotFoundError": "errors",
    "IntegrityError": "errors", "ConflictError": "errors", "AlreadyExistsError": "errors",
    "AccessDeniedError": "errors", "ServiceUnavailableError": "errors", "ConfigError": "errors",
    "LocalIOError": "errors",
    "BucketAdmin": "buckets", "Versions": "versions", "ObjectVersion": "versions", "RestoreResult": "versions",
    "ErasureResult": "versions", "Lifecycle": "lifecycle", "LifecycleRule": "lifecycle", "Tagging": "tagging",
    "TagSet": "tagging",
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
    from .batch import BatchResult
    from .enums import CompressionType, ObjectType, SseMode
    from .errors import (
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
    from .models import (
        BucketInfo,
        DeleteResult,
        DownloadRequest,
        DownloadResponse,
        ListObjectsRequest,
        ObjectInfo,
        UploadRequest,
        UploadResponse,
    )
    from .registry import ModelRegistry, get_model_registry
    from .service import StorageService, get_storage_service
    from .settings import Settings, load_settings
    from .stats import StorageStats
