"""What a sync remembers between runs, so that an unchanged tree costs listings and no HEADs.

A listing gives each object's size and ETag but not its metadata: the mtime a sync compares, and
the sha256 `--checksum` compares, take a HEAD per object. This store keeps, per (endpoint, bucket,
key), the ETag and stored size the entry was made for and what a HEAD would say (original size,
mtime text, sha256, whether the ETag is the content's MD5). It is written when we upload (the PUT
answer gives the ETag) and when we HEAD. An entry is used only while the listing shows the same
ETag and size; any other write to the object changes them (the ETag is content-derived; a rewrite
with the same content but other metadata by another tool is the one case it cannot see).

A second table (Fetched) keeps, per local folder, what each download left there: the object version the GET
answered with and the file's size and mtime. While the file is as left, a listing with another ETag or size is
fetched again whatever the object's metadata says (sync/engine: another tool's rewrite may carry the old bytes'
its-sha256 and mtime over, and an object without an MD5 ETag shows no other checksum).

SQLite in the settings' cache folder (sync-state.sqlite), one connection behind a lock, writes
batched. A dry run opens it read only (read_only: no row written, no store made where there is none, nothing
set aside, no -wal or -shm file made: _open_read_only; what the run learns is dropped 256 entries at a time,
as a real run writes them out). Any failure of the store
turns it off for the run (the sync then HEADs): it is an optimisation, never a source of truth, and never
decides a delete. It is input all the same: a file that is not a database is set aside
(sync-state.sqlite.corrupt) and started anew, and an entry whose values are not what this module writes (a
size that is not a count, an mtime that is not text: SQLite keeps whatever it is given) is not used; the
HEAD it then takes writes it again. Either says so in one warning.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core.private_dirs import create_private_file, make_private_folder
from its_store.core.units import read_count

if TYPE_CHECKING:
    from datetime import datetime

log = logging.getLogger("its_store.sync.state")
_INT64 = 1 << 63  # SQLite's INTEGER: -2**63 .. 2**63 - 1

_SCHEMA = ("CREATE TABLE IF NOT EXISTS objects (endpoint TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,"
           " etag TEXT NOT NULL, stored_size INTEGER NOT NULL, size INTEGER NOT NULL, mtime TEXT,"
           " sha256 TEXT, md5 INTEGER NOT NULL, PRIMARY KEY (endpoint, bucket, key))")
# what a download left in a local folder (Fetched): per folder, since two folders synced from one prefix are two copies
_FETCHED_SCHEMA = ("CREATE TABLE IF NOT EXISTS fetched (endpoint TEXT NOT NULL, folder TEXT NOT NULL,"
                   " bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL, stored_size INTEGER NOT NULL,"
                   " version_id TEXT, last_modified TEXT, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
                   " PRIMARY KEY (endpoint, folder, bucket, key))")
_FETCHED_VALID = ("(typeof(etag) = 'text' AND etag <> '' AND typeof(stored_size) = 'integer' AND stored_size >= 0"
                  " AND typeof(size) = 'integer' AND size >= 0 AND typeof(mtime_ns) = 'integer'"
                  " AND typeof(version_id) IN ('text', 'null') AND typeof(last_modified) IN ('text', 'null'))")
# an entry written again (each run of `get -r` into the same folder, each sync of a changed object) is updated in
# place: INSERT OR REPLACE deleted the row and its key's index entry and inserted both anew (~10K instructions a row
# more, two rows an object of get -r). The same values end up in the row either way.
_PUT_OBJECTS = ("INSERT INTO objects VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (endpoint, bucket, key) DO UPDATE SET"
                " etag=excluded.etag, stored_size=excluded.stored_size, size=excluded.size, mtime=excluded.mtime,"
                " sha256=excluded.sha256, md5=excluded.md5")
_PUT_FETCHED = ("INSERT INTO fetched VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (endpoint, folder, bucket, key) DO UPDATE"
                " SET etag=excluded.etag, stored_size=excluded.stored_size, version_id=excluded.version_id,"
                " last_modified=excluded.last_modified, size=excluded.size, mtime_ns=excluded.mtime_ns")
if sqlite3.sqlite_version_info < (3, 24):  # no UPSERT before SQLite 3.24 (2018)
    _PUT_OBJECTS = "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?,?,?)"
    _PUT_FETCHED = "INSERT OR REPLACE INTO fetched VALUES (?,?,?,?,?,?,?,?,?,?)"
# what _row() accepts, as one SQL expression (1 or 0): a non-empty text ETag, sizes that are counts (SQLite's
# integers are at most MAX_SIZE), md5 0 or 1, mtime and sha256 text or NULL
_VALID = ("(typeof(etag) = 'text' AND etag <> '' AND typeof(stored_size) = 'integer' AND stored_size >= 0"
          " AND typeof(size) = 'integer' AND size >= 0 AND typeof(md5) = 'integer' AND md5 IN (0, 1)"
          " AND typeof(mtime) IN ('text', 'null') AND typeof(sha256) IN ('text', 'null'))")


@dataclass(slots=True)
class Known:
    """What we know of one object version (identified by its ETag and stored size)."""

    etag: str
    stored_size: int
    size: int                 # the original size (a compressed object's listed size is the stored one)
    mtime: str | None = None  # x-amz-meta-mtime as stored
    sha256: str | None = None
    md5: bool = False         # the ETag is the MD5 of the content (one part, stored as is, no SSE)


@dataclass(slots=True)
class Fetched:
    """What sync downloaded into a local file: the object version as listed (its ETag, stored size, LastModified;
    the version id the GET answered) and the file as the download left it (size, mtime). While the file is
    as left, a listing whose ETag or size is not this one says the object was written since: it is fetched
    again, whatever its metadata says (another tool's rewrite may carry the old bytes' its-sha256 and mtime)."""

    etag: str
    stored_size: int
    size: int
    mtime_ns: int
    version_id: str | None = None
    last_modified: str | None = None

    def left_as(self, size: int, mtime_ns: int) -> bool:
        """Whether a file of this size and mtime is still the one the download left."""
        return self.size == size and self.mtime_ns == mtime_ns

    def rewritten(self, etag: str | None, stored_size: int) -> bool:
        """Whether a listing's (ETag, size) says the object is no longer the version downloaded (no ETag listed:
        by the size alone)."""
        return stored_size != self.stored_size or (bool(etag) and etag != self.etag)


def _fits(*numbers: int) -> bool:
    """Whether SQLite can keep these numbers (its INTEGER has 64 bits). A record with one that it cannot is not
    kept: an mtime of 999999999999 s (x-amz-meta-mtime is anyone's to write) or a LastModified in year 9999 or
    1 (Go's zero time) is more nanoseconds than that, and the insert's OverflowError ended the sync and lost
    its batch (tests/test_atk37_sync_numbers.py). The object is then compared as one the store does not know."""
    return -_INT64 <= min(numbers) and max(numbers) < _INT64  # no generator: once per object of a sync


@functools.lru_cache(maxsize=64)  # a run writes into one folder or a few: not encoded again for each row
def _named(folder: str) -> str | bytes:
    """A folder's name as the `fetched` table keeps it: its text, or its bytes when it is not UTF-8 (a name of
    bytes 0x80-0xff, held by Python with surrogate escapes, which SQLite cannot be given as text)."""
    try:
        folder.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(folder)
    return folder


def listed_at(when: datetime | None) -> str | None:
    """A listing's LastModified as Fetched keeps it (ISO 8601), None when not listed. Remembered by value, as the
    listing remembers its dates by text (s3/listing_page._date): the objects of a listing share a few seconds
    (frames written together), and isoformat() costs ~10K instructions, a record of each object `get -r` writes."""
    if when is None:
        return None
    if when.tzinfo is not UTC:  # an equal time in another zone is spelt otherwise: not from the same entry
        return when.isoformat()
    text = _LISTED.get(when)
    if text is None:
        text = when.isoformat()
        if len(_LISTED) >= 4096:
            _LISTED.clear()
        _LISTED[when] = text
    return text


_LISTED: dict[datetime, str] = {}


class SyncState:
    """The store; `SyncState(None)` remembers nothing (state off)."""

    def __init__(self, path: Path | None, endpoint: str = "", *, read_only: bool = False) -> None:
        self.endpoint = endpoint
        self.read_only = read_only  # a dry run's: read, never written (what it learns is not kept: _flush)
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], Known] = {}
        self._db: sqlite3.Connection | None = None
        self._loaded: dict[tuple[str, str], Known] = {}
        self._scopes: list[tuple[str, str]] = []  # (bucket, prefix) preloaded whole
        # (folder, bucket, key): preloaded entries; _flush drops those it writes out
        self._fetched: dict[tuple[str, str, str], Fetched] = {}
        self._fetched_pending: dict[tuple[str, str, str], Fetched] = {}
        self._fetched_scopes: list[tuple[str, str, str]] = []  # (folder, bucket, prefix) preloaded whole
        self._path = path
        self._warned = False
        self.off: str | None = None  # why the store was turned off for this run (said once: _off), None while on
        if path is not None:
            if read_only:
                self._db = _open_read_only(path)
            else:
                self._db, why = _open(path)
                if why is not None:
                    self._off(why)

    def _off(self, why: object) -> None:
        """Turn the store off for the rest of the run (the sync then HEADs), with ONE warning: it was silent, and
        a store that could never be written (a full disk, a folder that takes no file) made every run HEAD every
        object with nothing said. A dry run's read-only store is never written, and is only read: not said."""
        self._db = None
        if self.off is None:
            self.off = str(why)[:200] or type(why).__name__
            if not self.read_only:
                log.warning("sync state %s cannot be used (%s): it is off for this run, which HEADs each object "
                            "instead of trusting what the last run recorded", self._path, self.off)

    def _row(self, row: Any) -> Known | None:
        """The Known of a row (etag, stored_size, size, mtime, sha256, md5), None when its values are not
        what put() writes; the first such row of a run is said in a warning."""
        etag, stored, size, mtime, sha, md5 = row
        counts = (read_count(stored), read_count(size), read_count(md5, high=1))
        if isinstance(etag, str) and etag and None not in counts and isinstance(mtime, str | None) \
                and isinstance(sha, str | None):
            return Known(etag, stored, size, mtime, sha, bool(md5))
        if not self._warned:
            self._warned = True
            log.warning("sync state %s holds entries with values its-store does not write; they are not used, "
                        "and the HEAD taken instead writes them again", self._path)
        return None

    def get(self, bucket: str, key: str, etag: str | None, stored_size: int) -> Known | None:
        """The entry for this object if it was made for the listed ETag and size, else None."""
        if self._db is None or not etag:
            return None
        with self._lock:
            waiting = self._pending.get((bucket, key)) or self._loaded.get((bucket, key))
            if waiting is not None:
                return waiting if (waiting.etag, waiting.stored_size) == (etag, stored_size) else None
            if any(bucket == b and key.startswith(p) for b, p in self._scopes):
                return None  # preloaded: what is not there is not known
            try:
                row = self._db.execute("SELECT etag, stored_size, size, mtime, sha256, md5 FROM objects"
                                       " WHERE endpoint=? AND bucket=? AND key=?",
                                       (self.endpoint, bucket, key)).fetchone()
            except sqlite3.Error as exc:
                self._off(exc)
                return None
        known = None if row is None else self._row(row)
        if known is None or (known.etag, known.stored_size) != (etag, stored_size):
            return None
        return known

    def preload(self, bucket: str, prefix: str, limit: int = 200_000) -> int:
        """Read the entries under `prefix` in one query (a per-key SELECT costs ~50 us, 0.1 s per 2,000
        keys). Beyond `limit` entries nothing is kept (memory stays bounded; get() then asks per key).
        SQLite checks each row's types as _row() does (_VALID): only the rows it refuses go through
        _row(), for its warning."""
        with self._lock:
            return self._preload(bucket, prefix, limit)

    def preload_behind(self, bucket: str, prefix: str, folder: str | None = None) -> None:
        """preload() on a helper thread, so that the listing's first page is asked for meanwhile (it used to
        wait for the query). The thread takes the store's lock before this returns and keeps it until the
        entries are read: get(), put() and close() wait for it, nothing is answered from a half-read store."""
        if self._db is None:
            return
        held = threading.Event()

        def read() -> None:
            with self._lock:
                held.set()
                self._preload(bucket, prefix, 200_000)
                if folder is not None:  # a download's: what it left in that folder (Fetched)
                    self._preload_fetched(folder, bucket, prefix, 200_000)

        threading.Thread(target=read, name="its-sync-state", daemon=True).start()
        held.wait()

    def _preload(self, bucket: str, prefix: str, limit: int) -> int:
        """preload(), the store's lock held."""
        if self._db is None:
            return 0
        end = prefix + "\U0010ffff"
        try:
            rows = self._db.execute(f"SELECT key, {_VALID}, etag, stored_size, size, mtime, sha256, md5 FROM"
                                    " objects WHERE endpoint=? AND bucket=? AND key >= ? AND key < ? LIMIT ?",
                                    (self.endpoint, bucket, prefix, end, limit + 1)).fetchall()
        except sqlite3.Error as exc:
            self._off(exc)
            return 0
        if len(rows) > limit:
            return 0
        loaded = self._loaded
        for key, valid, etag, stored, size, mtime, sha, md5 in rows:
            known = Known(etag, stored, size, mtime, sha, md5 == 1) if valid == 1 else \
                self._row((etag, stored, size, mtime, sha, md5))
            if known is not None:  # a bad entry is not preloaded: get() then says "not known"
                loaded[(bucket, key)] = known
        self._scopes.append((bucket, prefix))
        return len(rows)

    def _preload_fetched(self, folder: str, bucket: str, prefix: str, limit: int) -> None:
        """The Fetched entries of `folder` under `prefix` in one query, the store's lock held (as _preload)."""
        if self._db is None:
            return
        try:
            rows = self._db.execute(f"SELECT key, {_FETCHED_VALID}, etag, stored_size, size, mtime_ns, version_id,"
                                    " last_modified FROM fetched WHERE endpoint=? AND folder=? AND bucket=? AND"
                                    " key >= ? AND key < ? LIMIT ?",
                                    (self.endpoint, _named(folder), bucket, prefix, prefix + "\U0010ffff",
                                     limit + 1)).fetchall()
        except sqlite3.Error as exc:
            self._off(exc)
            return
        if len(rows) > limit:
            return
        for key, valid, *values in rows:
            if valid == 1:  # an entry not as put_fetched writes it is not used (the pair is decided as without it)
                self._fetched[(folder, bucket, key)] = Fetched(*values)
        self._fetched_scopes.append((folder, bucket, prefix))

    def fetched(self, folder: str, bucket: str, key: str) -> Fetched | None:
        """What a download left in `folder` for this object (put_fetched), None when nothing is known."""
        if self._db is None:
            return None
        where = (folder, bucket, key)
        with self._lock:
            known = self._fetched_pending.get(where) or self._fetched.get(where)
            if known is not None or any(where[:2] == scope[:2] and key.startswith(scope[2])
                                        for scope in self._fetched_scopes):
                return known
            try:
                row = self._db.execute(f"SELECT {_FETCHED_VALID}, etag, stored_size, size, mtime_ns, version_id,"
                                       " last_modified FROM fetched WHERE endpoint=? AND folder=? AND bucket=? AND"
                                       " key=?", (self.endpoint, _named(folder), bucket, key)).fetchone()
            except sqlite3.Error as exc:
                self._off(exc)
                return None
        return Fetched(*row[1:]) if row is not None and row[0] == 1 else None

    def put_fetched(self, folder: str, bucket: str, key: str, fetched: Fetched) -> None:
        """Record what a download (or a check of the file's content) left in `folder` for this object."""
        if self._db is None or not fetched.etag or not _fits(fetched.stored_size, fetched.size, fetched.mtime_ns):
            return
        with self._lock:
            self._fetched_pending[(folder, bucket, key)] = fetched
            if len(self._fetched_pending) >= 256:
                self._flush()

    def put(self, bucket: str, key: str, known: Known) -> None:
        if self._db is None or not known.etag or not _fits(known.stored_size, known.size):
            return
        with self._lock:
            self._pending[(bucket, key)] = known
            if len(self._pending) >= 256:
                self._flush()

    def forget(self, bucket: str, keys: list[str]) -> None:
        if self._db is None:
            return
        with self._lock:
            for key in keys:
                self._pending.pop((bucket, key), None)
                self._loaded.pop((bucket, key), None)
            if self.read_only:
                return
            try:  # one transaction, not one per key (the connection commits each statement by itself)
                self._db.execute("BEGIN")
                self._db.executemany("DELETE FROM objects WHERE endpoint=? AND bucket=? AND key=?",
                                     [(self.endpoint, bucket, k) for k in keys])
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._off(exc)

    def forget_fetched(self, folder: str, bucket: str, keys: list[str]) -> None:
        """Drop what downloads left in `folder` for these objects (their files deleted): one transaction."""
        if self._db is None or not keys:
            return
        with self._lock:
            for key in keys:
                self._fetched_pending.pop((folder, bucket, key), None)
                self._fetched.pop((folder, bucket, key), None)
            if self.read_only:
                return
            try:
                self._db.execute("BEGIN")
                self._db.executemany("DELETE FROM fetched WHERE endpoint=? AND folder=? AND bucket=? AND key=?",
                                     [(self.endpoint, _named(folder), bucket, k) for k in keys])
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._off(exc)

    def _flush(self) -> None:
        if self._db is None or not (self._pending or self._fetched_pending):
            return
        if self.read_only:  # never written, nor kept: a run HEADs each object once (memory stays bounded)
            self._pending, self._fetched_pending = {}, {}
            return
        rows = [(self.endpoint, b, k, e.etag, e.stored_size, e.size, e.mtime, e.sha256, int(e.md5))
                for (b, k), e in self._pending.items()]
        fetched = [(self.endpoint, _named(f), b, k, e.etag, e.stored_size, e.version_id, e.last_modified, e.size,
                    e.mtime_ns) for (f, b, k), e in self._fetched_pending.items()]
        for where in self._fetched_pending:  # written out, not kept (memory stays bounded: a run asks once a key,
            self._fetched.pop(where, None)     # before its download): a preloaded entry it replaces is not shown again
        self._pending, self._fetched_pending = {}, {}
        try:
            self._db.execute("BEGIN")
            if rows:
                self._db.executemany(_PUT_OBJECTS, rows)
            if fetched:
                self._db.executemany(_PUT_FETCHED, fetched)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._off(exc)

    def close(self) -> None:
        with self._lock:
            self._flush()
            if self._db is not None:
                try:
                    self._db.close()
                except sqlite3.Error:
                    pass
                self._db = None


def _open(path: Path) -> tuple[sqlite3.Connection | None, str | None]:
    """The store's connection, or None and why it cannot be had (the sync then HEADs). A file that is not a
    SQLite database (SQLITE_NOTADB, SQLITE_CORRUPT), or not a regular file at all (a FIFO, a link: checked
    before SQLite opens it, core/statefile), is renamed aside once and the store started anew."""
    from its_store.core.statefile import NotRegularFile, check_state
    try:
        check_state(path)
    except NotRegularFile as exc:
        if not _set_aside(path, str(exc)):
            return None, f"{exc}, and it cannot be set aside"
    except OSError:
        pass  # SQLite says what it is below
    for attempt in (1, 2):
        db = None
        try:
            make_private_folder(path.parent)
            create_private_file(path)
            db = sqlite3.connect(str(path), timeout=10, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            db.execute(_FETCHED_SCHEMA)
            return db, None
        except (OSError, sqlite3.Error) as exc:
            if db is not None:
                db.close()
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if attempt == 2 or getattr(exc, "sqlite_errorname", "") not in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                return None, why
            if not _set_aside(path, f"not a database: {exc}"):
                return None, f"not a database ({why}), and it cannot be set aside"
    return None, "unusable"


def _open_read_only(path: Path) -> sqlite3.Connection | None:
    """A dry run's connection to the store: read only, None when there is no usable store (nothing is made,
    nothing set aside, no schema written: a missing table is a query's error, which turns the store off).

    The store is a WAL database: a plain read-only connection makes its -wal and -shm files where there are
    none (no writer running: the last one's close removed them), so the dry run would leave two files behind.
    Without a -wal file the main file holds the whole store, read as `immutable` (no lock, no file made); a
    writer that starts meanwhile writes to its own -wal, and only a checkpoint during the dry run could show
    it a torn page (a query's error: the store is off for the rest of that dry run, which then HEADs). With a
    -wal file (a writer running, or one killed) SQLite reads it as usual, through the files already there."""
    from its_store.core.statefile import NotRegularFile, check_state
    try:
        if not check_state(path):
            return None
        wal = path.with_name(path.name + "-wal")
        mode = "ro" if wal.exists() else "ro&immutable=1"
        return sqlite3.connect(f"{path.absolute().as_uri()}?mode={mode}", uri=True, timeout=10,
                               check_same_thread=False, isolation_level=None)
    except (NotRegularFile, OSError, sqlite3.Error):
        return None


def _set_aside(path: Path, why: str) -> bool:
    """Rename the store (and its -wal, -shm) to *.corrupt (*.corrupt.1... when an earlier one is kept:
    core/statefile.aside_name), with one warning; False when it cannot be."""
    from its_store.core.statefile import aside_name
    aside = aside_name(path, ".corrupt")
    try:
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):  # the old file's: never to be applied to the new one
            if os.path.lexists(f"{path}{suffix}"):
                os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    except OSError:
        return False
    log.warning("sync state %s was unusable (%s); set it aside as %s and started anew", path, why, aside.name)
    return True
