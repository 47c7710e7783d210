"""Attack on the watcher's kernel watch (session 36): the watched folder removed (or renamed away) and
made again while `sync --watch` runs, as a camera's clean-up script or an operator's `rm -rf frames;
mkdir frames` does. inotify drops the watch with the folder; watchfiles then waits on nothing and
yields only its empty time-outs, so the watcher stayed up, said nothing and uploaded none of the frames
written into the new folder (its metrics still said up). Now the event thread notices the folder it
watches is gone or another one and stops the watcher with one `file events stopped` line (exit 1, as
the guide says: Restart=always starts it again, and the first pass sends what the new folder holds)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from its_store.sync.watch_events import run_events
from its_store.sync.watch_feed import Feed

DEADLINE = 60.0  # a safety net only: the wait ends as soon as the change is queued


def _changes_until_error(feed: Feed) -> list[tuple[str, str]]:
    seen = []
    while True:
        kind, path = feed.changes.get(timeout=DEADLINE)
        seen.append((kind, path))
        if kind == "error":
            return seen


@pytest.mark.parametrize("how", ["removed", "renamed", "removed for good"])
def test_a_watched_folder_removed_and_made_again_stops_the_events_with_one_error(tmp_path: Path, how: str) -> None:
    root = tmp_path / "frames"
    root.mkdir()
    feed = Feed()
    thread = threading.Thread(target=run_events, args=(feed, root), daemon=True)
    thread.start()
    try:
        assert feed.watching.wait(DEADLINE)
        (root / "a.jpg").write_bytes(b"a")
        if how.startswith("removed"):
            shutil.rmtree(root)
        else:
            root.rename(tmp_path / "frames.old")
        if how != "removed for good":  # else no folder of that name: the stat of it fails
            root.mkdir()
            (root / "b.jpg").write_bytes(b"b")
        seen = _changes_until_error(feed)
    finally:
        feed.closed.set()
        thread.join(DEADLINE)
    error = seen[-1][1]
    assert error.startswith("file events stopped:") and str(root) in error, seen
    assert not thread.is_alive()
