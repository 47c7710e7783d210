"""The watcher's kernel events: watchfiles (Rust notify: inotify on Linux) over the folder, queued for the
scheduling thread (watch.py) as (kind, path) changes.

watchfiles hands paths to Python as str and cannot carry a file name that is not UTF-8 (a Latin-1 camera
firmware, a hostile local user): one event for such a name sets a sticky error in its Rust watcher
(`path_buf.to_str()` in its src/lib.rs, watchfiles 1.x), which drops the batch of events in flight and
fails every later wait. There is no option to get raw bytes, and an exclude filter runs in Python after
the decoding. So the watcher used to stop for good ("file events stopped: Unable to decode path ..."),
and again at once on every restart while the file was there: one bad name ended a camera's uploads.

Now that error is survived: the kernel watch is re-armed at once (a new watchfiles generator, so a new
Rust watcher), and what the lost batch and the re-arm gap held is found again by a catch-up scan of the
tree for entries whose ctime is not older than the moment the last batch was received (ctime moves on
every create, write, rename and chmod, and no user can set it back; CTIME_SLACK covers coarse file-system
clocks and late events). The scan runs in this thread once the new watch is in place (its first yield): events meanwhile
wait in the Rust watcher. The bad name itself is that file's failure, said once by the watcher
(Watcher._hear: one `failed` event, escaped). Re-arms are at most one per REARM_GAP seconds, so a bad
name written to without pause costs a bounded amount of CPU, and nothing changed meanwhile is missed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from its_store.sync import watch_files as F
from its_store.sync.watch_feed import Feed

REARM_GAP = 0.5     # seconds between two re-arms at least
CTIME_SLACK = 10.0  # seconds the catch-up scan looks back before the last batch: coarse file-system
                    # timestamps (FAT: 2 s) and events that reach watchfiles late on a busy machine; a file
                    # heard again unchanged since it was sent costs one stat
UNDECODABLE = "Unable to decode path"  # watchfiles' message for a name that is not UTF-8
DEBOUNCE = 100      # ms: a batch is handed over once the kernel is quiet for 20 ms (`step`), and under a
                    # steady stream (a camera's frames every 10 ms) at least every DEBOUNCE ms: every frame
                    # waited up to that long before it was heard of (400 ms before issue 22)


def undecodable(exc: BaseException) -> bool:
    """The error watchfiles raises for a path that is not UTF-8 (WatchfilesRustInternalError, a RuntimeError):
    survivable by a re-arm. tests/test_attack_findings.py fails loudly if a watchfiles upgrade changes it."""
    return isinstance(exc, RuntimeError) and UNDECODABLE in str(exc)


def run_events(feed: Feed, root: Path) -> None:
    """Kernel events under `root` -> feed.put(kind, path) until feed.closed is set; a name that is not UTF-8
    re-arms the watch (see the module docstring); any other error is one `error` change (the watcher then
    stops)."""
    from watchfiles import watch as kernel_watch
    held = _holding(root)
    owed: float | None = None  # changes since then may have been missed: a catch-up scan is owed
    received = time.time()     # when the kernel last handed a batch (what came before it was delivered)
    said = False
    try:
        while not feed.closed.is_set():
            watch = _Watch(owed, received)
            try:
                _watch_once(kernel_watch, feed, root, held, watch)
                return
            except RuntimeError as exc:
                if not undecodable(exc):
                    raise
            owed, received = watch.owed, watch.received
            owed = received - CTIME_SLACK if owed is None else owed
            pause = REARM_GAP
            if not watch.delivered:  # the arming itself hit the name (a folder: inotify reports the arming's opens)
                feed.watching.set()
                if not said:
                    said = True
                    feed.emit("rescanning", reason="a name that is not UTF-8 keeps the kernel watch from holding; "
                                                   "the folder is scanned for changes until it holds")
                started, clock = time.time(), time.monotonic()
                catch_up(feed, root, owed)  # a poll: then the watch is tried again
                owed, received = started - CTIME_SLACK, started
                pause = max(REARM_GAP, time.monotonic() - clock)  # scanning at most half the time
            feed.closed.wait(pause)
    except Exception as exc:  # noqa: BLE001 - reported, then the watcher stops instead of hanging silently
        feed.put("error", f"file events stopped: {exc}")
    finally:
        feed.watching.set()
        if held is not None:
            os.close(held)


class _Watch:
    """What one kernel watch (one watchfiles generator) leaves to the next after a re-arm: whether it
    delivered a batch, when it last did, and since when a catch-up scan is owed (None: none)."""

    __slots__ = ("delivered", "owed", "received")

    def __init__(self, owed: float | None, received: float) -> None:
        self.delivered, self.owed, self.received = False, owed, received


def _watch_once(kernel_watch: Callable[..., Iterator[set[tuple[Any, str]]]], feed: Feed, root: Path,
                held: int | None, watch: _Watch) -> None:
    """One kernel watch over `root`: each batch to the feed (first the catch-up scan `watch.owed` asks for,
    once the watch is in place), until feed.closed is set or the folder held is gone (one `error` change).
    watchfiles' RuntimeError (a name that is not UTF-8) goes up to run_events, which re-arms; `kernel_watch`
    is watchfiles.watch (imported by run_events, outside its error net)."""
    for batch in kernel_watch(root, watch_filter=None, debounce=DEBOUNCE, step=20, stop_event=feed.closed,
                              yield_on_timeout=True, rust_timeout=200, raise_interrupt=False, recursive=True):
        now, watch.delivered = time.time(), True
        feed.watching.set()
        for change, path in batch:
            feed.put(change.name, path)
        if watch.owed is not None:  # the new watch is in place: find what the gap held
            catch_up(feed, root, watch.owed)
            watch.owed = None
        watch.received = now
        if _gone(root, held):  # inotify dropped its watch with the folder: nothing more would come
            feed.put("error", f"file events stopped: the watched folder {root} was removed or replaced")
            return


def _holding(root: Path) -> int | None:
    """The watched folder open (O_DIRECTORY), held while the events run so that its inode is not freed and
    given to a folder made again under its name (rm -rf + mkdir got the same inode number at once);
    None when it cannot be opened (the watch then fails as before)."""
    try:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None


def _gone(root: Path, held: int | None) -> bool:
    """`root` no longer names the folder held (removed, renamed away, replaced): compared after each batch
    (watchfiles yields an empty one every rust_timeout while the kernel is quiet), so such a folder ends
    the events with one error (the watcher exits 1; a restart watches the new folder and its first pass
    sends what it holds) instead of a watcher that stays up and hears nothing more. One stat a batch."""
    if held is None:
        return False
    try:
        now, was = os.stat(root), os.fstat(held)
    except OSError:
        return True
    return (now.st_dev, now.st_ino) != (was.st_dev, was.st_ino)


def catch_up(feed: Feed, root: Path, since: float) -> None:
    """Hand every file changed at `since` or later to the watcher (as the first pass does: a `scan`
    change); the journal owes a file once however often it is heard of."""
    for rel in changed_since(root, since):
        feed.put("scan", rel)


def changed_since(root: Path, since: float) -> Iterator[str]:
    """Relative paths (with /) of the non-folder entries under `root` whose ctime is `since` or later
    (one lstat each), streamed as watch_files.scan streams them."""
    return F.scan(root, root, lambda entry: entry.stat(follow_symlinks=False).st_ctime >= since)
