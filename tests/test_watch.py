"""sync --watch (its_store/sync/watch.py) against the suite's SeaweedFS: files dropped into a watched
folder arrive once, complete, and never early; temp names are ignored; --remove-source deletes only
verified files; the journal survives a torn line and refuses a second watcher; log lines are single lines.

The watcher runs in a thread here (Watcher.run); the process-level behaviour (SIGKILL, SIGTERM, a server
that goes away) is in tests/test_watch_faults.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from watchstep import Stepper

from its_store.core import errors as E
from its_store.sync import watch_files as F
from its_store.sync import watch_source as S
from its_store.sync.watch import Watcher
from its_store.sync.watch_journal import Journal
from its_store.sync.watch_report import format_json, format_line

from helpers import random_bytes

pytestmark = pytest.mark.timeout(90)


class Events:
    """The watcher's events, collected thread-safely, with a wait helper."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, event: dict[str, Any]) -> None:
        line = format_line(event)
        assert "\r" not in line and "\n" not in line, line
        json.loads(format_json(event))
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.items if e["event"] == kind]

    def uploaded_keys(self) -> list[str]:
        return [e["key"] for e in self.of("uploaded")]

    def wait(self, until: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not until():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; events: {self.items[-20:]}"
                self._cond.wait(min(left, 0.2))


@contextmanager
def running(watcher: Watcher) -> Iterator[Watcher]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            watcher.run()
        except BaseException as exc:  # noqa: BLE001 - surfaced in the test thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert watcher.ready.wait(15), "the kernel watch was not in place"
    try:
        yield watcher
    finally:
        watcher.stop()
        thread.join(30)
        assert not thread.is_alive(), "the watcher did not stop"
        assert not errors, errors


def make_watcher(service: Any, folder: Path, bucket: str, events: Events, **kw: Any) -> Watcher:
    kw.setdefault("settle", 0.3)
    kw.setdefault("first_pass", False)
    kw.setdefault("state_dir", folder.parent / f"{folder.name}-state")
    return Watcher(service, folder, bucket, "cams/", on_event=events, **kw)


def write_complete(path: Path, data: bytes, in_place: bool = False) -> None:
    """Write a file that the watcher sees complete whatever the machine's load: in place only where
    the close check guards it (a writer holding it open). Where the settle rule alone decides, a writer
    stalled between creating and writing the file would be "complete" empty after settle seconds, as
    the rule says (test_file_being_written_is_not_uploaded_early drives that on the watcher's clock):
    there it is written under a temp name and renamed into place."""
    if in_place:
        path.write_bytes(data)
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.rename(tmp, path)


def barrier(folder: Path, events: Events, prefix: str = "cams/") -> list[str]:
    """Return once every kernel event for what the test wrote so far was handled by the watcher; the
    keys of the two marker files it writes (each uploaded once).

    watchfiles hands over the kernel's events batch by batch, in order (inside a batch, as a set). The
    second marker is written only once the first was uploaded, so it comes in a later batch than the
    first marker and everything before it: all of that was heard (and a file heard again was checked,
    in the same turn) before the second marker can be uploaded. After this, stop() then counting is
    final: an upload started since is finished by stop(), anything else owed shows as its backlog."""
    keys = []
    for n in (1, 2):
        write_complete(folder / f"zz-barrier-{n}.jpg", b"barrier %d" % n)
        keys.append(f"{prefix}zz-barrier-{n}.jpg")
        events.wait(lambda: keys[-1] in events.uploaded_keys())
    return keys


def read_object(service: Any, bucket: str, key: str) -> bytes:
    import io
    out = io.BytesIO()
    service.download_to_stream(bucket, key, out)
    return out.getvalue()


@pytest.mark.parametrize("close_check", [True, False], ids=["closed", "settled"])
def test_dropped_files_arrive_exactly_once(service: Any, bucket: str, tmp_path: Path, close_check: bool) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    expected: dict[str, bytes] = {}
    with running(make_watcher(service, folder, bucket, events, close_check=close_check)):
        for n in range(6):  # written and closed in place (by the settle rule alone: complete at once)
            data = random_bytes(50_000 + n, seed=n)
            write_complete(folder / f"f{n}.jpg", data, in_place=close_check)
            expected[f"cams/f{n}.jpg"] = data
        sub = folder / "cam 2" / "ünï"
        sub.mkdir(parents=True)  # a new folder: files in it are seen too
        for n in range(4):  # the writer's atomic pattern: temp name, then rename into place
            data = random_bytes(30_000, seed=100 + n)
            tmp = sub / f".g{n}.jpg.tmp"
            tmp.write_bytes(data)
            os.rename(tmp, sub / f"g {n}.jpg")
            expected[f"cams/cam 2/ünï/g {n}.jpg"] = data
        for name in ("x.part", "~lock", ".h.jpg.tmp"):  # temp names stay local
            (folder / name).write_bytes(b"temp")
        events.wait(lambda: set(events.uploaded_keys()) >= set(expected))
        markers = barrier(folder, events)  # every kernel event of the writes above is handled now
    keys = events.uploaded_keys()
    assert sorted(keys) == sorted([*expected, *markers]), keys  # each exactly once, no temp file
    for key, data in expected.items():
        assert read_object(service, bucket, key) == data
        meta = service.stat_object(bucket, key, include_tags=False).metadata
        rel = key.removeprefix("cams/")
        assert meta["mtime"] == S.mtime_meta(os.stat(folder / rel).st_mtime_ns)
    assert events.of("stopped")[-1]["backlog"] == 0


@pytest.mark.parametrize("close_check", [True, False], ids=["closed", "settled"])
def test_file_being_written_is_not_uploaded_early(service: Any, bucket: str, tmp_path: Path,
                                                  close_check: bool) -> None:
    """Time is the watcher's clock, driven by the test (watchstep.Stepper.check): with the close check,
    a file open for writing is never complete, however long it stays unchanged (far beyond settle); by
    the settle rule alone, a file whose writer pauses for less than settle between writes is not."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    settle = 1.5 if not close_check else 0.2
    pause = 3600.0 if close_check else settle - 0.1  # unchanged this long between two writes
    data = random_bytes(300_000, seed=7)
    clock = time.monotonic()
    with Stepper(make_watcher(service, folder, bucket, events, close_check=close_check, settle=settle)) as st:
        with open(folder / "slow.jpg", "wb") as f:
            for start in range(0, len(data), 50_000):
                f.write(data[start:start + 50_000])
                f.flush()
                st.event("modified", "slow.jpg")
                st.check(clock)  # the watcher sees the new size
                clock += pause
                st.check(clock)  # unchanged since, for `pause`
                assert "slow.jpg" not in st.w._ready and "slow.jpg" in st.w._pending
            st.turn()
            assert events.uploaded_keys() == [] and not st.w._inflight
        clock += settle  # closed (and, for the settle rule, unchanged for settle)
        st.check(clock)
        assert "slow.jpg" in st.w._ready
        st.idle()
    assert events.uploaded_keys() == ["cams/slow.jpg"]
    assert read_object(service, bucket, "cams/slow.jpg") == data


def test_changed_file_is_sent_again_and_exclude_is_honoured(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    with running(make_watcher(service, folder, bucket, events, accept=F.simple_filter(["*.log"], []))):
        (folder / "a.jpg").write_bytes(b"one")
        (folder / "skip.log").write_bytes(b"log")
        events.wait(lambda: events.uploaded_keys() == ["cams/a.jpg"])
        (folder / "a.jpg").write_bytes(b"two, longer")
        events.wait(lambda: len(events.uploaded_keys()) == 2)
    assert read_object(service, bucket, "cams/a.jpg") == b"two, longer"
    with pytest.raises(E.ObjectNotFoundError):
        service.stat_object(bucket, "cams/skip.log", include_tags=False)


def test_first_pass_sends_what_the_bucket_lacks(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "there.jpg").write_bytes(b"already uploaded")
    (folder / "old" / "missing.jpg").write_bytes(b"written while no watcher ran")
    service.s3.put(bucket, "cams/old/there.jpg", b"already uploaded", {})
    events = Events()
    with running(make_watcher(service, folder, bucket, events, first_pass=True)):
        # the pass hands its files over before it reports: a file it should not have sent is owed by now
        events.wait(lambda: events.of("pass") and "cams/old/missing.jpg" in events.uploaded_keys())
    assert events.uploaded_keys() == ["cams/old/missing.jpg"]
    assert events.of("pass")[0]["ok"] is True
    assert events.of("stopped")[-1]["backlog"] == 0  # and nothing else was owed


def test_remove_source_deletes_only_verified_files(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    with running(make_watcher(service, folder, bucket, events, remove_source=True)):
        for n in range(5):
            (folder / f"r{n}.jpg").write_bytes(random_bytes(40_000, seed=n))
        events.wait(lambda: len(events.uploaded_keys()) == 5)
    assert all(e["removed"] for e in events.of("uploaded"))
    assert list(folder.iterdir()) == []
    for n in range(5):
        assert read_object(service, bucket, f"cams/r{n}.jpg") == random_bytes(40_000, seed=n)


def test_verification_and_removal_refuse_mismatches(service: Any, bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "v.jpg"
    path.write_bytes(random_bytes(10_000, seed=1))
    with S.open_source(tmp_path, "v.jpg") as src:
        response, digest = S.upload_source(service, src, bucket, "v.jpg", md5=True)
        sig = src.sig
    assert F.verify_upload(service, bucket, "v.jpg", response, digest) is None
    other = F.Digest(digest.size, "0" * 64, digest.md5)
    assert "sha256" in (F.verify_upload(service, bucket, "v.jpg", response, other) or "")
    shorter = F.Digest(digest.size - 1, digest.sha256, digest.md5)
    assert "size" in (F.verify_upload(service, bucket, "v.jpg", response, shorter) or "")
    wrong_md5 = F.Digest(digest.size, digest.sha256, "0" * 32)
    assert "MD5" in (F.verify_upload(service, bucket, "v.jpg", response, wrong_md5) or "")
    with S.open_source(tmp_path, "v.jpg") as src:
        path.write_bytes(random_bytes(10_001, seed=2))  # modified after it was read: kept
        assert S.remove_source_file(src, sig) is False
    assert path.exists()
    with S.open_source(tmp_path, "v.jpg") as src:
        assert S.remove_source_file(src, src.sig) is True
    assert not path.exists()


def test_open_for_writing_follows_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    with open(path, "wb") as f:
        f.write(b"x")
        assert F.open_for_writing(path) is True
    assert F.open_for_writing(path) is False
    with open(path, "rb"):
        assert F.open_for_writing(path) is False  # readers do not count


def owed_paths(journal: Journal) -> list[str]:
    return [rel for _seq, rel in journal.after(0, 1_000_000)]


def test_journal_keeps_order_survives_a_kill_and_admits_one_watcher(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    assert journal.open() == 0
    names = ["a.jpg", "dir/b c.jpg", "new\nline.jpg", "bad\udcff.jpg"]
    seqs = [journal.add(name) for name in names]
    assert all(seqs) and seqs == sorted(seqs)
    assert journal.add("dir/b c.jpg") is None  # owed once, however often heard of
    journal.done("a.jpg")
    journal.done("a.jpg")  # twice: no harm
    assert len(journal) == 3 and "dir/b c.jpg" in journal and "a.jpg" not in journal
    assert owed_paths(journal) == names[1:]
    assert journal.after(seqs[1], 1) == [(seqs[2], names[2])]  # the window reads on from a seq
    with pytest.raises(E.ConflictError):
        Journal(tmp_path / "j").open()
    journal.done(names[-1])
    newest = journal.add("c.jpg")  # the newest row left before: its seq is never given again
    assert newest is not None and newest > seqs[-1]
    journal.close()
    # a watcher killed (SIGKILL: no close()) leaves neither its lock behind nor loses what it wrote
    killed = subprocess.Popen([sys.executable, "-c", _HOLD_THE_JOURNAL, str(tmp_path / "j")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert killed.stdout is not None and killed.stdout.readline() == "holding\n"
        with pytest.raises(E.ConflictError):  # another process holds it
            Journal(tmp_path / "j").open()
    finally:
        killed.kill()
        killed.wait(60)
    again = Journal(tmp_path / "j")
    assert again.open() == 4
    assert owed_paths(again) == [names[1], names[2], "c.jpg", "d.jpg"]
    again.close()


_HOLD_THE_JOURNAL = ("import sys\nfrom pathlib import Path\nfrom its_store.sync.watch_journal import Journal\n"
                     "journal = Journal(Path(sys.argv[1]))\njournal.open()\njournal.add('d.jpg')\n"
                     "print('holding', flush=True)\nsys.stdin.read()\n")


def test_journal_gives_its_pages_back_once_drained(tmp_path: Path) -> None:
    from its_store.sync.watch_journal import TIDY_AFTER
    journal = Journal(tmp_path / "j")
    journal.open()
    names = [f"cam1/2026-12-02/f{n:06d}.jpg" for n in range(TIDY_AFTER)]
    for name in names:
        journal.add(name)
    for name in names:
        journal.done(name)
    free = journal._sql("PRAGMA freelist_count").fetchone()[0]
    assert len(journal) == 0 and free > 50
    journal.tidy()
    assert journal._sql("PRAGMA freelist_count").fetchone()[0] == 0
    journal.close()
    assert (tmp_path / "j" / "journal.db").stat().st_size < 32 * 1024


def test_journal_log_of_earlier_versions_is_migrated(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    names = ["a.jpg", "dir/b c.jpg", "new\nline.jpg", "bad\udcff.jpg"]
    lines = [("+" + json.dumps(name) + "\n").encode() for name in names]
    lines += [b'-"a.jpg"\n', b'+"dir/b c.jpg"\n', b"garbage\n", b'+"torn']  # a line cut by a kill
    (folder / "journal.log").write_bytes(b"".join(lines))
    journal = Journal(folder)
    assert journal.open() == 3
    assert owed_paths(journal) == names[1:]  # first-heard order kept, the duplicate owed once
    assert not (folder / "journal.log").exists()
    journal.close()
    again = Journal(folder)
    assert again.open() == 3 and owed_paths(again) == names[1:]
    again.close()


def test_log_lines_are_single_lines() -> None:
    event = {"event": "uploaded", "time": "t", "key": "a\r\nb.jpg", "size": 3, "seconds": 0.5, "removed": False}
    line = format_line(event)
    assert "\r" not in line and "\n" not in line
    assert line == "t uploaded a\\r\\nb.jpg 3 0.500"
    assert format_line({"event": "unreachable", "time": "t", "retry_in": 4.0, "reason": "refused"}) == \
        "t server unreachable, retry in 4s (refused)"
    assert format_line({"event": "online", "time": "t"}) == "t back online"
    assert format_line({"event": "backlog", "time": "t", "files": 12}) == "t backlog 12"
