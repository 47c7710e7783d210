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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from its_store.core import errors as E

T = TypeVar("T")


SETTLE_PAUSES = (0.2, 0.4, 0.8)  # seconds before each further read: 3 more reads over ~1.4 s at most


def settled(read: Callable[[], T], kept: Callable[[T], bool], pauses: tuple[float, ...] = SETTLE_PAUSES) -> T:
    """`read()` until `kept` holds of what it returned, at most len(pauses) more times after the first read,
    pausing between reads (core/retry.pause_before_retry: an interrupt unwinding ends the wait at once).
    Returns the last read: the caller decides "not kept" on it."""
    from its_store.core.retry import pause_before_retry
    found = read()
    for pause in pauses:
        if kept(found) or not pause_before_retry(pause):
            break
        found = read()
    return found


def read_back(bucket: str, setting: str, read: Callable[[], T], kept: Callable[[T], bool],
              shown: Callable[[T], str]) -> T:
    """`read()` after the write of `setting` on `bucket`, read again while it still shows the old state
    (settled): what it returns, when `kept` says it holds what was written; else SettingNotKeptError naming
    the setting and what the server answered (`shown`)."""
    found = settled(read, kept)
    if not kept(found):
        raise E.SettingNotKeptError(
            f"the server answered OK to {setting} on s3://{bucket} but did not keep it (read back: {shown(found)})",
            hint="this server does not keep that setting: the bucket is not protected as asked")
    return found
