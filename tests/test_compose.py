"""docker-compose.yml agrees with the default Settings, so `docker compose up -d` + `its-store health` works.

Docker cannot run here; the file is checked as data: services, ports, credentials, buckets, health checks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from its_store.core.settings import Settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    path = REPO / "docker-compose.yml"
    assert path.is_file(), "docker-compose.yml is missing at the repository root"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and isinstance(doc.get("services"), dict)
    return doc


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return {name: field.default for name, field in Settings.model_fields.items()}


def published(service: dict[str, Any]) -> dict[int, int]:
    """{container port: host port} from short ("9000:9000") or long port syntax."""
    out = {}
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out[int(port["target"])] = int(port["published"])
        else:
            host, _, container = str(port).rpartition(":")
            out[int(container.split("/")[0])] = int(host.rpartition(":")[2])
    return out


def test_minio_matches_the_default_endpoint_and_credentials(compose, defaults):
    minio = compose["services"]["minio"]
    assert minio["image"].startswith("minio/minio")
    host, _, port = defaults["endpoint"].partition(":")
    assert host == "localhost" and defaults["secure"] is False
    ports = published(minio)
    assert ports[9000] == int(port)                      # the S3 API at MINIO_ENDPOINT
    assert ports[9001] == 9001 and '--console-address ":9001"' in minio["command"]
    env = minio["environment"]
    assert env["MINIO_ROOT_USER"] == defaults["access_key"]
    assert env["MINIO_ROOT_PASSWORD"] == defaults["secret_key"].get_secret_value()


def test_minio_data_is_a_named_volume_and_it_has_a_health_check(compose):
    minio = compose["services"]["minio"]
    volume, _, target = minio["volumes"][0].partition(":")
    assert target == "/data" and "/data" in minio["command"]
    assert volume in (compose.get("volumes") or {})
    test = " ".join(minio["healthcheck"]["test"])
    assert "curl -fsS http://localhost:9000/minio/health/live" in test


def test_init_creates_the_default_buckets_with_the_default_credentials(compose, defaults):
    init = compose["services"]["minio-init"]
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    script = " ".join(init["command"])
    expected = {defaults[k] for k in ("default_bucket", "video_bucket", "models_bucket", "logs_bucket")}
    listed = set(re.search(r"for b in ([^;]+);", script).group(1).split())
    assert listed == expected
    assert f"minioadmin {defaults['secret_key'].get_secret_value()}" in script
    assert ("mc version enable" in script) == defaults["enable_versioning"]


def test_redis_port_matches_the_documented_url(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis")
    page = REPO / "docs" / "getting-started.md"  # its Docker Compose section (the README's until issue 24)
    urls = re.findall(r"redis://localhost:(\d+)", page.read_text(encoding="utf-8"))
    assert urls, "docs/getting-started.md documents no redis://localhost:PORT URL for the compose Redis"
    assert {int(p) for p in urls} == {published(redis)[6379]}
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_minio_has_a_kms_key_for_default_sse_s3():
    """MINIO_ENABLE_ENCRYPTION defaults to true (SSE-S3 on every upload); MinIO refuses SSE-S3 without
    a KMS, so the compose MinIO must carry a single-key KMS of the form name:base64(32 bytes)."""
    import base64

    import yaml
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    value = doc["services"]["minio"]["environment"]["MINIO_KMS_SECRET_KEY"]
    name, _, key = value.partition(":")
    assert name and len(base64.b64decode(key)) == 32
