"""`model gc` and `model rm` judge a registration's marker as `model register` does (core/liveness, through
registry/removal.dead_holder): a marker whose process provably ended on this machine (same boot and pid
namespace; its pid gone, or running a later process) is taken over. A killed `model register` left its marker and
files: gc kept them as "being registered" until the marker was --stale (1 h) old, and `model rm` of a version
whose marker a killed registration left (a `register --force` killed, a run killed after its manifest) refused,
exit 5. A marker of a running process, or one that cannot be judged here, still holds both off.

The dead process is this test's own with another start time (a pid used again by a later process: gone), as in
tests/test_killed_register_taken_over.py, which kills a real registration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import one_line_error
from helpers import write_file

MARKER = "det/1.0.0/.its-registering"


def _left_by(service: Any, buckets: dict[str, str], *, alive: bool, with_file: bool = True) -> None:
    """What a killed (or running) `model register det 1.0.0` leaves: its marker naming its process, a file."""
    from its_store import ModelRegistry
    from its_store.core.liveness import this_process
    me = this_process()
    assert {"boot_id", "pid_ns", "pid", "pid_start"} <= set(me), me
    holder = me if alive else {**me, "pid_start": me["pid_start"] - 1}
    ModelRegistry(service).store.put_if_absent(MARKER, {"by": "cam@edge", "at": "2026-12-08T00:00:00.000+00:00",
                                                        "tool_version": "0", **holder})
    if with_file:
        service.s3.put(buckets["models"], "det/1.0.0/part-w.onnx", b"half a model", {})


def _keys(service: Any, buckets: dict[str, str]) -> list[str]:
    return sorted(o.key for o in service.s3.list_objects(buckets["models"], "det/", True))


def test_gc_removes_what_a_dead_registration_left_before_it_is_stale(cli, service, buckets) -> None:
    _left_by(service, buckets, alive=False)
    run = cli("model", "gc", "det", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert run.exit_code == 0, run
    stale = run.json()["stale_registrations"]
    assert [(s["version"], s["owner_gone"], s["objects"], s.get("error")) for s in stale] == [("1.0.0", True, 2, None)]
    assert _keys(service, buckets) == []


def test_gc_keeps_what_a_running_registration_holds(cli, service, buckets) -> None:
    _left_by(service, buckets, alive=True)
    run = cli("model", "gc", "det", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert run.exit_code == 0 and run.json()["stale_registrations"] == [], run
    assert _keys(service, buckets) == ["det/1.0.0/.its-registering", "det/1.0.0/part-w.onnx"]


def test_rm_takes_over_the_marker_a_dead_registration_left(cli, service, buckets, tmp_path: Path) -> None:
    weights = write_file(tmp_path / "w.onnx", 1000, seed=2)
    assert cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0").exit_code == 0
    service.s3.remove(buckets["models"], MARKER)  # none left by the registration; a dead one's now:
    _left_by(service, buckets, alive=False, with_file=False)
    run = cli("model", "rm", "det@1.0.0", "--yes")
    assert run.exit_code == 0, run
    assert "ended without finishing; its marker was taken over" in run.stderr, run.stderr
    assert _keys(service, buckets) == []


def test_rm_is_refused_while_a_running_registration_holds_the_marker(cli, service, buckets, tmp_path: Path) -> None:
    weights = write_file(tmp_path / "w.onnx", 1000, seed=2)
    assert cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0").exit_code == 0
    _left_by(service, buckets, alive=True, with_file=False)
    run = cli("model", "rm", "det@1.0.0", "--yes")
    assert run.exit_code == 5 and "being registered" in one_line_error(run), run
