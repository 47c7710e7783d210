"""Session 30's fix: the text of every signed request (access key, secret key, region) is checked by one rule
(core/signing_text.py) when the settings are read: exit 78 naming the setting, a secret never repeated."""

from __future__ import annotations

from typing import Any

from conftest import one_line_error


def test_a_secret_key_with_a_newline_is_a_config_error_that_does_not_show_it(cli: Any, bucket: str) -> None:
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_SECRET_KEY": "s3cr3t-value\nx"})
    assert run.exit_code == 78, run
    line = one_line_error(run)
    assert "MINIO_SECRET_KEY" in line and "s3cr3t" not in run.stderr + run.stdout, run


def test_a_huge_region_is_one_short_line(cli: Any, bucket: str) -> None:
    run = cli("--region", "a" * 1_000_000, "ls", f"s3://{bucket}")
    assert run.exit_code == 78, run
    assert len(one_line_error(run)) < 300, run
