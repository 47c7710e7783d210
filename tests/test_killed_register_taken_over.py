"""A `model register` killed with SIGKILL leaves NAME/VERSION/.its-registering on the server. The re-run used to
exit 5 ("being registered by another process ... add --force") whoever held it. The marker now names its
process (host, boot id, pid namespace, pid, start time: core/liveness.py), so:

- on the same machine, a marker whose process is provably gone is taken over by the re-run (one line says
  so), and what the dead run uploaded that the new one does not write is removed with it;
- a marker of a running process, or of another machine, still refuses, and the message says which pid on
  which host holds it since when;
- an old marker without these fields refuses as before; --force still takes any registration's marker.

The kill is real: the CLI runs behind tests/faultproxy.py, which holds the second file upload until the test
has killed the process (SIGKILL), so the marker and one file are provably on the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy
from test_registry_interrupt import SAFETY, HoldFiles, model_folder

from conftest import one_line_error
from helpers import ROOT, write_file

MARKER = "det/1.0.0/.its-registering"


def killed_register(model: Path, env: dict[str, str], port: int, cwd: Path) -> None:
    """`model register MODEL det 1.0.0`, killed (SIGKILL) while its second file upload is held."""
    hook = HoldFiles("PUT", "/det/1.0.0/part-")
    proxy = FaultProxy(port, answer=hook).start()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "its_store", "model", "register", str(model), "--name", "det",
                                 "--version", "1.0.0"],
                                env={**os.environ, **env, "MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_WORKERS": "2",
                                     "PYTHONPATH": str(ROOT)},
                                cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert hook.held.wait(SAFETY), "the registration never asked for a second file"
            proc.send_signal(signal.SIGKILL)
            proc.wait(SAFETY)
        finally:
            hook.released.set()
    finally:
        proxy.stop()


def keys(service: Any, bucket: str) -> list[str]:
    return sorted(o.key for o in service.s3.list_objects(bucket, "det/", True))


def test_a_killed_registration_is_taken_over_by_its_rerun_on_the_same_machine(cli, env, service, buckets,
                                                                               s3_server, tmp_path: Path) -> None:
    killed_register(model_folder(tmp_path / "model"), env, int(s3_server.endpoint.rsplit(":", 1)[1]), tmp_path)
    left = keys(service, buckets["models"])
    assert MARKER in left and any("/part-" in k for k in left), left  # the dead run's marker and file(s)
    other = tmp_path / "other"
    write_file(other / "w.onnx", 3000, seed=9)
    run = cli("model", "register", str(other), "--name", "det", "--version", "1.0.0")
    assert run.exit_code == 0, run
    assert "took over the registration of pid" in run.stderr and socket.gethostname() in run.stderr, run.stderr
    assert keys(service, buckets["models"]) == ["det/1.0.0/manifest.json", "det/1.0.0/w.onnx"]  # debris gone


def _marker(reg: Any, **fields: Any) -> None:
    reg.store.put_if_absent(MARKER, {"by": "someone@edge", "at": "2026-12-07T21:00:00.000+00:00",
                                     "tool_version": "0", **fields})


def test_a_marker_of_another_machine_says_who_holds_it(cli, service, tmp_path: Path) -> None:
    from its_store import ModelRegistry
    _marker(ModelRegistry(service), host="edge-07", boot_id="0a0b0c0d-0000-4000-8000-000000000000",
            pid_ns="pid:[4026531836]", pid=4242, pid_start=123)
    weights = write_file(tmp_path / "w.onnx", 1000, seed=1)
    run = cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0")
    assert run.exit_code == 5, run
    line = one_line_error(run)
    assert "being registered by pid 4242 on host edge-07 since 2026-12-07T21:00:00.000+00:00" in line, line
    forced = cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0", "--force")
    assert forced.exit_code == 0, forced


def test_a_marker_of_a_running_process_here_is_not_taken_over(cli, service, tmp_path: Path) -> None:
    from its_store import ModelRegistry
    from its_store.core.liveness import this_process
    me = this_process()  # this test's process: it runs
    assert {"boot_id", "pid_ns", "pid", "pid_start"} <= set(me), me
    _marker(ModelRegistry(service), **me)
    run = cli("model", "register", str(write_file(tmp_path / "w.onnx", 1000, seed=1)), "--name", "det",
              "--version", "1.0.0")
    assert run.exit_code == 5 and f"by pid {os.getpid()} on host " in one_line_error(run), run


def test_a_marker_whose_pid_runs_another_process_now_is_taken_over(cli, service, tmp_path: Path) -> None:
    """Same pid, another start time: the pid was used again by a later process; the holder is gone."""
    from its_store import ModelRegistry
    from its_store.core.liveness import this_process
    me = this_process()
    _marker(ModelRegistry(service), **{**me, "pid_start": me["pid_start"] - 1})
    run = cli("model", "register", str(write_file(tmp_path / "w.onnx", 1000, seed=1)), "--name", "det",
              "--version", "1.0.0")
    assert run.exit_code == 0 and "took over the registration" in run.stderr, run


def test_an_old_marker_refuses_as_before(cli, service, tmp_path: Path) -> None:
    from its_store import ModelRegistry
    _marker(ModelRegistry(service))
    run = cli("model", "register", str(write_file(tmp_path / "w.onnx", 1000, seed=1)), "--name", "det",
              "--version", "1.0.0")
    assert run.exit_code == 5, run
    assert "being registered by another process (or an earlier attempt did not finish)" in one_line_error(run)
