"""Settings: documented names and defaults, precedence, bad values, secrets."""

from pathlib import Path

import pytest

from its_store.core.errors import ConfigError
from its_store.core.settings import load_settings

DOCUMENTED_DEFAULTS = {
    "MINIO_ENDPOINT": "localhost:9000", "MINIO_ACCESS_KEY": "minioadmin", "MINIO_SECURE": False,
    "MINIO_REGION": "us-east-1", "MINIO_DEFAULT_BUCKET": "its-camera-ai", "MINIO_MODELS_BUCKET": "its-models",
    "MINIO_VIDEO_BUCKET": "its-video", "MINIO_LOGS_BUCKET": "its-logs", "MINIO_MULTIPART_THRESHOLD": 67108864,
    "MINIO_MAX_POOL_CONNECTIONS": 20, "MINIO_ENABLE_CACHING": True, "MINIO_CACHE_TTL": 3600,
    "MINIO_ENABLE_VERSIONING": True, "MINIO_ENABLE_ENCRYPTION": True, "MINIO_ENABLE_COMPRESSION": True,
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    import os
    for name in list(os.environ):
        if name.startswith("MINIO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_documented_defaults(clean_env):
    values = load_settings().public_view()
    for name, default in DOCUMENTED_DEFAULTS.items():
        assert values[name] == default, name
    assert values["MINIO_SECRET_KEY"] == "********"
    assert load_settings().secret_key.get_secret_value() == "minioadmin123"


def test_env_beats_dotenv_and_flags_beat_env(clean_env, tmp_path: Path):
    (tmp_path / ".env").write_text("MINIO_ENDPOINT=fromfile:9000\nMINIO_REGION=eu-west-1\nOTHER=ignored\n")
    assert load_settings().endpoint == "fromfile:9000"
    clean_env.setenv("MINIO_ENDPOINT", "fromenv:9000")
    settings = load_settings()
    assert settings.endpoint == "fromenv:9000" and settings.region == "eu-west-1"
    assert load_settings(endpoint="fromflag:9000").endpoint == "fromflag:9000"


def test_explicit_env_file(clean_env, tmp_path: Path):
    other = tmp_path / "prod.env"
    other.write_text("MINIO_VIDEO_BUCKET=prod-video\n")
    assert load_settings(other).video_bucket == "prod-video"
    with pytest.raises(ConfigError, match="env file not found"):
        load_settings(tmp_path / "missing.env")


@pytest.mark.parametrize("name,value,fragment", [
    ("MINIO_MULTIPART_THRESHOLD", "abc", "MINIO_MULTIPART_THRESHOLD"),
    ("MINIO_ENDPOINT", "localhost:9000/path", "MINIO_ENDPOINT"),
    ("MINIO_ENDPOINT", "ftp://host:21", "MINIO_ENDPOINT"),
    ("MINIO_ENDPOINT", "host:99999", "MINIO_ENDPOINT"),
    ("MINIO_SECURE", "maybe", "MINIO_SECURE"),
    ("MINIO_MAX_POOL_CONNECTIONS", "0", "MINIO_MAX_POOL_CONNECTIONS"),
    ("MINIO_CACHE_TTL", "-5", "MINIO_CACHE_TTL"),
])
def test_bad_values_name_the_variable(clean_env, name, value, fragment):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert fragment in info.value.message
    assert "\n" not in info.value.message


def test_size_units_and_scheme(clean_env):
    clean_env.setenv("MINIO_MULTIPART_THRESHOLD", "16MiB")
    clean_env.setenv("MINIO_ENDPOINT", "https://minio.example:9443/")
    settings = load_settings()
    assert settings.multipart_threshold == 16 * 1024 * 1024
    assert settings.endpoint == "minio.example:9443" and settings.secure is True


def test_secret_key_file(clean_env, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-from-file\n")
    clean_env.setenv("MINIO_SECRET_KEY_FILE", str(secret))
    settings = load_settings()
    assert settings.secret_key.get_secret_value() == "s3cr3t-from-file"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings.public_view())


def test_bad_secret_is_not_echoed(clean_env):
    clean_env.setenv("MINIO_SECRET_KEY_FILE", "/nonexistent/secret")
    with pytest.raises(ConfigError, match="MINIO_SECRET_KEY_FILE"):
        load_settings()


def test_bucket_for_type(clean_env):
    settings = load_settings()
    assert settings.bucket_for_type("video_frame") == "its-video"
    assert settings.bucket_for_type("model_artifact") == "its-models"
    assert settings.bucket_for_type("log") == "its-logs"
    assert settings.bucket_for_type("dataset") == "its-camera-ai"


def test_insecure_flag_beats_https_endpoint(clean_env):
    clean_env.setenv("MINIO_ENDPOINT", "https://minio.example:9000")
    assert load_settings().secure is True
    assert load_settings(secure=False).secure is False


def test_redis_password_masked(clean_env):
    clean_env.setenv("REDIS_URL", "redis://user:hunter2@cache.local:6379/0")
    settings = load_settings()
    assert settings.redis_url == "redis://user:hunter2@cache.local:6379/0"
    assert "hunter2" not in str(settings.public_view())
    assert settings.public_view()["MINIO_REDIS_URL"] == "redis://user:********@cache.local:6379/0"
