"""Which uploads left alone the sweep hands back as orphans (transfer/resume_owners.orphans, abort_orphans).

A run that leaves another run's live upload alone keeps its record aside (a `.left` note); a later run whose
journal sweep finds that upload's owner dead aborts it (tests/test_resume_stale_owner.py,
tests/test_resume_left_alone_completing.py). Aborted are only: an upload whose owner's lock can be taken (its run
is dead), of this endpoint, not one of the sweeping run's own. An abort that fails is noted again for a later
run. Each test here has a dead owner's note beside the one kept, so that it tells the two apart.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

ENDPOINT = "http://127.0.0.1:9/left-alone"


def _left(folder: Path, upload_id: str, endpoint: str = ENDPOINT) -> None:
    from its_store.transfer.resume_owners import leave
    leave(folder, {"endpoint": endpoint, "bucket": "b", "key": f"{upload_id}.bin", "upload_id": upload_id})


def _dead(upload_id: str) -> tuple[str, str, str]:
    return "b", f"{upload_id}.bin", upload_id


def test_an_upload_whose_owner_is_alive_is_never_an_orphan(tmp_path: Path) -> None:
    """The owner's lock is held (its run alive, here this process through another descriptor): kept, note too."""
    from its_store.core.files import take_lock
    from its_store.transfer.resume_owners import left_path, orphans, owner_name
    _left(tmp_path, "alive-upload")
    _left(tmp_path, "dead-upload")
    release = take_lock(tmp_path / owner_name("alive-upload"))
    try:
        assert orphans(tmp_path, ENDPOINT, set()) == ([_dead("dead-upload")], [])
    finally:
        release()
    assert left_path(tmp_path, "alive-upload").exists()
    assert not left_path(tmp_path, "dead-upload").exists()


def test_another_endpoints_upload_is_left_to_its_own_runs(tmp_path: Path) -> None:
    from its_store.transfer.resume_owners import left_path, orphans
    _left(tmp_path, "elsewhere-upload", endpoint="http://127.0.0.1:10/another")
    _left(tmp_path, "dead-upload")
    assert orphans(tmp_path, ENDPOINT, set()) == ([_dead("dead-upload")], [])
    assert left_path(tmp_path, "elsewhere-upload").exists()


def test_the_sweeping_runs_own_uploads_are_never_orphans(tmp_path: Path) -> None:
    """`ours`: the owner files of this run's uploads (their locks are this run's, so they could be taken)."""
    from its_store.transfer.resume_owners import left_path, orphans, owner_name
    _left(tmp_path, "my-upload")
    _left(tmp_path, "dead-upload")
    assert orphans(tmp_path, ENDPOINT, {owner_name("my-upload")}) == ([_dead("dead-upload")], [])
    assert left_path(tmp_path, "my-upload").exists()


def test_an_orphan_whose_abort_fails_is_noted_again(tmp_path: Path) -> None:
    """The abort gets no answer (nothing listens on the endpoint): the note is written again, so a later run
    tries once more; the abort that worked (an upload already gone: NotFound) leaves none."""
    from its_store import StorageService, load_settings
    from its_store.transfer.resume_owners import abort_orphans, left_path, left_record, orphans
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    endpoint = f"http://127.0.0.1:{port}"
    _left(tmp_path, "unanswered-upload", endpoint=endpoint)
    found, claimed = orphans(tmp_path, endpoint, set())
    assert found == [_dead("unanswered-upload")] and claimed == []
    assert not left_path(tmp_path, "unanswered-upload").exists()  # handed back: the note is gone
    service: Any = StorageService(load_settings(endpoint=f"127.0.0.1:{port}", access_key="k" * 20,
                                                secret_key="s" * 40, secure=False, region="us-east-1",
                                                cache_dir=tmp_path / "state", max_retries=0))
    try:
        abort_orphans(service.s3, tmp_path, endpoint, found)
    finally:
        service.close()
    again = left_record(tmp_path, "unanswered-upload")
    assert again is not None and again["endpoint"] == endpoint and again["key"] == "unanswered-upload.bin", again


def test_a_note_under_another_uploads_name_hands_back_nothing(tmp_path: Path) -> None:
    """A note is judged by the owner file of its own name: one whose record names another upload (copied or
    renamed over) would have the live upload it names aborted because the name's owner is dead. Dropped."""
    from its_store.core.files import take_lock
    from its_store.transfer.resume_owners import left_path, orphans, owner_name
    _left(tmp_path, "alive-upload")
    left_path(tmp_path, "dead-upload").write_bytes(left_path(tmp_path, "alive-upload").read_bytes())
    release = take_lock(tmp_path / owner_name("alive-upload"))
    try:
        assert orphans(tmp_path, ENDPOINT, set()) == ([], [])
    finally:
        release()
    assert not left_path(tmp_path, "dead-upload").exists()
    assert left_path(tmp_path, "alive-upload").exists()
