"""core/liveness.gone. On a machine whose /proc hides other users' processes (mounted hidepid=2, a common
hardening of edge boxes): a registration's marker held by a RUNNING process of another user (a service
account's `model register`) must not read as "provably gone". Its /proc/PID is invisible there (as if the
process had ended), so /proc alone told "dead" and a re-run of another user took over a live registration
(registry/removal.take_over_dead). Whether the pid exists is asked of the kernel (kill 0: EPERM, it runs);
a process that runs but whose start cannot be read is "cannot tell", never "dead".

Real parts: a private mount namespace with its own hidepid=2 proc (unshare -m), a `sleep` run as nobody as
the holder, the check run as another unprivileged user (setpriv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

CHECKER = ["setpriv", "--reuid=65533", "--regid=65533", "--clear-groups",
           # may traverse root's folders (the interpreter lives under /root in this image); no ptrace right,
           # so hidepid hides the holder from it
           "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
CHECK = "import json, sys; from its_store.core.liveness import gone; print(json.dumps(gone(json.loads(sys.argv[1]))))"


def _doc(pid: int, started: int | None) -> dict[str, object]:
    """A marker's fields as a process `pid` of this machine records them (core/liveness.this_process)."""
    from its_store.core.liveness import this_process
    return {**this_process(), "pid": pid, "pid_start": started}


def _gone_behind_hidepid(doc: dict[str, object]) -> object:
    script = f"mount -t proc -o hidepid=2 proc /proc && exec {' '.join(CHECKER)} {sys.executable} -c \"$0\" \"$1\""
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, CHECK, json.dumps(doc)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_running_holder_hidden_by_hidepid_is_not_gone() -> None:
    from its_store.core.liveness import start_ticks
    holder = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", "600"])
    try:
        started = start_ticks(holder.pid)  # read here, where it is visible (as the holder recorded itself)
        assert started is not None
        assert _gone_behind_hidepid(_doc(holder.pid, started)) is not True
    finally:
        holder.kill()
        holder.wait()


def test_a_holder_that_ended_is_gone_behind_hidepid_too() -> None:
    from its_store.core.liveness import start_ticks
    holder = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", "600"])
    started = start_ticks(holder.pid)
    holder.kill()
    holder.wait()
    assert _gone_behind_hidepid(_doc(holder.pid, started)) is True


def test_a_pid_no_process_can_have_is_gone_not_a_traceback() -> None:
    """A marker's pid beyond what the kernel takes (a C long; another system's or a damaged marker) names no
    process here: gone, as /proc says, not an OverflowError out of the kernel's question."""
    from its_store.core.liveness import gone
    for pid in (2**31, 2**70):
        assert gone(_doc(pid, 1)) is True


def test_the_start_time_is_read_from_a_long_stat_line(tmp_path: Path) -> None:
    """/proc/PID/stat field 22 (the start time) sits ~90 characters in today, but counters before it grow (minor
    faults, times): a line read only to its 200th character lost it, and a live holder read as gone (its
    registration taken over). The whole line is read."""
    from its_store.core.liveness import start_ticks
    counters = " ".join(str(10**18 + i) for i in range(18))  # fields 4..21 with 19 digits each
    line = f"4242 (its-store) S {counters} 987654321 123 456\n"
    assert len(line.split(")", 1)[0]) < 20 and line.index("987654321") > 200
    (tmp_path / "4242").mkdir()
    (tmp_path / "4242" / "stat").write_text(line)
    assert start_ticks(4242, str(tmp_path)) == 987654321
