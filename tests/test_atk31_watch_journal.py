"""Session 31 attack: the watcher's journal damaged on disk (a power cut on an edge box's SD card, a
truncated copy). `Journal.open()` raised LocalIOError ("file is not a database", "database disk image is
malformed"), so the watcher refused to start at every restart until someone deleted the file by hand, while
the cameras kept writing frames nobody uploaded. The FIFO case already set the file aside (journal.db.unusable)
and started anew, the watcher's first sync pass finding what was still owed; a damaged file now does the same.
Unit tests: no server, no watcher thread."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from its_store.sync.watch_journal import Journal


def damaged(folder: Path, how: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    journal = Journal(folder)
    journal.open()
    for i in range(3000):
        journal.add(f"cam1/frame-{i:05d}.jpg")
    journal.close()
    data = journal.path.read_bytes()
    journal.path.write_bytes(b"not a database " * 100 if how == "garbage" else data[:len(data) // 2])
    return journal.path


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_a_damaged_journal_is_set_aside_and_the_watcher_starts(tmp_path: Path, how: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """Fails on main (b76b436): LocalIOError, every time the watcher starts."""
    path = damaged(tmp_path / "j", how)
    journal = Journal(tmp_path / "j")
    with caplog.at_level(logging.WARNING, logger="its_store.sync.watch_journal"):
        owed = journal.open()
    try:
        assert owed == 0
        assert journal.add("cam1/new.jpg") is not None
    finally:
        journal.close()
    assert path.with_name("journal.db.unusable").exists(), "the damaged file is kept aside, not deleted"
    assert any("unusable" in r.getMessage() for r in caplog.records), caplog.records


def test_a_healthy_journal_keeps_what_is_owed(tmp_path: Path) -> None:
    """The control (passes on main): nothing is set aside when nothing is wrong."""
    journal = Journal(tmp_path / "j")
    journal.open()
    journal.add("a.jpg")
    journal.close()
    again = Journal(tmp_path / "j")
    assert again.open() == 1
    again.close()
    assert not (tmp_path / "j" / "journal.db.unusable").exists()
