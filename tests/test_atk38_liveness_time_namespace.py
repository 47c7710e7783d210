"""core/liveness.gone across time namespaces. /proc/PID/stat's start time (field 22) is given in the READER's
time namespace (the kernel adds that namespace's boot-time offset: CRIU's restored containers, `unshare
--time`), so a checker in another time namespace of the same boot and pid namespace read another start for the
same RUNNING process and called it provably dead: `model register` there took over a live registration
(registry/removal.take_over_dead). The marker records the time namespace too; another one is "cannot tell".

Real parts: this process is the holder (running); the check runs in a new time namespace (unshare --time,
boot time moved 100,000 s) of the same pid namespace."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers import ROOT

CHECK = "import json, sys; from its_store.core.liveness import gone; print(json.dumps(gone(json.loads(sys.argv[1]))))"


def _gone_from(doc: dict[str, object], *unshare: str) -> object:
    done = subprocess.run([*unshare, sys.executable, "-c", CHECK, json.dumps(doc)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_running_holder_is_not_gone_from_another_time_namespace() -> None:
    from its_store.core.liveness import this_process
    doc = this_process()
    assert _gone_from(doc) is False  # the same namespaces: it runs
    assert _gone_from(doc, "unshare", "--time", "--boottime", "100000") is None


def test_a_dead_holder_is_still_gone_in_the_same_time_namespace() -> None:
    from its_store.core.liveness import this_process
    child = subprocess.Popen(["true"])
    child.wait()
    assert _gone_from({**this_process(), "pid": child.pid}) is True
