"""The dead-temp sweep (core/stale_temps) behind a proc mounted hidepid=2 (a common hardening of edge boxes).
There /proc shows a process only to a caller that may ptrace it: the same uid AND gid (and a dumpable process).
A run of OUR uid under another group (a service's `get -r` as user its, group video; an operator's `sudo -u
its -g ...`) is hidden as if it had ended, so the pid in its temp's name read as dead and the temp was removed
whenever its lock was not held (between its close and its rename, the instants the module docstring names).
The kernel is asked (kill 0) before a hidden pid is called dead (as core/liveness does).

Real parts: the writer is a running `sleep` as uid 65534 gid 65533; its temp (unlocked: the window) is made
after it started; the sweep runs as uid 65534 gid 65534 in a private mount namespace whose proc is hidepid=2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

SWEEP = ("import os, sys; from its_store.core.stale_temps import sweep_folder; "
         "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY); "
         "print(os.path.exists('/proc/' + sys.argv[2]), sweep_folder(fd).count)")
AS_US = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]  # may pass through pytest's 0700 folders


def test_a_temp_of_a_running_process_hidden_by_hidepid_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    writer = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65533", "--clear-groups", "sleep", "120"])
    try:
        temp = folder / f".frame.jpg.{writer.pid}-0.its-tmp"
        temp.write_bytes(b"half a frame")
        os.chown(temp, 65534, 65534)
        script = (f"mount -t proc -o hidepid=2 proc /proc && exec {' '.join(AS_US)} {sys.executable} "
                  '-c "$0" "$1" "$2"')
        done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, SWEEP, str(folder),
                               str(writer.pid)], capture_output=True, text=True, cwd=ROOT, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "0"], done  # hidden from the sweep, and kept
    assert temp.exists()
