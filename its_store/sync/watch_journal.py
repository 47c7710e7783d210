"""The watcher's journal: the files it still owes the bucket, kept on disk so that nothing is lost and
memory stays bounded however long the server is away (20 frames a second is 1.7M files a day).

A file enters the journal when the watcher first hears of it (before it is complete) and leaves it
once its upload succeeded (or it vanished). The journal is a SQLite table `owed(seq, path)` in
`<folder>/journal.db`: `path` is unique (a file heard of twice is owed once, without holding the set in
memory) and `seq` (AUTOINCREMENT: never reused, even after the newest row left) is the order in which
files were first heard of. The watcher keeps only a window of the oldest owed files in memory and reads
the next ones with `after(seq, limit)` as the backlog drains (watch.py).

Each add and done is its own transaction in WAL mode with synchronous=NORMAL: written to the kernel at
once, no fsync per file. A SIGKILL loses nothing and never leaves half a change; a power cut may lose the
last changes, and then the watcher's first sync pass on restart finds those files anyway. Paths are
stored as UTF-8 bytes with surrogates passed through (names may hold newlines or undecodable bytes).

Migration: the journal of earlier versions was an append-only text log, `journal.log`, of `+"path"` /
`-"path"` lines. If one is found on open it is replayed (streamed, torn lines skipped) into the table in
one transaction, then deleted; a crash in between replays it again, to the same result. A merge (that
replay, or a journal taken in from the endpoint's former spelling, journal.db or journal.log) commits with
synchronous=FULL and syncs the folder before the merged file is deleted: a power cut loses neither.

One watcher per folder and destination: an exclusive lock on `lock`, taken without waiting
(core/files.take_lock(wait=False)): a second watcher fails at once with ConflictError instead of hanging.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from its_store.core import errors as E
from its_store.core.files import LockBusy, take_lock
from its_store.core.jsontext import loads
from its_store.core.private_dirs import make_private_folder

log = logging.getLogger("its_store.sync.watch_journal")

CACHE_KIB = 2048       # SQLite's page cache: what the journal may hold in memory, whatever its size
TIDY_AFTER = 10_000    # give the pages of this many removed rows back to the file system when owed is small

_SCHEMA = "CREATE TABLE IF NOT EXISTS owed (seq INTEGER PRIMARY KEY AUTOINCREMENT, path BLOB NOT NULL UNIQUE)"
# files uploaded and kept unverified (--remove-source with a key that may not read them back): their signature,
# so that a restart's scan does not send them again
_KEPT_SCHEMA = "CREATE TABLE IF NOT EXISTS unverified (path BLOB PRIMARY KEY, sig TEXT NOT NULL)"


def journal_dir(state_dir: Path, endpoint: str, root: Path, bucket: str, prefix: str, *,
                former: str | None = None) -> Path:
    """The journal folder of one (endpoint, folder, bucket, prefix): a stable short hash of the four. `former`:
    the endpoint's former spelling (Settings.former_server_id), whose folder, if it alone is there, is taken
    over (its files still owed); when both are, Journal.open merges it (former_dir)."""
    if former is None:
        return _named(state_dir, endpoint, root, bucket, prefix)
    from its_store.core.statefile import adopt
    return adopt(_named(state_dir, endpoint, root, bucket, prefix), _named(state_dir, former, root, bucket, prefix))


def former_dir(state_dir: Path, former: str | None, root: Path, bucket: str, prefix: str) -> Path | None:
    """The journal folder the endpoint's former spelling named (None: no former spelling)."""
    return None if former is None else _named(state_dir, former, root, bucket, prefix)


def _named(state_dir: Path, server: str, root: Path, bucket: str, prefix: str) -> Path:
    ident = "\0".join((server, str(root.resolve()), bucket, prefix))
    return Path(state_dir) / "watch" / hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _enc(rel: str) -> bytes:
    return rel.encode("utf-8", "surrogatepass")


def _dec(raw: bytes) -> str:
    return bytes(raw).decode("utf-8", "surrogatepass")


class Journal:
    """The paths still owed, in the order first heard of, on disk. Not thread-safe: the watcher's one
    scheduling thread owns it (the SQLite connection refuses other threads)."""

    def __init__(self, folder: Path, former: Path | None = None) -> None:
        self.folder = Path(folder)
        self.former = former  # the journal folder of the endpoint's former spelling: merged by open() (_merge)
        self.path = self.folder / "journal.db"
        self.legacy = self.folder / "journal.log"
        self._db: Any = None  # sqlite3.Connection (imported lazily)
        self._count = 0
        self._removed = 0     # rows removed since the last tidy()
        self._unlock: Callable[[], None] | None = None  # releases the one-watcher lock

    # ------------------------------------------------------------------------------ open / close
    def open(self) -> int:
        """Lock the journal, open it (migrating a journal.log); returns how many paths are owed."""
        try:
            make_private_folder(self.folder)
        except OSError as exc:
            raise E.LocalIOError(f"cannot create the watch journal folder {self.folder}: {exc.strerror}") from None
        self._lock()
        import sqlite3
        for attempt in (1, 2):
            try:
                self._connect()
                self._merge()
                return self._count
            except (OSError, sqlite3.Error) as exc:
                if self._db is not None:
                    self._db.close()
                    self._db = None
                if attempt == 1 and getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                    try:  # a power cut on an SD card: set aside, as a FIFO is, rather than never start again
                        _set_aside(self.path, f"not a database: {exc}")
                        continue
                    except OSError:
                        pass
                self.close()
                raise E.LocalIOError(f"cannot open the watch journal {self.path}: {exc}") from None
        return self._count

    def _connect(self) -> None:
        """Open (or create) journal.db, migrate a journal.log, count what is owed. The count reads the whole
        table: a file that is not a database, or a damaged one, says so here rather than mid-run."""
        import sqlite3
        _create_private(self.path)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
        for pragma in ("auto_vacuum=INCREMENTAL", "journal_mode=WAL", "synchronous=NORMAL",
                       f"cache_size=-{CACHE_KIB}"):
            self._db.execute("PRAGMA " + pragma)
        self._db.execute(_SCHEMA)
        self._db.execute(_KEPT_SCHEMA)
        self._migrate()
        self._count = self._db.execute("SELECT count(*) FROM owed").fetchone()[0]
        self.any_unverified = self._db.execute("SELECT 1 FROM unverified LIMIT 1").fetchone() is not None

    def _merge(self) -> None:
        """Take in a journal kept under the endpoint's former spelling beside this one (a box that ran two
        versions side by side): its owed files become owed here, its `unverified` rows are added where this
        journal has none for that path (a row written here meanwhile is never replaced), in one transaction;
        then its files go. Left alone while a watcher of the former version holds its lock, or when it is not
        a regular file (core/statefile): merged by a later start. Its file is read only after the lock."""
        former = self.former
        if former is None or former == self.folder or not any(os.path.lexists(former / name)
                                                               for name in ("journal.db", "journal.log")):
            return
        import sqlite3

        from its_store.core.statefile import NotRegularFile, check_state
        try:
            unlock = take_lock(former / "lock", wait=False)
        except (LockBusy, OSError):
            return  # a watcher of the former spelling runs: its journal is its own until it stops
        try:
            if check_state(former / "journal.db"):
                self._durably(_take_in, former / "journal.db")  # on disk before the former files go
                for name in ("journal.db", "journal.db-wal", "journal.db-shm"):
                    (former / name).unlink(missing_ok=True)
            if check_state(former / "journal.log"):  # an earlier version's text journal, never migrated there
                self._durably(_take_in_log, former / "journal.log")
                (former / "journal.log").unlink(missing_ok=True)  # gone already when it was set aside
            log.info("watch journal %s of the endpoint's former spelling merged into %s", former, self.folder)
        except (OSError, NotRegularFile, sqlite3.Error) as exc:
            log.warning("watch journal %s of the endpoint's former spelling not merged: %s", former, exc)
        finally:
            unlock()
        self._count = self._db.execute("SELECT count(*) FROM owed").fetchone()[0]
        self.any_unverified = self._db.execute("SELECT 1 FROM unverified LIMIT 1").fetchone() is not None

    def _durably(self, take_in: Callable[[Any, Path], None], other: Path) -> None:
        """Run one merge transaction with synchronous=FULL (its commit is on disk, not only in the kernel, and
        so is the journal's folder) before the caller deletes what was merged: a power cut loses neither."""
        from its_store.core.files import sync_folder
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            take_in(self._db, other)
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")
        sync_folder(self.folder)

    def _lock(self) -> None:
        try:
            self._unlock = take_lock(self.folder / "lock", wait=False)
        except LockBusy:
            raise E.ConflictError("another watcher is already running for this folder and destination",
                                  hint=f"its journal is {self.path}") from None

    def close(self) -> None:
        """Give freed pages back, fold the WAL into the file, release the lock. Safe to call twice."""
        if self._db is not None:
            try:
                self._db.executescript("PRAGMA incremental_vacuum;")  # sqlite3_exec: every step (execute: one page)
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:  # noqa: BLE001 - closing must not fail: every change is committed already
                pass
            self._db.close()
            self._db = None
        if self._unlock is not None:
            self._unlock()
            self._unlock = None

    def _migrate(self) -> None:
        """Replay a journal.log of earlier versions into the table (one transaction, on disk), then delete it."""
        if not os.path.lexists(self.legacy):
            return
        self._durably(_replay_into, self.legacy)
        self.legacy.unlink(missing_ok=True)  # gone already when it was set aside

    # ------------------------------------------------------------------------------ changes
    def add(self, rel: str) -> int | None:
        """Record that `rel` is owed: its seq when it is new, None when it already was (nothing written)."""
        cur = self._sql("INSERT OR IGNORE INTO owed(path) VALUES (?)", _enc(rel))
        if cur.rowcount != 1:
            return None
        self._count += 1
        return int(cur.lastrowid)

    def done(self, rel: str) -> None:
        """Record that `rel` is no longer owed (uploaded, or gone)."""
        if self._sql("DELETE FROM owed WHERE path = ?", _enc(rel)).rowcount == 1:
            self._count -= 1
            self._removed += 1

    def gone(self, rel: str) -> None:
        """Record that `rel` left the folder: no longer owed, and its `unverified` row (if any) forgotten, so
        that the journal holds what is owed or pending, never the history of every file once kept."""
        self.done(rel)
        self.sent_unverified(rel, None)

    def sent_unverified(self, rel: str, sig: tuple[int, ...] | None) -> None:
        """Record `rel` as sent with signature `sig` though its upload could not be verified (the key may
        not read it back): kept in the folder, and not sent again while unchanged (None: forget it)."""
        if sig is None:
            if self.any_unverified:
                self._sql("DELETE FROM unverified WHERE path = ?", _enc(rel))
            return
        self._sql("INSERT OR REPLACE INTO unverified(path, sig) VALUES (?, ?)", _enc(rel), ",".join(map(str, sig)))
        self.any_unverified = True

    def unverified_sig(self, rel: str) -> tuple[int, ...] | None:
        """The signature `rel` was sent with unverified (sent_unverified), or None."""
        if not self.any_unverified:
            return None
        row = self._sql("SELECT sig FROM unverified WHERE path = ?", _enc(rel)).fetchone()
        return tuple(int(x) for x in row[0].split(",")) if row else None

    def after(self, seq: int, limit: int) -> list[tuple[int, str]]:
        """The next `limit` owed (seq, path) after `seq`, oldest first."""
        rows = self._sql("SELECT seq, path FROM owed WHERE seq > ? ORDER BY seq LIMIT ?", seq, limit).fetchall()
        return [(int(s), _dec(p)) for s, p in rows]

    def tidy(self) -> None:
        """After a backlog drained: give the freed pages back to the file system (an edge box's disk
        should not keep a day's outage worth of empty pages)."""
        if self._removed >= TIDY_AFTER and self._count < TIDY_AFTER // 10:
            self._vacuum()
            self._removed = 0

    def _vacuum(self) -> None:
        import sqlite3
        try:
            self._db.executescript("PRAGMA incremental_vacuum;")  # sqlite3_exec steps it out (execute: 1 page)
        except sqlite3.Error as exc:
            raise E.LocalIOError(f"cannot write the watch journal {self.path}: {exc}") from None

    def __len__(self) -> int:
        return self._count

    def __contains__(self, rel: object) -> bool:
        if not isinstance(rel, str):
            return False
        return self._sql("SELECT 1 FROM owed WHERE path = ?", _enc(rel)).fetchone() is not None

    def _sql(self, statement: str, *args: Any) -> Any:
        import sqlite3
        if self._db is None:
            raise E.LocalIOError("the watch journal is not open")
        try:
            return self._db.execute(statement, args)
        except sqlite3.Error as exc:
            raise E.LocalIOError(f"cannot write the watch journal {self.path}: {exc}") from None


@contextmanager
def _transaction(db: Any) -> Iterator[None]:
    """One write transaction: committed when the block ends, rolled back when it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _take_in(db: Any, other: Path) -> None:
    """Add the owed paths and `unverified` rows of the journal file `other` to `db`'s, in one transaction; a
    path `db` has already keeps its row (INSERT OR IGNORE)."""
    db.execute("ATTACH DATABASE ? AS former", (str(other),))
    try:
        with _transaction(db):
            db.execute("INSERT OR IGNORE INTO owed(path) SELECT path FROM former.owed ORDER BY seq")
            if db.execute("SELECT 1 FROM former.sqlite_master WHERE name = 'unverified'").fetchone():
                db.execute("INSERT OR IGNORE INTO unverified(path, sig) SELECT path, sig FROM former.unverified")
    finally:
        db.execute("DETACH DATABASE former")


def _apply_log(db: Any, log_file: Path, table: str) -> None:
    """Apply the `+"path"` / `-"path"` lines of a journal.log of earlier versions to `table` (owed, or the
    merge's temporary table), inside the caller's transaction."""
    for op, rel in _replay(log_file):
        if op == "+":
            db.execute(f"INSERT OR IGNORE INTO {table}(path) VALUES (?)", (_enc(rel),))
        else:
            db.execute(f"DELETE FROM {table} WHERE path = ?", (_enc(rel),))


def _replay_into(db: Any, log_file: Path) -> None:
    """Replay this journal's own journal.log of earlier versions into `owed`, in one transaction."""
    with _transaction(db):
        _apply_log(db, log_file, "owed")


def _take_in_log(db: Any, log_file: Path) -> None:
    """Add the paths a journal.log of earlier versions still owes to `db`'s, in one transaction: its lines are
    replayed into a temporary table first, so that its `-` lines cancel only its own `+` lines, never a row
    of `db`'s."""
    db.execute("CREATE TEMP TABLE merging (seq INTEGER PRIMARY KEY AUTOINCREMENT, path BLOB NOT NULL UNIQUE)")
    try:
        with _transaction(db):
            _apply_log(db, log_file, "temp.merging")
            db.execute("INSERT OR IGNORE INTO owed(path) SELECT path FROM temp.merging ORDER BY seq")
    finally:
        db.execute("DROP TABLE temp.merging")


def _create_private(path: Path) -> None:
    """Create the journal file 0600 (private from the start) before SQLite opens it by name. What is there
    and is not a regular file (a FIFO would hang or fail SQLite's open: core/statefile) is set aside with
    one warning and the journal starts anew: the watcher's first sync pass finds what it still owed."""
    from its_store.core.statefile import NotRegularFile, open_state
    try:
        os.close(open_state(path, os.O_RDWR | os.O_CREAT, 0o600))
    except NotRegularFile as exc:
        _set_aside(path, str(exc))
        os.close(open_state(path, os.O_RDWR | os.O_CREAT, 0o600))


def _set_aside(path: Path, why: str) -> None:
    """Rename an unusable journal file to NAME.unusable (NAME.unusable.1, .2... when an earlier one is kept:
    core/statefile.aside_name; nothing deleted), with one warning."""
    from its_store.core.statefile import aside_name
    aside = aside_name(path, ".unusable")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):  # SQLite's companions of the old file: never to be applied to a new one
        if os.path.lexists(f"{path}{suffix}"):
            os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    log.warning("watch journal %s was unusable (%s); set it aside as %s and started anew", path, why, aside.name)


def _replay(path: Path) -> Iterator[tuple[str, str]]:
    """The (op, path) changes of a journal.log, streamed; a torn or garbled line (a SIGKILL mid-write)
    is skipped. One that is not a regular file is set aside and replays nothing."""
    from its_store.core.statefile import NotRegularFile, open_state
    try:
        f = os.fdopen(open_state(path), "rb")  # closed by the `with` below
    except NotRegularFile as exc:
        _set_aside(path, str(exc))
        return
    except OSError as exc:
        raise E.LocalIOError(f"cannot read the watch journal {path}: {exc.strerror}") from None
    with f:
        for raw in f:
            line = raw.rstrip(b"\n")
            if len(line) < 3 or line[:1] not in (b"+", b"-"):
                continue
            try:
                rel = loads(line[1:])
            except ValueError:
                continue
            if isinstance(rel, str):
                yield line[:1].decode(), rel
