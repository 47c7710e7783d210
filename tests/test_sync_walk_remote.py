"""sync/walk.walk_remote reads each listed Entry by unpacking it (a speed change): it must give exactly what
reading it field by field gave (the reference below, the loop as it was), on hostile listings: unsorted
entries, folder markers, the prefix itself listed, common prefixes outside or equal to the folder, names the
server garbled, nested folders, a pruned folder."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from its_store.s3.listing import Entry
from its_store.sync.walk import RemoteObject, Walk, walk_remote

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class _S3:
    def __init__(self, folders: dict[str, list[Entry]]) -> None:
        self.folders = folders

    def list_objects(self, bucket: str, prefix: str = "", recursive: bool = True) -> Iterator[Entry]:
        assert not recursive
        return iter(list(self.folders.get(prefix, [])))


class _Svc:
    def __init__(self, folders: dict[str, list[Entry]]) -> None:
        self.s3 = _S3(folders)


def _reference(svc: Any, bucket: str, prefix: str, cut: int, walk: Walk,
               prune: Callable[[str], bool]) -> Iterator[RemoteObject]:
    """The loop as it read each entry before (field by field)."""
    walk.listings += 1
    entries = list(svc.s3.list_objects(bucket, prefix, recursive=False))
    entries.sort(key=lambda e: e.key)
    for entry in entries:
        rel = entry.key[cut:]
        if entry.is_prefix:
            if entry.key.startswith(prefix) and len(entry.key) > len(prefix) and not prune(rel.rstrip("/")):
                yield from _reference(svc, bucket, entry.key, cut, walk, prune)
            continue
        if not rel or rel.endswith("/"):
            continue
        if entry.garbled:
            walk.problems.append((rel, "the server's listing altered this key's name (characters XML 1.0 "
                                       "cannot carry); nothing is deleted"))
            continue
        walk.count += 1
        yield RemoteObject(rel, entry.key, entry.size, entry.etag, entry.last_modified)


def _hostile(rng: random.Random) -> dict[str, list[Entry]]:
    names = ["a", "a-b", "a.b", "b", "é", "z\x01", "\U0001f600", "a b", "a+b", "%41", "x" * 40]
    folders: dict[str, list[Entry]] = {}

    def fill(prefix: str, depth: int) -> None:
        entries: list[Entry] = []
        for name in rng.sample(names, k=rng.randint(0, len(names))):
            key = prefix + name
            form = rng.randrange(8)
            if form == 0:
                entries.append(Entry(key + "/", is_prefix=True))  # a folder marker listed as a prefix
            elif form == 1:
                entries.append(Entry(key, rng.randint(0, 9), None, None, garbled=True))
            elif form == 2 and depth < 2:
                entries.append(Entry(key + "/", is_prefix=True))
                fill(key + "/", depth + 1)
            elif form == 3:
                entries.append(Entry(key, 0, None, None))
            else:
                entries.append(Entry(key, rng.randint(0, 10**12), f"{rng.getrandbits(128):032x}", WHEN, "v1"))
        if rng.random() < 0.3:
            entries.append(Entry(prefix, 0, "e", WHEN))  # the folder's own name: no rel
        if rng.random() < 0.3:
            entries.append(Entry(prefix, is_prefix=True))  # the folder itself as a common prefix
        if rng.random() < 0.3:
            entries.append(Entry("elsewhere/", is_prefix=True))  # outside the folder
        rng.shuffle(entries)
        folders[prefix] = entries

    fill("top/", 0)
    return folders


def _run(walker: Callable[..., Iterator[RemoteObject]], folders: dict[str, list[Entry]],
         prune: Callable[[str], bool]) -> tuple[list[tuple[Any, ...]], int, int, list[tuple[str, str]]]:
    walk = Walk()
    got = [(o.rel, o.key, o.size, o.etag, o.last_modified) for o in walker(_Svc(folders), "b", "top/", walk, prune)]
    return got, walk.count, walk.listings, walk.problems


def test_walk_remote_equals_the_field_by_field_reading_on_hostile_listings() -> None:
    rng = random.Random(31)
    seen = [0, 0, 0]  # objects, garbled names, nested listings: the listings below have each
    for _ in range(300):
        folders = _hostile(rng)
        prune = (lambda rel: rel.endswith("a")) if rng.random() < 0.3 else (lambda rel: False)
        mine = _run(walk_remote, folders, prune)
        ref = _run(lambda svc, bucket, prefix, walk, prune: _reference(svc, bucket, prefix, len(prefix), walk, prune),
                   folders, prune)
        assert mine == ref
        seen = [seen[0] + mine[1], seen[1] + len(mine[3]), seen[2] + mine[2] - 1]
    assert min(seen) > 100, seen
