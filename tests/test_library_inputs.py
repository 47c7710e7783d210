"""The library's inputs as a Python user meets them: settings built in code use only what they are given,
and every bad request is the tool's own InvalidInputError (exit 2) naming the field, never pydantic's
ValidationError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from its_store import (
    ConfigError,
    DownloadRequest,
    InvalidInputError,
    LifecycleRule,
    ListObjectsRequest,
    Settings,
    StorageService,
    UploadRequest,
    load_settings,
)

from conftest import ServerInfo, unique

STRAY = {"MINIO_CREATE_BUCKETS": "false", "MINIO_DEFAULT_BUCKET": "stray-bucket", "MINIO_MAX_WORKERS": "3",
         "MINIO_ENABLE_CACHING": "false", "REDIS_URL": "redis://stray:6379/0", "HTTP_PROXY": "http://stray:3128",
         "HTTPS_PROXY": "http://stray:3128", "MINIO_ENDPOINT": "stray:9000"}


@pytest.fixture
def stray_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """MINIO_* and proxy variables in the environment and a ./.env, as on a developer's machine."""
    for name, value in STRAY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MINIO_ACCESS_KEY=from-dotenv\nMINIO_REGION=eu-stray-1\n")
    return tmp_path


# ------------------------------------------------------------------------------- settings from code
def test_settings_from_code_read_no_environment_and_no_dotenv(stray_environment: Path) -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    settings = Settings(endpoint="given:9000")
    assert settings.endpoint == "given:9000"
    assert settings.create_buckets is True and settings.default_bucket == defaults["default_bucket"]
    assert settings.max_workers == defaults["max_workers"] and settings.enable_caching is True
    assert settings.access_key == defaults["access_key"] and settings.region == defaults["region"]
    assert settings.redis_url is None and settings.http_proxy is None and settings.proxy() is None
    assert Settings().endpoint == defaults["endpoint"]


def test_load_settings_still_reads_environment_and_dotenv(stray_environment: Path) -> None:
    settings = load_settings()
    assert settings.endpoint == "stray:9000" and settings.create_buckets is False
    assert settings.default_bucket == "stray-bucket" and settings.max_workers == 3
    assert settings.access_key == "from-dotenv" and settings.region == "eu-stray-1"
    assert settings.redis_url == "redis://stray:6379/0" and settings.proxy() == "http://stray:3128"
    assert load_settings(endpoint="flag:1").endpoint == "flag:1"  # a flag still wins
    assert Settings(endpoint="again:1").create_buckets is True  # and nothing leaks out of load_settings


def test_upload_with_code_settings_ignores_a_stray_create_buckets(s3_server: ServerInfo, stray_environment: Path,
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    """The issue's case: MINIO_CREATE_BUCKETS=false in the shell made a program's upload into a new bucket
    fail, although the program built its settings itself."""
    state = tmp_path_factory.mktemp("state")
    settings = Settings(endpoint=s3_server.endpoint, access_key=s3_server.access_key,
                        secret_key=SecretStr(s3_server.secret_key), cache_dir=state / "cache",
                        audit_log=state / "audit.log", max_retries=1)
    svc = StorageService(settings)
    try:
        bucket = unique("code")
        resp = svc.upload_object(UploadRequest(bucket=bucket, key="k", data=b"made by code"))
        assert (resp.bucket, resp.total_size) == (bucket, 12)
        assert svc.s3.bucket_exists(bucket)
    finally:
        svc.close()


def test_a_storage_service_without_settings_reads_the_environment(stray_environment: Path) -> None:
    svc = StorageService()
    try:
        assert svc.settings.endpoint == "stray:9000" and svc.settings.create_buckets is False
    finally:
        svc.close()


# ------------------------------------------------------------------------------------ one error tree
BAD_REQUESTS: list[tuple[str, Any, str]] = [
    ("upload without a source", lambda: UploadRequest(bucket="b", key="k"),
     "invalid UploadRequest: give exactly one of file_path, data or stream"),
    ("upload of data without a key", lambda: UploadRequest(data=b"x"),
     "invalid UploadRequest: key is required when uploading data or a stream"),
    ("upload with a bad field type", lambda: UploadRequest(key="k", data=b"x", workers="many"),
     "invalid UploadRequest: workers: Input should be a valid integer"),
    ("upload with a lock mode but no date", lambda: UploadRequest(key="k", data=b"x", retain_mode="GOVERNANCE"),
     "invalid UploadRequest: retain_mode needs retain_until"),
    ("download without a path", lambda: DownloadRequest(bucket="b", key="k"),
     "invalid DownloadRequest: file_path: Field required"),
    ("download of zero bytes", lambda: DownloadRequest(bucket="b", key="k", file_path=Path("o"), length=0),
     "invalid DownloadRequest: length: Input should be greater than or equal to 1"),
    ("listing with an upside-down size range", lambda: ListObjectsRequest(bucket="b", size_range=(10, 1)),
     "invalid ListObjectsRequest: size_range: size_range minimum is larger than its maximum"),
    ("listing of zero keys", lambda: ListObjectsRequest(bucket="b", max_keys=0),
     "invalid ListObjectsRequest: max_keys: Input should be greater than or equal to 1"),
    ("lifecycle rule with a bad number", lambda: LifecycleRule(expire_days="soon"),
     "invalid lifecycle rule: expire_days: Input should be a valid integer"),
    ("lifecycle rule with an unknown field", lambda: LifecycleRule(expire_dayz=3),
     "invalid lifecycle rule: expire_dayz: Extra inputs are not permitted"),
    ("lifecycle rule from JSON", lambda: LifecycleRule.model_validate_json('{"id": 3}'),
     "invalid lifecycle rule: id: Input should be a valid string"),
    ("upload request from a dict", lambda: UploadRequest.model_validate({"data": b"x"}),
     "invalid UploadRequest: key is required when uploading data or a stream"),
    ("settings with a path in the endpoint", lambda: Settings(endpoint="host:9000/path"),
     "invalid Settings: MINIO_ENDPOINT: must be host[:port] with no path"),
    ("settings with zero workers", lambda: Settings(max_workers=0),
     "invalid Settings: max_workers: Input should be greater than or equal to 1"),
    ("settings with a bad size", lambda: Settings(part_size="lots"),
     "invalid Settings: part_size:"),
]


@pytest.mark.parametrize(("build", "message"), [case[1:] for case in BAD_REQUESTS],
                         ids=[case[0] for case in BAD_REQUESTS])
def test_bad_input_is_invalid_input_error_naming_the_field(build: Any, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build()
    err = caught.value
    assert not isinstance(err, ValidationError) and err.__cause__ is None and err.__suppress_context__
    assert err.exit_code == 2 and err.code == "invalid_input"
    assert err.message.startswith(message), err.message
    assert "\n" not in err.message and "pydantic" not in err.message


def test_settings_error_does_not_echo_a_secret() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Settings(sse_c_key=["not", "a", "secret string"])
    assert "secret string" not in caught.value.message


def test_load_settings_keeps_its_config_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINIO_MAX_WORKERS", "0")
    with pytest.raises(ConfigError, match=r"^MINIO_MAX_WORKERS: Input should be greater than or equal to 1"):
        load_settings()
