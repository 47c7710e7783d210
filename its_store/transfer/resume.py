"""A local journal of multipart uploads in flight, so that a failed upload can be resumed or cleaned.

One small JSON file per (endpoint, bucket, key) under MINIO_CACHE_DIR/uploads, written when the
multipart upload is created and removed when it completes or is aborted. If the server died before
an abort could reach it, the next upload of the same key finds the record and aborts the orphan
(or, with --resume and an unchanged source file, continues it from the parts already stored).

A record is input like any other: one that is not JSON, or whose upload id is not a short line of text,
is removed with one warning (the upload is then started anew); the server's part list is checked by the
s3 seam (part numbers 1..10000, sizes that are counts) and each part against the local bytes.

An upload whose CompleteMultipartUpload may have been sent is never aborted: on SeaweedFS an abort that
lands while the completion runs deletes the parts' chunks the completed object is built from
(weed/s3api/filer_multipart.go: abortMultipartUpload removes the upload folder with its data). The
uploader claims the upload (completing()) before it sends Complete; its record is then marked, and an
abort (abandon(), or a later upload of the key) only forgets it. An abort claims the upload first (its
record marked `aborting`), so that a claimed abort makes completing() answer False. An abort that failed
keeps refusing the uploader it abandoned, until a later run resumes that upload (resumable(), as the next
process would: its record stays).

Two processes (or threads) sharing the journal folder decide under ONE lock (_deciding: core/files.take_lock
on `uploads/.lock`): the record is read again, judged and marked (`completing` with the run's token in
`completers`, or `aborting`) while it is held, and no request is sent under it. So an abort is never sent for
an upload another live process has claimed for its Complete, and a process never sends Complete for an
upload whose abort another one decided: whichever marked the record first wins, the other sees the mark.
Before it, each process judged a record it had read earlier: B read A's record just before A marked it
completing, and B's abort could land during A's Complete. An uploader's own abort after a failure
(abort()) is also held back while another run (one that resumed the same upload) claimed its Complete.

Whether the run that owns an upload is still alive is known from its OWNER LOCK: the run that sends an upload's
parts (it created it, or resumed it) holds core/files.take_lock on `<sha256 of the upload id>.owner` in the
journal folder for as long as it works on it (own() .. let_go(), which removes the file). Another run (another
journal: a process, or a second journal in one) that would abort or resume that upload first tries the lock
with no wait (under the decision lock, as every take and removal of an owner file is): held, the upload is
alive elsewhere and is LEFT ALONE: not aborted (its owner would stop with an error caused by another run), not
resumed (two runs would send the same parts); its record is forgotten, and this run makes (and records) its own
upload of the key. Both uploads then complete: the later Complete's object is the key's newest version, as with
any two writers of one key. A lock that can be taken names no live run (a flock dies with its process): the
file a crashed run left is stale; the upload is judged as before (aborted, or resumed by --resume), and the
file removed. An upload left alone loses its record, kept aside (transfer/resume_owners.leave): if its owner is
killed, the next run's sweep aborts it (noted unsettled if its Complete was claimed); alive, it aborts it itself.

An owner file no record names (its run died between own() and the record's save, or after another run forgot
its record) would never be judged again: the first time a journal takes the decision lock (a run's first
multipart upload), it sweeps the folder's owner files whose lock it can take at once and that no record names
(_sweep_owners). One held by a live run is kept; one whose record is there is judged as above when its key is
uploaded again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.jsontext import loads
from its_store.s3.crc import PartETag, crc32_of
from its_store.transfer.resume_owners import abort_orphans, drop_left, leave, left_record, owner_name
from its_store.transfer.resume_owners import remove_owner as _remove
from its_store.transfer.resume_owners import usable_id as _usable_id
from its_store.transfer.resume_unsettled import has_note, note_unsettled, still_listed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from its_store.transfer.parts import ObjectIO

log = logging.getLogger("its_store.transfer.resume")


class UploadJournal:
    def __init__(self, directory: Path, endpoint: str, former: str | None = None) -> None:
        self.directory = Path(directory)
        self.endpoint = endpoint
        self.former = former  # the endpoint's former spelling (Settings.former_server_id): its records are taken over
        self._unwritable_said = False  # one warning a journal (a run), not one per upload
        self._unlockable_said = False
        self.token = secrets.token_hex(8)  # this journal's (this run's) name in a record's `completers`
        self._claims: dict[tuple[str, str], tuple[str, str]] = {}  # (bucket, key) -> (upload id, what)
        self._owned: dict[str, Callable[[], None]] = {}  # upload id -> the release of its owner lock, held
        self._lock = threading.Lock()
        self._swept = False  # the stale owner files were swept (_sweep_owners): once a journal, a run
        self._orphans: list[tuple[str, str, str]] = []  # (bucket, key, upload id) the sweep found to abort

    def _path(self, bucket: str, key: str, endpoint: str | None = None) -> Path:
        digest = hashlib.sha256(f"{endpoint or self.endpoint}\0{bucket}\0{key}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def load(self, bucket: str, key: str) -> dict[str, object] | None:
        """The record of an upload in flight for this key, None when there is none (or it was unusable)."""
        from its_store.core.statefile import adopt, read_state
        path = self._path(bucket, key)
        if self.former is not None:  # a record written under the former spelling of this endpoint
            adopt(path, self._path(bucket, key, self.former))
        try:
            record = loads(read_state(path).decode("utf-8"))  # a FIFO is NotRegularFile, never a hang
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            self._unusable(path, str(getattr(exc, "strerror", None) or exc))
            return None
        if not isinstance(record, dict) or not _usable_id(record.get("upload_id")):
            self._unusable(path, "no upload id in it")
            return None
        if record.get("bucket") != bucket or record.get("key") != key:  # a copy of (or naming) another key's
            self._unusable(path, "it names another key")  # forgotten: its upload id is never sent for this key
            return None
        return record

    def _unusable(self, path: Path, why: str) -> None:
        """One warning; the record goes (when it can), the upload starts anew."""
        try:
            path.unlink()
            done = "removed it"
        except OSError as exc:
            done = f"cannot remove it: {exc.strerror}"
        log.warning("upload journal %s is unusable (%s); %s, the upload starts anew", path, why[:120], done)

    def save(self, bucket: str, key: str, record: Mapping[str, object]) -> bool:
        """Write atomically; False when it could not be. A journal that cannot be written (a full disk, a folder
        that takes no write) only costs the ability to resume or clean up this upload after an interruption,
        and is said once."""
        from its_store.core.files import write_atomic
        from its_store.core.private_dirs import make_private_folder
        try:
            make_private_folder(self.directory)
            write_atomic(self._path(bucket, key),
                         json.dumps({**record, "endpoint": self.endpoint, "bucket": bucket, "key": key}), 0o600)
        except (OSError, E.ItsStoreError) as exc:
            if not self._unwritable_said:
                self._unwritable_said = True
                reason = exc.message if isinstance(exc, E.ItsStoreError) else (exc.strerror or str(exc))
                log.warning("cannot write the upload journal in %s (%s): an interrupted multipart upload cannot be "
                            "resumed, nor its stored parts aborted by the next run", self.directory, reason)
            return False
        return True

    @contextmanager
    def _deciding(self) -> Iterator[bool]:
        """THE decision lock of this journal: core/files.take_lock on `.lock` in its folder, shared by every
        process (and thread) using it, held while one record is read, judged and marked (no request is sent
        under it). Yields False when the lock cannot be taken (a folder that takes no file): the callers then
        send no abort of an upload a record names (said once), as another process could not see it coming;
        abort() still sends its own upload's when no record names it (no other process is told of it)."""
        from its_store.core.files import take_lock
        try:
            release = take_lock(self.directory / ".lock")
        except (OSError, E.ItsStoreError) as exc:
            if not self._unlockable_said:
                self._unlockable_said = True
                reason = exc.message if isinstance(exc, E.ItsStoreError) else (exc.strerror or str(exc))
                log.warning("cannot lock the upload journal in %s (%s): no multipart upload it names is aborted",
                            self.directory, reason)
            yield False
            return
        try:
            if not self._swept:
                self._swept = True
                self._sweep_owners()
            yield True
        finally:
            release()

    def _sweep_owners(self) -> None:
        """Under the decision lock (every take and removal of an owner file is under it): remove the owner files
        of runs that died with no record naming their upload (module docstring; transfer/resume_owners.py)."""
        from its_store.transfer.resume_owners import orphans, sweep
        with self._lock:
            ours = {owner_name(upload_id) for upload_id in self._owned}
        sweep(self.directory, ours)
        dead, claimed = orphans(self.directory, self.endpoint, ours)  # left alone, their run dead since
        for bucket, key, upload_id in claimed:  # a Complete may have been sent: never aborted, in bucket info
            note_unsettled(self.directory, self.endpoint, bucket, key, upload_id)
        self._orphans.extend(dead)

    def completing(self, bucket: str, key: str, upload_id: str) -> bool:
        """Claim `upload_id` for its CompleteMultipartUpload, just before it is sent: False when an abort
        claimed it first, in this process or another (then Complete must not be sent: the upload is, or is
        being, aborted). Marks the record under the decision lock (`completing`, and this journal's token in
        `completers`), so that no abort is decided for it afterwards, here or in another process."""
        with self._deciding():
            with self._lock:
                if self._claims.get((bucket, key)) in ((upload_id, "aborting"), (upload_id, "abort failed")):
                    return False
            record = self.load(bucket, key)
            if record is not None and record.get("upload_id") == upload_id:
                if record.get("aborting"):  # another process sent (or tried) its abort
                    return False
                completers = [*_tokens(record.get("completers")), self.token]
                self.save(bucket, key, {**record, "completing": True, "completers": completers})
            elif (left := left_record(self.directory, upload_id)) is not None:  # left alone by another run:
                leave(self.directory, {**left, "completing": True})  # never aborted as an orphan from now on
            with self._lock:
                self._claims[(bucket, key)] = (upload_id, "completing")
        return True

    def abandon(self, s3: ObjectIO, bucket: str, key: str) -> None:
        """Abort the upload recorded for this key and forget its record, unless its Complete may have been
        sent, here or in another process (then only forget it: the object is whole, or the upload is an orphan
        the bucket's lifecycle rule removes). An abort that fails raises; the record then stays, marked, for
        the next upload of the key (one that resumes it clears the mark; any other aborts it again)."""
        with self._deciding() as locked:
            record = self.load(bucket, key)
            if record is None or not locked:
                return
            upload_id = str(record["upload_id"])  # load() checked it is a str
            if self._alive_elsewhere(upload_id):
                log.info("upload %s of %s/%s is being sent by another run: left alone", upload_id[:40], bucket, key)
                leave(self.directory, record)  # its record kept aside: an owner killed later leaves no orphan
                self._forget(bucket, key)
                return
            with self._lock:
                ours = self._claims.get((bucket, key)) == (upload_id, "completing")  # this run's: its record stays
            if ours or record.get("completing"):
                log.info("upload %s of %s/%s may be completing: not aborted", upload_id[:40], bucket, key)
                if not ours:  # an earlier run's, or another process's: whole on the server, or an orphan
                    self._forget(bucket, key)
                    note_unsettled(self.directory, self.endpoint, bucket, key, upload_id)
                return
            if not self._mark_aborting(bucket, key, record):
                return
        self._abort(s3, bucket, key, upload_id, raising=True)

    def abort(self, s3: ObjectIO, bucket: str, key: str, upload_id: str) -> bool:
        """An uploader's abort of its own upload after a failure: sent unless another process (one that
        resumed the same upload) is completing it. True when the server confirmed (or no longer knows the
        upload); never raises (the error that made the upload fail is the one to show)."""
        with self._deciding() as locked:
            record = self.load(bucket, key)
            if record is not None and record.get("upload_id") == upload_id:  # others may have resumed it
                completers = _tokens(record.get("completers"))
                if not locked or any(t != self.token for t in completers) or (
                        record.get("completing") is True and not completers):  # an older version's mark
                    log.info("upload %s of %s/%s may be completing in another run: not aborted", upload_id[:40],
                             bucket, key)
                    return False
                if not self._mark_aborting(bucket, key, record):
                    return False
        return self._abort(s3, bucket, key, upload_id, raising=False)

    def _mark_aborting(self, bucket: str, key: str, record: Mapping[str, object]) -> bool:
        """Under the decision lock: mark the record `aborting` ("sent"), so that no process completes the upload
        from now on. False (nothing is aborted) when the mark cannot be written: another process would not see it."""
        upload_id = str(record["upload_id"])
        if not self.save(bucket, key, {**record, "aborting": "sent"}):
            return False
        with self._lock:
            self._claims[(bucket, key)] = (upload_id, "aborting")
        return True

    def _abort(self, s3: ObjectIO, bucket: str, key: str, upload_id: str, *, raising: bool) -> bool:
        """Send the abort (outside the lock), then drop the record, or mark it "failed" when the abort
        failed: the uploader it was abandoned by still stops; a resume of it may go on (resumable())."""
        try:
            s3.abort_multipart(bucket, key, upload_id)
        except E.NotFoundError:
            pass
        except BaseException:
            with self._deciding():
                with self._lock:
                    if self._claims.get((bucket, key)) == (upload_id, "aborting"):
                        self._claims[(bucket, key)] = (upload_id, "abort failed")
                record = self.load(bucket, key)
                if record is not None and record.get("upload_id") == upload_id:
                    self.save(bucket, key, {**record, "aborting": "failed"})
            if raising:
                raise
            return False
        self.remove(bucket, key, upload_id)
        return True

    def continues(self, bucket: str, key: str, upload_id: str) -> bool:
        """Whether the next run of the same source would continue `upload_id` from its stored parts: its record
        is there and no abort of it was sent (one that failed does not count: resumable() clears it). What a
        hint may promise after a failure that kept the parts."""
        with self._lock:
            if self._claims.get((bucket, key)) == (upload_id, "aborting"):
                return False
        record = self.load(bucket, key)
        return record is not None and record.get("upload_id") == upload_id and record.get("aborting") != "sent"

    def remove(self, bucket: str, key: str, upload_id: str | None = None) -> None:
        """Forget the record of this key; with `upload_id`, only if it is that upload's (under the decision
        lock: another process may have recorded its own upload of the key meanwhile)."""
        with self._lock:
            if upload_id is None or self._claims.get((bucket, key), ("",))[0] == upload_id:
                self._claims.pop((bucket, key), None)
        if upload_id is None:
            self._forget(bucket, key)
            return
        with self._deciding():
            drop_left(self.directory, upload_id)  # completed or aborted: no orphan to abort, if it was left alone
            record = self.load(bucket, key)
            if record is not None and record.get("upload_id") == upload_id:
                self._forget(bucket, key)

    def _forget(self, bucket: str, key: str) -> None:
        try:
            self._path(bucket, key).unlink()
        except OSError:
            pass

    def prepare(self, s3: ObjectIO, bucket: str, key: str, source: Mapping[str, object], resume: bool,
                read_part: Callable[[int], bytes] | None) -> tuple[str | None, dict[int, str]]:
        """Return (upload id to continue, {part number: etag} already stored and verified).

        Without `resume`, or when the source file changed, an old upload for this key is aborted (abandon():
        one that may be completing, or that another live run sends, is only forgotten). Stored parts are only
        reused when their MD5 matches the local bytes. An upload id returned is this run's: its owner lock is
        held, and the caller lets it go (let_go()) when its work on it ends; here when reading a part raises.
        """
        upload_id, stored = self.resumable(s3, bucket, key, source, keep=resume and read_part is not None)
        if upload_id is None or read_part is None:
            return None, {}
        done: dict[int, str] = {}
        try:
            for number, (etag, size) in stored.items():
                data = read_part(number)  # empty past the file's end: no part of ours is empty
                if data and len(data) == size and hashlib.md5(data, usedforsecurity=False).hexdigest() == etag:
                    done[number] = PartETag.of(etag, crc32_of(data))  # complete needs each part's CRC32
        except BaseException:  # the uploader never gets the upload: its owner lock is let go here
            self.let_go(upload_id)
            raise
        return upload_id, done

    def resumable(self, s3: ObjectIO, bucket: str, key: str, source: Mapping[str, object], *,
                  keep: bool = True) -> tuple[str | None, dict[int, tuple[str, int]]]:
        """(upload id, {part number: (etag, size)} the server holds) of the upload recorded for this key,
        when it was made for the same `source` (every field equal) and `keep`, its owner lock then held by
        this run (the caller's let_go() releases it); else (None, {}): the recorded upload aborted (abandon()),
        or, when another live run holds its owner lock, left alone and its record forgotten, or gone from the
        server (its record removed). The parts are NOT checked here: the caller compares each with its bytes
        (prepare() for a file; transfer/relay.py as it streams the source again)."""
        with self._deciding(), self._lock:  # the sweep (on a journal's first decision lock) found uploads left alone
            found, self._orphans = self._orphans, []
        abort_orphans(s3, self.directory, self.endpoint, found)  # by runs that died since: their parts are nobody's
        record = self.load(bucket, key)
        if record is None:
            return None, {}
        upload_id = str(record["upload_id"])  # load() checked it is a str
        same = all(record.get(k) == v for k, v in source.items())
        if not (keep and same):
            self.abandon(s3, bucket, key)  # one that may be completing is only forgotten
            return None, {}
        if not self._own(bucket, key, upload_id):  # alive in another run: left alone, its record forgotten
            return None, {}
        if record.get("aborting") and not self._resume_aborted(bucket, key, upload_id):
            try:
                self.abandon(s3, bucket, key)  # its abort may still be running: sent again, the upload starts anew
            finally:
                self.let_go(upload_id)
            return None, {}
        with self._lock:  # an abort of it that failed ended: this run continues the upload (its parts listed)
            if self._claims.get((bucket, key)) == (upload_id, "abort failed"):
                del self._claims[(bucket, key)]
        try:
            return upload_id, s3.list_parts(bucket, key, upload_id)
        except E.NotFoundError:  # completed or aborted meanwhile
            self.remove(bucket, key, upload_id)
            self.let_go(upload_id)
            return None, {}
        except BaseException:
            self.let_go(upload_id)
            raise

    def own(self, upload_id: str) -> None:
        """This run sends the parts of `upload_id` (it created it; resumable() owns the one it continues):
        its owner lock is taken, and held until let_go(). Without a lockable journal folder nothing is held
        (other runs then cannot tell it is alive, as before owner locks)."""
        self._own("", "", upload_id)

    def _own(self, bucket: str, key: str, upload_id: str) -> bool:
        """Take (or keep) the owner lock of `upload_id`, under the decision lock. False when another live run
        holds it: the upload is then left alone and the record of `key` that names it is forgotten."""
        from its_store.core.files import LockBusy, take_lock
        with self._deciding() as locked:
            with self._lock:
                if not locked or upload_id in self._owned:
                    return True
            try:
                release = take_lock(self._owner_path(upload_id), wait=False)
            except LockBusy:
                log.info("upload %s of %s/%s is being sent by another run: left alone", upload_id[:40], bucket, key)
                record = self.load(bucket, key) if key else None
                if record is not None and record.get("upload_id") == upload_id:
                    leave(self.directory, record)  # kept aside (resume_owners.py): its owner may be killed later
                    self._forget(bucket, key)
                return False
            except (OSError, E.ItsStoreError):  # the decision lock was taken in that folder: hardly ever
                return True
            with self._lock:
                self._owned[upload_id] = release
        return True

    def let_go(self, upload_id: str) -> None:
        """This run's work on `upload_id` ended (completed, aborted, failed, or kept for --resume): its owner
        lock is released and its file removed (under the decision lock: no run opens it meanwhile)."""
        with self._lock:
            if upload_id not in self._owned:
                return
        with self._deciding():  # popped under it too: a thread of this run judging it meanwhile still sees it ours
            with self._lock:
                release = self._owned.pop(upload_id, None)
            if release is not None:
                _remove(self._owner_path(upload_id))
                release()

    def _alive_elsewhere(self, upload_id: str) -> bool:
        """Under the decision lock: whether another live run holds `upload_id`'s owner lock. A lock that can be
        taken names no live run: its file (left by a run that died) is removed."""
        from its_store.core.files import LockBusy, take_lock
        with self._lock:
            if upload_id in self._owned:
                return False
        path = self._owner_path(upload_id)
        try:
            release = take_lock(path, wait=False)
        except LockBusy:
            return True
        except (OSError, E.ItsStoreError):
            return False
        _remove(path)
        release()
        return False

    def _owner_path(self, upload_id: str) -> Path:
        return self.directory / owner_name(upload_id)

    def _resume_aborted(self, bucket: str, key: str, upload_id: str) -> bool:
        """An upload whose abort failed (it ended without the server's confirmation) is continued by a resume,
        as the next process would: the mark is cleared under the decision lock. False while an abort of it is
        still "sent" (running in another process, or one that died): not to be continued."""
        with self._deciding() as locked:
            record = self.load(bucket, key)
            if not locked or record is None or (record.get("upload_id"), record.get("aborting")) != (
                    upload_id, "failed"):
                return False
            self.save(bucket, key, {k: v for k, v in record.items() if k != "aborting"})
        return True

    def unsettled(self, bucket: str, listed: set[str]) -> list[tuple[str, str]]:
        """(key, upload id) of this endpoint's uploads in `bucket` whose Complete's outcome was never known
        and that no run resumed (transfer/resume_unsettled.py), among `listed` (the upload ids the server lists
        for the bucket now); the noted ones of this bucket it no longer lists (completed, or aborted by a
        lifecycle rule or by hand) are dropped from the note. Without a note, nothing is locked or made
        (`bucket info`)."""
        if not has_note(self.directory):
            return []
        with self._deciding():
            return still_listed(self.directory, self.endpoint, bucket, listed)


def _tokens(value: object) -> list[str]:
    """The `completers` of a record: tokens of the runs that claimed its Complete (input: strings only)."""
    return [t for t in value if isinstance(t, str)][:64] if isinstance(value, list) else []


refused = E.completion_refused  # the one rule (core/errors), by its name here
