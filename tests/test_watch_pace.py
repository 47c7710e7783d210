"""How many uploads the watcher runs at once (its_store/sync/watch_pace.py, issue 22).

The rule (decide), its bookkeeping (Pace) and the queue that applies it with a byte bound (UploadQueue)
are tested as plain objects on a clock the test gives, without threads. Then against the suite's SeaweedFS
through tests/faultproxy.py, whose `answer` hook holds object PUTs in the proxy (a Gate) so that "in
flight at once" is a state the test waits for, not a timing: the CLI with its defaults has a burst in
flight with more than the old 4 requests at once; MINIO_MAX_WORKERS=2 is the ceiling the CLI announces and
the scheduler never exceeds (driven turn by turn, tests/watchstep.py); the byte bound holds. Every file
arrives once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_watch import Events, make_watcher, read_object, write_complete
from watchstep import Stepper

from its_store.core.settings import Settings
from its_store.sync.watch_pace import CEILING, Load, Pace, UploadQueue, ceiling_for, decide

from helpers import random_bytes

pytestmark = pytest.mark.timeout(120)

ITS_STORE = str(Path(sys.executable).parent / "its-store")
DEADLINE = 60.0  # a safety net only: every wait is on a condition


# ------------------------------------------------------------------------------ the rule, pure
def test_grows_by_what_waits_at_most_doubling_up_to_the_ceiling() -> None:
    assert decide(1, Load(queued=5, waited=0.0, in_flight=1), 16) == 2
    assert decide(4, Load(queued=10, waited=0.0, in_flight=4), 16) == 8
    assert decide(8, Load(queued=3, waited=0.2, in_flight=8), 16) == 11  # the oldest waited: by what waits
    assert decide(12, Load(queued=50, waited=1.0, in_flight=12), 16) == 16
    assert decide(16, Load(queued=50, waited=9.0, in_flight=16), 16) == 16


def test_a_file_or_two_behind_busy_uploads_grow_it_only_after_patience() -> None:
    assert decide(4, Load(queued=1, waited=0.05, in_flight=4), 16) == 4
    assert decide(4, Load(queued=1, waited=0.1, in_flight=4), 16) == 5
    assert decide(4, Load(queued=3, waited=0.0, in_flight=4), 16, patience=0.0) == 7


def test_no_growth_while_an_allowed_upload_is_free() -> None:
    """Files that wait while the target is not used up wait for bytes, not for threads (UploadQueue)."""
    assert decide(4, Load(queued=10, waited=5.0, in_flight=3), 16) == 4


def test_shrinks_by_one_only_after_lingering_quiet_and_steady() -> None:
    assert decide(8, Load(0, 0.0, 2, quiet=5.0, steady=5.0), 16) == 7
    assert decide(8, Load(0, 0.0, 2, quiet=4.9, steady=9.0), 16) == 8   # a file waited recently
    assert decide(8, Load(0, 0.0, 2, quiet=9.0, steady=1.0), 16) == 8   # it changed recently
    assert decide(8, Load(0, 0.0, 8, quiet=9.0, steady=9.0), 16) == 8   # all busy, none waiting
    assert decide(8, Load(1, 0.0, 2, quiet=9.0, steady=9.0), 16) == 8   # a file waits
    assert decide(1, Load(0, 0.0, 0, quiet=99.0, steady=99.0), 16) == 1


def test_the_target_stays_between_one_and_the_ceiling() -> None:
    assert decide(40, Load(0, 0.0, 0), 16) == 16
    assert decide(0, Load(0, 0.0, 0), 16) == 1
    assert decide(3, Load(9, 9.0, 3), 0) == 1


def test_the_ceiling_is_workers_else_minio_max_workers_when_set_else_the_default() -> None:
    assert ceiling_for(None, Settings()) == CEILING == 16
    assert ceiling_for(None, Settings(max_workers=2)) == 2
    assert ceiling_for(None, Settings(max_workers=8)) == 8  # set, even to its default: honoured
    assert ceiling_for(5, Settings(max_workers=2)) == 5
    assert ceiling_for(None, None) == CEILING


def test_minio_max_workers_from_the_environment_is_the_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.core.settings import load_settings
    monkeypatch.delenv("MINIO_MAX_WORKERS", raising=False)
    assert ceiling_for(None, load_settings()) == CEILING
    monkeypatch.setenv("MINIO_MAX_WORKERS", "3")
    assert ceiling_for(None, load_settings()) == 3


# ------------------------------------------------------------------------------ the queue, pure
def _queue(ceiling: int, files: int, size: int = 1000, **kw: Any) -> UploadQueue:
    q = UploadQueue(Pace(ceiling), **kw)
    for n in range(files):
        q.add(f"f{n:02d}", size, 0.0)
    return q


def test_a_burst_ramps_up_turn_by_turn_oldest_first() -> None:
    q = _queue(16, 40)
    started: list[str] = []
    sizes = []
    for _ in range(6):
        started += q.take(0.0)
        sizes.append(len(q.in_flight))
    assert sizes == [2, 4, 8, 16, 16, 16]
    assert started == [f"f{n:02d}" for n in range(16)]  # in the order they became complete
    assert q.pace.peak == 16 and q.in_bytes == 16 * 1000


def test_the_ceiling_is_never_exceeded() -> None:
    q = _queue(2, 10)
    for turn in range(10):
        q.take(float(turn))
        assert len(q.in_flight) <= 2
    assert len(q.in_flight) == 2 and q.pace.target == 2


def test_offline_one_at_a_time() -> None:
    q = _queue(16, 5)
    assert q.take(0.0, offline=True) == ["f00"]
    assert q.take(0.0, offline=True) == []


def test_bytes_in_flight_are_bounded_and_a_large_file_goes_alone() -> None:
    q = UploadQueue(Pace(16), max_bytes=25_000, threshold=1_000_000)
    for n in range(4):
        q.add(f"small{n}", 10_000, 0.0)
    q.add("big", 60_000, 0.0)
    q.add("after", 10_000, 0.0)
    for _ in range(5):
        q.take(0.0)
    assert q.in_flight == {"small0", "small1"} and q.in_bytes == 20_000
    for n in range(4):
        q.done(f"small{n}", 1.0)
        q.take(1.0)
    assert q.in_flight == {"big"}  # alone: more than the bound, nothing else in flight
    assert list(q.ready) == ["after"]  # it waits: nothing overtakes, nothing joins the large one
    q.done("big", 2.0)
    assert q.take(2.0) == ["after"]
    assert q.cost(2_000_000) == 0  # sent in parts: bounded by the transfer layer's part budget


def test_an_unreachable_file_waits_first_in_line_and_the_pace_starts_over() -> None:
    q = _queue(16, 20)
    for _ in range(4):
        q.take(0.0)
    assert q.pace.target == 16
    first = sorted(q.in_flight)[0]
    q.done(first, 1.0, again=True)
    assert q.ready[0] == first and q.pace.target == 1 and q.in_bytes == 15 * 1000


def test_simulated_camera_is_kept_up_with_and_the_target_relaxes_when_it_stops() -> None:
    """100 frames a second, each upload taking 0.12 s (round trips, not CPU), a turn every 10 ms of the
    simulated clock: with the adaptive target no frame waits long for an upload; 4 at once (the old
    pool) cannot keep up. Once the camera stops, the target comes down to one."""
    def simulate(ceiling: int, seconds: float = 20.0, idle: float = 120.0) -> tuple[float, int, Pace]:
        pace = Pace(ceiling)
        q = UploadQueue(pace)
        running: dict[str, float] = {}
        worst, n, now, step = 0.0, 0, 0.0, 0.01
        became: dict[str, float] = {}
        while now < seconds + idle:
            for rel in [r for r, end in running.items() if end <= now]:
                del running[rel]
                q.done(rel, now)
            if now < seconds:
                rel = f"f{n:05d}"
                became[rel] = now
                q.add(rel, 500_000, now)
                n += 1
            for rel in q.take(now):
                worst = max(worst, now - became[rel])
                running[rel] = now + 0.12
            now = round(now + step, 6)
        return worst, len(q.ready), pace

    worst, left, pace = simulate(16)
    assert worst < 0.2 and left == 0 and pace.peak <= 16
    assert pace.target == 1  # 2 minutes idle: down to one
    worst_fixed, left_fixed, _ = simulate(4, idle=0.0)
    assert worst_fixed > 5.0 and left_fixed > 500  # 4 at once: 33 frames/s, the backlog grows


# ------------------------------------------------------------------------------ against the server
class Gate:
    """A FaultProxy `answer` hook: holds each PUT of an object under /cams/ in the proxy until `want` of
    them are held at once (then those and all later ones go on), or until open(). `peak`: the most held
    at once."""

    def __init__(self, want: int | None = None) -> None:
        self.want = want
        self.held = self.peak = self.passed = 0
        self._open = False
        self._cond = threading.Condition()

    def __call__(self, seen: Seen) -> None:
        if seen.method != "PUT" or "/cams/" not in seen.path:
            return None
        with self._cond:
            self.held += 1
            self.peak = max(self.peak, self.held)
            if self.want is not None and self.held >= self.want:
                self._open = True
            self._cond.notify_all()
            opened = self._cond.wait_for(lambda: self._open, timeout=DEADLINE)
            self.held -= 1
            self.passed += 1
        assert opened, "a held PUT was never let through"  # a safety net
        return None

    def wait(self, until: Any, what: str) -> None:
        with self._cond:
            assert self._cond.wait_for(until, timeout=DEADLINE), f"{what} (held {self.held}, peak {self.peak})"

    def open(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


def _proxy_for(env: dict[str, str], gate: Gate) -> FaultProxy:
    host, port = env["MINIO_ENDPOINT"].rsplit(":", 1)
    return FaultProxy(int(port), upstream_host=host, answer=gate)


class CliEvents:
    """The JSON Lines events of a watcher subprocess, read by a thread, with a wait helper."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.items: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            with self._cond:
                self.items.append(json.loads(line))
                self._cond.notify_all()

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.items if e["event"] == kind]

    def uploaded_keys(self) -> list[str]:
        return [e["key"] for e in self.of("uploaded")]

    def wait(self, until: Any, what: str) -> None:
        with self._cond:
            ok = self._cond.wait_for(lambda: until() or self.proc.poll() is not None, timeout=DEADLINE)
            assert ok and until(), f"{what}; events: {self.items[-10:]}"

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit code and stderr once every event was read."""
        self.proc.terminate()
        try:
            self._reader.join(60)  # stdout is this reader's alone: it ends at the watcher's exit
            err = self.proc.stderr.read() if self.proc.stderr else ""
            code = self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return code, err


def _watch_cli(folder: Path, dest: str, env: dict[str, str]) -> CliEvents:
    """`its-store sync FOLDER DEST --watch --json` with `env` added."""
    return CliEvents(subprocess.Popen([ITS_STORE, "sync", str(folder), dest, "--watch", "--json"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env={**os.environ, **env}))


def _burst(folder: Path, count: int, size: int = 3000) -> dict[str, bytes]:
    expected = {}
    for n in range(count):
        data = random_bytes(size + n, seed=n)
        write_complete(folder / f"f{n:02d}.jpg", data)
        expected[f"cams/f{n:02d}.jpg"] = data
    return expected


def _arrived_once(service: Any, bucket: str, keys: list[str], expected: dict[str, bytes]) -> None:
    assert Counter(keys) == Counter(dict.fromkeys(expected, 1)), Counter(keys)  # nothing missing, nothing twice
    listed = sorted(e.key for e in service.s3.list_objects(bucket, "cams/", recursive=True))
    assert listed == sorted(expected)
    for key, data in expected.items():
        assert read_object(service, bucket, key) == data


def test_with_its_defaults_a_burst_has_more_than_four_uploads_in_flight(env: dict[str, str], service: Any,
                                                                        bucket: str, tmp_path: Path) -> None:
    """The CLI as shipped (no --workers, no MINIO_MAX_WORKERS): 12 frames at once are all held in the
    proxy until 6 are there together, which a pool of 4 (the old default) never reaches."""
    folder = tmp_path / "drop"
    folder.mkdir()
    gate = Gate(want=6)
    with _proxy_for(env, gate) as proxy:
        events = _watch_cli(folder, f"s3://{bucket}/cams/", {"MINIO_ENDPOINT": proxy.endpoint})
        try:
            events.wait(lambda: bool(events.of("pass")), "the first pass never ended")
            assert events.of("started")[0]["workers"] == CEILING
            expected = _burst(folder, 12)
            gate.wait(lambda: gate.peak >= 6, "the watcher never had 6 uploads in flight at once")
            events.wait(lambda: len(events.uploaded_keys()) >= len(expected), "not every file was uploaded")
        finally:
            gate.open()  # a failure must not leave uploads held (SIGTERM waits for those in flight)
            code, err = events.stop()
    assert code == 0, err
    assert events.of("stopped")[-1]["backlog"] == 0
    _arrived_once(service, bucket, events.uploaded_keys(), expected)


def test_minio_max_workers_is_the_ceiling_the_cli_announces(env: dict[str, str], bucket: str,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    events = _watch_cli(folder, f"s3://{bucket}/cams/", {"MINIO_MAX_WORKERS": "2"})
    try:
        events.wait(lambda: bool(events.of("started")), "the watcher never started")
    finally:
        code, err = events.stop()
    assert code == 0, err
    started = events.of("started")[0]
    assert started["workers"] == 2
    from its_store.sync.watch_report import format_line
    assert format_line(started).endswith(", up to 2 uploads at once)")


def _stepped_watcher(env: dict[str, str], proxy: FaultProxy, folder: Path, bucket: str, events: Events,
                     **kw: Any) -> Any:
    from its_store import StorageService, load_settings
    service = StorageService(load_settings(endpoint=proxy.endpoint))
    return make_watcher(service, folder, bucket, events, **kw)


def _hold_a_burst(st: Stepper, gate: Gate, names: list[str], held: int) -> int:
    """Hear `names`, turn until every one is complete and queued or in flight and `held` PUTs wait in
    the proxy, then turn a few more times: the most uploads in flight seen at any turn."""
    peak = 0

    def turned() -> bool:
        nonlocal peak
        peak = max(peak, len(st.w._inflight))
        return all(n in st.w._ready or n in st.w._inflight for n in names) and gate.held >= held

    for name in names:
        st.event("added", name)
    st.until(turned, f"{len(names)} files queued or in flight, {held} PUTs held")
    for _ in range(5):  # every file is complete: a turn would start any upload the pace allowed
        st.turn()
        turned()
    return peak


def test_minio_max_workers_caps_the_uploads_in_flight(env: dict[str, str], service: Any, bucket: str,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    monkeypatch.setenv("MINIO_MAX_WORKERS", "2")
    expected = _burst(folder, 8)
    names = [key.removeprefix("cams/") for key in expected]
    events, gate = Events(), Gate()
    with _proxy_for(env, gate) as proxy:
        watcher = _stepped_watcher(env, proxy, folder, bucket, events)
        assert watcher.workers == 2
        with Stepper(watcher) as st:
            try:
                peak = _hold_a_burst(st, gate, names, held=2)
                assert peak == 2 and len(st.w._inflight) == 2 and len(st.w._ready) == 6
            finally:
                gate.open()  # a failure must not leave uploads held (the Stepper waits for them)
            st.until(lambda: len(events.uploaded_keys()) == len(expected), "every file uploaded")
            st.idle()
        watcher.service.close()
    assert gate.peak == 2
    _arrived_once(service, bucket, events.uploaded_keys(), expected)


def test_bytes_in_flight_stay_under_the_bound(env: dict[str, str], service: Any, bucket: str,
                                              tmp_path: Path) -> None:
    """Files of ~10 KB with a bound of 25,000 bytes: two at a time, whatever the backlog."""
    folder = tmp_path / "drop"
    folder.mkdir()
    expected = _burst(folder, 6, size=10_000)
    names = [key.removeprefix("cams/") for key in expected]
    events, gate = Events(), Gate()
    with _proxy_for(env, gate) as proxy:
        watcher = _stepped_watcher(env, proxy, folder, bucket, events, max_bytes=25_000)
        with Stepper(watcher) as st:
            try:
                peak = _hold_a_burst(st, gate, names, held=2)
                assert peak == 2 and watcher.uploads.in_bytes <= 25_000 and watcher.pace.target < CEILING
            finally:
                gate.open()
            st.until(lambda: len(events.uploaded_keys()) == len(expected), "every file uploaded")
            st.idle()
        watcher.service.close()
    _arrived_once(service, bucket, events.uploaded_keys(), expected)


def test_a_finished_upload_wakes_the_scheduling_thread(service: Any, bucket: str, tmp_path: Path) -> None:
    """The loop waits up to a tick for kernel events; a finished upload ends that wait (a `wake`
    change), so the next upload starts at once instead of up to a tick later."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    (folder / "a.jpg").write_bytes(random_bytes(1000, seed=1))
    with Stepper(make_watcher(service, folder, bucket, events)) as st:
        st.event("added", "a.jpg")
        st.in_flight("a.jpg")
        st.finished_unheard()
        changes = st.w.feed.changes
        deadline = time.monotonic() + DEADLINE  # a safety net: the condition is the queued change
        while ("wake", "") not in list(changes.queue):
            assert time.monotonic() < deadline, "the finished upload did not wake the scheduling thread"
            time.sleep(0.01)
        st.idle()
    assert events.uploaded_keys() == ["cams/a.jpg"]
