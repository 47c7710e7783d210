"""`its-store config`'s result: every setting by the name of its variable (Settings.public_view()).

Its own module: a pydantic class costs its creation (~5M instructions for these 42 fields) when its module is
imported, and only `config` uses it; every other command loads the settings without it. Still importable as
`its_store.core.settings.SettingsView` (the name the JSON schema index gives it).
"""

from pydantic import ConfigDict

from its_store.core.models import Result


class SettingsView(Result):
    """`its-store config`: every setting by the name of its variable, secrets masked ("********", or ""
    when empty), the webhook URL cut to its origin, passwords in proxy and Redis URLs masked, paths as
    text; `proxy` is the proxy requests to MINIO_ENDPOINT go through (None: none). A setting added to
    Settings must be added here too (extra="forbid": Settings.public_view() fails otherwise)."""

    model_config = ConfigDict(extra="forbid")

    MINIO_ENDPOINT: str
    MINIO_ACCESS_KEY: str
    MINIO_SECRET_KEY: str
    MINIO_SECRET_KEY_FILE: str | None
    MINIO_SECURE: bool
    MINIO_REGION: str
    MINIO_CA_BUNDLE: str | None
    MINIO_VERIFY_TLS: bool
    MINIO_DEFAULT_BUCKET: str
    MINIO_MODELS_BUCKET: str
    MINIO_VIDEO_BUCKET: str
    MINIO_LOGS_BUCKET: str
    MINIO_MULTIPART_THRESHOLD: int
    MINIO_PART_SIZE: int
    MINIO_MAX_POOL_CONNECTIONS: int
    MINIO_MAX_WORKERS: int
    MINIO_MAX_RETRIES: int
    MINIO_CONNECT_TIMEOUT: float
    MINIO_READ_TIMEOUT: float
    MINIO_HEALTH_TIMEOUT: float
    MINIO_BWLIMIT: str | None
    MINIO_ENDPOINT_BWLIMIT: str | None
    MINIO_ENABLE_CACHING: bool
    MINIO_CACHE_TTL: int
    MINIO_ENABLE_VERSIONING: bool
    MINIO_ENABLE_ENCRYPTION: bool
    MINIO_ENABLE_COMPRESSION: bool
    MINIO_SSE_C_KEY: str | None
    MINIO_SSE_C_KEY_FILE: str | None
    MINIO_CREATE_BUCKETS: bool
    MINIO_CACHE_DIR: str | None
    MINIO_REDIS_URL: str | None
    MINIO_AUDIT_LOG: str | None
    HTTP_PROXY: str | None
    HTTPS_PROXY: str | None
    NO_PROXY: str | None
    SSL_CERT_FILE: str | None
    SSL_CERT_DIR: str | None
    MINIO_MODEL_WEBHOOK_URL: str | None
    MINIO_MODEL_WEBHOOK_SECRET: str | None
    ITS_STORE_OFFLINE: bool
    proxy: str | None
