"""A local path a library caller hands in, checked before anything opens it.

The CLI's arguments come from argv, which cannot hold a NUL and is bytes the OS gave; a script's strings
can hold anything. A NUL (`ValueError: embedded null byte`), a lone surrogate that is no escape of a
byte (`UnicodeEncodeError`) or a name the OS refuses as too long (`OSError`, errno ENAMETOOLONG) surfaced
from deep inside an upload, download, sync or pull as Python's own exceptions, none of them an
ItsStoreError. The first two are bad input (InvalidInputError, exit 2); the third is what the OS would
have said (LocalIOError "file name too long", exit 1, as the CLI already says it), decided from the
string alone, as the kernel decides it: a component over NAME_MAX bytes or the whole over PATH_MAX.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TypeVar

from its_store.core import errors as E

NAME_MAX = 255   # bytes in one component (ext4, xfs, btrfs, tmpfs)
PATH_MAX = 4096  # bytes in a path with its NUL (linux/limits.h)

P = TypeVar("P", bound=Path | str)


def checked(path: P, action: str = "cannot use") -> P:
    """`path` itself when an OS call can be given it; InvalidInputError or LocalIOError saying why not.
    An empty str is no path: Path("") is the current folder, so `upload -r "$FRAMES"` with FRAMES unset
    uploaded the folder the command ran in (a home folder, its keys) as sync already refuses it."""
    if isinstance(path, str) and not path:
        raise E.InvalidInputError("an empty path names no file or folder", hint="give '.' for the current folder")
    try:
        raw = os.fsencode(path)
    except (TypeError, UnicodeError):
        raise E.InvalidInputError(f"{path!r} is not a local path", hint="a str or pathlib.Path that names a file") \
            from None
    if b"\0" in raw:
        raise E.InvalidInputError(f"{path!r}: a local path cannot hold a NUL character")
    if len(raw) > NAME_MAX and (len(raw) >= PATH_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/"))):
        from its_store.core.files import io_error
        raise io_error(action, path, OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))) from None
    return path
