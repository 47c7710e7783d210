"""THE read of a file holding a secret key (MINIO_SECRET_KEY_FILE, a remote's secret_key_file, `remote add
--secret-key-file`): bounded, never waiting on a FIFO, and never naming the path nor repeating what the file
holds in its errors (the caller says which setting it is)."""

from __future__ import annotations

import os
import stat as st
from pathlib import Path

from its_store.core.files import reason_of
from its_store.core.overwrite import kind_of

# opened without blocking (a FIFO nobody writes), as core/files.open_checked_stat opens a file to read
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

MAX_SECRET_BYTES = 4096  # a secret key is at most a few dozen bytes: a bound, not a budget


def read_secret_file(path: Path | str) -> str:
    """THE read of a file holding a secret key (MINIO_SECRET_KEY_FILE, a remote's secret_key_file,
    `remote add --secret-key-file`): its text, surrounding whitespace removed. A read_text() would
    wait forever on a FIFO nobody writes and fill memory from /dev/zero or a huge file (a typo in a
    variable is enough), so, as the SSE-C key file is read: a regular file only (a link is followed:
    systemd credentials and container secrets often are links), opened without blocking, at most
    MAX_SECRET_BYTES, a UTF-8 BOM dropped (it made a key that signed nothing). ValueError with the
    reason, which never names the path (the caller says which setting it is) nor repeats what the
    file holds."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise ValueError(reason_of(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not st.S_ISREG(mode):
            kind = kind_of(mode)
            raise ValueError(f"it is {kind}, not a regular file")
        raw = b""
        while len(raw) <= MAX_SECRET_BYTES:
            chunk = os.read(fd, MAX_SECRET_BYTES + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
    except OSError as exc:
        raise ValueError(reason_of(exc)) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_SECRET_BYTES:
        raise ValueError(f"larger than {MAX_SECRET_BYTES} bytes: not a secret key")
    try:
        text = raw.decode("utf-8-sig").strip()  # a BOM (Notepad) is no part of the key
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if not text:
        raise ValueError("it is empty")
    return text
