"""The watcher's memory with a large backlog: N files owed in the journal, the server unreachable.

    flock /tmp/its-heavy.lock .venv/bin/python bench/watch_backlog_rss.py [--files 200000] [--seconds 8]

Creates N empty files in a temp folder, records all N as owed in the watcher's journal (as a watcher that
heard of them and never reached the server would have), then starts a Watcher on that folder against a dead
endpoint (a closed local port: every upload is "unreachable") and, after `seconds`, reads its RSS (VmRSS) and
peak (VmHWM) from /proc/self/status. A second measurement with an empty journal gives the baseline. Each
measurement runs in its own process. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, re, sys, threading, time
from pathlib import Path
from its_store import StorageService, load_settings
from its_store.sync.watch import Watcher

folder, state, endpoint, seconds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
def vm(name):
    return int(re.search(name + r":\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024
settings = load_settings(endpoint=endpoint, access_key="k" * 8, secret_key="s" * 16, secure=False,
                         max_retries=1, connect_timeout=1, cache_dir=state, audit_log=state / "audit.log")
service = StorageService(settings)
events = []
watcher = Watcher(service, folder, "bucket", "cams/", first_pass=False, state_dir=state, settle=0.1,
                  on_event=events.append, backoff_cap=1.0)
before = vm("VmRSS")
thread = threading.Thread(target=watcher.run, daemon=True)
thread.start()
started = time.monotonic()
time.sleep(seconds)
window = len(watcher._pending) + len(watcher._ready) + len(watcher._inflight)
rss, hwm = vm("VmRSS"), vm("VmHWM")
watcher.stop()
thread.join(60)
owed = next((e["owed"] for e in events if e["event"] == "started"), None)
print(json.dumps({"rss_before_run_mib": round(before, 1), "rss_mib": round(rss, 1), "peak_mib": round(hwm, 1),
                  "owed_at_start": owed, "in_memory_window": window,
                  "unreachable_events": sum(e["event"] == "unreachable" for e in events),
                  "backlog_at_stop": events[-1].get("backlog")}))
"""


def dead_endpoint() -> str:
    """127.0.0.1:<a port nobody listens on> (bound, then closed: connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def journal_with(state: Path, folder: Path, names: list[str]) -> None:
    """Record `names` as owed in the journal the watcher of `folder` will open."""
    from its_store import load_settings
    from its_store.sync.watch_journal import Journal, journal_dir
    endpoint = load_settings(endpoint=ENDPOINT, access_key="k" * 8, secret_key="s" * 16, secure=False).endpoint
    journal = Journal(journal_dir(state, endpoint, folder, "bucket", "cams/"))
    journal.open()
    for name in names:
        journal.add(name)
    journal.close()


def measure(folder: Path, state: Path, seconds: float) -> dict[str, object]:
    run = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(state), ENDPOINT, str(seconds)],
                         capture_output=True, text=True, timeout=600)
    if run.returncode:
        raise SystemExit(run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


ENDPOINT = dead_endpoint()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="its-rss-") as tmp:
        base = Path(tmp)
        empty, folder = base / "empty", base / "frames"
        empty.mkdir()
        folder.mkdir()
        names = []
        for n in range(args.files):
            sub = folder / f"cam{n // 10_000:02d}"
            if n % 10_000 == 0:
                sub.mkdir()
            name = f"cam{n // 10_000:02d}/f{n:07d}.jpg"
            (folder / name).touch()
            names.append(name)
        t0 = time.monotonic()
        journal_with(base / "state", folder, names)
        journal_seconds = time.monotonic() - t0
        del names
        baseline = measure(empty, base / "state-empty", args.seconds)
        loaded = measure(folder, base / "state", args.seconds)
        journal_bytes = sum(p.stat().st_size for p in (base / "state" / "watch").rglob("*") if p.is_file())
    print(json.dumps({"files": args.files, "seconds": args.seconds, "journal_write_seconds": round(journal_seconds, 1),
                      "journal_bytes_after": journal_bytes, "empty": baseline, "backlog": loaded}, indent=1))


if __name__ == "__main__":
    main()
