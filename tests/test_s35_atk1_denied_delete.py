"""Session 35, atk1: a key that may copy or write but not delete, one step off the tested path.

A SeaweedFS of this module's own with per-identity actions (as tests/test_atk34_least_privilege.py): `mover`
reads and lists everything and writes one bucket (a promotion job: S3 s3:GetObject + s3:ListBucket, and
s3:PutObject on B only), so it may copy into B but never delete elsewhere; `blind` reads and lists A and
writes B without reading it (it cannot read a copy back); `reader` reads and lists, nothing more.
Promised (brief, docs/reliability.md "missing privileges"): one clear line naming what was denied and the
permission it needs, exit 6, nothing half-done left unsaid (a move that copied but could not delete says so).
Each test was seen failing before its fix (the docstrings say what happened).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from its_store.testing.devserver import SeaweedServer

from helpers import random_bytes

SRC = f"dd-src-{secrets.token_hex(4)}"
DST = f"dd-dst-{secrets.token_hex(4)}"
ACTIONS = {"admin": ["Admin", "Read", "List", "Tagging", "Write"], "mover": ["Read", "List", f"Write:{DST}"],
           "blind": [f"Read:{SRC}", f"List:{SRC}", f"Write:{DST}"], "reader": ["Read", "List"]}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    """The server's identities as {name: MINIO_* environment}, with SRC and DST made by the admin."""
    folder = tmp_path_factory.mktemp("denied-delete")
    users = {name: ("itsdd" + name[:6] + secrets.token_hex(3), secrets.token_urlsafe(18)) for name in ACTIONS}
    (folder / "s3.json").write_text(json.dumps({"identities": [
        {"name": name, "credentials": [{"accessKey": users[name][0], "secretKey": users[name][1]}],
         "actions": actions} for name, actions in ACTIONS.items()]}))
    server = SeaweedServer(access_key=users["admin"][0], secret_key=users["admin"][1], workdir=folder / "server",
                           extra_args=[f"-s3.config={folder / 's3.json'}"]).start()
    from minio import Minio
    admin = Minio(server.endpoint, access_key=users["admin"][0], secret_key=users["admin"][1], secure=False)
    for bucket in (SRC, DST):
        admin.make_bucket(bucket)
    yield {name: {"MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": user[0], "MINIO_SECRET_KEY": user[1],
                  "MINIO_MAX_RETRIES": "0"} for name, user in users.items()}
    server.kill()


def _keys_of(cli: Any, keys: dict[str, dict[str, str]], url: str) -> list[str]:
    run = cli("ls", url, "-r", "--json", extra_env=keys["admin"])
    assert run.exit_code == 0, run
    return sorted(o["key"] for o in run.jsonl())


def _objects(cli: Any, keys: dict[str, dict[str, str]], names: list[str]) -> str:
    """A fresh prefix of SRC holding `names` (written by the admin); returns the prefix."""
    prefix = f"d{secrets.token_hex(3)}/"
    for name in names:
        Path(name).write_bytes(random_bytes(1_000, seed=len(name)))
        assert cli("upload", name, f"s3://{SRC}/{prefix}{name}", extra_env=keys["admin"]).exit_code == 0
    return prefix


@pytest.mark.parametrize("who", ["mover", "blind"])
@pytest.mark.parametrize("recursive", [False, True])
def test_mv_that_copied_but_may_not_finish_says_both_are_kept(cli: Any, keys: dict[str, dict[str, str]],
                                                              who: str, recursive: bool) -> None:
    """`mv s3://A/p/m.jpg s3://B/p/m.jpg` (and `mv -r s3://A/p/ s3://B/p/`): the copy to B was made, then
    the move could not finish: `mover` may not DELETE the source, `blind` may not read the copy back to
    verify it (the source then rightly stays). It ended `access denied (AccessDenied) to DeleteObject on
    s3://A/p/m.jpg` (mover) or `... to HeadObject on s3://B/p/m.jpg` (blind), exit 6, and `--json` gave only
    that error: nothing said that B/p/m.jpg had been written, so a person believes the move did nothing
    (and a rerun stores the copy again). Now the line says that the copy was made and that both are kept;
    exit 6 as before, both objects there."""
    prefix = _objects(cli, keys, ["m.jpg"])
    args = ["-r", f"s3://{SRC}/{prefix}", f"s3://{DST}/{prefix}"] if recursive else \
        [f"s3://{SRC}/{prefix}m.jpg", f"s3://{DST}/{prefix}m.jpg"]
    run = cli("--json", "mv", *args, extra_env=keys[who])
    assert run.exit_code == 6, run
    said = run.json()["error"]["message"] if not recursive else run.stderr
    assert f"s3://{DST}/{prefix}m.jpg was copied" in said and "both are kept" in said, run
    assert ("(needs s3:DeleteObject)" if who == "mover" else "(needs s3:GetObject)") in said, run
    assert _keys_of(cli, keys, f"s3://{SRC}/{prefix}") == [f"{prefix}m.jpg"]  # the source kept
    assert _keys_of(cli, keys, f"s3://{DST}/{prefix}") == [f"{prefix}m.jpg"]  # the copy made


def test_sync_delete_refused_names_the_right_and_exits_6(cli: Any, keys: dict[str, dict[str, str]],
                                                         tmp_path: Path) -> None:
    """`sync DIR s3://A/p/ --delete` with a key that may read and list A but not delete there: every file
    unchanged, the one key the folder lacks refused by DeleteObjects. It was reported `failed: gone.jpg:
    delete failed: AccessDenied: Access Denied.` (the server's raw words) with exit 1, the exit of a fault
    to retry; a single `rm` of the same key names s3:DeleteObject and exits 6. Now the same: the item's
    reason names the call and the permission, its code stays `delete_failed`, the run exits 6."""
    prefix = _objects(cli, keys, [])
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("a.jpg", "gone.jpg"):
        (folder / name).write_bytes(random_bytes(1_000, seed=len(name)))
    assert cli("sync", "src", f"s3://{SRC}/{prefix}", extra_env=keys["admin"]).exit_code == 0
    (folder / "gone.jpg").unlink()
    run = cli("--json", "sync", "src", f"s3://{SRC}/{prefix}", "--delete", extra_env=keys["reader"])
    assert run.exit_code == 6, run
    failed = [item for item in run.json()["failed"] if item["key"] == f"{prefix}gone.jpg"]
    assert len(failed) == 1 and failed[0]["code"] == "delete_failed", run
    assert "to DeleteObject" in failed[0]["reason"] and "(needs s3:DeleteObject)" in failed[0]["reason"], failed
    assert _keys_of(cli, keys, f"s3://{SRC}/{prefix}") == [f"{prefix}a.jpg", f"{prefix}gone.jpg"]


def test_rm_recursive_refused_names_the_right_not_the_credentials(cli: Any, keys: dict[str, dict[str, str]]) -> None:
    """`rm -r s3://A/p/ --yes` with a key that may list A but not delete there: each key refused inside the
    DeleteObjects answer was `access denied (AccessDenied) for s3://A/p/k` with the hint "check
    MINIO_ACCESS_KEY and MINIO_SECRET_KEY", though the credentials were accepted (the listing worked). Now
    the line names DeleteObject and s3:DeleteObject and the hint says the key lacks a permission."""
    prefix = _objects(cli, keys, ["r1.jpg", "r2.jpg"])
    run = cli("rm", "-r", f"s3://{SRC}/{prefix}", "--yes", extra_env=keys["reader"])
    assert run.exit_code == 6, run
    assert "to DeleteObject on" in run.stderr and "(needs s3:DeleteObject)" in run.stderr, run
    assert "check MINIO_ACCESS_KEY" not in run.stderr, run
    assert _keys_of(cli, keys, f"s3://{SRC}/{prefix}") == [f"{prefix}r1.jpg", f"{prefix}r2.jpg"]


def test_mv_of_a_file_whose_folder_may_not_change_says_it_was_uploaded(cli: Any, bucket: str, tmp_path: Path) -> None:
    """The local twin: `mv DIR/f.jpg s3://B/f.jpg` (and `mv -r DIR/ s3://B/r/`) from a folder this user may
    not change (read-only media, another owner's folder; here `chattr +i`): the upload was made and
    verified, the file's removal refused. It ended `cannot remove DIR/f.jpg: Operation not permitted`,
    exit 1: nothing said the object had been stored. Now the line says it was uploaded and verified and
    that the file was kept; exit 1 as before, the file and the object both there."""
    from helpers import immutable
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "f.jpg").write_bytes(random_bytes(1_000, seed=3))
    with immutable(folder):
        single = cli("mv", "ro/f.jpg", f"s3://{bucket}/f.jpg")
        recursive = cli("mv", "-r", "ro/", f"s3://{bucket}/r/")
    for run in (single, recursive):
        assert run.exit_code == 1, run
        assert "uploaded and verified, but cannot remove" in run.stderr and "the file was kept" in run.stderr, run
    assert (folder / "f.jpg").exists()
    listed = cli("ls", f"s3://{bucket}/", "-r", "--json")
    assert sorted(o["key"] for o in listed.jsonl()) == ["f.jpg", "r/f.jpg"], listed
