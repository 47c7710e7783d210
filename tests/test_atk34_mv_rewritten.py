"""Session 34 attack: `mv` within one server of a source rewritten while it was copied.

A move between endpoints deletes its source only while the source is still the object it copied
(service/xmove.MoveGuard: 'a source rewritten while it was copied is not the object that was copied: deleting
it loses what nobody copied'). A move within one server did not ask: server copy, the copy checked against the
source's first HEAD, then an unconditional DELETE of the key. A camera's rewrite of the key after the copy (a
multipart copy of a large object takes minutes) was deleted in an unversioned bucket: exit 0, 'moved', and the
new bytes were nowhere. Real SeaweedFS, no mocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import one_line_error, unique


@pytest.mark.parametrize("recursive", [False, True])
def test_a_source_rewritten_after_its_copy_is_kept(cli: Any, service: Any, monkeypatch: pytest.MonkeyPatch,
                                                   recursive: bool) -> None:
    from its_store.service import copying
    bucket = unique("b")
    service.s3.make_bucket(bucket)  # unversioned: a delete is a loss
    assert cli("upload", "-", f"s3://{bucket}/cam/latest.jpg", input=b"frame one").exit_code == 0
    verify = copying.verify_copy

    def rewritten_meanwhile(ctx: Any, source: Any, db: str, dk: str) -> str:
        assert cli("upload", "-", f"s3://{bucket}/cam/latest.jpg", input=b"frame TWO").exit_code == 0
        return verify(ctx, source, db, dk)

    monkeypatch.setattr(copying, "verify_copy", rewritten_meanwhile)
    args = (["mv", "-r", f"s3://{bucket}/cam/", f"s3://{bucket}/old/"] if recursive
            else ["mv", f"s3://{bucket}/cam/latest.jpg", f"s3://{bucket}/old/latest.jpg"])
    run = cli(*args)
    monkeypatch.setattr(copying, "verify_copy", verify)
    got = cli("get", f"s3://{bucket}/cam/latest.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"frame TWO", (run, got)  # the rewrite is not lost
    said = run.stderr if recursive else one_line_error(run)  # -r: the item's line, then the summary
    assert run.exit_code == 5 and "changed while it was copied" in said, run
    copy = cli("get", f"s3://{bucket}/old/latest.jpg", "-")
    assert copy.exit_code == 0 and copy.stdout_bytes == b"frame one", copy


@pytest.mark.parametrize("recursive", [False, True])
def test_an_object_rewritten_after_its_download_is_kept(cli: Any, service: Any, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Any, recursive: bool) -> None:
    """`mv s3://B/K FILE`: downloaded and verified, then the object was deleted unconditionally; one rewritten
    after the download was deleted with it (exit 0, the new bytes nowhere)."""
    from its_store.service import objects
    bucket = unique("b")
    service.s3.make_bucket(bucket)  # unversioned: a delete is a loss
    assert cli("upload", "-", f"s3://{bucket}/cam/latest.jpg", input=b"frame one").exit_code == 0
    download = objects.download

    def rewritten_meanwhile(*args: Any, **kwargs: Any) -> Any:
        done = download(*args, **kwargs)
        assert cli("upload", "-", f"s3://{bucket}/cam/latest.jpg", input=b"frame TWO").exit_code == 0
        return done

    monkeypatch.setattr(objects, "download", rewritten_meanwhile)
    target = tmp_path / "out"
    args = (["mv", "-r", f"s3://{bucket}/cam/", str(target)] if recursive
            else ["mv", f"s3://{bucket}/cam/latest.jpg", str(target)])
    run = cli(*args)
    monkeypatch.setattr(objects, "download", download)
    got = cli("get", f"s3://{bucket}/cam/latest.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"frame TWO", (run, got)  # the rewrite is not lost
    said = run.stderr if recursive else one_line_error(run)
    assert run.exit_code == 5 and "changed while it was" in said, run
    assert (target / "latest.jpg" if recursive else target).read_bytes() == b"frame one"
