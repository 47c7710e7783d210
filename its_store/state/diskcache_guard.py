"""diskcache's Disk, made to read back only what its-store writes (the disk cache's guard against a
tampered database: no pickle is ever loaded, no foreign file is read or removed).

One concern: diskcache's storage internals (its Disk class, its modes, its file names), which change with
diskcache, not with the cache's own rules. Used by state/cache.py's DiskCache when it opens the database.
"""

from __future__ import annotations

import re
from typing import Any

# diskcache's Disk.filename(); compiled by re on its first use (a value kept in a file), not at every start
_OWN_FILE = r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val"
_SAFE_DISK: Any = None


def _json_only_disk(diskcache: Any) -> Any:
    """diskcache's Disk, made to read back only what state/cache.py writes. diskcache decodes a row by the
    mode the ROW names, so a tampered database (the cache folder is local input: a shared MINIO_CACHE_DIR,
    a folder made under umask 000) could mark a value or a key as a pickle, and loading it runs code; and
    it joins a row's file name to the folder, so an absolute name made the removal of an expired entry
    remove any file. Here a pickled key or value is a corrupt database (sqlite3.DatabaseError: DiskCache
    rebuilds it empty), and a file name that is not diskcache's own is neither read nor removed."""
    global _SAFE_DISK
    if _SAFE_DISK is None:
        import sqlite3

        from diskcache.core import MODE_PICKLE

        class JsonOnlyDisk(diskcache.Disk):  # type: ignore[misc]
            def get(self, key: Any, raw: bool) -> Any:
                if not raw:
                    raise sqlite3.DatabaseError("a pickled key in the cache database (its-store writes none)")
                return super().get(key, raw)

            def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
                if mode == MODE_PICKLE or (filename is not None and not re.fullmatch(_OWN_FILE, filename)):
                    raise sqlite3.DatabaseError("a cache entry its-store did not write (a pickle or a foreign file)")
                return super().fetch(mode, filename, value, read)

            def remove(self, file_path: str) -> None:
                if re.fullmatch(_OWN_FILE, file_path):
                    super().remove(file_path)

        _SAFE_DISK = JsonOnlyDisk
    return _SAFE_DISK

