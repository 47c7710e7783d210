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


def test_a_part_size_above_5_gib_is_named_as_the_part_size(cli: Any, bucket: str, tmp_path: Any) -> None:
    """It was "object too large for S3 multipart limits" for a 3 MB file: the part size is what is wrong."""
    src = tmp_path / "f"
    src.write_bytes(b"x" * 3_000_000)
    for args, extra in ((["--part-size", "6GiB"], {}), ([], {"MINIO_PART_SIZE": "6GiB"})):
        run = cli("upload", str(src), f"s3://{bucket}/f", *args, extra_env=extra)
        assert run.exit_code == 2, run
        line = one_line_error(run)
        assert "part size" in line and "object too large" not in line, line
