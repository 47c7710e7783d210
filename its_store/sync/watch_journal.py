"""The watcher's journal: the files it still owes the bucket, kept on disk so that nothing is lost.

A file enters the journal when the watcher first hears of it (before it is complete) and leaves it
once its upload succeeded (or it vanished). The journal is an append-only log of `+"path"` / `-"path"`
lines (paths JSON-encoded: names may hold newlines or undecodable bytes), so that a camera dropping 20
frames a second costs two short appends per frame instead of rewriting a growing file. A watcher killed
with SIGKILL leaves at worst a torn last line, which is ignored on load. On open, and whenever the log
grows well past what it describes, it is compacted with core/files.write_atomic (durable): the file is
always either the old or the new log, never half of one.

Lines are written to the kernel at once (no fsync per line): a SIGKILL loses nothing; a power cut may
lose the last lines, and then the watcher's first sync pass on restart finds those files anyway.

One watcher per folder and destination: an exclusive, non-blocking flock on `lock` (a second watcher
fails at once with ConflictError instead of hanging, which the blocking core/files.file_lock would do).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from its_store.core import errors as E

COMPACT_MIN_LINES = 2000  # compact when the log has this many lines more than twice what is owed


def journal_dir(state_dir: Path, endpoint: str, root: Path, bucket: str, prefix: str) -> Path:
    """The journal folder of one (endpoint, folder, bucket, prefix): a stable short hash of the four."""
    ident = "\0".join((endpoint, str(root.resolve()), bucket, prefix))
    digest = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(state_dir) / "watch" / digest


class Journal:
    """The set of relative paths still owed, mirrored in `<folder>/journal.log`. Not thread-safe:
    the watcher's one scheduling thread owns it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "journal.log"
        self.owed: dict[str, None] = {}  # insertion-ordered set: oldest first
        self._lines = 0
        self._fd = -1
        self._lock_fd = -1

    # ------------------------------------------------------------------------------ open / close
    def open(self) -> list[str]:
        """Lock the journal, load and compact it; returns the paths owed from an earlier run."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise E.LocalIOError(f"cannot create the watch journal folder {self.folder}: {exc.strerror}") from None
        self._lock()
        self.owed = dict.fromkeys(_replay(self.path))
        self.compact()
        return list(self.owed)

    def _lock(self) -> None:
        import fcntl
        fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise E.ConflictError("another watcher is already running for this folder and destination",
                                  hint=f"its journal is {self.path}") from None
        self._lock_fd = fd

    def close(self) -> None:
        """Compact (so the file says exactly what is owed) and release the lock. Safe to call twice."""
        if self._lock_fd < 0:
            return
        try:
            self.compact()
        finally:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            os.close(self._lock_fd)
            self._lock_fd = -1

    # ------------------------------------------------------------------------------ changes
    def add(self, rel: str) -> bool:
        """Record that `rel` is owed. False when it already was (nothing written)."""
        if rel in self.owed:
            return False
        self.owed[rel] = None
        self._append("+", rel)
        return True

    def done(self, rel: str) -> None:
        """Record that `rel` is no longer owed (uploaded, or gone)."""
        if self.owed.pop(rel, 0) is None:
            self._append("-", rel)
            if self._lines > COMPACT_MIN_LINES + 2 * len(self.owed):
                self.compact()

    def __len__(self) -> int:
        return len(self.owed)

    def __contains__(self, rel: object) -> bool:
        return rel in self.owed

    def _append(self, op: str, rel: str) -> None:
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        line = (op + json.dumps(rel) + "\n").encode("ascii")
        os.write(self._fd, line)  # one write of a short line with O_APPEND: whole or (torn) last
        self._lines += 1

    def compact(self) -> None:
        """Rewrite the log as one `+` line per owed path (atomic, durable)."""
        from its_store.core.files import write_atomic
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        text = "".join("+" + json.dumps(rel) + "\n" for rel in self.owed)
        try:
            write_atomic(self.path, text, 0o600, durable=True)
        except E.ItsStoreError as exc:
            raise E.LocalIOError(f"cannot write the watch journal: {exc.message}") from None
        self._lines = len(self.owed)


def _replay(path: Path) -> list[str]:
    """The owed paths a log describes; a torn or garbled line (a SIGKILL mid-write) is skipped."""
    owed: dict[str, None] = {}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise E.LocalIOError(f"cannot read the watch journal {path}: {exc.strerror}") from None
    for line in raw.split(b"\n"):
        if len(line) < 3 or line[:1] not in (b"+", b"-"):
            continue
        try:
            rel = json.loads(line[1:])
        except ValueError:
            continue
        if not isinstance(rel, str):
            continue
        if line[:1] == b"+":
            owed[rel] = None
        else:
            owed.pop(rel, None)
    return list(owed)
