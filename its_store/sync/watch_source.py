"""What the watcher reads and removes: the file it opened, never what a name happens to point to.

A path is only a name, and names change: between the moment the watcher hears of `frame_0001.jpg` and
the moment it reads it, anyone who may write to the camera folder can put a symbolic link there, to a
file that user cannot read but the watcher (a service user) can, such as the S3 secret. So the watcher
checks the file it holds, not the name:
- `open_source` opens the path without following links (unless --follow-symlinks), as every file of
  a walked folder is opened (core/localtree.LocalTree.open_file): from the watched folder down, each
  folder with O_NOFOLLOW|O_DIRECTORY relative to the one before, the file itself with O_NOFOLLOW;
  then fstat-s the descriptor and refuses what is not a regular file. O_NONBLOCK: a FIFO must not
  block the open (it is refused by the fstat).
- `upload_source` reads the content from that descriptor only (never by its name again), so a link
  swapped in after the check changes nothing that is sent.
- `remove_source_file` (--remove-source) unlinks the name in the folder descriptor that was opened,
  only while that name still holds the file that was read (same device and inode, same size, mtime
  and ctime): core/localtree.OpenFile.remove_if, as `mv -r` removes a moved file.
- `send` is one upload of the watcher (an upload thread): open, read, send, verify, remove, and what
  came of it as an `Outcome` for the scheduling thread.

A file is skipped (and reported) with `Skipped` when it is a link that is not followed, when a folder
in its path is one, or when it is not a regular file.

The watcher keeps no folder descriptor between files (LocalTree keep=0): it runs for months while
camera folders are rotated, so each open starts again from the watched folder.

A file of MINIO_MULTIPART_THRESHOLD or more is sent as a stream from the descriptor, which the
transfer layer copies to a temp file first (upload_stream: the SHA-256 must be known before the
multipart upload); a transfer.upload_file that takes an open descriptor would avoid that copy.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.files import NotRegularError
from its_store.core.localtree import LinkInPathError, LocalTree, OpenFile
from its_store.sync.watch_files import NOT_FOLLOWED, Digest, Sig, fd_digest, sig_of, verify_upload

if TYPE_CHECKING:
    from concurrent.futures import Future


class Skipped(Exception):
    """A file that is not sent (a link not followed, not a regular file); the message says why."""


class Source(OpenFile):
    """One local file, open (core/localtree.OpenFile): `fd` for reading, `sig` its signature when
    opened, `folder_fd` the folder holding it (opened without following links) and `name` its name
    there (for the removal)."""

    @property
    def sig(self) -> Sig:
        return sig_of(self.stat)

    def current(self) -> Sig:
        """The signature of the open file now (fstat)."""
        return sig_of(os.fstat(self.fd))

    def __enter__(self) -> Source:
        return self


def open_source(root: Path, rel: str, follow_symlinks: bool = False) -> Source:
    """Open root/rel for reading as the file it is now (LocalTree.open_file, keeping nothing). Raises
    Skipped (a link not followed, in place of the file or of a folder on its way; not a regular
    file), LocalFileNotFoundError (gone) or LocalIOError."""
    tree = LocalTree(root, follow_symlinks=follow_symlinks, keep=0)
    try:
        opened = tree.open_file(rel)
    except NotRegularError as exc:
        raise Skipped(NOT_FOLLOWED if exc.kind == "a symbolic link" else
                      exc.kind if "pseudo filesystem" in exc.kind else "not a regular file") from None
    except LinkInPathError as exc:
        raise Skipped(f"a folder in its path is a {NOT_FOLLOWED}: {exc.relative}") from None
    except E.InvalidInputError:  # not a path inside the folder ('', '.', '..')
        raise E.LocalFileNotFoundError(f"not a path inside the folder: {rel!r}") from None
    return Source(opened.shown, opened.fd, opened.stat, opened.folder_fd, opened.name, follow_symlinks)


def mtime_meta(mtime_ns: int) -> str:
    """rclone's `mtime` metadata: seconds since the epoch with 9 decimals ("1700000000.123456789")."""
    from its_store.sync.mtime import format_mtime
    return format_mtime(mtime_ns)


def upload_source(service: Any, src: Source, bucket: str, key: str, options: Any = None, *, state: Any = None,
                  md5: bool = False) -> tuple[Any, Digest]:
    """Upload the open file as sync uploads a file (the request of sync.engine.sync_request, as
    upload_one's; the sync state entry), reading from its descriptor only.
    Returns the UploadResponse and the Digest of what was read (md5 only when asked: --remove-source).
    A file written to while it was read raises FileChangedError (the watcher sends it again once it is
    complete); one whose fstat says 0 bytes but reads more (/proc) is refused as every upload refuses it
    (core/files.refuse_unsized), not stored empty."""
    from its_store.sync.engine import sync_request
    from its_store.sync.state import Known
    size, mtime = src.sig[0], mtime_meta(src.sig[1])
    if size == 0:
        from its_store.core.files import refuse_unsized
        refuse_unsized(src.fd, src.path)
    if size < max(service.settings.multipart_threshold, 1):  # as transfer.upload_file: one PUT from memory
        data = _read_all(src, size)
        digest = Digest(size, hashlib.sha256(data).hexdigest(),
                        hashlib.md5(data, usedforsecurity=False).hexdigest() if md5 else "")
        resp = service.upload_object(sync_request(bucket, key, options, mtime, data=data))
    else:
        digest = fd_digest(src.fd, src.path, md5)
        with os.fdopen(os.dup(src.fd), "rb") as stream:
            stream.seek(0)
            resp = service.upload_object(sync_request(bucket, key, options, mtime, stream=stream))
    if src.current() != src.sig or digest.size != size or resp.total_size != size:
        raise E.FileChangedError(f"{src.path} changed while it was uploaded")
    if state is not None:
        plain = resp.codec == "none" and not resp.encryption and not resp.multipart
        state.put(bucket, key, Known(resp.etag, resp.stored_size or resp.total_size, resp.total_size, mtime,
                                     digest.sha256, plain and len(resp.etag) == 32))
    return resp, digest


def _read_all(src: Source, size: int) -> bytes:
    """The first `size` bytes of the open file; a file that shrank meanwhile is FileChangedError."""
    parts, offset = [], 0
    try:
        while offset < size:
            chunk = os.pread(src.fd, size - offset, offset)
            if not chunk:
                raise E.FileChangedError(f"{src.path} shrank while it was read")
            parts.append(chunk)
            offset += len(chunk)
    except OSError as exc:
        from its_store.core.files import io_error
        raise io_error("cannot read", src.path, exc) from None
    return b"".join(parts)


def remove_source_file(src: Source, read_sig: Sig) -> bool:
    """Delete the file's name only if it still names the file that was read, unchanged (same size,
    mtime, inode and ctime); False when it does not (kept)."""
    removed = src.remove_if(lambda now: sig_of(now) == read_sig and src.current() == read_sig)
    return bool(removed)


# ------------------------------------------------------------------------------------ one upload
@dataclass
class Outcome:
    """What came of one upload, for the watcher's scheduling thread."""

    rel: str
    kind: str                 # uploaded | changed | vanished | unreachable | failed | skipped
    size: int = 0
    seconds: float = 0.0
    reason: str = ""
    code: str = ""
    removed: bool = False
    sig: Sig | None = None    # what was sent, when the server holds it
    settled: str = ""         # complete by the settle rule only: why there was no read lease
    unverified: bool = False  # uploaded, kept: the key may not read it back to verify it (said once)


def send(w: Any, rel: str, settled: str = "") -> Outcome:
    """Upload root/rel for the watcher `w` (a watch.Watcher, not imported: no cycle), read from the
    descriptor that was checked; with --remove-source verify and remove it. `settled`: why the kernel
    could not say the file was closed (then it is not removed without --remove-after-settle). Never
    raises."""
    try:
        with open_source(w.root, rel, w.follow_symlinks) as src:
            return _send_open(w, rel, src, settled)
    except Skipped as exc:
        return Outcome(rel, "skipped", reason=str(exc))
    except E.FileChangedError:
        return Outcome(rel, "changed")
    except E.ServiceUnavailableError as exc:
        return Outcome(rel, "unreachable", reason=exc.message, code=exc.code, settled=settled)
    except E.LocalFileNotFoundError:
        return Outcome(rel, "vanished")
    except E.ItsStoreError as exc:
        return Outcome(rel, "failed", reason=exc.message, code=exc.code)


def _send_open(w: Any, rel: str, src: Source, settled: str) -> Outcome:
    import time
    key = w.prefix + rel
    started = time.perf_counter()
    response, digest = upload_source(w.service, src, w.bucket, key, w.options, state=w.state, md5=w.remove_source)
    out = Outcome(rel, "uploaded", src.sig[0], time.perf_counter() - started, sig=src.sig)
    if not w.remove_source:
        return out
    if settled and not w.remove_after_settle:
        out.reason = f"no read lease ({settled}): not removed on the settle rule alone (--remove-after-settle)"
        return out
    try:
        out.reason = verify_upload(w.service, w.bucket, key, response, digest, *_upload_key(w.options)) or ""
    except E.AccessDeniedError:  # a write-only key: the upload is done, only its check could not be made
        from its_store.service.kept import denied_read_back
        denied_read_back(w, "uploaded, and kept in the folder (--remove-source removes only what it verified)",
                         "the upload", f"s3://{w.bucket}/{key}", "s3:GetObject")
        out.reason, out.unverified = "not verified: the key may not read it back (s3:GetObject)", True
        return out
    if out.reason:
        out.sig = None  # the server may not hold what was read: heard again, it is sent again
        return out
    if w.feed.closed.is_set():  # abandoned at stop (watch.STOP_GRACE): still owed in the journal, kept
        out.reason = "the watcher stopped before this upload ended"
        return out
    out.removed = remove_source_file(src, src.sig)
    if not out.removed:
        out.reason = "modified after it was read"
    return out


def result(future: Future[Outcome], rel: str) -> Outcome:
    """The Outcome of a finished upload thread; an unexpected exception becomes a failed one."""
    exc = future.exception()
    if exc is None:
        return future.result()
    return Outcome(rel, "failed", reason=f"internal error: {exc!r}", code="error")


def abort_uploads(service: Any, bucket: str, keys: list[str], wait: float) -> None:
    """Abort the multipart uploads recorded (transfer/resume.UploadJournal) for `keys`: the uploads a stop
    abandoned (watch.STOP_GRACE), whose stored parts would stay on the server, unseen and billed. Best
    effort in `wait` seconds at most (the server that stalled them may stall these requests too: they
    run in a daemon thread that is then left behind); a record it could not abort stays in the journal,
    so the next upload of that key aborts it (the file is still owed, so the next start sends it). An
    upload whose thread had not yet created its multipart upload is not known here: it is recorded when
    created, and cleaned the same way. One whose CompleteMultipartUpload may have been sent is not
    aborted (UploadJournal.abandon: on SeaweedFS that abort could delete the completed object's data)."""
    import threading

    def abort_all() -> None:
        journal = service.journal()
        for key in keys:
            try:  # no record: a single PUT, or a multipart upload not created yet
                journal.abandon(service.s3, bucket, key)  # aborts (not one completing), forgets the record
            except Exception:  # noqa: BLE001 - best effort: the record stays for the next upload
                continue

    thread = threading.Thread(target=abort_all, name="its-watch-abort", daemon=True)
    thread.start()
    thread.join(wait)


def _upload_key(options: Any) -> tuple[Path | None, bytes | None]:
    """The SSE-C key the uploads were given, if any: its file (`sse_c_key_file`) and its bytes (`sse_c_key`, an
    UploadRequest field in `extra`); the check of an upload before its file goes HEADs with it."""
    extra = getattr(options, "extra", None) or {}
    return getattr(options, "sse_c_key_file", None), extra.get("sse_c_key")
