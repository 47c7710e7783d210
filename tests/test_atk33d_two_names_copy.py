"""Session 33 round 2 attack: `cp` and `sync` between two remotes that are one server under two names.

`mv` between two names of one server was made to refuse the object itself (tests/test_atk33_one_server_two_names),
and nested prefixes of one bucket became an overlap once the two names answer with the same object. Two gaps
were left, both refused on one endpoint and done under two names:

- `cp` (and `cp -r` over equal prefixes) of BUCKET/KEY onto the same BUCKET/KEY streamed each object onto
  itself: one endpoint says "would be copied onto itself" (exit 2); under two names it wrote the object again,
  a new version of every object in a versioned bucket, each run;
- nested prefixes were asked about by the first object of the INNER prefix: an empty inner prefix (the first
  `cp -r B/ B/p/` or `sync B/ B/p/`) was no overlap, and the whole bucket was copied under p/.

Real SeaweedFS reached as `num` (127.0.0.1) and `name` (localhost); no mocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import one_line_error, unique


def versions(cli: Any, bucket: str) -> list[tuple[str, str]]:
    run = cli("ls", "-r", "--versions", "--json", f"s3://{bucket}/")
    assert run.exit_code == 0, run
    return sorted((item["key"], item["version_id"]) for item in run.jsonl())


@pytest.mark.parametrize("recursive", [False, True])
def test_cp_onto_itself_through_two_names_is_refused(cli: Any, service: Any, twice: None, recursive: bool) -> None:
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    service.s3.set_versioning(bucket, True)
    assert cli("upload", "-", f"s3://{bucket}/cams/frame.jpg", input=b"one version").exit_code == 0
    before = versions(cli, bucket)
    args = (["cp", "-r", f"num:{bucket}/cams/", f"name:{bucket}/cams/"] if recursive
            else ["cp", f"num:{bucket}/cams/frame.jpg", f"name:{bucket}/cams/frame.jpg"])
    run = cli(*args)
    assert run.exit_code == 2 and "itself" in one_line_error(run), run
    assert versions(cli, bucket) == before  # no second version of the object written onto itself


def test_cp_between_two_servers_to_the_same_key_still_copies(cli: Any, service: Any, twice: None,
                                                             second_seaweed: Any, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """The refusal is for one server under two names: the same BUCKET/KEY on another server is a copy like any."""
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_ENDPOINT", f"http://{second_seaweed.endpoint}")
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_ACCESS_KEY", second_seaweed.access_key)
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_SECRET_KEY", second_seaweed.secret_key)
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    assert cli("upload", "-", f"s3://{bucket}/cams/frame.jpg", input=b"frame").exit_code == 0
    for args in (["cp", f"num:{bucket}/cams/frame.jpg", f"other:{bucket}/cams/frame.jpg"],
                 ["cp", "-r", f"num:{bucket}/cams/", f"other:{bucket}/cams/"]):
        run = cli(*args)
        assert run.exit_code == 0, run
    got = cli("get", f"other:{bucket}/cams/frame.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"frame", got


@pytest.mark.parametrize("command", ["cp", "sync"])
def test_an_empty_inner_prefix_under_two_names_is_an_overlap(cli: Any, service: Any, twice: None,
                                                              command: str) -> None:
    """`cp -r num:B/ name:B/p/` with nothing under p/ yet: one endpoint refuses the overlap; under two names
    the first run copied the whole bucket under p/ (the next run was refused)."""
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    for key in ("a.jpg", "q/c.jpg"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=key.encode()).exit_code == 0
    args = ["cp", "-r"] if command == "cp" else ["sync"]
    run = cli(*args, f"num:{bucket}/", f"name:{bucket}/p/")
    assert run.exit_code == 2 and "overlap" in one_line_error(run), run
    listed = sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True))
    assert listed == ["a.jpg", "q/c.jpg"]

