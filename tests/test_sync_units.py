"""Units of its_store/sync/ that need no server: the mtime text, filters, the walk's order, the state store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.sync.filters import Filter, Rule
from its_store.sync.mtime import format_mtime, parse_mtime
from its_store.sync.state import Known, SyncState
from its_store.sync.walk import Walk, walk_local


@pytest.mark.parametrize("ns", [0, 1, 999_999_999, 1_700_000_000_123_456_789, 4_102_444_800_000_000_001,
                                -100_000_000])
def test_mtime_round_trip_is_exact(ns: int) -> None:
    text = format_mtime(ns)
    assert parse_mtime(text) == ns
    assert len(text.split(".")[1]) == 9



def test_mtime_text_is_the_divmod_form_on_both_ways() -> None:
    """format_mtime's short way (a second or more: the digits with a point before the last nine) against the
    divmod form it stands in for, at the edges of the two ways and over random counts of either sign."""
    import random
    rng = random.Random(37)
    counts = [0, 1, 999_999_999, 1_000_000_000, 1_000_000_001, 10**18, 10**21 + 7, -1, -10**9, -10**9 - 1,
              *(rng.randrange(-10**20, 10**20) for _ in range(2000))]
    for ns in counts:
        seconds, frac = divmod(ns, 1_000_000_000)
        assert format_mtime(ns) == f"{seconds}.{frac:09d}", ns
    assert format_mtime(True) == "0.000000001"  # not an int of its own type: the divmod form

def test_mtime_parse_is_not_a_float() -> None:
    # a float would round this: 1700000000.123456789 -> ...123456716
    assert float("1700000000.123456789") * 1e9 != 1_700_000_000_123_456_789
    assert parse_mtime("1700000000.123456789") == 1_700_000_000_123_456_789
    assert parse_mtime("1700000000") == 1_700_000_000_000_000_000
    assert parse_mtime("1700000000.5") == 1_700_000_000_500_000_000
    assert parse_mtime("1700000000.1234567891234") == 1_700_000_000_123_456_789
    assert parse_mtime("-1.900000000") == -100_000_000
    for bad in (None, "", "abc", "1.2.3", "1e9", " ", "12.x", "9999999999999999"):
        assert parse_mtime(bad) is None


def test_filter_rules() -> None:
    everything = Filter()
    assert everything.accepts("a/b.jpg") and not everything
    f = Filter.of(include=["*.jpg", "keep/**"], exclude=["*.tmp", "cache", "raw/*.jpg"])
    assert f.accepts("a.jpg") and f.accepts("x/y/z.jpg") and f.accepts("keep/any/thing.bin")
    assert not f.accepts("a.png")                 # only includes given: the rest is out
    assert not f.accepts("cache/a.jpg")           # a segment pattern matches a folder name at any depth
    assert not f.accepts("x/cache/a.jpg")
    assert not f.accepts("raw/a.jpg") and f.accepts("raw/sub/a.jpg")  # * stays within a segment
    assert not f.accepts("keep/x.tmp")            # an exclude always wins (excludes come first)
    only_exclude = Filter.of(exclude=["tmp/", "?.bin", "[ab]*.txt"])
    assert not only_exclude.accepts("tmp/x") and only_exclude.accepts("tmpx/y")
    assert not only_exclude.accepts("x.bin") and only_exclude.accepts("xy.bin")
    assert not only_exclude.accepts("d/a1.txt") and only_exclude.accepts("c1.txt")
    ordered = Filter([Rule(True, "keep.tmp"), Rule(False, "*.tmp")])  # the library: first match wins
    assert ordered.accepts("keep.tmp") and not ordered.accepts("other.tmp") and not ordered.accepts("x")
    for bad in ("", " x", "[abc"):
        with pytest.raises(E.InvalidInputError):
            Filter.of(exclude=[bad])


def test_walk_order_matches_key_order(tmp_path: Path) -> None:
    """Folders sort as "name/": the depth-first walk gives the order of the full relative paths."""
    rels = ["a-b", "a/x", "a/y/z", "a+b", "a.c", "b", "é/1", "Z", "a0", "a/y-1", "a/y/0"]
    for rel in rels:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    walk = Walk()
    assert [f.rel for f in walk_local(tmp_path, walk)] == sorted(rels)
    assert walk.count == len(rels) and walk.problems == []


def test_walk_reports_missing_root(tmp_path: Path) -> None:
    walk = Walk()
    assert list(walk_local(tmp_path / "nope", walk)) == [] and walk.problems


def test_state_store(tmp_path: Path) -> None:
    state = SyncState(tmp_path / "s.sqlite", "http://h:1")
    known = Known("e" * 32, 10, 12, "1.000000000", "f" * 64, True)
    state.put("b", "k", known)
    assert state.get("b", "k", "e" * 32, 10) == known       # pending writes are seen
    state.close()
    again = SyncState(tmp_path / "s.sqlite", "http://h:1")
    assert again.get("b", "k", "e" * 32, 10) == known       # and kept
    assert again.get("b", "k", "other", 10) is None          # another ETag: not this entry
    assert again.get("b", "k", "e" * 32, 11) is None         # another size: not this entry
    assert SyncState(tmp_path / "s.sqlite", "http://other:1").get("b", "k", "e" * 32, 10) is None
    again.forget("b", ["k"])
    assert again.get("b", "k", "e" * 32, 10) is None
    again.close()


def test_state_store_unusable_is_off(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    state = SyncState(blocker / "sub" / "s.sqlite")  # cannot be created: remembers nothing, raises nothing
    state.put("b", "k", Known("e", 1, 1))
    assert state.get("b", "k", "e", 1) is None
    state.close()
    assert os.path.exists(blocker)


def test_state_preload(tmp_path: Path) -> None:
    state = SyncState(tmp_path / "s.sqlite", "e")
    for key in ("p/a", "p/b/c", "q/a"):
        state.put("b", key, Known("x" + key, 1, 1))
    state.put("other", "p/a", Known("y", 1, 1))
    state.close()
    again = SyncState(tmp_path / "s.sqlite", "e")
    assert again.preload("b", "p/") == 2
    assert again.get("b", "p/b/c", "xp/b/c", 1) is not None and again.get("b", "p/zz", "x", 1) is None
    assert again.get("b", "q/a", "xq/a", 1) is not None  # outside the preloaded prefix: asked per key
    assert again.get("other", "p/a", "y", 1) is not None
    assert again.preload("b", "", limit=2) == 0  # too many: nothing kept, still answered per key
    again.close()


def test_state_preload_behind_answers_only_once_read(tmp_path: Path) -> None:
    """preload_behind() reads on a helper thread that holds the store until it is done: a get() right after
    it returns waits for the entries, never answers from a half-read store."""
    state = SyncState(tmp_path / "s.sqlite", "e")
    for i in range(3000):
        state.put("b", f"p/{i:05d}", Known(f"x{i}", 1, 1))
    state.close()
    again = SyncState(tmp_path / "s.sqlite", "e")
    again.preload_behind("b", "p/")
    assert again.get("b", "p/02999", "x2999", 1) == Known("x2999", 1, 1)  # the last row read
    assert again._scopes == [("b", "p/")]  # preloaded: a key it does not hold is not asked for
    again.close()


@pytest.mark.parametrize(("column", "value"), [  # as stored: SQLite's column affinity turns "12" into 12
    ("etag", ""), ("etag", b"e"), ("stored_size", -1), ("size", 1.5), ("size", b"1"), ("size", "²"),
    ("size", "9" * 30), ("md5", 2), ("mtime", b"\x00"), ("sha256", b"x")])
def test_state_preload_keeps_only_what_put_writes(tmp_path: Path, column: str, value: object,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """preload() checks the rows' types in SQL, as get() checks one row (_row): an entry holding a value
    put() never writes is not used, with one warning; the other entries are."""
    import sqlite3
    state = SyncState(tmp_path / "s.sqlite", "e")
    for key in ("p/a", "p/b"):
        state.put("b", key, Known("etag-" + key, 3, 3, "1700000000.000000000", None, False))
    state.close()
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute(f"UPDATE objects SET {column} = ? WHERE key = 'p/a'", (value,))
    db.close()
    for per_key in (False, True):
        again = SyncState(tmp_path / "s.sqlite", "e")
        caplog.clear()
        if not per_key:
            assert again.preload("b", "p/") == 2
        etag = value if column == "etag" else "etag-p/a"
        stored = value if column == "stored_size" else 3
        assert again.get("b", "p/a", etag, stored) is None  # type: ignore[arg-type]
        assert again.get("b", "p/b", "etag-p/b", 3) == Known("etag-p/b", 3, 3, "1700000000.000000000", None, False)
        assert len([r for r in caplog.records if "values its-store does not write" in r.getMessage()]) == \
            (0 if value == "" and per_key else 1)  # get() refuses an empty ETag before reading the row
        again.close()


def test_filter_prunes_excluded_folders(tmp_path: Path) -> None:
    f = Filter.of(include=["*.jpg"], exclude=["cache", ".git"])
    assert f.prunes("a/cache") and f.prunes(".git") and not f.prunes("a/b")
    assert not Filter([Rule(True, "cache/keep.jpg"), Rule(False, "cache")]).prunes("cache")  # an include first
    for rel in ("a/1.jpg", "a/cache/2.jpg", ".git/x/3.jpg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    (tmp_path / ".git" / "x").chmod(0)  # never read: pruned before
    walk = Walk()
    assert [x.rel for x in walk_local(tmp_path, walk, prune=f.prunes)] == ["a/1.jpg"]
    (tmp_path / ".git" / "x").chmod(0o755)


def test_spool_spills_to_a_file() -> None:
    from its_store.sync.spool import Spool
    from its_store.sync.walk import LocalFile, RemoteObject
    spool = Spool(keep=3)
    for i in range(10):
        spool.append(RemoteObject(f"r{i}", f"p/r{i}", i, "e", None) if i % 2 else LocalFile(f"l{i}", f"/x/l{i}", i, 0))
    assert len(spool) == 10 and spool._file is not None
    entries = list(spool)
    assert entries[0] == ("l0", None, "/x/l0", 0) and entries[9] == ("r9", "p/r9", None, 9)
    assert [len(c) for c in spool.chunks(4)] == [4, 4, 2]
    spool.close()


def test_report_lists_are_bounded() -> None:
    from its_store.sync.model import Item, SyncReport
    report = SyncReport(source="a", dest="b", mode="size+mtime", max_items=2)
    for i in range(5):
        report.add("copied", Item(path=f"f{i}", key=None, size=10, reason="new"))
    assert len(report.copied) == 2 and report.truncated and report.totals.copied == 5
    assert report.totals.copied_bytes == 50 and report.model_dump(mode="json")["truncated"] is True


@pytest.mark.parametrize("mode", ["size+mtime", "size-only"])
def test_decide_fast_path_answers_as_upload_reason(tmp_path: Path, mode: str) -> None:
    """The march's inline "unchanged" (engine._decide) decides every pair as compare.upload_reason does."""
    from datetime import UTC, datetime

    from its_store.core.settings import Settings
    from its_store.service.context import Context
    from its_store.sync import compare as C
    from its_store.sync.engine import Sync
    from its_store.sync.model import SyncOptions
    from its_store.sync.walk import LocalFile, RemoteObject
    ns = 1_700_000_000_123_456_789
    sync = Sync(Context(Settings(endpoint="127.0.0.1:1")), str(tmp_path), "s3://bkt/p/", SyncOptions(mode=mode))
    sync.state = SyncState(tmp_path / "state.sqlite", "e")
    sync.heads = C.Heads(sync.ctx, sync.state)
    old, new = datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    cases = [(10, format_mtime(ns), old), (10, format_mtime(ns + 1), old), (10, "1700000000.123456789000", old),
             (10, " 1700000000.123456789", old), (10, None, old), (10, None, new), (11, format_mtime(ns), old),
             (11, None, new), (10, "not a time", new)]
    for i, (size, mtime, modified) in enumerate(cases):
        key = f"p/k{i}"
        sync.state.put("bkt", key, Known(f"etag{i}", 12, size, mtime))
        local, obj = LocalFile(f"k{i}", str(tmp_path / f"k{i}"), 10, ns), RemoteObject(f"k{i}", key, 12, f"etag{i}",
                                                                                     modified)
        expected, _ = C.upload_reason(mode, local, obj, sync.state.get("bkt", key, f"etag{i}", 12), sync._read_local)
        before = sync._same + sync.reporter._unchanged
        task = sync._decide(local, obj)
        assert (task is None) == (expected is None), (mode, size, mtime, modified, expected)
        assert sync._same + sync.reporter._unchanged == before + (task is None)
    sync.state.close()


def test_a_walk_without_sizes_finds_and_says_what_a_sized_walk_does(tmp_path: Path) -> None:
    """Walk(sizes=False) (upload -r, cp -r: regular files by the listing's type, not stat-ed) yields the
    same files in the same order and notes the same skips as the sized walk sync uses."""
    import os as _os

    from its_store.sync.walk import Walk, walk_local
    (tmp_path / "a" / "b").mkdir(parents=True)
    for rel in ("z.bin", "a-b", "a/x.jpg", "a/b/deep.txt", "a/b/.hidden"):
        (tmp_path / rel).write_bytes(b"x" * len(rel))
    _os.mkfifo(tmp_path / "a" / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "z.bin")
    (tmp_path / "broken").symlink_to(tmp_path / "nowhere")
    (tmp_path / "dirlink").symlink_to(tmp_path / "a")
    for follow in (False, True):
        sized, unsized = Walk(), Walk(sizes=False)
        full = [(f.rel, f.path) for f in walk_local(tmp_path, sized, follow_symlinks=follow)]
        fast = [(f.rel, f.path) for f in walk_local(tmp_path, unsized, follow_symlinks=follow)]
        assert fast == full and len(full) >= 5
        assert (unsized.notes, unsized.problems, unsized.count) == (sized.notes, sized.problems, sized.count)
