"""A registration marker whose fields are not what its-store writes (any writer of the registry bucket can put
one): `"pid": true` is an int to isinstance (bool is int's subclass), so the refusal named its holder "pid True"
(core/liveness.holder_text), and gone() asked the kernel about pid 1. JSON's true/false are not process ids:
the holder is unnamed ("another process") and cannot be judged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import one_line_error
from helpers import write_file

MARKER = "det/1.0.0/.its-registering"


def test_a_marker_with_a_boolean_pid_names_no_pid(cli: Any, service: Any, tmp_path: Path) -> None:
    from its_store import ModelRegistry
    from its_store.core.liveness import gone, this_process
    doc = {**this_process(), "pid": True, "pid_start": True}
    assert gone(doc) is None
    ModelRegistry(service).store.put_if_absent(MARKER, {"by": "someone@edge", "at": "2026-12-07T21:00:00.000+00:00",
                                                        "tool_version": "0", "pid": True})
    run = cli("model", "register", str(write_file(tmp_path / "w.onnx", 1000, seed=1)), "--name", "det",
              "--version", "1.0.0")
    assert run.exit_code == 5, run
    line = one_line_error(run)
    assert "pid True" not in line and "being registered by another process" in line, line
