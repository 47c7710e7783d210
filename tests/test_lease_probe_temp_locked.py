"""The watcher's lease probe (sync/watch_files.lease_support) makes a file named as a temp in the watched folder.
A dead-temp sweep (core/stale_temps) run from ANOTHER pid namespace (a container sharing the folder: there our
pid is no process) removes any temp whose flock nobody holds; the probe held none, so a sweep between its create
and its second open made that open raise FileNotFoundError outside any handler: a traceback at the watcher's
start. The probe now holds the temp's flock as every temp's writer does (core/files.create_temp), and a probe
file gone all the same is "lease support unknown", never an exception.

Real parts: the sweep is core/stale_temps.sweep_folder run by `unshare -p -f --mount-proc` (a new pid namespace
with its own /proc); only WHEN it runs is chosen here: right before the probe opens its file again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT

SWEEP = ("import os, sys; from its_store.core.stale_temps import sweep_folder; "
         "print(sweep_folder(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)).count)")


def _sweep_elsewhere(folder: Path) -> int:
    """Run the dead-temp sweep of `folder` in a new pid namespace; how many temps it removed."""
    done = subprocess.run(["unshare", "-p", "-f", "--mount-proc", sys.executable, "-c", SWEEP, str(folder)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ,
                                                                                     "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_a_sweep_from_another_pid_namespace_leaves_the_lease_probe_alone(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.sync import watch_files
    real_open = os.open
    swept: list[int] = []

    def open_after_a_sweep(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if "its-lease-probe" in str(path) and not flags & (os.O_WRONLY | os.O_RDWR) and not swept:
            swept.append(_sweep_elsewhere(tmp_path))  # (once: the probe's open of its file to read)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_after_a_sweep)
    support = watch_files.lease_support(tmp_path)
    monkeypatch.undo()
    assert swept == [0], swept  # the sweep saw the probe's temp locked, and left it
    assert support.mode in ("all", "own", "none"), support  # probed: the file was still there
    assert list(tmp_path.iterdir()) == []  # and removed by the probe afterwards
