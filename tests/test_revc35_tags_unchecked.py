"""An upload's --tag read back with a key that may not read tags (s3:GetObjectTagging): the work is done, one
warning line says what could not be checked (service/kept.denied_read_back), and, as the rule for such a
read-back says (docs/reliability.md: "its --json result or each item says `unchecked`"), the upload's --json
result says `"unchecked": "tags"`; it said null, as if the tags had been seen kept (revc, s35)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 (the fixtures)


def _tagger_remote(keys: dict[str, dict[str, str]], monkeypatch: Any, tmp_path: Path) -> None:  # noqa: F811
    """The remote `tg`: the same server with the `tagger` key (Write + Tagging, no GetObjectTagging)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    tagger = keys["tagger"]
    for name, value in {"ENDPOINT": f"http://{tagger['MINIO_ENDPOINT']}", "ACCESS_KEY": tagger["MINIO_ACCESS_KEY"],
                        "SECRET_KEY": tagger["MINIO_SECRET_KEY"]}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_TG_{name}", value)


def test_an_uploads_tags_the_key_may_not_read_back_are_said_unchecked(cli: Any, keys: dict[str, dict[str, str]],  # noqa: F811
                                                                       tmp_path: Path) -> None:
    bucket = _bucket(cli, keys)
    (tmp_path / "a.jpg").write_bytes(b"frame")
    run = cli("--json", "upload", "a.jpg", f"s3://{bucket}/cam/a.jpg", "--tag", "lane=3", extra_env=keys["tagger"])
    assert run.exit_code == 0, run
    assert run.json()["unchecked"] == "tags", run
    said = [line for line in run.stderr.splitlines() if "could not be checked" in line]
    assert len(said) == 1 and "s3:GetObjectTagging" in said[0], run
    shown = cli("--json", "tag", "get", f"s3://{bucket}/cam/a.jpg", extra_env=keys["admin"])
    assert shown.json()["tags"] == {"lane": "3"}, shown  # stored with them: the work was done


def test_a_relayed_copys_tags_the_key_may_not_read_back_are_said_unchecked(
        cli: Any, keys: dict[str, dict[str, str]], monkeypatch: Any, tmp_path: Path) -> None:  # noqa: F811
    """The same for a copy between endpoints (service/xcopy): the remote tg is that server with the `tagger`
    key (Write + Tagging, no GetObjectTagging), so that the copy streams; its item said `unchecked` null."""
    _tagger_remote(keys, monkeypatch, tmp_path)
    src, dst = _bucket(cli, keys, versioned=False), _bucket(cli, keys, versioned=False)
    (tmp_path / "a.jpg").write_bytes(b"frame")
    up = cli("upload", str(tmp_path / "a.jpg"), f"s3://{src}/x/a.jpg", "--tag", "lane=3", extra_env=keys["admin"])
    assert up.exit_code == 0, up
    run = cli("--json", "cp", f"s3://{src}/x/a.jpg", f"tg:{dst}/x/a.jpg", extra_env=keys["admin"])
    assert run.exit_code == 0, run
    assert [o.get("unchecked") for o in run.json()["objects"]] == ["tags"], (run.stdout, run.stderr)
    assert run.stderr.count("could not be checked") == 1 and "s3:GetObjectTagging" in run.stderr, run.stderr
    shown = cli("--json", "tag", "get", f"s3://{dst}/x/a.jpg", extra_env=keys["admin"])
    assert shown.json()["tags"] == {"lane": "3"}, shown


def test_a_move_whose_copys_tags_cannot_be_read_back_keeps_its_source(
        cli: Any, keys: dict[str, dict[str, str]], monkeypatch: Any, tmp_path: Path) -> None:  # noqa: F811
    """A guard (it passed before this session's changes too): mv between endpoints with a destination key that
    may write and tag but not read (the `tagger`): the copy is made, it cannot be read back (its bytes, its
    tags), and the source is kept (exit 6, the line says the copy was made), its tags with it."""
    _tagger_remote(keys, monkeypatch, tmp_path)
    src, dst = _bucket(cli, keys, versioned=False), _bucket(cli, keys, versioned=False)
    (tmp_path / "a.jpg").write_bytes(b"frame")
    assert cli("upload", str(tmp_path / "a.jpg"), f"s3://{src}/x/a.jpg", "--tag", "lane=3",
               extra_env=keys["admin"]).exit_code == 0
    run = cli("mv", f"s3://{src}/x/a.jpg", f"tg:{dst}/x/a.jpg", extra_env=keys["admin"])
    assert run.exit_code == 6 and "Traceback" not in run.stderr, run
    assert "was copied but could not be checked" in run.stderr and "both are kept" in run.stderr, run.stderr
    kept = cli("--json", "tag", "get", f"s3://{src}/x/a.jpg", extra_env=keys["admin"])
    assert kept.exit_code == 0 and kept.json()["tags"] == {"lane": "3"}, kept
