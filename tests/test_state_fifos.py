"""Local state files that are not regular files (issue 19, "nothing blocks forever"): a FIFO, a link or a
folder where its-store keeps its statistics, journals, caches, outbox or audit log. Another user of a
shared cache folder, or a mistake, can put one there; `read_text()` on a FIFO blocks until someone writes.

Every store opens through core/statefile (O_NONBLOCK | O_NOFOLLOW, checked on the descriptor): a bad file
is one warning and set aside or ignored, never a hang; the audit log is one ERROR line (kept by -q).

Each test runs the code beside a FifoGuard: a thread that notices when the FIFO gets a reader (its-store
opened it), notes it and writes one byte so the reader returns. The tests then assert that no reader
came. No timing is asserted: the guard's polling only bounds how long a wrong open can block.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E


class FifoGuard:
    """A FIFO at `path` and a thread that unblocks and counts what its-store does with it. `expect="read"`:
    whenever the FIFO gets a reader, write one byte and close (the reader returns). `expect="write"`: hold
    a read end (so that a writer's open returns at once) and count the bytes written to it."""

    def __init__(self, path: Path, expect: str = "read") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        self.readers = 0
        self.written = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain if expect == "write" else self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            except OSError:  # ENXIO: no reader (or the FIFO was set aside / replaced)
                continue
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    self.readers += 1
                    os.write(fd, b"{")
            finally:
                os.close(fd)

    def _drain(self) -> None:
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            while not self._stop.wait(0.01):
                try:
                    self.written += len(os.read(fd, 65536))
                except BlockingIOError:
                    pass
        finally:
            os.close(fd)

    def __enter__(self) -> FifoGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def _fifo_aside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if stat.S_ISFIFO(p.lstat().st_mode))


def test_stats_fifo_is_set_aside_and_counting_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from its_store.state.stats import StatsStore
    store = StatsStore(tmp_path)
    with FifoGuard(tmp_path / "stats.json") as guard, caplog.at_level(logging.WARNING, "its_store"):
        store.merge({"operations": {"upload": {"count": 1, "failures": 0, "bytes": 5, "seconds": 0.1}}})
    assert guard.readers == 0
    assert json.loads((tmp_path / "stats.json").read_text())["operations"]["upload"]["count"] == 1
    assert _fifo_aside(tmp_path) == ["stats.json.corrupt"]
    assert "named pipe" in caplog.text


def test_upload_journal_fifo_is_unusable_not_a_hang(tmp_path: Path) -> None:
    from its_store.transfer.resume import UploadJournal
    journal = UploadJournal(tmp_path, "host:9000")
    with FifoGuard(journal._path("b", "k")) as guard:
        assert journal.load("b", "k") is None
    assert guard.readers == 0 and not os.path.lexists(journal._path("b", "k"))


def test_sync_state_fifo_is_set_aside_and_the_store_works(tmp_path: Path) -> None:
    from its_store.sync.state import Known, SyncState
    with FifoGuard(tmp_path / "sync-state.sqlite") as guard:
        state = SyncState(tmp_path / "sync-state.sqlite", "e")
        state.put("b", "k", Known("etag", 3, 3))
        state.close()
    assert guard.readers == 0
    assert _fifo_aside(tmp_path) == ["sync-state.sqlite.corrupt"]
    assert SyncState(tmp_path / "sync-state.sqlite", "e").get("b", "k", "etag", 3) is not None



def test_read_only_sync_state_fifo_is_never_opened(tmp_path: Path) -> None:
    """A dry run's read-only store (sync/state._open_read_only) never opens a FIFO at the store's name, which
    would block the dry run until someone writes to it, and sets nothing aside (it writes nothing)."""
    from its_store.sync.state import SyncState
    path = tmp_path / "sync-state.sqlite"
    with FifoGuard(path) as guard:
        state = SyncState(path, "e", read_only=True)
        assert state.get("b", "k", "etag", 3) is None
        state.close()
    assert guard.readers == 0
    assert stat.S_ISFIFO(path.lstat().st_mode) and _fifo_aside(tmp_path) == ["sync-state.sqlite"]

@pytest.mark.parametrize("name", ["journal.db", "journal.log"])
def test_watch_journal_fifo_is_set_aside(tmp_path: Path, name: str) -> None:
    from its_store.sync.watch_journal import Journal
    journal = Journal(tmp_path / "j")
    with FifoGuard(tmp_path / "j" / name) as guard:
        assert journal.open() == 0
        journal.add("a.jpg")
        journal.close()
    assert guard.readers == 0
    assert _fifo_aside(tmp_path / "j") == [f"{name}.unusable"]


def test_completion_cache_fifo_is_ignored(tmp_path: Path) -> None:
    from its_store.cli.completion.complete import CompletionCache
    with FifoGuard(tmp_path / "completion.json") as guard:
        assert CompletionCache(tmp_path / "completion.json").get("x") is None
    assert guard.readers == 0


def test_completion_cache_nested_too_deep_is_ignored(tmp_path: Path) -> None:
    """A completion.json nested deeper than json can decode (RecursionError, no ValueError) is no cache:
    a Tab press must never print a traceback into the command line."""
    from its_store.cli.completion.complete import CompletionCache
    (tmp_path / "completion.json").write_bytes(b"[" * 100_000)
    assert CompletionCache(tmp_path / "completion.json").get("x") is None


def test_webhook_outbox_fifo_is_set_aside(tmp_path: Path) -> None:
    from its_store.core.settings import Settings
    from its_store.registry import webhooks
    settings = Settings(cache_dir=tmp_path, model_webhook_url="http://127.0.0.1:9/hook")
    outbox = webhooks.outbox_dir(settings)
    with FifoGuard(outbox / "00000000000000000001-x.json") as guard:
        report = webhooks.flush(settings, budget=1.0)
    assert guard.readers == 0 and report.pending == 0
    assert _fifo_aside(outbox) == [".00000000000000000001-x.json.unusable"]


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_audit_log_that_is_not_a_regular_file_is_never_written_through(tmp_path: Path, kind: str,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """The admin names MINIO_AUDIT_LOG; a FIFO there blocked the command at its end, a link planted there
    made it append to the file the link names. Neither is opened (an ERROR record each: the line is lost
    and must be said), and `audit tail` of it is one LocalIOError line, not a hang."""
    from its_store.state.audit import AuditLog, tail_lines
    path = tmp_path / "audit.log"
    victim = tmp_path / "victim"
    victim.write_bytes(b"untouched\n")
    log = AuditLog(path, access_key="ak", endpoint="e")
    if kind == "symlink":
        path.symlink_to(victim)
        with caplog.at_level(logging.WARNING, "its_store"):
            log.record("rm", bucket="b", key="k")
        touched = 0
    else:
        with FifoGuard(path, expect="write") as writes, caplog.at_level(logging.WARNING, "its_store"):
            log.record("rm", bucket="b", key="k")
        path.unlink()
        with FifoGuard(path) as reads, pytest.raises(E.LocalIOError, match="named pipe"):
            tail_lines(path, 5)
        touched = writes.written + reads.readers
    assert touched == 0 and victim.read_bytes() == b"untouched\n"
    errors = [r for r in caplog.records if r.name == "its_store.state.audit"]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR, caplog.text
    assert "cannot write the audit log" in errors[0].getMessage()


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["default", "quiet"])
def test_rm_with_a_fifo_audit_log_says_one_error_line_and_exits_74(cli, bucket: str, env: dict[str, str],
                                                                  quiet: list[str]) -> None:
    """`rm` used to hang at its end in the audit log's open(). The delete is done, but its audit line is
    lost: exit 74 ("done, its audit line lost", never "failed": state/audit.py); the lost line is one
    `its-store: error:` line, kept even with -q."""
    from helpers import put_stdin
    put_stdin(cli, bucket, "x.txt")
    audit = Path(env["MINIO_AUDIT_LOG"])
    audit.unlink(missing_ok=True)
    with FifoGuard(audit, expect="write") as guard:
        run = cli(*quiet, "rm", f"s3://{bucket}/x.txt")
    assert guard.written == 0, run
    assert run.exit_code == 74, run
    said = [line for line in run.stderr.splitlines() if line.startswith("its-store: ")]
    assert len(said) == 1 and said[0].startswith("its-store: error: cannot write the audit log"), run
    assert "named pipe" in said[0], run


def test_disk_cache_database_that_is_a_fifo_is_rebuilt(tmp_path: Path) -> None:
    """SQLite refuses a FIFO as its database ("disk I/O error"): the cache was off in every run, with a
    warning each time. It is rebuilt once instead, as a corrupt database is."""
    from its_store.state.cache import DiskCache
    (tmp_path / "metadata").mkdir()
    with FifoGuard(tmp_path / "metadata" / "cache.db") as guard:
        cache = DiskCache(tmp_path / "metadata")
        cache.put("g", "k", {"v": 1}, 60)
        assert cache.get("g", "k") == {"v": 1}
    assert guard.readers == 0 and cache.rebuilt
