"""Ctrl-C in the registry's fan-outs (transfer/fanout.py): a `model register` or `model pull` interrupted
midway exits 130, starts no further file, and leaves nothing behind (no version's files on the server; no
DEST and no staging folder on disk).

The CLI runs as a real process behind tests/faultproxy.py, whose hook holds every file request after the
first until the test has sent SIGINT: the command is provably midway, whatever the machine's scheduling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy, Seen

from its_store.core import errors as E

from helpers import write_file

FILES = 40
WORKERS = 2
MOST = 1 + WORKERS + 4 * WORKERS  # the file let through, the ones running, and fan_out's look-ahead (4 x workers)
SAFETY = 120.0  # a safety net only: every wait below is on a real condition

_WITH_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execv(sys.executable, [sys.executable, '-m', 'its_store', *sys.argv[1:]])")


class HoldFiles:
    """An `answer` hook: lets the first `method` request for a file under `prefix` through, then holds every
    further one until release(); counts those requests that reached the proxy."""

    def __init__(self, method: str, prefix: str) -> None:
        self.method, self.prefix = method, prefix
        self.count = 0
        self.held = threading.Event()  # a second file request is waiting: the command is midway
        self.released = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, seen: Seen) -> None:
        if seen.method != self.method or self.prefix not in seen.path:
            return None
        with self.lock:
            self.count += 1
            first = self.count == 1
        if not first:
            self.held.set()
            assert self.released.wait(SAFETY), "a held request was never released"
        return None


def interrupted(args: list[str], env: dict[str, str], port: int, hook: HoldFiles, cwd: Path) -> tuple[int, str]:
    """Run the CLI through a proxy holding files with `hook`, send SIGINT once a file is held, then release."""
    proxy = FaultProxy(port, answer=hook).start()
    try:
        proc = subprocess.Popen([sys.executable, "-c", _WITH_SIGINT, *args],
                                env={**os.environ, **env, "MINIO_ENDPOINT": proxy.endpoint,
                                     "MINIO_MAX_WORKERS": str(WORKERS)},
                                cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert hook.held.wait(SAFETY), f"{args[:2]} never asked for a second file"
            proc.send_signal(signal.SIGINT)
        finally:
            hook.released.set()
            _, err = proc.communicate(timeout=SAFETY)
    finally:
        proxy.stop()
    text = err.decode()
    assert "Traceback" not in text, text
    return proc.returncode, text


def model_folder(root: Path) -> Path:
    for i in range(FILES):
        write_file(root / f"part-{i:02d}.bin", 2000, seed=i)
    return root


def _port(server: Any) -> int:
    return int(server.endpoint.rsplit(":", 1)[1])


def test_ctrl_c_during_register_stops_the_uploads_and_leaves_no_version(env, service, buckets, s3_server,
                                                                        tmp_path: Path):
    model = model_folder(tmp_path / "model")
    hook = HoldFiles("PUT", "/cam_det/1.0.0/part-")
    code, err = interrupted(["model", "register", str(model), "--name", "cam_det", "--version", "1.0.0"],
                            env, _port(s3_server), hook, tmp_path)
    assert code == E.EXIT_INTERRUPTED, err
    # No upload started after Ctrl-C (a pool that runs what was submitted uploads all FILES first) ...
    assert hook.count <= MOST, hook.count
    # ... and what was uploaded is gone with the marker: no trace of the version.
    assert [o.key for o in service.s3.list_objects(buckets["models"], "cam_det/", True)] == []


def test_ctrl_c_during_pull_exits_130_starts_nothing_more_and_leaves_no_staging(cli, env, s3_server,
                                                                                tmp_path: Path):
    model = model_folder(tmp_path / "model")
    run = cli("model", "register", str(model), "--name", "cam_det", "--version", "1.0.0", "--json")
    assert run.exit_code == 0, run
    dest = tmp_path / "out"
    dest.mkdir()
    hook = HoldFiles("GET", "/cam_det/1.0.0/part-")
    code, err = interrupted(["model", "pull", "cam_det@1.0.0", str(dest / "cam_det")], env, _port(s3_server),
                            hook, tmp_path)
    assert code == E.EXIT_INTERRUPTED, err
    assert list(dest.iterdir()) == []  # no DEST, no staging folder (.cam_det.*.its-tmp)
    assert hook.count <= MOST, hook.count  # no file started after Ctrl-C
