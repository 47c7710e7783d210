"""The watcher and file names that are not UTF-8 (issue 19, "a local problem of one item is that item's
failure"). watchfiles cannot deliver such a name: its Rust watcher fails for good and drops the batch of
events in flight (sync/watch_events.py). The watcher re-arms the kernel watch, finds what the dropped
batch held by a ctime scan, and reports the name once as that file's failure."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from test_watch import Events, make_watcher, read_object, running

from its_store.sync.watch_events import changed_since

from helpers import random_bytes

BAD = b"frame\xff\xfe.jpg"


def _write(folder: Path, name: bytes, data: bytes) -> None:
    with open(os.path.join(os.fsencode(folder), name), "wb") as f:
        f.write(data)


def test_good_files_in_the_batch_a_bad_name_broke_still_arrive(service: Any, bucket: str, tmp_path: Path) -> None:
    """A bad name and good files written together (one batch of kernel events, which watchfiles drops
    whole) and a folder whose name is not UTF-8: every good file arrives, each bad name is one `failed`
    event with its bytes escaped, the watcher keeps running (no `watch_error`)."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    good = {f"cams/g{n}.jpg": random_bytes(3_000 + n, seed=n) for n in range(5)}
    with running(make_watcher(service, folder, bucket, events)) as watcher:
        _write(folder, BAD, b"odd")
        for key, data in good.items():
            (folder / key.removeprefix("cams/")).write_bytes(data)
        bad_dir = os.path.join(os.fsencode(folder), b"cam\xe9")
        os.mkdir(bad_dir)
        _write(Path(os.fsdecode(bad_dir)), b"in.jpg", b"inside")
        _write(folder, BAD, b"odd, written again")  # a second event of the same bad name: one report
        (folder / "last.jpg").write_bytes(b"after")
        good["cams/last.jpg"] = b"after"
        events.wait(lambda: set(good) <= set(events.uploaded_keys())
                    or any(e.get("code") == "watch_error" for e in events.of("failed")))
        events.wait(lambda: len([e for e in events.of("failed") if e.get("code") == "invalid_input"]) >= 2)
        assert watcher.stopped_by == "none"
    failed = events.of("failed")
    assert not [e for e in failed if e.get("code") == "watch_error"], failed
    assert sorted(e["key"] for e in failed) == ["cams/cam\\xe9/in.jpg", "cams/frame\\xff\\xfe.jpg"], failed
    assert set(good) <= set(events.uploaded_keys())
    for key, data in good.items():
        assert read_object(service, bucket, key) == data


def test_a_folder_whose_name_is_not_utf8_there_at_start(service: Any, bucket: str, tmp_path: Path) -> None:
    """A folder named b'cam\\xe9' before the watcher starts: arming the kernel watch opens it, and inotify
    reports that open, so the watch never holds. The watcher says so once (`rescanning`) and scans for
    changes instead: a file dropped later arrives; the folder's file is one `failed` event."""
    folder = tmp_path / "drop"
    folder.mkdir()
    bad_dir = os.path.join(os.fsencode(folder), b"cam\xe9")
    os.mkdir(bad_dir)
    _write(Path(os.fsdecode(bad_dir)), b"in.jpg", b"inside")
    events = Events()
    with running(make_watcher(service, folder, bucket, events)) as watcher:
        events.wait(lambda: bool(events.of("rescanning")))
        (folder / "later.jpg").write_bytes(b"later")
        events.wait(lambda: "cams/later.jpg" in events.uploaded_keys())
        assert watcher.stopped_by == "none"
    assert len(events.of("rescanning")) == 1
    assert not [e for e in events.of("failed") if e.get("code") == "watch_error"], events.items


def test_changed_since_finds_what_changed_by_ctime_including_bad_names(tmp_path: Path) -> None:
    """The catch-up scan: entries whose ctime is at or after the mark, in every folder, names as the OS
    gives them; temp names left out."""
    (tmp_path / "old.jpg").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "old2.jpg").write_bytes(b"x")
    mark = os.stat(tmp_path / "sub" / "old2.jpg").st_ctime + 0.5
    while time.time() < mark + 0.05:  # the clock must pass the mark (ctime has no lower bound to wait on)
        time.sleep(0.05)
    (tmp_path / "sub" / "new.jpg").write_bytes(b"y")
    _write(tmp_path, BAD, b"z")
    (tmp_path / ".new.jpg.swp").write_bytes(b"t")
    found = sorted(changed_since(tmp_path, mark))
    assert found == sorted(["sub/new.jpg", os.fsdecode(BAD)])
