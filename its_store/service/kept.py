"""A bucket setting read back after its write: "verify on the server what you promised" (DESIGN.md), as
service/lockcheck.py does for the lock of each object.

Why: a server may answer a bucket setting's PUT with 200 and keep nothing (an S3 front that accepts every
sub-resource, a gateway that drops what it does not implement). `bucket versioning on`, `bucket retention
set`, `bucket lifecycle set` and `bucket encryption set` protect data the same way a lock does, so each
reads the setting back after the write and fails (SettingNotKeptError, exit 78) when it is not what was
written: a script that checks the exit code must not believe the bucket protected. A server that refuses a
setting outright (501 NotImplemented...) keeps its own clear error: that comes from the write, before this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from its_store.core import errors as E

T = TypeVar("T")


def read_back(bucket: str, setting: str, read: Callable[[], T], kept: Callable[[T], bool],
              shown: Callable[[T], str]) -> T:
    """`read()` after the write of `setting` on `bucket`: what it returns, when `kept` says it holds what
    was written; else SettingNotKeptError naming the setting and what the server answered (`shown`)."""
    found = read()
    if not kept(found):
        raise E.SettingNotKeptError(
            f"the server answered OK to {setting} on s3://{bucket} but did not keep it (read back: {shown(found)})",
            hint="this server does not keep that setting: the bucket is not protected as asked")
    return found
