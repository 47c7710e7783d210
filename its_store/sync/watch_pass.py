"""The watcher's first pass (what changed while no watcher ran) and its walk of the folder.

The pass runs in its own thread once the kernel watch is in place, retried with backoff while the server
is unreachable: a dry-run sync pass (sync.engine.Sync with the same options) whose files to send go to
the watcher, or with --remove-source a scan that hands every file in the folder to the watcher. Either
way the watcher's scheduling thread alone decides and uploads (its journal dedupes files on disk, so a
folder of millions of files costs no memory: the walk streams, the change queue is bounded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from its_store.core import errors as E
from its_store.sync import watch_files as F
from its_store.sync.watch_feed import Feed
from its_store.sync.watch_report import WatchFigures


class PassHost(Protocol):
    """What the first pass reads of the watcher (sync.watch.Watcher, which imports this module): where
    files go and with which options, the figures it counts failures in, and the feed it hands files to."""

    feed: Feed
    figures: WatchFigures
    service: Any
    root: Path
    bucket: str
    prefix: str
    first_pass: Callable[[], Any] | bool | None
    remove_source: bool
    follow_symlinks: bool
    sync_options: Any   # a sync.model.SyncOptions (None: the defaults)
    options: Any        # a sync.model.UploadOptions (None: the defaults)
    backoff_cap: float


def first_pass_loop(w: PassHost) -> None:
    """The first full pass, retried with backoff while the server is unreachable; its result goes to the
    scheduling thread as a `pass` / `pass-retry` / `pass-failed` change."""
    delay = 0.5
    while not w.feed.stopping.is_set():
        try:
            if callable(w.first_pass):
                summary = w.first_pass()
            elif w.remove_source:
                summary = scan_pass(w)
            else:
                summary = sync_pass(w)
            w.feed.put("pass", summary or "")
            return
        except E.ServiceUnavailableError as exc:
            w.feed.put("pass-retry", f"{exc.message}; retry in {delay:g}s")
        except E.ItsStoreError as exc:
            w.feed.put("pass-failed", exc.message)
            return
        w.feed.stopping.wait(delay)
        delay = min(w.backoff_cap, delay * 2)


def scan_pass(w: PassHost) -> str:
    """With remove_source: every file in the folder goes through the watcher (upload, verify, remove),
    since a file still on disk is one not yet sent, or sent but not removed (a crash in between)."""
    count = 0
    for rel in walk(w.root):
        w.feed.put("scan", rel)
        count += 1
    return f"{count} file(s) in the folder"


def sync_pass(w: PassHost) -> str:
    """What changed while no watcher ran, found as `sync DIR s3://B/PREFIX/ --dry-run` finds it
    (sync.engine.Sync, same options: compare, filters, shard, symlink rule) and handed to the watcher
    like a kernel event (a `scan` change): the watcher alone uploads, so a file written meanwhile that
    both the pass and the kernel report is still sent once. Files the walk skips (links not followed,
    not regular files) are reported as `skipped`. Raises ServiceUnavailableError when the server could
    not be reached (then it is retried)."""
    from its_store.sync.engine import Sync

    unlisted: list[Any] = []
    report = Sync(w.service, str(w.root), f"s3://{w.bucket}/{w.prefix}", _pass_options(w),
                  on_item=_handing_on(w, unlisted)).run()
    unreachable = [i for i in report.failed if i.code == "service_unavailable"]
    if unreachable:
        raise E.ServiceUnavailableError(f"{len(unreachable)} file(s) could not reach the server")
    t = report.totals
    return f"to send {t.copied}, unchanged {t.unchanged}, skipped {t.skipped}, failed {t.failed - len(unlisted)}"


def _pass_options(w: PassHost) -> Any:
    """The watcher's sync options (a sync.model.SyncOptions), as the first pass plans with them."""
    from dataclasses import replace

    from its_store.sync.model import SyncOptions
    # planned as a dry run plans (nothing sent: the watcher sends), but not a user's --dry-run: what the HEADs
    # answered is kept in the state store, so that the next start HEADs none of the objects unchanged again
    options = replace(w.sync_options or SyncOptions(), delete=False, dry_run=True, keep_heads=True,
                      follow_symlinks=w.follow_symlinks)
    if w.options is not None:
        options.upload = w.options
    return options


def _handing_on(w: PassHost, unlisted: list[Any]) -> Callable[[str, Any], None]:
    """The first pass's on_item: a file to send goes to the watcher (a `scan` change), a skipped or failed
    one is reported as an event; a denied listing of the destination is said once and kept in `unlisted`."""
    def on_item(kind: str, item: Any) -> None:
        if kind == "failed" and item.code == "access_denied" and not item.path:
            # the destination's listing, denied (an edge box's write-only key): nothing to compare with, every
            # file is "to send"; said once, no failure of the watcher
            import logging
            unlisted.append(item)
            logging.getLogger("its_store.sync.watch").warning(
                "the first pass could not list s3://%s/%s (the key needs s3:ListBucket to compare): every file "
                "in the folder is sent", w.bucket, w.prefix)
        elif kind == "copied":
            w.feed.put("scan", item.path)
        elif kind == "skipped":
            w.feed.emit("skipped", key=w.prefix + item.path, reason=item.reason)
        elif kind == "failed" and item.code != "service_unavailable":
            w.figures.failed()
            w.feed.emit("failed", key=item.key or item.path, reason=item.reason, code=item.code)
    return on_item


def wanted(options: Any) -> Callable[[str], bool]:
    """The sync options' --include/--exclude and --shard as one test of a relative path."""
    def accepts(rel: str) -> bool:
        return (not options.filter or options.filter.accepts(rel)) and (options.shard is None or rel in options.shard)
    return accepts


def walk(folder: Path, root: Path | None = None) -> Iterator[str]:
    """Relative paths (with /) of the regular files under `folder` (links to files included: the watcher
    decides on them), relative to `root` (default: folder), streamed as watch_files.scan streams them."""
    return F.scan(folder, root or folder, lambda entry: entry.is_file())
