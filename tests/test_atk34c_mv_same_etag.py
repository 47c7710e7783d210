"""Session 34 attack (atk3): `mv s3://B/K FILE` against a server whose ETag does not tell a rewrite.

The download's guard (service/xmove.MoveGuard.of_download) compared only the ETag and version id the download
read with those of a new HEAD before the delete. A server whose ETags say nothing of the content (none at all,
or one that stays the same when the object is written again: gateways over stores without MD5s) let a rewrite
made after the download pass for the object downloaded: the DELETE removed it, exit 0, the new bytes nowhere (an
unversioned bucket). The download was verified all the same (by the custody sha256 it carries), so nothing
stopped the move. Now the stored size is compared too, and an answer without an ETag is not known to be the
same object: ConflictError (exit 5), object and file kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from conftest import cli_runner, fake_server_environment, one_line_error

BUCKET = "etagless"
KEY = "cam/latest.jpg"


def _stored(data: bytes, etag: str) -> FakeObject:
    """An object as we store it (its custody sha256), with the ETag the server gives it."""
    return FakeObject(data, headers={"x-amz-meta-its-sha256": hashlib.sha256(data).hexdigest()}, etag=etag)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FaultServer, Any]]:
    with FaultServer(buckets=(BUCKET,)) as server:
        yield server, cli_runner(fake_server_environment(server.endpoint, monkeypatch, tmp_path))


@pytest.mark.parametrize("etag", ["same-for-every-write", ""], ids=["constant", "none"])
@pytest.mark.parametrize("recursive", [False, True])
def test_a_rewrite_with_the_same_etag_after_the_download_is_kept(fake: tuple[FaultServer, Any], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch, etag: str,
                                                                 recursive: bool) -> None:
    server, cli = fake
    server.put_object(BUCKET, KEY, _stored(b"frame one", etag))
    if not etag:  # FakeObject makes an MD5 of an empty ETag: the server answers without one
        server.objects[(BUCKET, KEY)].etag = ""
    from its_store.service import objects
    download = objects.download

    def rewritten_meanwhile(*args: Any, **kwargs: Any) -> Any:
        done = download(*args, **kwargs)
        server.put_object(BUCKET, KEY, _stored(b"frame TWO, larger", etag))
        server.objects[(BUCKET, KEY)].etag = etag
        return done

    monkeypatch.setattr(objects, "download", rewritten_meanwhile)
    target = tmp_path / "out"
    args = (["mv", "-r", f"s3://{BUCKET}/cam/", str(target)] if recursive
            else ["mv", f"s3://{BUCKET}/{KEY}", str(target)])
    run = cli(*args)
    kept = server.objects.get((BUCKET, KEY))
    assert kept is not None and kept.data == b"frame TWO, larger", run  # the rewrite is not lost
    said = run.stderr if recursive else one_line_error(run)
    assert run.exit_code == 5 and "changed while it was downloaded" in said, run
    assert (target / "latest.jpg" if recursive else target).read_bytes() == b"frame one"
