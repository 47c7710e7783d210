"""An empty version id (atk2, s35): `--version-id ""` (a script's `--version-id "$VID"` with VID empty) and a
library call's version_id="" were read as "no version id", so `rm` deleted the current object (for good in an
unversioned bucket) where one version was asked for, and a legal hold or a retention landed on the current
version. core/refs.validate_version_id refuses it (exit 2, nothing sent), as it refuses a non-str one.

StorageService.head (public) checked neither bucket nor key: a 1,025-byte key was sent (and answered "not
found"), an int key raised TypeError instead of InvalidInputError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store import InvalidInputError

from conftest import one_line_error, unique
from helpers import audit_lines, put_stdin


def test_an_empty_version_id_is_refused_not_read_as_the_current_one(cli: Any, service: Any, env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    name = unique("uv")
    service.s3.make_bucket(name)  # unversioned: a delete there is for good
    put_stdin(cli, name, "frame.jpg", data=b"kept")
    before = len(audit_lines(env))
    out = tmp_path / "got.jpg"
    for args in (["rm", "--yes", f"s3://{name}/frame.jpg", "--version-id", ""],
                 ["--json", "rm", "--yes", f"s3://{name}/frame.jpg", "--version-id", ""],
                 ["get", f"s3://{name}/frame.jpg", str(out), "--version-id", ""],
                 ["stat", f"s3://{name}/frame.jpg", "--version-id", ""]):
        run = cli(*args)
        assert run.exit_code == 2, run
        if "--json" in args:
            assert run.json()["error"]["code"] == "invalid_input"
        else:
            assert "bad version id" in one_line_error(run)
    assert not out.exists()
    assert audit_lines(env)[before:] == []
    assert service.s3.get(name, "frame.jpg").read() == b"kept"


def test_no_hold_on_the_current_version_for_an_empty_version_id(cli: Any, locked: str) -> None:
    put_stdin(cli, locked, "frame.jpg")
    run = cli("legal-hold", "on", f"s3://{locked}/frame.jpg", "--version-id", "")
    assert run.exit_code == 2, run
    assert "bad version id" in one_line_error(run)
    shown = cli("legal-hold", "show", f"s3://{locked}/frame.jpg", "--json")
    assert shown.exit_code == 0, shown
    assert shown.json()["legal_hold"] is False


@pytest.mark.parametrize(("key", "version_id"), [("a" * 1025, None), (5, None), (None, None), ("k", ""), ("k", 5),
                                                 ("k", "v\r\nX: 1")])
def test_library_calls_check_keys_and_version_ids(service: Any, bucket: str, key: Any, version_id: Any) -> None:
    calls = [lambda: service.head(bucket, key, version_id), lambda: service.stat_object(bucket, key, version_id)]
    if key == "k":
        calls.append(lambda: service.delete_object(bucket, key, version_id))
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()


def test_no_tags_changed_on_the_current_version_for_an_empty_version_id(cli: Any, service: Any,
                                                                        bucket: str) -> None:
    """`tag set|rm --version-id ""` replaced or removed the current version's tags (service/tags.py checked no
    version id): refused as rm's is, exit 2, the tags as they were."""
    put_stdin(cli, bucket, "tagged.jpg")
    assert cli("tag", "set", f"s3://{bucket}/tagged.jpg", "site=a4").exit_code == 0
    for args in (["tag", "set", f"s3://{bucket}/tagged.jpg", "site=b7", "--version-id", ""],
                 ["tag", "set", f"s3://{bucket}/tagged.jpg", "site=b7", "--replace", "--version-id", ""],
                 ["tag", "rm", f"s3://{bucket}/tagged.jpg", "--version-id", ""],
                 ["tag", "get", f"s3://{bucket}/tagged.jpg", "--version-id", ""]):
        run = cli(*args)
        assert run.exit_code == 2, run
        assert "bad version id" in one_line_error(run)
    assert service.tagging().get(bucket, "tagged.jpg").tags == {"site": "a4"}
