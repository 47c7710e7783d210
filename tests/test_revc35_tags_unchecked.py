"""An upload's --tag read back with a key that may not read tags (s3:GetObjectTagging): the work is done, one
warning line says what could not be checked (service/kept.denied_read_back), and, as the rule for such a
read-back says (docs/reliability.md: "its --json result or each item says `unchecked`"), the upload's --json
result says `"unchecked": "tags"`; it said null, as if the tags had been seen kept (revc, s35)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 (the fixtures)


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
