"""Attack on core/signing_text (session 30): text that passes the rule yet cannot go into a request's
headers. minio's region rule (kept as it is, a full match, IGNORECASE) lets a Unicode digit ('us-east-١')
and the Kelvin sign (a 'k' when case is ignored) by, and `isprintable()` lets any printable Unicode access key
by ('密钥'): each reached the Authorization header and failed there as "a header value is not ASCII: '١'"
(exit 2, the setting unnamed). They are configuration: exit 78 naming the
setting. A secret key only signs (as UTF-8) and is left as it was."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import one_line_error


@pytest.mark.parametrize("region", ["us-east-\u0661", "us-\u212aast-1"])
def test_a_region_with_unicode_is_a_config_error(cli: Any, bucket: str, region: str) -> None:
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_REGION": region})
    assert run.exit_code == 78, run
    assert "MINIO_REGION" in one_line_error(run), run


def test_an_access_key_with_unicode_is_a_config_error(cli: Any, bucket: str) -> None:
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_ACCESS_KEY": "\u5bc6\u94a5abc"})
    assert run.exit_code == 78, run
    assert "MINIO_ACCESS_KEY" in one_line_error(run), run


def test_a_remote_with_a_unicode_region_is_refused(cli: Any) -> None:
    run = cli("remote", "add", "r1", "http://127.0.0.1:9", "--access-key", "ak",
              "--secret-key-stdin", "--region", "us-east-\u0661", input="secretsecret\n")
    assert run.exit_code in (2, 78), run
    assert "region" in one_line_error(run).lower(), run
