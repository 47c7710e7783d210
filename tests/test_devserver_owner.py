"""A throwaway SeaweedFS (its_store/testing/devserver.py) dies with its owner (its_store/testing/children.py).

A real owner process starts a SeaweedServer from a thread that then ends (the kernel's parent-death
signal follows the thread that forked: the server must outlive that thread, and must not outlive the
process), says on stdout that the server answers, and is killed by a signal: SIGTERM stops the server and
removes its folder; SIGKILL cannot be caught, and the `weed` child dies all the same.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers import DEADLINE, ROOT

OWNER = """
import json, sys, threading, time, urllib.error, urllib.request
from its_store.testing.devserver import SeaweedServer
box = {}
starter = threading.Thread(target=lambda: box.update(server=SeaweedServer().start()))
starter.start()
starter.join()  # the thread that forked weed has ended
server = box["server"]
try:
    urllib.request.urlopen(f"http://{server.endpoint}/", timeout=30)
except urllib.error.HTTPError as exc:  # 403: alive, and auth on
    assert exc.code == 403, exc
print(json.dumps({"pid": server.process.pid, "workdir": str(server.workdir), "endpoint": server.endpoint}),
      flush=True)
while True:
    time.sleep(3600)
"""


def _gone(pid: int) -> bool:
    """The process is no more: not there, or a zombie nobody reaped yet (PID 1 in a container may not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _run_owner(sig: int) -> tuple[dict[str, str], int]:
    """Start the owner, wait for its report, kill it with `sig`; its report and exit status."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen([sys.executable, "-c", OWNER], env=env, stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True)
    timer = threading.Timer(DEADLINE, owner.kill)  # a safety net only: a hang fails below
    timer.start()
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        assert line, f"the owner ended without starting its server (exit {owner.wait()})"
        report = json.loads(line)
        assert not _gone(report["pid"]), "the server died with the thread that started it"
        owner.send_signal(sig)
        status = owner.wait()
    finally:
        timer.cancel()
    return report, status


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + DEADLINE
    while not _gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # not left running after a failed test
            return False
        time.sleep(0.05)
    return True


def test_sigterm_to_the_owner_stops_its_server_and_removes_its_folder() -> None:
    report, status = _run_owner(signal.SIGTERM)
    assert status == -signal.SIGTERM  # it still dies of SIGTERM, as it would have
    assert _wait_gone(report["pid"]), "weed outlived its owner"
    assert not Path(report["workdir"]).exists()


def test_sigkill_to_the_owner_kills_its_server() -> None:
    report, status = _run_owner(signal.SIGKILL)
    assert status == -signal.SIGKILL
    try:
        assert _wait_gone(report["pid"]), "weed outlived its owner"
    finally:
        shutil.rmtree(report["workdir"], ignore_errors=True)  # SIGKILL leaves the folder: nothing can clean it
    with pytest.raises((urllib.error.URLError, OSError)):
        urllib.request.urlopen(f"http://{report['endpoint']}/", timeout=5)
