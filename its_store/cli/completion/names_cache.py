"""The completion cache: a small private JSON file of the names each identity was shown
(`<cache dir>/completion.json`), read without pydantic on every TAB.

One concern: the file itself (its format and version, its size bound, who may have written it, the atomic
private write). What is kept in it, under which key and for how long, is complete.py's Completer. Every
name here is also importable from cli/completion/complete.py, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from its_store.core.jsontext import loads

MAX_ENTRIES = 256          # cache entries kept
CACHE_FILE = "completion.json"
CACHE_VERSION = 2          # 2: keyed by identity_of(); a version-1 file (access key only) is dropped


class CompletionCache:
    """A small JSON file of {key: {"t", "items", "complete"}}; private (0600), replaced atomically.
    With no path (the identity is unknown), nothing is read or written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            try:
                if self.path is None:
                    raise OSError("no cache")
                data = loads(_read_trusted(self.path))
                self._data = data["entries"] if data.get("version") == CACHE_VERSION else {}
            except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
                self._data = {}
        return self._data

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self._load().get(key)
        return entry if isinstance(entry, dict) and "t" in entry and "items" in entry else None

    def entries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, entry in list(self._load().items()):
            if isinstance(entry, dict) and "t" in entry and "items" in entry:
                yield key, {"complete": False, **entry}

    def put(self, key: str, entry: dict[str, Any]) -> None:
        data = self._load()
        data[key] = entry
        if len(data) > MAX_ENTRIES:
            for old in sorted(data, key=lambda k: data[k].get("t", 0))[:len(data) - MAX_ENTRIES]:
                del data[old]
        self._save(data)

    def forget(self, prefix: str) -> None:
        """Drop every entry whose key starts with `prefix` (one identity's answers)."""
        data = self._load()
        gone = [key for key in data if key.startswith(prefix)]
        for key in gone:
            del data[key]
        if gone:
            self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        if self.path is None:
            return
        from its_store.core.errors import ItsStoreError
        from its_store.core.files import write_atomic
        from its_store.core.private_dirs import make_private_folder
        with contextlib.suppress(OSError, ItsStoreError):  # a cache: never worth an error on TAB
            make_private_folder(self.path.parent)
            write_atomic(self.path, json.dumps({"version": CACHE_VERSION, "entries": data}), 0o600)


def _read_trusted(path: Path) -> bytes:
    """The cache file's bytes; OSError when its folder or the file is one others may write (or another
    user's: core/private_dirs.foreign_reason, the metadata cache's rule), since whoever may write it would
    choose the names TAB offers. Nothing is read then, nothing said (a Tab press prints no error)."""
    from its_store.core.private_dirs import foreign_reason
    from its_store.core.statefile import open_state  # a FIFO here must not hang a Tab press
    if foreign_reason(os.stat(path.parent)) is not None:
        raise OSError("a cache folder others may write")
    fd = open_state(path)
    try:
        if foreign_reason(os.fstat(fd)) is not None:
            raise OSError("a cache file others may write")
    finally:
        os.close(fd)
    from its_store.core.statefile import read_state
    return read_state(path)  # in a folder of ours: the file checked is the file read
