"""A slow batch pays no more per object for its records than a quick one (state/flush_rule.py, issue 22).

A batch's audit lines, stats counts and cache invalidations are buffered and written together. Written
whenever 0.5 s had passed, a run ~40x slower than usual (callgrind; a loaded machine) wrote them every
object or two, each write a fixed cost (an open-write-close, a model update, an SQLite transaction). Here the
clock of each buffer's module moves 0.6 s per object: each is still written, in order, without waiting for
the batch's end, but only every few objects. The clock is the test's own (no sleeping, nothing timed)."""

from __future__ import annotations

import json
import time
import types
from pathlib import Path
from typing import Any

import pytest

from its_store.state import audit, flush_rule, service_cache, stats_model

N = 64
STEP = 0.6  # seconds an object takes in a very slow run: more than every buffer's short wait (0.5 s)
MOST = N // 6  # writes allowed for N objects (the short wait alone wrote one per object or two: 32 to 64)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def _slow_clock(monkeypatch: pytest.MonkeyPatch, *modules: Any) -> Clock:
    """Each module's `time`, with its own monotonic clock (the rest of `time` as it is)."""
    clock = Clock()
    fake = types.SimpleNamespace(**{name: getattr(time, name) for name in dir(time) if not name.startswith("_")})
    fake.monotonic = clock.monotonic
    for module in modules:
        monkeypatch.setattr(module, "time", fake)
    return clock


def test_a_slow_batch_writes_its_audit_lines_every_few_objects(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _slow_clock(monkeypatch, audit)
    writes: list[int] = []
    real = audit.AuditLog._append

    def counted(self: Any, data: bytes) -> None:
        writes.append(data.count(b"\n"))
        real(self, data)

    monkeypatch.setattr(audit.AuditLog, "_append", counted)
    log = audit.AuditLog(tmp_path / "audit.log", access_key="AK", endpoint="h:9000")
    buffer = log.buffer()
    for i in range(N):
        buffer.add_fields("upload", {"bucket": "b", "key": f"k{i:02d}", "sha256": f"{i:064x}"}, ok=True)
        clock.now += STEP
    assert writes  # written as the batch goes (a long wait still flushes), not only at its end
    buffer.flush()
    lines = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert [line["key"] for line in lines] == [f"k{i:02d}" for i in range(N)]  # each once, in order
    assert all(line["sha256"] == f"{i:064x}" for i, line in enumerate(lines))
    assert len(writes) <= MOST + 1, writes  # + the end's


def test_a_slow_batch_writes_its_cache_invalidations_every_few_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _slow_clock(monkeypatch, service_cache)
    written: list[list[str]] = []
    deferral = service_cache.Deferral(written.append, lambda bucket, key: f"{bucket}/{key}")
    for i in range(N):
        deferral.add_object("b", f"k{i:02d}")
        clock.now += STEP
        deferral.flush_due()  # the owner's tick as each outcome comes back
    assert written  # not only at the end
    deferral.flush()
    assert [group for groups in written for group in groups] == [f"b/k{i:02d}" for i in range(N)]
    assert len(written) <= MOST + 1, [len(groups) for groups in written]


def test_a_slow_batch_adds_its_counts_every_few_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _slow_clock(monkeypatch, stats_model)
    stats = stats_model.StorageStats()
    added: list[int] = []
    real = stats_model.StorageStats.add_counts

    def counted(self: Any, counts: dict[str, list[float]]) -> None:
        added.append(int(counts["upload"][0]))
        real(self, counts)

    monkeypatch.setattr(stats_model.StorageStats, "add_counts", counted)
    tally = stats.tally()
    for _ in range(N):
        tally.add("upload", ok=True, nbytes=100, seconds=STEP)
        clock.now += STEP
    assert added
    tally.flush()
    assert sum(added) == N and stats.operations["upload"].count == N and stats.operations["upload"].bytes == N * 100
    assert len(added) <= MOST + 1, added


def test_a_quick_batch_is_written_by_count_and_a_lone_line_after_the_long_wait() -> None:
    """The rule itself: full at the count; the short wait with FEW waiting; the long one with any."""
    assert flush_rule.due(256, 256, 0.0, 0.5)
    assert not flush_rule.due(255, 256, 0.49, 0.5)
    assert flush_rule.due(flush_rule.FEW, 256, 0.5, 0.5)
    assert not flush_rule.due(flush_rule.FEW - 1, 256, 0.5 * flush_rule.LONG_WAITS - 0.01, 0.5)
    assert flush_rule.due(1, 256, 0.5 * flush_rule.LONG_WAITS, 0.5)
