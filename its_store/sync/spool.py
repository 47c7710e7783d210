"""A list that spills to a temporary file: the delete candidates of a sync, kept until the whole
source listing has succeeded. Memory stays bounded however many objects DEST has that SRC lacks."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO

from its_store.sync.walk import LocalFile, RemoteObject

Entry = tuple[str, str | None, str | None, int]  # (rel path, object key, local path, size)


class Spool:
    """Append entries; iterate them in order. Above `keep` entries they go to an unnamed temp file."""

    def __init__(self, keep: int = 50_000) -> None:
        self.keep = keep
        self._memory: list[Entry] = []
        self._file: IO[str] | None = None
        self._count = 0

    def append(self, item: LocalFile | RemoteObject) -> None:
        entry: Entry = (item.rel, item.key, None, item.size) if isinstance(item, RemoteObject) else \
            (item.rel, None, item.path, item.size)
        self._count += 1
        if len(self._memory) < self.keep:
            self._memory.append(entry)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="its-sync-")
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Entry]:
        yield from self._memory
        if self._file is not None:
            self._file.seek(0)
            for line in self._file:
                rel, key, path, size = json.loads(line)
                yield rel, key, path, size

    def chunks(self, size: int) -> Iterator[list[Entry]]:
        chunk: list[Entry] = []
        for entry in self:
            chunk.append(entry)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
