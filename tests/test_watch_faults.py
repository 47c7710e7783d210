"""sync --watch when things go wrong: the server goes away (through several retries), the watcher is SIGKILLed, SIGTERM
and Ctrl-C arrive with a file in flight. Real processes and real servers: the outage test starts its
OWN SeaweedFS (the suite's is shared) and stops and restarts it on the same port and data folder; the
signal tests run `its-store sync DIR s3://B/P/ --watch` as a subprocess (through a stalling fault proxy
where a file must be in flight)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_watch import Events, barrier, make_watcher, read_object, running

from its_store.testing.devserver import SeaweedServer

from helpers import random_bytes

pytestmark = pytest.mark.timeout(120)

ITS_STORE = str(Path(sys.executable).parent / "its-store")


def _own_service(server: SeaweedServer, tmp_path: Path, bucket: str) -> Any:
    """A StorageService on this test's own server (one retry, 2 s connect timeout: an outage shows
    quickly), with its cache and audit log in tmp_path, and `bucket` made on it."""
    from its_store import StorageService, load_settings
    settings = load_settings(endpoint=server.endpoint, access_key=server.access_key,
                             secret_key=server.secret_key, secure=False, max_retries=1, connect_timeout=2,
                             cache_dir=tmp_path / "cache", audit_log=tmp_path / "audit.log")
    service = StorageService(settings)
    service.s3.make_bucket(bucket)
    return service

def test_server_gone_through_several_retries_every_file_arrives(tmp_path: Path) -> None:
    """Frames keep coming while the server is away, one after each failed retry, until the watcher has
    failed four times (0.5 s doubling: the fourth backoff is the cap, 3 s, jittered to 1.5-3 s; more
    failures only wait out the cap again): once the server is back every file arrives, once. (A smaller
    cap would save ~2 s but makes the next try likelier to reach the server while it restarts: a request
    in SeaweedFS's warm-up stalls it for ~15-20 s.)"""
    server = SeaweedServer().start()
    try:
        service = _own_service(server, tmp_path, "outage")
        folder = tmp_path / "drop"
        folder.mkdir()
        events = Events()
        expected: dict[str, bytes] = {}

        def drop(n: int) -> None:
            data = random_bytes(20_000 + n, seed=n)
            (folder / f"f{n:03d}.jpg").write_bytes(data)
            expected[f"cams/f{n:03d}.jpg"] = data

        with running(make_watcher(service, folder, "outage", events, backoff_cap=3.0)):
            for n in range(5):
                drop(n)
            events.wait(lambda: len(events.uploaded_keys()) == 5)
            server.stop(remove=False)
            n = 5
            while len(events.of("unreachable")) < 4:  # frames keep coming while the server is away
                failures = len(events.of("unreachable"))
                drop(n)
                n += 1
                events.wait(lambda failures=failures: len(events.of("unreachable")) > failures)
            assert max(e["retry_in"] for e in events.of("unreachable")) >= 1.5  # backed off to the cap
            assert len(events.uploaded_keys()) == 5
            server.restart()
            events.wait(lambda: set(events.uploaded_keys()) >= set(expected), timeout=60)
            markers = barrier(folder, events)
        counts = Counter(events.uploaded_keys())
        assert counts == Counter(dict.fromkeys([*expected, *markers], 1)), counts  # all, once
        assert events.of("online")
        assert events.of("stopped")[-1]["backlog"] == 0
        for key, data in expected.items():
            assert read_object(service, "outage", key) == data
        service.close()
    finally:
        server.stop()


@pytest.mark.timeout(400)
def test_backlog_far_beyond_the_window_waits_on_disk_and_drains_once_in_order(tmp_path: Path) -> None:
    """400 files owed while the server is down, a window of 20: at most 20 are ever held in memory,
    the rest wait in the journal on disk; once the server is back every file arrives exactly once, in
    the order the journal recorded them (one upload thread, so the order is observable).

    tick=0.005: with one upload thread the watcher starts the next upload on its next tick after one
    finished (a finished upload does not wake the loop), so the 400 uploads took ~400 ticks: ~20 s at the
    default 0.05 s. backoff_cap=3: with 1 s the first try after the restart often reached SeaweedFS
    while it warmed up, which stalls it for ~15-20 s (2 drains of 5 took ~25 s; with 3 s: 5-8 s).
    What is checked (window, journal order, once each) depends on neither."""
    server = SeaweedServer().start()
    total, window = 400, 20
    try:
        service = _own_service(server, tmp_path, "backlog")
        folder = tmp_path / "drop"
        folder.mkdir()
        events = Events()
        watcher = make_watcher(service, folder, "backlog", events, backoff_cap=3.0, window=window, workers=1,
                               tick=0.005)
        with running(watcher):
            server.kill()  # gone at once (SIGTERM: ~2 s of SeaweedFS's shutdown); it holds only the bucket
            for n in range(total):
                (folder / f"f{n:04d}.jpg").write_bytes(random_bytes(200 + n % 7, seed=n))
            events.wait(lambda: len(watcher.journal) == total and bool(events.of("unreachable")), timeout=120)
            owed = owed_on_disk(watcher.journal.path)  # all 2,000 on disk, in the order first heard of
            assert sorted(owed) == [f"f{n:04d}.jpg" for n in range(total)]
            assert watcher.window_peak == window  # full, and never more
            assert events.uploaded_keys() == []
            server.restart()
            events.wait(lambda: len(events.uploaded_keys()) >= total, timeout=300)
            markers = barrier(folder, events)  # every kernel event handled: a file sent twice shows now
        assert watcher.window_peak == window
        keys = events.uploaded_keys()
        assert keys[-2:] == markers
        keys = keys[:-2]
        assert Counter(keys) == Counter({f"cams/{rel}": 1 for rel in owed})  # every file, once
        assert keys == [f"cams/{rel}" for rel in owed]  # drained in the journal's order
        assert events.of("online") and events.of("stopped")[-1]["backlog"] == 0
        assert owed_on_disk(watcher.journal.path) == []
        listed = sorted(e.key for e in service.s3.list_objects("backlog", "cams/"))
        assert listed == sorted([*keys, *markers])
        for n in range(0, total, 97):
            assert read_object(service, "backlog", f"cams/f{n:04d}.jpg") == random_bytes(200 + n % 7, seed=n)
        service.close()
    finally:
        server.stop()


RUNNER = """
import sys
import threading
from pathlib import Path
from its_store import StorageService, load_settings
from its_store.sync.watch import serve, watcher_for
from its_store.sync.watch_report import format_json

def on_event(event):
    sys.stdout.write(format_json(event) + "\\n")
    sys.stdout.flush()

folder, dest, settle, close_check = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
service = StorageService(load_settings())
watcher = watcher_for(service, folder, dest, settle=settle, close_check=close_check, first_pass=False,
                      on_event=on_event)

def announce():  # files written from now on are seen by the kernel watch (the runner's own line, not an event)
    watcher.ready.wait()
    sys.stdout.write('{"event": "watching", "time": ""}\\n')
    sys.stdout.flush()

threading.Thread(target=announce, daemon=True).start()
sys.exit(serve(watcher))
"""


def owed_on_disk(journal: Path) -> list[str]:
    """What a journal.db says is owed, oldest first, read by a second connection (as a restart would)."""
    db = sqlite3.connect(str(journal))
    try:
        return [bytes(p).decode("utf-8", "surrogatepass") for (p,) in db.execute("SELECT path FROM owed ORDER BY seq")]
    finally:
        db.close()


def _events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _wait_for(proc: subprocess.Popen[str], lines: list[str], what: str, timeout: float = 30.0) -> None:
    """Read stdout lines into `lines` until one has `"event":"<what>"`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            break
        lines.append(line)
        if json.loads(line)["event"] == what:
            return
    raise AssertionError(f"no {what} event: {lines[-10:]}")


def test_sigkilled_watcher_restarts_and_uploads_what_it_owed(env: dict[str, str], service: Any, bucket: str,
                                                             tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    dest = f"s3://{bucket}/cams/"
    # a long settle and no close check: the files are heard of (journaled) but not yet complete
    first = subprocess.Popen([sys.executable, str(runner), str(folder), dest, "60", "0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        _wait_for(first, lines, "watching")
        names = [f"k{n}.jpg" for n in range(6)]
        for n, name in enumerate(names):
            (folder / name).write_bytes(random_bytes(10_000, seed=n))
        journal = next((Path(env["MINIO_CACHE_DIR"]) / "watch").glob("*/journal.db"))
        deadline = time.monotonic() + 60  # a safety net: the condition is the journal on disk
        while len(owed_on_disk(journal)) < len(names) and time.monotonic() < deadline:
            time.sleep(0.1)  # poll pace
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert sorted(owed_on_disk(journal)) == names
    second = subprocess.Popen([sys.executable, str(runner), str(folder), dest, "0.2", "1"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        _wait_for(second, lines, "started")
        assert json.loads(lines[-1])["owed"] == len(names)
        for _ in names:
            _wait_for(second, lines, "uploaded")
        second.send_signal(signal.SIGTERM)
        rest, _err = second.communicate(timeout=20)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0
    events = _events("".join(lines) + rest)
    assert sorted(e["key"] for e in events if e["event"] == "uploaded") == [f"cams/{n}" for n in names]
    for n, name in enumerate(names):
        assert read_object(service, bucket, f"cams/{name}") == random_bytes(10_000, seed=n)
    assert owed_on_disk(journal) == []  # nothing owed any more


def _cli(folder: Path, dest: str, *extra: str, json_out: bool = True, env: dict[str, str] | None = None
         ) -> subprocess.Popen[str]:
    args = [ITS_STORE, "sync", str(folder), dest, "--watch", "--settle", "0.3", *extra]
    if json_out:
        args.append("--json")
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 0), (signal.SIGHUP, 129)], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_finishes_the_file_in_flight_and_exits_0(env: dict[str, str], service: Any, bucket: str,
                                                         tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """SIGHUP (a closed terminal, `kill -HUP`) stops as SIGTERM does, exit 129 (atk36): it ended the watcher
    where it stood (KeyboardInterrupt through the loop, 'stopped ... none'), the upload in flight finished
    on its daemon thread after the journal had closed, and the next start sent that file a second time."""
    folder = tmp_path / "drop"
    folder.mkdir()
    host, port = env["MINIO_ENDPOINT"].rsplit(":", 1)
    data = random_bytes(2_000_000, seed=3)
    sent = threading.Event()

    def hold_big(seen: Any) -> None:
        """big.jpg's PUT waits in the proxy until SIGTERM was sent, so that it is in flight at SIGTERM whatever
        the load (it was a 1.5 s stall of every request, the first pass's too). Once kill() returned, the
        watcher's main thread runs its handler before it can see that PUT's outcome: the signal is
        delivered to it on its next return from the kernel, and that upload's answer comes later still."""
        if seen.method == "PUT" and seen.target.split("?")[0].endswith("/big.jpg"):
            assert sent.wait(60), "SIGTERM was never sent"  # a safety net
        return None

    with FaultProxy(int(port), upstream_host=host, answer=hold_big, record=True) as proxy:
        proc = _cli(folder, f"s3://{bucket}/cams/", env={"MINIO_ENDPOINT": proxy.endpoint,
                                                         "MINIO_READ_TIMEOUT": "30"})
        lines: list[str] = []
        try:
            _wait_for(proc, lines, "pass", timeout=40)
            writer = open(folder / "unfinished.jpg", "wb")  # still open at SIGTERM: owed, not sent
            writer.write(b"half a frame")
            writer.flush()
            (folder / "big.jpg").write_bytes(data)
            deadline = time.monotonic() + 60  # a safety net: the condition is big.jpg's PUT in the proxy
            while not proxy.requests_to("PUT", lambda seen: seen.target.split("?")[0].endswith("/big.jpg")):
                assert time.monotonic() < deadline and proc.poll() is None, "big.jpg was never sent"
                time.sleep(0.02)  # poll pace
            # complete, handed to an upload thread, its PUT waiting in the proxy: in flight at SIGTERM
            proc.send_signal(sig)
            sent.set()
            rest, err = proc.communicate(timeout=40)
            writer.close()
        finally:
            sent.set()
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == code, err
    events = _events("".join(lines) + rest)
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "stopped" and events[-1]["signal"] == sig.name
    assert [e["key"] for e in events if e["event"] == "uploaded"] == ["cams/big.jpg"]
    assert events[-1]["backlog"] == 1  # unfinished.jpg, in the journal for the next start
    assert read_object(service, bucket, "cams/big.jpg") == data


def test_sighup_ignored_by_nohup_stays_ignored(env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    """Under `nohup` (SIGHUP ignored), a closed terminal does not stop the watcher (reva, session 36): the
    watcher's SIGHUP handler (exit 129) replaced nohup's SIG_IGN, so an edge box's watcher started with nohup
    over SSH stopped when the session ended. The CLI's own SIGTERM/SIGHUP handling already leaves an ignored
    signal alone (cli/signals.stop_on_signals)."""
    _still_watching_after(["nohup"], signal.SIGHUP, b"a frame sent after the hang-up", env, service, bucket,
                          tmp_path)


def _still_watching_after(launcher: list[str], sig: signal.Signals, frame: bytes, env: dict[str, str], service: Any,
                          bucket: str, tmp_path: Path) -> None:
    """A watcher started through `launcher` (which leaves `sig` ignored) gets `sig` after its first pass, then
    a new frame: it must upload the frame (still watching), and stop on SIGTERM with exit 0."""
    folder = tmp_path / "drop"
    folder.mkdir()
    command = [ITS_STORE, "sync", str(folder), f"s3://{bucket}/cams/", "--watch", "--settle", "0.3", "--json"]
    proc = subprocess.Popen([*launcher, *command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    lines: list[str] = []
    try:
        _wait_for(proc, lines, "pass", timeout=40)
        proc.send_signal(sig)
        (folder / "after.jpg").write_bytes(frame)
        _wait_for(proc, lines, "uploaded", timeout=40)  # still watching
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    events = _events("".join(lines) + rest)
    assert events[-1]["event"] == "stopped" and events[-1]["signal"] == "SIGTERM"
    assert read_object(service, bucket, "cams/after.jpg") == frame


def test_ctrl_c_exits_130_human_lines_and_metrics(env: dict[str, str], service: Any, bucket: str,
                                                  tmp_path: Path, cli: Any) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "before.jpg").write_bytes(b"there before the watcher")  # the first pass sends it
    metrics = tmp_path / "its_store_watch.prom"
    proc = _cli(folder, f"s3://{bucket}/cams/", "--metrics-file", str(metrics), "--remove-source",
                json_out=False)
    err_lines: list[str] = []
    try:
        deadline = time.monotonic() + 30

        def read_until(*words: str) -> None:
            """Read stderr until a line holding each of `words` was seen (in any order)."""
            missing = set(words)
            while time.monotonic() < deadline:
                line = proc.stderr.readline() if proc.stderr else ""
                assert line, err_lines
                err_lines.append(line)
                missing = {word for word in missing if word not in line}
                if not missing:
                    return
            raise AssertionError(err_lines)

        read_until("pass")
        (folder / "after.jpg").write_bytes(b"dropped while watching")
        # both before Ctrl-C: the first pass hands before.jpg to the watcher, which may send it after after.jpg
        read_until("uploaded cams/before.jpg", "uploaded cams/after.jpg")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert out == ""  # human mode: stdout is for data; talk goes to stderr
    text = "".join(err_lines) + err
    assert "\r" not in text
    for name in ("before", "after"):  # with --remove-source the first pass hands the folder to the watcher
        assert any(f" uploaded cams/{name}.jpg " in line and line.endswith(" removed") for line in text.splitlines())
    assert list(folder.iterdir()) == []  # verified, then removed
    assert text.splitlines()[-1].endswith("stopped 0 SIGINT")
    prom = metrics.read_text()
    assert "its_store_watch_files_total 2" in prom and "its_store_watch_backlog_files 0" in prom
    assert "its_store_watch_removed_total 2" in prom
    # the same figures reach the stats module: `its-store stats --prometheus`
    totals = tmp_path / "totals.prom"
    run = cli("stats", "--prometheus", str(totals), "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["gauges"]["watch_backlog_files"] == 0 and doc["gauges"]["watch_up"] == 1
    assert doc["gauges"]["watch_last_success_timestamp_seconds"] > time.time() - 120
    assert doc["operations"]["upload"]["count"] >= 2
    assert "its_store_watch_backlog_files 0" in totals.read_text()


def test_watch_refuses_what_it_cannot_do(cli: Any, bucket: str, tmp_path: Path) -> None:
    run = cli("sync", f"s3://{bucket}/x/", str(tmp_path), "--watch")
    assert run.exit_code == 2 and "local folder" in run.stderr
    run = cli("sync", str(tmp_path), f"s3://{bucket}/x/", "--watch", "--delete")
    assert run.exit_code == 2
    run = cli("sync", str(tmp_path), f"s3://{bucket}/x/", "--remove-source")
    assert run.exit_code == 2 and "--watch" in run.stderr


def test_sigterm_with_an_upload_stalled_abandons_it_at_once_and_it_is_owed(env: dict[str, str], service: Any,
                                                                           bucket: str, tmp_path: Path) -> None:
    """A server that stops answering mid-upload: SIGTERM must not wait for the read timeout (10 minutes
    here; systemd SIGKILLs after TimeoutStopSec). The stalled PUT is abandoned, stalled.jpg stays in the
    folder and owed in the journal, and the next start sends it, once."""
    folder = tmp_path / "drop"
    folder.mkdir()
    host, port = env["MINIO_ENDPOINT"].rsplit(":", 1)
    data = random_bytes(300_000, seed=4)
    stalling, done = threading.Event(), threading.Event()
    stalling.set()

    def stall(seen: Any) -> bytes | None:
        """While `stalling`, stalled.jpg's PUT gets no answer until `done`, and never reaches the server."""
        if stalling.is_set() and seen.method == "PUT" and seen.target.split("?")[0].endswith("/stalled.jpg"):
            done.wait(120)  # a safety net
            return b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
        return None

    def stalled_put(seen: Any) -> bool:
        return bool(seen.target.split("?")[0].endswith("/stalled.jpg"))

    with FaultProxy(int(port), upstream_host=host, answer=stall, record=True) as proxy:
        dest, proxied = f"s3://{bucket}/cams/", {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_READ_TIMEOUT": "600"}
        proc = _cli(folder, dest, env=proxied)
        lines: list[str] = []
        try:
            _wait_for(proc, lines, "pass", timeout=40)
            (folder / "stalled.jpg").write_bytes(data)
            deadline = time.monotonic() + 60  # a safety net: the condition is the PUT in the proxy
            while not proxy.requests_to("PUT", stalled_put):
                assert time.monotonic() < deadline and proc.poll() is None, "stalled.jpg was never sent"
                time.sleep(0.02)  # poll pace
            proc.send_signal(signal.SIGTERM)
            try:  # far below the 600 s read timeout the old stop waited for; a safety net, not a measurement
                rest, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                raise AssertionError("SIGTERM waited for the stalled upload") from None
        finally:
            stalling.clear()
            done.set()
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        events = _events("".join(lines) + rest)
        assert events[-1]["event"] == "stopped" and events[-1]["signal"] == "SIGTERM"
        assert events[-1]["backlog"] == 1 and events[-1]["abandoned"] == 1
        assert not [e for e in events if e["event"] == "uploaded"]
        assert (folder / "stalled.jpg").read_bytes() == data  # kept, owed
        journal = next((Path(env["MINIO_CACHE_DIR"]) / "watch").glob("*/journal.db"))
        assert owed_on_disk(journal) == ["stalled.jpg"]
        again = _cli(folder, dest, env=proxied)  # the next start, the server answering now: sent once
        lines = []
        try:
            _wait_for(again, lines, "started", timeout=60)
            assert json.loads(lines[-1])["owed"] == 1
            _wait_for(again, lines, "uploaded", timeout=60)
            again.send_signal(signal.SIGTERM)
            rest, err = again.communicate(timeout=60)
        finally:
            if again.poll() is None:
                again.kill()
    assert again.returncode == 0, err
    events = _events("".join(lines) + rest)
    assert [e["key"] for e in events if e["event"] == "uploaded"] == ["cams/stalled.jpg"]
    assert read_object(service, bucket, "cams/stalled.jpg") == data
    assert len(proxy.requests_to("PUT", stalled_put)) == 2  # the abandoned one, and the one after the restart


def test_sigint_ignored_at_start_stays_ignored(env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    """A watcher started in the background by a script (`its-store sync --watch ... &`: sh starts such a command
    with SIGINT ignored, and Python leaves an ignored SIGINT alone) is not stopped by a Ctrl-C meant for the
    script's foreground command (atk4, session 36): serve() put its own SIGINT handler over the SIG_IGN it
    inherited, as it did over nohup's SIGHUP."""
    _still_watching_after(["sh", "-c", 'trap "" INT; exec "$@"', "sh"], signal.SIGINT,
                          b"a frame sent after the Ctrl-C", env, service, bucket, tmp_path)
