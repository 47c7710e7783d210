"""Session 30's attacker: settings a deployment gets slightly wrong. A remote's region is checked when it is
added (core/remote_model.py: "1-64 printable characters without spaces"), but MINIO_REGION and --region
were not checked at all: minio's BaseURL raised a bare ValueError on the first request, which the CLI
showed as "unexpected ValueError: invalid region us east (hint: run with --debug ... and report it)", exit
1, and the library let it out raw (not an ItsStoreError). A region is configuration: ConfigError, exit 78,
naming the setting."""

from __future__ import annotations

from typing import Any

import pytest

from its_store import ConfigError, ItsStoreError

from conftest import one_line_error


@pytest.mark.parametrize("region", ["us east", "us-east-1\n", "x/y"])
def test_a_malformed_region_is_a_config_error(cli: Any, bucket: str, region: str) -> None:
    run = cli("--region", region, "ls", f"s3://{bucket}")
    assert run.exit_code == 78, run
    assert "region" in one_line_error(run).lower() and "unexpected" not in run.stderr, run


def test_a_malformed_minio_region_is_a_config_error(cli: Any, bucket: str) -> None:
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_REGION": "us east"})
    assert run.exit_code == 78, run
    assert "MINIO_REGION" in one_line_error(run), run


def test_the_library_raises_its_own_error_for_a_malformed_region(env: dict[str, str], bucket: str) -> None:
    from its_store import StorageService, load_settings
    with pytest.raises(ItsStoreError) as caught:
        with StorageService(load_settings(region="us east")) as service:
            service.head(bucket, "k")
    assert isinstance(caught.value, ConfigError), repr(caught.value)


def test_an_access_key_with_a_newline_is_a_config_error(cli: Any, bucket: str, env: dict[str, str]) -> None:
    """A key read from a file or a secret mount often ends in a newline. It reached the Authorization header,
    and http.client's refusal was printed whole: "its-store: error: Invalid header value b'AWS4-HMAC-SHA256
    Credential=KEY\\nx/..., Signature=...'" (exit 2): a request signature in the error, the setting unnamed."""
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_ACCESS_KEY": env["MINIO_ACCESS_KEY"] + "\nx"})
    assert "Signature=" not in run.stderr and "Authorization" not in run.stderr, run
    assert run.exit_code == 78, run
    assert "MINIO_ACCESS_KEY" in one_line_error(run), run
