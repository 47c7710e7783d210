"""`sync DIR s3://B/PREFIX/ --watch`: keep a camera folder flowing into a bucket, file by file.

How it works (one scheduling thread owns all state; no locks on it):
- A thread runs watchfiles (Rust notify: inotify on Linux) over the folder and queues the paths the
  kernel reports; nothing polls the tree. New folders are scanned once when they appear (a file
  written before the kernel watch on a new folder was in place is not missed).
- A path heard of enters the journal at once (watch_journal.py, on disk) and waits in `pending` until it
  is complete (watch_files.py: no writer has it open, or size+mtime stable for `settle` seconds), checked
  by a cheap stat per pending file every `tick`. Where the kernel cannot tell whether a writer has the
  file open (no read lease), the watcher says so: at start (lease_support) and per file (`settling`).
- One close, one upload: a file is sent only if its signature (size, mtime, inode, ctime) differs from
  the one last sent for it (watch_outcomes.Outcomes.sent: the last SENT_MAX files). Kernel events come
  late (a write's IN_MODIFY may arrive after the file was sent) and the first pass and the kernel both
  report files written meanwhile: neither is a reason to send a file again. What came of each upload is
  acted on by the scheduling thread (watch_outcomes.py).
- Symbolic links are not followed unless asked (`follow_symlinks`): a link, or a file reached through a
  linked folder, is skipped and reported (`skipped`). What is read is the descriptor that was checked
  (watch_source.py), so a link swapped in after the check is never read.
- Memory is bounded whatever the backlog: only a window of at most `window` owed files (pending, ready
  or in flight) is held in memory, the oldest ones; the rest stays in the journal only, and comes into
  the window in the order files were first heard of (watch_window.py).
  The queue of kernel events is bounded too (the event thread waits when it is full).
- Complete files go to a pool of upload threads, oldest first, as many at once as the backlog needs up
  to a ceiling, and at most MAX_BYTES of whole files in memory (watch_pace.py: --workers, else
  MINIO_MAX_WORKERS, else 16); a finished upload wakes the loop. A file changed while being sent is sent again;
  with `remove_source` a file is deleted only when the server holds exactly what was read and the file
  was not modified since (watch_files.verify_upload, watch_source.remove_source_file), and only when the
  kernel said it was closed, unless `remove_after_settle` (run() refuses to start otherwise when leases
  do not work for every file).
- Server unreachable: one probe at a time, exponential backoff with jitter (capped), the backlog stays
  in the journal; the first success says "back online" and the backlog drains (watch_online.py).
- The first pass (watch_pass.py) runs in its own thread once the kernel watch is in place, retried
  while the server is unreachable; it finds files and hands them to this loop, which alone uploads.
- stop(): no new uploads start; those in flight get STOP_GRACE s, then are abandoned (a stalled server must
  not hold a stop until its read timeout: systemd SIGKILLs): those that finished by then are recorded
  (not sent again after a restart), the others stay owed, their daemon threads remove nothing, and the
  multipart uploads they started are aborted (best effort, ABORT_WAIT s). Everything else stays owed too.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.idle_pool import IDLE_SECONDS, IdlePool
from its_store.core.lazy import lazy_names
from its_store.sync import watch_files as F
from its_store.sync import watch_pass as P
from its_store.sync import watch_source as S
from its_store.sync.watch_events import run_events
from its_store.sync.watch_feed import EventSink, Feed
from its_store.sync.watch_intake import Intake
from its_store.sync.watch_journal import Journal, former_dir, journal_dir
from its_store.sync.watch_online import Online
from its_store.sync.watch_outcomes import SENT_MAX, Outcomes
from its_store.sync.watch_pace import MAX_BYTES, Pace, UploadQueue, ceiling_for
from its_store.sync.watch_report import WatchFigures, publish
from its_store.sync.watch_window import Pending, Window

if not TYPE_CHECKING:  # serve and watcher_for live in watch_serve.py; their old path still works (core/lazy.py)
    __getattr__ = lazy_names(globals(), {"serve": "watch_serve", "watcher_for": "watch_serve"}, "its_store.sync")

WINDOW = 4096         # owed files held in memory at most (the rest waits in the journal on disk)
STOP_GRACE = 3.0      # seconds the uploads in flight at stop() get to finish before they are abandoned
ABORT_WAIT = 2.0      # seconds, after STOP_GRACE, for aborting the multipart uploads it abandoned


class Watcher:
    """Watch `root` and upload each complete new or changed file to s3://bucket/prefix<relative path>."""
    thread_idle = IDLE_SECONDS  # an upload thread idle this long ends (core/idle_pool.py; a test sets it short)
    abort_wait = ABORT_WAIT     # seconds a stop waits for the aborts of abandoned multipart uploads

    def __init__(self, service: Any, root: Path, bucket: str, prefix: str = "", *, settle: float = 2.0,
                 remove_source: bool = False, accept: Callable[[str], bool] | None = None,
                 upload_options: Any = None, workers: int | None = None, max_bytes: int = MAX_BYTES,
                 on_event: EventSink | None = None, metrics_file: Path | None = None,
                 state_dir: Path | None = None, tick: float = 0.05, backoff_cap: float = 30.0,
                 close_check: bool = True, first_pass: Callable[[], Any] | bool | None = True,
                 use_state: bool = True, sync_options: Any = None, window: int = WINDOW,
                 follow_symlinks: bool | None = None, remove_after_settle: bool = False) -> None:
        _check_arguments(settle, window, remove_source, remove_after_settle)
        self.service, self.root, self.bucket, self.prefix = service, Path(root), bucket, prefix
        self.settle, self.remove_source, self.tick = settle, remove_source, tick
        self.remove_after_settle = remove_after_settle
        if follow_symlinks is None:
            follow_symlinks = bool(getattr(sync_options, "follow_symlinks", False))
        self.follow_symlinks = follow_symlinks
        self.lease = F.LeaseSupport("unknown", "not probed yet")  # run() probes the folder
        self.options = upload_options  # a sync.model.UploadOptions (None: the defaults)
        settings = service.settings
        self.feed = Feed(on_event)  # what the event and first-pass threads share with the loop (watch_feed.py)
        self.metrics_file = metrics_file
        self.backoff_cap = backoff_cap
        self.close_check = close_check
        self.first_pass = first_pass
        self.use_state = use_state
        self.sync_options = sync_options  # a sync.model.SyncOptions: the first pass's, and the filter
        if accept is None and sync_options is not None:
            accept = P.wanted(sync_options)
        self.accept = accept or (lambda rel: True)
        self._state: Any = None
        state = Path(state_dir or settings.cache_dir)
        former = settings.former_server_id()
        self.journal = Journal(journal_dir(state, settings.server_id(), self.root, bucket, prefix, former=former),
                               former=former_dir(state, former, self.root, bucket, prefix))
        self.figures = WatchFigures()
        self.online = Online(self.feed, self.figures, self.journal, backoff_cap)  # the server's state
        self._schedule(settings, workers, max_bytes, window)

    def _schedule(self, settings: Any, workers: int | None, max_bytes: int, window: int) -> None:
        """What the scheduling thread keeps: the owed files in memory and how many uploads run at once;
        what it remembers of the files it sent or refused; how a stop went."""
        self.pace = Pace(ceiling_for(workers, settings), now=time.monotonic())
        self.uploads = UploadQueue(self.pace, max_bytes=max_bytes, threshold=settings.multipart_threshold)
        self.workers = self.pace.ceiling  # upload threads at most (the pool's size)
        self._ready = self.uploads.ready        # complete, waiting for an upload (changed by self.uploads)
        self._inflight = self.uploads.in_flight  # being uploaded (changed by self.uploads)
        self.window = window
        self.win = Window(self.journal, window, self._ready, self._inflight)  # the owed files in memory
        self._pending = self.win.pending         # waiting to be complete (changed by self.win too)
        self.intake = Intake(self.feed, self.root, self.accept, self.journal, self._pending, self._hear, self.stop)
        self._refused: OrderedDict[str, None] = OrderedDict()  # names said once as not UTF-8
        self._settled: dict[str, str] = {}  # ready files complete by the settle rule only: why
        self.outcomes = Outcomes(self.feed, self.journal, self.figures, self.online, self.uploads, self._pending,
                                 self._settled, prefix=self.prefix, remove_source=self.remove_source,
                                 hear=self._hear, unchanged=self._unchanged)  # the finished uploads
        self._again = self.outcomes.again  # heard again while in flight (changed by self.outcomes)
        self._sent = self.outcomes.sent    # signatures of the files sent (changed by self.outcomes)
        self._signal = "none"
        self._stop_at = 0.0       # time.monotonic() of stop()
        self._abandoned = 0       # uploads in flight when STOP_GRACE ran out

    # ------------------------------------------------------------------------------ public
    def stop(self, signal_name: str = "stop") -> None:
        """Finish the uploads in flight (STOP_GRACE s at most), keep the rest owed, make run() return. Thread-safe.
        The grace counts from the first stop: a signal repeated faster than STOP_GRACE never let it run out."""
        self._signal = signal_name
        if not self.feed.stopping.is_set():
            self._stop_at = time.monotonic()
        self.feed.stopping.set()

    @property
    def stopped_by(self) -> str:
        """Why run() returned: SIGTERM, SIGINT, stop, error (or none while running)."""
        return self._signal

    @property
    def state(self) -> Any:
        """The sync state store the uploads record into (sync.state.SyncState), open while run() runs
        (None before): the upload threads (sync/watch_source.send) write to it."""
        return self._state

    @property
    def window_peak(self) -> int:
        """The most files the window held at once (watch_window.Window.peak)."""
        return self.win.peak

    @property
    def ready(self) -> threading.Event:
        """Set once the kernel watch is in place (files written from then on are seen)."""
        return self.feed.watching

    def run(self) -> None:
        """Watch until stop(). Raises ConflictError when another watcher owns this folder's journal."""
        owed = self._open()
        try:
            self.feed.emit("started", folder=str(self.root), bucket=self.bucket, prefix=self.prefix, owed=owed,
                           close_check=self.close_check, complete=self.lease.describe(self.settle),
                           lease=self.lease.mode, lease_reason=self.lease.reason or None, settle=self.settle,
                           workers=self.workers)
            self._watch()
        finally:
            self.feed.closed.set()  # also after an error: the event thread must not wait on a full queue
            self.figures.backlog = len(self.journal)
            self.journal.close()
            self._state.close()
            self._metrics()
            self.service.flush_stats()
            self.feed.emit("stopped", backlog=len(self.journal), signal=self._signal, abandoned=self._abandoned)

    def _open(self) -> int:
        """Refuse what cannot be watched, probe the read leases, open the journal and the sync state:
        the number of files owed from before."""
        if not self.root.is_dir():
            raise E.LocalFileNotFoundError(f"{self.root} is not a folder")
        if not F.is_utf8(str(self.root.resolve())):  # watchfiles takes str paths: no event would come
            raise E.InvalidInputError(f"{F.escaped(str(self.root))}: a folder path that is not UTF-8 cannot be watched")
        self.lease = F.lease_support(self.root, self.close_check)
        self._refuse_settled_removal()
        owed = self.journal.open()
        self.win.spilled = owed > 0  # read into the window by Window.refill(), oldest first
        from its_store.sync.engine import open_state
        self._state = open_state(self.service, self.use_state)
        return owed

    def _watch(self) -> None:
        """The kernel watch and the first pass feeding the scheduling loop, which starts the uploads on
        a pool of upload threads; then whatever finished before the end is recorded."""
        # kernel events -> self.feed (watch_events.py: survives names that are not UTF-8)
        watcher = threading.Thread(target=run_events, args=(self.feed, self.root), name="its-watch-events",
                                   daemon=True)
        watcher.start()
        self.feed.watching.wait(10)
        if self.first_pass:
            threading.Thread(target=P.first_pass_loop, args=(self,), name="its-watch-pass", daemon=True).start()
        pool = IdlePool(self.workers, idle=self.thread_idle, name="its-watch-up", daemon=True)
        try:
            self._loop(pool)
        finally:  # abandoned uploads are not waited for (their threads are daemons)
            pool.shutdown(wait=not self._abandoned, cancel_futures=True)
        self.feed.closed.set()
        watcher.join(5)
        self.outcomes.record_finished()

    def _refuse_settled_removal(self) -> None:
        """--remove-source removes a file only once the kernel said no writer has it open. Where it
        cannot say that for every file, refuse to start, unless the user opted in by name."""
        if not self.remove_source or self.lease.mode == "all" or self.remove_after_settle:
            return
        raise E.ConfigError(
            f"--remove-source: the kernel cannot tell here when a file is closed ({self.lease.reason}), so "
            f"files would be removed once unchanged for --settle {self.settle:g} s, and a writer that pauses "
            "longer loses the rest of its file; pass --remove-after-settle to accept that",
            hint="or give the watcher CAP_LEASE (systemd: AmbientCapabilities=CAP_LEASE)")

    # ------------------------------------------------------------------------------ the loop
    def _loop(self, pool: Executor) -> None:
        next_report = 0.0
        while True:
            stopping = self.feed.stopping.is_set()
            if stopping and not self._inflight:
                self._forget_unchanged()
                return
            if stopping and time.monotonic() - self._stop_at >= STOP_GRACE:  # a stalled server: leave them
                self._abandon()
                self._forget_unchanged()
                return
            now = self._turn(pool, stopping, self.tick)
            if now >= next_report:
                next_report = now + 2.0
                self.figures.backlog = len(self.journal)
                self.journal.tidy()
                self._metrics()

    def _abandon(self) -> None:
        """STOP_GRACE ran out: record the uploads that finished meanwhile (else they stay owed and are
        sent again after a restart), leave the others owed in the journal, and abort the multipart
        uploads they started (watch_source.abort_uploads: best effort, `abort_wait` s at most)."""
        self.outcomes.drain()
        self._abandoned = len(self._inflight)
        self.feed.closed.set()  # their threads remove nothing (watch_source._send_open)
        if self._inflight:
            S.abort_uploads(self.service, self.bucket, [self.prefix + rel for rel in self._inflight], self.abort_wait)

    def _forget_unchanged(self) -> None:
        """At stop, no waiting file is checked any more: one heard of again after it was sent (a late kernel
        event: the IN_MODIFY or IN_CLOSE_WRITE of the write that made it complete, heard while its upload
        was in flight or after it ended) is not owed while it is still the file that was sent; else the
        next start sends it a second time. As _check_pending drops it while running."""
        for rel in [rel for rel in self._pending if rel in self._sent]:
            if self._unchanged(rel, self._sent[rel]):
                del self._pending[rel]
                self.journal.done(rel)

    def _unchanged(self, rel: str, sent: F.Sig | None) -> bool:
        """Whether root/rel is still the file an upload sent (its signature `sent`)."""
        return sent is not None and F.look(self.root / rel, self.follow_symlinks) == sent

    def _turn(self, pool: Executor, stopping: bool = False, wait: float = 0.0) -> float:
        """One step of the loop: take the kernel events (waiting up to `wait` for the first) and the
        finished uploads, then check the waiting files and start the uploads that may start. Returns
        the time it checked at. (tests/watchstep.py drives the watcher by this step.)"""
        self._drain_changes(wait)
        self.outcomes.drain()
        now = time.monotonic()
        if not stopping:
            self.win.refill()
            self._check_pending(now)
            self._dispatch(pool, now)
        return now

    def _drain_changes(self, wait: float) -> None:
        """Handle the queued changes (watch_intake.Intake.drain; tests/watchstep.py takes them by this step)."""
        self.intake.drain(wait)

    def _hear(self, rel: str) -> None:
        """A file may have changed: owe it (journal) and, if it is in the window (or the window has room
        and nothing older waits in the journal), watch it until it is complete."""
        if F.is_temp_path(rel) or not self.accept(rel):
            return
        if not F.is_utf8(rel):
            self._refuse_name(rel)
            return
        seq = self.journal.add(rel)
        if seq is None:  # owed already: in flight, waiting to be complete, ready, or beyond the window
            if rel in self._inflight:
                self._again.add(rel)
            elif rel in self._pending:
                self._pending[rel].check_at = 0.0
            return
        self.win.admit(seq, rel)

    def _refuse_name(self, rel: str) -> None:
        """A name that is not UTF-8 cannot be an object key: that file's failure, said once per run (scans
        find it again), with its bytes escaped (\\xff); the file stays where it is, the rest goes on."""
        if rel in self._refused:
            return
        self._refused[rel] = None
        if len(self._refused) > SENT_MAX:
            self._refused.popitem(last=False)
        self.figures.failed()
        self.feed.emit("failed", key=self.prefix + F.escaped(rel), code="invalid_input",
                   reason="the file name is not UTF-8, and an object key must be: rename the file")

    def _check_pending(self, now: float) -> None:
        for rel, item in list(self._pending.items()):
            if item.check_at > now:
                continue
            found = F.look(self.root / rel, self.follow_symlinks)
            if found is None or isinstance(found, str) or found == self._sent.get(rel) or (
                    found == self.journal.unverified_sig(rel)):
                del self._pending[rel]  # gone, not a file to send, or unchanged since it was sent
                if found is None:
                    self.journal.gone(rel)  # its `unverified` row too
                    if item.sent:  # renamed or removed while its upload was in flight: that upload may have stored it
                        self.feed.emit("vanished", key=self.prefix + rel)
                else:
                    self.journal.done(rel)
                if isinstance(found, str):
                    self.feed.emit("skipped", key=self.prefix + rel, reason=found)
                continue
            if found != item.sig:
                item.sig, item.changed_at, item.check_at = found, now, now + self.tick
                continue
            if self._complete(rel, item, now):
                del self._pending[rel]
                self.uploads.add(rel, found[0], now)
                if item.unleased:
                    self._settled[rel] = item.unleased
            else:
                item.check_at = now + self.tick

    def _complete(self, rel: str, item: Pending, now: float) -> bool:
        """Complete: stable for one tick and no writer has it open; or stable for `settle` where the
        kernel cannot tell (said once per file: `settling`)."""
        if not self.close_check:
            item.unleased = "the close check is off"
        else:
            state = F.lease_check(self.root / rel, self.follow_symlinks)
            if not isinstance(state, str):
                item.unleased = ""
                return not state
            if item.unleased != state:
                item.unleased = state
                self.feed.emit("settling", key=self.prefix + rel, seconds=self.settle, reason=state)
        return now - item.changed_at >= self.settle

    def _dispatch(self, pool: Executor, now: float) -> None:
        """Start the uploads the queue allows now (watch_pace.UploadQueue.take), oldest first."""
        if now < self.online.retry_at:
            return
        for rel in self.uploads.take(now, self.online.offline):
            # one upload (watch_source.send): an upload thread opens, reads, sends, verifies, removes
            future: Future[S.Outcome] = pool.submit(S.send, self, rel, self._settled.pop(rel, ""))
            future.add_done_callback(partial(self.outcomes.done, rel))

    # ------------------------------------------------------------------------------ output
    def _metrics(self) -> None:
        """The figures to the stats module and to --metrics-file (watch_report.publish)."""
        publish(self.figures, getattr(self.service, "stats", None), self.metrics_file)


def _check_arguments(settle: float, window: int, remove_source: bool, remove_after_settle: bool) -> None:
    """InvalidInputError for arguments no watcher can run with."""
    if settle < 0:
        raise E.InvalidInputError("--settle must be 0 or more seconds")
    if window < 1:
        raise E.InvalidInputError("the watch window must hold at least 1 file")
    if remove_after_settle and not remove_source:
        raise E.InvalidInputError("--remove-after-settle goes with --remove-source")
