"""The .env file: checked as remotes.toml is (core/remote_config.check_access), and read through the
descriptor the check opened, by both of its readers: Settings (core/settings.load_settings, through
pydantic-settings) and TAB completion's quick config (cli/completion/quick_settings.quick_config).

Why one descriptor: `./.env` is read in whatever folder a command runs in (/tmp, a shared project folder).
A check that stat's the name and a reader that opens the name again read two files when someone swaps the
name between them (a folder others may write without the sticky bit lets them). So the check opens the
file once, looks at that descriptor (fstat), and the reader is handed the descriptor's own name
(/proc/self/fd/N, or /dev/fd/N): opening it opens the very file checked, whatever the name points to by
then. pydantic-settings has no public way to take a .env file's content, and a settings source of our own
would copy its reading of names, prefixes and values; given the descriptor's name, it reads as always.
On a system with neither folder the name is read again (the race stays there).

No pydantic, no python-dotenv here: completion imports this module on every TAB that meets a .env file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat as st
from collections.abc import Iterator
from pathlib import Path

from its_store.core.errors import ConfigError

# a line of a .env file that sets a secret (core/settings.SECRET_FIELDS), as python-dotenv reads it:
# `export ` allowed
_SECRET_LINE = (
    rb"(?im)^[ \t]*(?:export[ \t]+)?['\"]?minio_(?:secret_key|sse_c_key|model_webhook_secret)['\"]?"
    rb"[ \t]*=[ \t]*['\"]?[^\s'\"#]")
_SCANNED = 1024 * 1024  # how much of an exposed file is searched for a secret line
_DESCRIPTOR_FOLDERS = ("/proc/self/fd", "/dev/fd")


@contextlib.contextmanager
def opened_env_file(path: Path) -> Iterator[Path | None]:
    """The .env file at `path`, checked, as a name that opens the file checked (see the module's
    docstring), valid inside the `with`; None when there is none to read.

    Another user's file, or one others may write, is refused (ConfigError, exit 78): it sets the endpoint,
    its CA, where the cache and audit log are written. Secret keys others may read: a warning only (a
    compose .env file is often 0644). A FIFO is refused: pydantic-settings reads one (anyone's, in /tmp),
    which fed the settings of whoever writes into it past the owner check, or blocked for ever when nobody
    did; it is opened non-blocking here, so the check itself never waits. A folder (a virtualenv named
    .env) or a device is no .env file: None, as pydantic-settings skips them."""
    fd = _checked_descriptor(path)
    if fd is None:
        yield None
        return
    try:
        os.lseek(fd, 0, os.SEEK_SET)  # /dev/fd/N may share this descriptor's offset (BSDs, macOS)
        yield _name_of(fd, path)
    finally:
        os.close(fd)


def _checked_descriptor(path: Path) -> int | None:
    """An open descriptor of the regular file at `path` that passed check_access (the caller closes it),
    None when there is no file or it is no regular file; ConfigError for a refused one. (check_access is
    imported only when there is a file: where TAB is pressed there is usually none.)"""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        from its_store.core.files import reason_of
        raise ConfigError(f"cannot read {path}: {reason_of(exc)}") from None
    try:
        info = os.fstat(fd)
        if st.S_ISFIFO(info.st_mode):
            raise ConfigError(f"{path}: it is a named pipe (FIFO), not a regular file: not read as a .env file",
                              hint="a .env file is a regular file of your own")
        if not st.S_ISREG(info.st_mode):
            os.close(fd)
            return None
        from its_store.core.remote_config import check_access
        exposed = bool(st.S_IMODE(info.st_mode) & 0o044)
        secret = exposed and re.search(_SECRET_LINE, os.read(fd, _SCANNED)) is not None
        check_access(path, info, secret, changes="point this tool at another server, CA or log file",
                     owner_hint="a .env file is read only when you or root own it", secret_refused=False)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _name_of(fd: int, path: Path) -> Path:
    """The name under which the open descriptor `fd` is opened again, as the same file: /proc/self/fd/N on
    Linux, /dev/fd/N elsewhere; `path` itself where the system has neither."""
    for folder in _DESCRIPTOR_FOLDERS:
        if os.path.isdir(folder):
            return Path(folder, str(fd))
    return path
