"""A bucket setting read back after its write: "verify on the server what you promised" (DESIGN.md), as
service/lockcheck.py does for the lock of each object.

Why: a server may answer a bucket setting's PUT with 200 and keep nothing (an S3 front that accepts every
sub-resource, a gateway that drops what it does not implement). `bucket versioning on`, `bucket retention
set`, `bucket lifecycle set` and `bucket encryption set` protect data the same way a lock does, so each
reads the setting back after the write and fails (SettingNotKeptError, exit 78) when it is not what was
written: a script that checks the exit code must not believe the bucket protected. A server that refuses a
setting outright (501 NotImplemented...) keeps its own clear error: that comes from the write, before this.

"Not kept" is never decided on the first read: AWS documents that a bucket setting (versioning, lifecycle,
encryption) may read back its old state for a while after it is set (eventual consistency), and a lock too
may lag behind on a distributed server. `settled` reads again a few times with a short bounded back-off
(SETTLE_PAUSES) before the caller fails as designed.

A read-back the key may not make (a least-privilege key: an edge box that may PUT but not GET) is another
thing: the write was done, only its check could not be made. denied_read_back is the one rule for that
(settings here, the encryption of uploads and server-side copies in service/ssecheck): one warning line per
command and kind of check, naming what could not be checked and the permission it needs; the work is
reported done (exit 0) and its result says `unchecked`. A read-back that reads and finds the setting missing
still fails as above.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import TypeVar

from its_store.core import errors as E

T = TypeVar("T")
log = logging.getLogger("its_store.service.kept")
_TOLD: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()  # owner -> checks said


def denied_read_back(owner: object | None, done: str, what: str, where: str, needs: str) -> None:
    """Say that `what` (of the work `done`, at `where`) could not be checked because the key may not read it
    back (`needs`: the permission), once per `owner` (the command's S3 client: one line per command, not
    per object; None: every time). The caller reports the work done and marks it `unchecked`."""
    if owner is not None:
        told = _TOLD.setdefault(owner, set())
        if what in told:
            return
        told.add(what)
    log.warning("%s: %s; %s could not be checked: the key may not read it back (%s)%s", where, done, what, needs,
                "" if owner is None else "; said once for this command")


SETTLE_PAUSES = (0.2, 0.4, 0.8)  # seconds before each further read: 3 more reads over ~1.4 s at most


def settled(read: Callable[[], T], kept: Callable[[T], bool], pauses: tuple[float, ...] = SETTLE_PAUSES) -> T:
    """`read()` until `kept` holds of what it returned, at most len(pauses) more times after the first read,
    pausing between reads (core/retry.pause_before_retry: an interrupt unwinding ends the wait at once).
    Returns the last read: the caller decides "not kept" on it. An interrupt during a pause raises
    InterruptedError_ (exit 130): the unsettled read is no verdict (the lock may well have been kept)."""
    from its_store.core.retry import pause_before_retry
    found = read()
    for pause in pauses:
        if kept(found):
            break
        if not pause_before_retry(pause):
            raise E.InterruptedError_("interrupted while waiting for the server to show what it was asked to keep")
        found = read()
    return found


def read_back(bucket: str, setting: str, read: Callable[[], T], kept: Callable[[T], bool],
              shown: Callable[[T], str], *, needs: str = "the right to read the setting",
              unread: T | None = None) -> T:
    """`read()` after the write of `setting` on `bucket`, read again while it still shows the old state
    (settled): what it returns, when `kept` says it holds what was written; else SettingNotKeptError naming
    the setting and what the server answered (`shown`). A read the key may not make (`needs`: its
    permission): said (denied_read_back) and `unread` returned, when the caller has one (its result then
    says `unchecked`); else the denial stands."""
    try:
        found = settled(read, kept)
    except E.AccessDeniedError:
        if unread is None:
            raise
        denied_read_back(None, f"{setting} done", "it", f"s3://{bucket}", needs)
        return unread
    if not kept(found):
        raise E.SettingNotKeptError(
            f"the server answered OK to {setting} on s3://{bucket} but did not keep it (read back: {shown(found)})",
            hint="this server does not keep that setting: the bucket is not protected as asked")
    return found
