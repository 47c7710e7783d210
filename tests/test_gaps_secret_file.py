"""A secret key read from a file follows the rule of one given directly (core/signing_text.secret_key): the file's
surrounding whitespace is dropped, but a newline or any control character INSIDE the key is exit 78 naming the
setting, never the secret. It passed before (MINIO_SECRET_KEY refused the same text): a key that can only fail to
sign, reported as "access denied (SignatureDoesNotMatch)", exit 6, pointing at the wrong culprit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error

INSIDE = ["Sekr3t-top\nSekr3t-end", "Sekr3t-top\rSekr3t-end", "Sekr3t-top\x01Sekr3t-end",
          "Sekr3t-top\tSekr3t-end", "Sekr3t-top Sekr3t-end", "Sekr3t-top\x7fSekr3t-end"]


def _said_no_secret(run: Any) -> str:
    line = one_line_error(run)
    assert "Sekr3t" not in run.stderr + run.stdout, run
    return line


@pytest.mark.parametrize("text", INSIDE, ids=["newline", "cr", "ctrl-a", "tab", "space", "del"])
def test_a_key_file_with_a_control_character_inside_is_a_config_error(cli: Any, bucket: str, tmp_path: Path,
                                                                     text: str) -> None:
    key = tmp_path / "secret.key"
    key.write_text(text + "\n")
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_SECRET_KEY_FILE": str(key)})
    assert run.exit_code == 78, run
    line = _said_no_secret(run)
    assert "MINIO_SECRET_KEY_FILE" in line and "printable characters without spaces" in line, line


@pytest.mark.parametrize("text", INSIDE[:1], ids=["newline"])
def test_the_same_text_given_directly_is_refused_the_same_way(cli: Any, bucket: str, text: str) -> None:
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_SECRET_KEY": text})
    assert run.exit_code == 78 and "MINIO_SECRET_KEY" in _said_no_secret(run), run


def test_a_key_file_with_only_surrounding_whitespace_still_works(cli: Any, bucket: str, tmp_path: Path,
                                                                 env: dict[str, str]) -> None:
    key = tmp_path / "secret.key"
    key.write_text("\ufeff  " + env["MINIO_SECRET_KEY"] + " \r\n\n")  # a BOM, spaces, CRLF: all outside the key
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_SECRET_KEY_FILE": str(key), "MINIO_SECRET_KEY": "wrong"})
    assert run.exit_code == 0, run


def test_a_remotes_key_file_follows_the_same_rule(cli: Any, env: dict[str, str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no remotes.toml: the environment's only
    key = tmp_path / "edge.key"
    key.write_text("Sekr3t-top\nSekr3t-end\n")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", f"http://{env['MINIO_ENDPOINT']}")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ACCESS_KEY", env["MINIO_ACCESS_KEY"])
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY_FILE", str(key))
    run = cli("ls", "edge:")
    assert run.exit_code == 78, run
    line = _said_no_secret(run)
    assert "remote edge" in line and "secret key file" in line and "printable" in line, line
