"""State kept under both the former and the one spelling of an endpoint (Settings.former_server_id: a box that
ran two versions side by side): a watch journal under the former spelling beside the current one is merged
into it, never over a row written meanwhile, and left alone while a watcher of the former spelling holds it
(left-out item 6). And the proxy's user info, a credential, is no part of server_id: never in a state file's
name, its content, or a log line."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from helpers import inside, named_by

FORMER = "S3.Example.com:443"  # https: server_id() "s3.example.com"


def _settings(tmp_path: Path, **extra: Any) -> Any:
    from its_store.core.settings import Settings
    return Settings(endpoint=FORMER, secure=True, access_key="edge", secret_key="edge-secret-0123",
                    cache_dir=str(tmp_path / "cache"), **extra)


def _journals(tmp_path: Path) -> tuple[Any, Any, Path]:
    """(the journal under the former spelling, the one under server_id(), the watched folder), each with rows."""
    from its_store.sync.watch_journal import Journal, journal_dir
    settings = _settings(tmp_path)
    root = tmp_path / "drop"
    root.mkdir()
    state = Path(settings.cache_dir)
    old = Journal(journal_dir(state, FORMER, root, "cams", "p/"))  # as the former version named it
    old.open()
    for rel in ("a.jpg", "b.jpg"):
        old.add(rel)
    old.sent_unverified("k.jpg", (1, 2))
    old.sent_unverified("m.jpg", (5, 6))
    old.close()
    new = Journal(journal_dir(state, settings.server_id(), root, "cams", "p/"))  # the one spelling's, meanwhile
    new.open()
    new.add("c.jpg")
    new.add("a.jpg")
    new.sent_unverified("k.jpg", (3, 4))
    new.close()
    return old, new, root


def _watcher(tmp_path: Path, root: Path) -> Any:
    from its_store import StorageService
    from its_store.sync.watch import Watcher
    return Watcher(StorageService(_settings(tmp_path)), root, "cams", "p/", first_pass=False)


def test_a_former_watch_journal_beside_the_current_one_is_merged(tmp_path: Path) -> None:
    old, new, root = _journals(tmp_path)
    watcher = _watcher(tmp_path, root)
    assert watcher.journal.folder == new.folder
    assert watcher.journal.open() == 3
    try:
        assert [rel for _seq, rel in watcher.journal.after(0, 10)] == ["c.jpg", "a.jpg", "b.jpg"]
        assert watcher.journal.unverified_sig("k.jpg") == (3, 4)  # written here meanwhile: kept
        assert watcher.journal.unverified_sig("m.jpg") == (5, 6)
    finally:
        watcher.journal.close()
    assert not (old.folder / "journal.db").exists()  # taken in: not merged a second time


def test_a_former_watch_journal_in_use_is_left_alone(tmp_path: Path) -> None:
    from its_store.core.files import take_lock
    old, _new, root = _journals(tmp_path)
    release = take_lock(old.folder / "lock", wait=False)  # a watcher of the former version runs on it
    try:
        watcher = _watcher(tmp_path, root)
        assert watcher.journal.open() == 2
        watcher.journal.close()
    finally:
        release()
    with sqlite3.connect(old.folder / "journal.db") as db:
        assert sorted(r[0] for r in db.execute("SELECT path FROM owed")) == [b"a.jpg", b"b.jpg"]
    watcher = _watcher(tmp_path, root)  # once it stopped, the next start takes it in
    assert watcher.journal.open() == 3
    watcher.journal.close()


@pytest.mark.parametrize("proxy", ["http://edge-user:pr0xy-S3CRET@Proxy.example:03128",
                                   "edge-user:pr0xy-S3CRET@proxy.example:3128"])
def test_the_proxys_user_info_is_no_part_of_the_server_id(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                          proxy: str) -> None:
    """Decided: user info is a credential, not an identity of the server reached; one proxy with two logins is
    one route. It reaches no state file's name (a digest of server_id), no content (the sync state's endpoint
    column), no log line; the proxy's host and port do (two proxies are two routes)."""
    from its_store.service.context import Context
    from its_store.sync.remember import open_state
    from its_store.sync.state import Known
    settings = _settings(tmp_path, https_proxy=proxy)
    assert settings.server_id() == "s3.example.com via http://proxy.example:3128"
    assert settings.former_server_id() is not None and "S3CRET" not in settings.former_server_id()
    assert "edge-user" not in settings.server_id() + settings.former_server_id()
    with caplog.at_level(logging.DEBUG):
        state = open_state(Context(settings))
        state.put("cams", "a.jpg", Known("e" * 32, 1, 1))
        state.close()
        Context(settings).journal().save("cams", "big.mp4", {"upload_id": "upload-1", "size": 7})
    for path in Path(settings.cache_dir).rglob("*"):
        assert "S3CRET" not in str(path) and "edge-user" not in str(path)
        if path.is_file():
            assert b"S3CRET" not in path.read_bytes() and b"edge-user" not in path.read_bytes(), path
    assert "S3CRET" not in caplog.text and "edge-user" not in caplog.text


def test_a_former_offline_registry_copy_beside_the_current_one_is_merged(tmp_path: Path) -> None:
    """Models only the former copy knows are taken in (index entry, manifests, aliases); a model both know keeps
    the current copy's documents; a key of the former index that is no model name names no file here."""
    import hashlib
    import json

    from its_store.registry.offline import OfflineStore, models_cache_root
    settings = _settings(tmp_path)
    folders = {server: models_cache_root(settings) / "offline" / hashlib.sha256(f"{server}/models".encode()
                                                                                ).hexdigest()[:16]
               for server in (FORMER, settings.server_id())}
    stamp = "2026-12-01T00:00:00.000+00:00"

    def copy(folder: Path, models: dict[str, str]) -> None:
        for sub in ("manifests", "aliases"):
            (folder / sub).mkdir(parents=True)
        for model, etag in models.items():
            if "/" not in model:
                (folder / "manifests" / f"{model}.json").write_text(json.dumps({"versions": {"1.0.0": etag}}))
                (folder / "aliases" / f"{model}.json").write_text(json.dumps({"seen_at": stamp, "doc": etag}))
        (folder / "index.json").write_text(json.dumps({"models": {
            m: {"as_of": stamp, "versions": {"1.0.0": e}, "aliases_etag": None} for m, e in models.items()}}))

    copy(folders[FORMER], {"only-old": "old-1", "both": "old-2", "../evil": "old-3"})
    copy(folders[settings.server_id()], {"both": "new-2"})
    store = OfflineStore(settings, "models")
    assert store.root == folders[settings.server_id()]
    index = json.loads((store.root / "index.json").read_text())["models"]
    assert {m: e["versions"] for m, e in index.items()} == {"only-old": {"1.0.0": "old-1"}, "both": {"1.0.0": "new-2"}}
    for sub in ("manifests", "aliases"):
        assert "old-1" in (store.root / sub / "only-old.json").read_text()
        assert "new-2" in (store.root / sub / "both.json").read_text()
    assert not folders[FORMER].exists() and not (store.root.parent / "evil.json").exists()


@pytest.mark.parametrize("unreadable", ["index.json", "manifests/only-old.json"])
def test_a_former_offline_copy_that_cannot_be_read_is_kept(tmp_path: Path, unreadable: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    """The merge removed the former copy whatever it could read: an index or a manifest that failed to read
    (here a folder where the file should be: a read error) was taken for "nothing there", and the manifests
    beside it went with the copy (reva). Now a document that is there but unread keeps the former copy whole,
    with a warning; what could be read is taken in."""
    import hashlib
    import json
    import shutil

    from its_store.registry.offline import OfflineStore, models_cache_root
    settings = _settings(tmp_path)
    former = models_cache_root(settings) / "offline" / hashlib.sha256(f"{FORMER}/models".encode()).hexdigest()[:16]
    current = models_cache_root(settings) / "offline" / hashlib.sha256(
        f"{settings.server_id()}/models".encode()).hexdigest()[:16]
    stamp = "2026-12-01T00:00:00.000+00:00"
    for folder, models in ((former, ("only-old", "other-old")), (current, ("both",))):
        (folder / "manifests").mkdir(parents=True)
        for model in models:
            (folder / "manifests" / f"{model}.json").write_text(json.dumps({"versions": {"1.0.0": model}}))
        (folder / "index.json").write_text(json.dumps({"models": {
            m: {"as_of": stamp, "versions": {"1.0.0": m}, "aliases_etag": None} for m in models}}))
    saved = (former / unreadable).read_text()
    (former / unreadable).unlink()
    (former / unreadable).mkdir()  # there, and reading it fails
    with caplog.at_level(logging.WARNING, logger="its_store.registry.offline"):
        store = OfflineStore(settings, "models")
    assert store.root == current
    assert (former / unreadable).is_dir() and "kept" in caplog.text, caplog.text
    shutil.rmtree(former / unreadable)
    (former / unreadable).write_text(saved)  # readable again: the next command takes it in, then removes it
    store = OfflineStore(settings, "models")
    index = json.loads((store.root / "index.json").read_text())["models"]
    assert sorted(index) == ["both", "only-old", "other-old"], index
    assert "only-old" in (store.root / "manifests" / "only-old.json").read_text()
    assert not former.exists()


LOG = '+"a.jpg"\n+"b.jpg"\n-"a.jpg"\n+"d.jpg"\n+"c.jpg"\n'  # a journal.log of earlier versions: owes b, d, c


def _current(tmp_path: Path) -> tuple[Path, Path, Any]:
    """(the watched folder, the former spelling's journal folder, the current journal) with c and a owed."""
    from its_store.sync.watch_journal import Journal, journal_dir
    root, state = tmp_path / "drop", Path(_settings(tmp_path).cache_dir)
    root.mkdir()
    new = Journal(journal_dir(state, _settings(tmp_path).server_id(), root, "cams", "p/"))
    new.open()
    new.add("c.jpg")
    new.add("a.jpg")
    new.close()
    return root, journal_dir(state, FORMER, root, "cams", "p/"), new


def test_a_former_folder_holding_only_a_journal_log_is_merged(tmp_path: Path) -> None:
    """Session 35 (fix3): a former folder with only an earlier version's journal.log was never merged (its owed
    files waited for a sync pass); its `-` lines cancel its own `+` lines, never a row of this journal's."""
    root, former, _new = _current(tmp_path)
    former.mkdir(parents=True)
    (former / "journal.log").write_text(LOG)
    watcher = _watcher(tmp_path, root)
    assert watcher.journal.open() == 4
    try:
        assert [rel for _seq, rel in watcher.journal.after(0, 10)] == ["c.jpg", "a.jpg", "b.jpg", "d.jpg"]
    finally:
        watcher.journal.close()
    assert not (former / "journal.log").exists()  # taken in: not merged a second time


@pytest.mark.parametrize("case", ["former-db", "former-log", "own-log"])
def test_a_merge_is_on_disk_before_what_it_merged_is_deleted(case: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 35 (fix3): the merge committed with synchronous=NORMAL (in the kernel, not on disk) and then
    deleted the merged file: a power cut could lose the owed rows. The commit before each delete now runs with
    synchronous=FULL (SQLite syncs the WAL at that commit), and the journal's pace is NORMAL again after it.
    Seen through SQLite's statement trace of the journal's connection and the deletes, in order."""
    if case == "former-db":
        _old, _new, root = _journals(tmp_path)
        gone, folder = "journal.db", _old.folder
    else:
        root, former, new = _current(tmp_path)
        folder = former if case == "former-log" else new.folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "journal.log").write_text(LOG)
        gone = "journal.log"
    events: list[str] = []
    connect, unlink = sqlite3.connect, Path.unlink

    ours = inside(tmp_path)  # the patches are process-wide: not another thread's journal or deletes

    def traced(*args: Any, **kwargs: Any) -> Any:
        db = connect(*args, **kwargs)
        if str(args[0]).endswith("journal.db") and ours(named_by(args, kwargs)):
            db.set_trace_callback(lambda sql: events.append(" ".join(sql.split()).upper()))
        return db

    def recorded(self: Path, missing_ok: bool = False) -> None:
        if ours(named_by((self,), {})):
            events.append(f"unlink {self}")
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(sqlite3, "connect", traced)
    monkeypatch.setattr(Path, "unlink", recorded)
    watcher = _watcher(tmp_path, root)
    watcher.journal.open()
    watcher.journal.close()
    monkeypatch.undo()
    deleted = events.index(f"unlink {folder / gone}")
    commit = max(i for i, e in enumerate(events[:deleted]) if e == "COMMIT")
    pace = [e for e in events[:commit] if e.startswith("PRAGMA SYNCHRONOUS")]
    assert pace[-1] == "PRAGMA SYNCHRONOUS=FULL", events[:deleted + 1]
    assert [e for e in events if e.startswith("PRAGMA SYNCHRONOUS")][-1] == "PRAGMA SYNCHRONOUS=NORMAL"
    assert not (folder / gone).exists()
