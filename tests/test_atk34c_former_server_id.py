"""Session 34 attack (atk3): state kept per server under the spelling of the endpoint before same_server_netloc.

Settings.server_id() is now the endpoint in one spelling for all (core/netloc.same_server_netloc): host in lower
case, no trailing dot, the scheme's default port left out. Before, it was MINIO_ENDPOINT as written. An endpoint
written `S3.Example.com:443` (https) or `Minio:9000` kept its state under that text, and after the upgrade each
store keyed on server_id looked under the new one and found nothing: a box offline since it upgraded had no
registry documents (model show/pull offline: nothing known), a watcher's owed files were no longer owed, an
interrupted multipart upload could be neither resumed nor aborted (its parts stay on the server, billed). Each
store now takes over what it kept under the former spelling (Settings.former_server_id) on first use.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

FORMER = ("S3.Example.com:443", True)  # (MINIO_ENDPOINT as written, secure): server_id() "s3.example.com"


def _settings(tmp_path: Path, endpoint: str = FORMER[0], secure: bool = FORMER[1]) -> Any:
    from its_store.core.settings import Settings
    return Settings(endpoint=endpoint, secure=secure, access_key="edge", secret_key="edge-secret-0123",
                    cache_dir=str(tmp_path / "cache"))


def test_the_former_spelling_is_known_only_where_it_differs(tmp_path: Path) -> None:
    assert _settings(tmp_path).former_server_id() == "S3.Example.com:443"
    assert _settings(tmp_path, "minio:9000", False).former_server_id() is None


def test_an_upload_journal_record_of_the_former_spelling_is_found(tmp_path: Path) -> None:
    from its_store.service.context import Context
    from its_store.transfer.resume import UploadJournal
    settings = _settings(tmp_path)
    folder = Path(settings.cache_dir) / "uploads"
    UploadJournal(folder, FORMER[0]).save("cams", "big.mp4", {"upload_id": "upload-1", "size": 7})  # as written then
    record = Context(settings).journal().load("cams", "big.mp4")
    assert record is not None and record["upload_id"] == "upload-1", record


def test_a_watch_journal_of_the_former_spelling_stays_owed(tmp_path: Path) -> None:
    from its_store import StorageService
    from its_store.sync.watch import Watcher
    from its_store.sync.watch_journal import Journal, journal_dir
    settings = _settings(tmp_path)
    root = tmp_path / "drop"
    root.mkdir()
    state = Path(settings.cache_dir)
    old = Journal(journal_dir(state, FORMER[0], root, "cams", "p/"))  # as the former version named it
    old.open()
    old.add("frame-0001.jpg")
    old.close()
    watcher = Watcher(StorageService(settings), root, "cams", "p/", first_pass=False)
    assert watcher.journal.open() == 1
    try:
        assert [rel for _seq, rel in watcher.journal.after(0, 10)] == ["frame-0001.jpg"]
    finally:
        watcher.journal.close()


@pytest.mark.parametrize("bucket", ["models"])
def test_the_offline_registry_documents_of_the_former_spelling_are_read(tmp_path: Path, bucket: str) -> None:
    from its_store.registry.offline import OfflineStore, models_cache_root
    settings = _settings(tmp_path)
    former = models_cache_root(settings) / "offline" / hashlib.sha256(f"{FORMER[0]}/{bucket}".encode()).hexdigest()[:16]
    former.mkdir(parents=True)
    (former / "index.json").write_text('{"models": {}}')
    store = OfflineStore(settings, bucket)
    assert (store.root / "index.json").read_text() == '{"models": {}}'
