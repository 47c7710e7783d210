"""Session 33 attack: `mv` between two remotes that are one server under two names.

A remote is "another endpoint" by its URL (Settings.server_id): `http://127.0.0.1:PORT` and
`http://localhost:PORT` are two endpoints to its-store and one server to the world. `mv
a:BUCKET/KEY b:BUCKET/KEY` then streamed the object onto itself, checked the copy (it was there: it was
the object), and deleted "the source": the object itself. Unversioned, it was gone; versioned, a delete
marker hid it. `mv` now refuses to start when the destination already holds the very object it would move
(same version, ETag, size and date), and deletes a source only while it is still the object that was
copied (a source rewritten meanwhile, by the copy itself or by someone else, is kept: exit 5). Real
SeaweedFS, reached under both names; no mocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import one_line_error, unique


@pytest.mark.parametrize("versioned", [False, True])
@pytest.mark.parametrize("recursive", [False, True])
def test_mv_onto_itself_through_two_names_keeps_the_object(cli: Any, service: Any, twice: None, versioned: bool,
                                                           recursive: bool) -> None:
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    if versioned:
        service.s3.set_versioning(bucket, True)
    assert cli("upload", "-", f"s3://{bucket}/cams/frame.jpg", input=b"the only copy").exit_code == 0
    args = (["mv", "-r", f"num:{bucket}/cams/", f"name:{bucket}/cams/"] if recursive
            else ["mv", f"num:{bucket}/cams/frame.jpg", f"name:{bucket}/cams/frame.jpg"])
    run = cli(*args)
    assert run.exit_code != 0, run
    assert "itself" in run.stderr, run
    if not recursive:
        one_line_error(run)
    got = cli("get", f"s3://{bucket}/cams/frame.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"the only copy", got


def test_mv_between_two_names_to_another_key_still_moves(cli: Any, service: Any, twice: None) -> None:
    """The refusal is for the object itself, not for the server: another key on it is a move like any."""
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    assert cli("upload", "-", f"s3://{bucket}/in/frame.jpg", input=b"frame").exit_code == 0
    run = cli("mv", f"num:{bucket}/in/frame.jpg", f"name:{bucket}/out/frame.jpg", "--json")
    assert run.exit_code == 0, run
    assert cli("get", f"s3://{bucket}/out/frame.jpg", "-").stdout_bytes == b"frame"
    assert cli("stat", f"s3://{bucket}/in/frame.jpg").exit_code == 3


def test_a_source_rewritten_after_the_guard_looked_is_kept(service: Any, bucket: str) -> None:
    """The check before the delete (service/xmove.MoveGuard), on its own: a source another writer replaced
    while it was copied is not the object that was copied, and is not deleted (ConflictError, exit 5)."""
    from its_store.core import errors as E
    from its_store.service.xmove import MoveGuard
    service.s3.put(bucket, "cams/frame.jpg", b"copied", {})
    guard = MoveGuard.before_copy(service.ctx, bucket, "cams/frame.jpg", service.ctx, bucket, "elsewhere.jpg",
                                  key_file=None, dest_key_file=None)
    guard.still_the_source()  # unchanged: no error
    service.s3.put(bucket, "cams/frame.jpg", b"written meanwhile", {})
    with pytest.raises(E.ConflictError, match="changed while it was copied"):
        guard.still_the_source()


def test_sync_between_two_names_with_nested_prefixes_is_an_overlap(cli: Any, service: Any, twice: None) -> None:
    """`sync num:B/p/ name:B/ --delete` on one server: the destination's p/... are the source itself, "not in
    the source" as the destination names them, so --delete removed the source. One endpoint refuses the
    overlap; under two names it is refused too, once the two answer with the same object."""
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    for key in ("p/a.jpg", "p/b.jpg", "q/c.jpg"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=key.encode()).exit_code == 0
    for src, dst in ((f"num:{bucket}/p/", f"name:{bucket}/"), (f"num:{bucket}/", f"name:{bucket}/p/")):
        run = cli("sync", src, dst, "--delete")
        assert run.exit_code == 2 and "overlap" in one_line_error(run), run
    run = cli("cp", "-r", f"num:{bucket}/", f"name:{bucket}/p/")
    assert run.exit_code == 2 and "overlap" in one_line_error(run), run
    listed = sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True))
    assert listed == ["p/a.jpg", "p/b.jpg", "q/c.jpg"]
