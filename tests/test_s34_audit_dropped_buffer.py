"""Session 34, small: an AuditBuffer that a library caller drops without flushing it still writes its lines.

The buffer sat in a WeakSet (state/audit._live) for the exit hook; dropped, it was collected with its lines and
nothing wrote them: the trail lost them silently, while the process went on. Now a finalizer (weakref.finalize,
holding the lines, not the buffer) writes what a collected buffer still held.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

from its_store.state.audit import AuditLog


def _add_and_drop(path: Path) -> None:
    AuditLog(path, access_key="k", endpoint="e").buffer().add("upload", bucket="b", key="dropped", size=3)


def test_a_dropped_buffer_writes_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    _add_and_drop(path)
    gc.collect()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["operation"], e["key"], e["size"], e["result"]) for e in lines] == [("upload", "dropped", 3, "ok")]


def test_a_flushed_then_dropped_buffer_writes_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    buffer = AuditLog(path, access_key="k", endpoint="e").buffer()
    buffer.add("upload", bucket="b", key="one")
    buffer.flush()
    buffer.add("upload", bucket="b", key="two")
    buffer.flush()
    del buffer
    gc.collect()
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == ["one", "two"]


def test_a_buffer_in_a_cycle_writes_its_lines_when_the_cycle_is_collected(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    buffer = AuditLog(path, access_key="k", endpoint="e").buffer()
    buffer.add("rm", bucket="b", key="cycled")
    holder: dict[str, object] = {"buffer": buffer}
    holder["self"] = holder
    buffer.owner = holder  # type: ignore[attr-defined]
    del buffer, holder
    gc.collect()
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == ["cycled"]
