"""The stats.json document (StatsRecord): its shape, the arithmetic of its deltas, and the checks a file read
back must pass.

One concern: the persisted format, shared by the live counter (state/stats_model.py, which keeps the delta
it has not saved yet) and the store (state/stats.py, which merges deltas into the file under a lock). Every
name here is also importable from its_store.state.stats, as before.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypedDict

_FIELDS = ("count", "failures", "bytes", "seconds")


class StatsRecord(TypedDict, total=False):
    """The stats.json document (StatsStore), and a delta of it: what one process counted since its last
    save (StorageStats.take_pending). Every field is optional: a missing count is zero."""

    version: int
    since: str
    updated: str
    operations: dict[str, dict[str, float]]  # count, failures, bytes (whole numbers) and seconds
    cache_hits: int
    cache_misses: int
    gauges: dict[str, float]


def _empty_delta() -> StatsRecord:
    return {"operations": {}, "cache_hits": 0, "cache_misses": 0}


GAUGE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,127}")  # a metric name's tail (its_store_<name>)


def _check_record(record: dict[str, Any]) -> None:
    """ValueError unless the numbers of a stats.json are what StatsStore._write() (state/stats.py) writes: a
    hand-edited or damaged "cache_hits": "²" or "operations": {"get": 5} is an unreadable file, not an
    unexpected error later."""
    from its_store.core.units import read_count
    operations, gauges = record.get("operations") or {}, record.get("gauges") or {}
    if not isinstance(operations, dict) or not isinstance(gauges, dict):
        raise ValueError("operations or gauges that are not objects")
    if not all(isinstance(name, str) and GAUGE_NAME.fullmatch(name) for name in gauges):
        # a gauge's name is a metric's name in the node_exporter textfile (to_prometheus): a newline in it
        # would write lines of its own there (a metric nobody measured, or a file node_exporter refuses)
        raise ValueError("a gauge whose name is not a metric name ([a-zA-Z_][a-zA-Z0-9_]*)")
    counts = [record.get(name, 0) for name in ("cache_hits", "cache_misses")]
    reals = list(gauges.values())
    for counter in operations.values():
        if not isinstance(counter, dict):
            raise ValueError("an operation that is not an object")
        counts += [counter.get(name, 0) for name in _FIELDS[:3]]
        reals.append(counter.get("seconds", 0))
    if any(read_count(c) is None for c in counts):
        raise ValueError("a count that is not a whole number >= 0")
    _check_counters(operations.values())
    if any(isinstance(r, bool) or not isinstance(r, int | float) or not _finite(r) for r in reals):
        raise ValueError("a value that is not a finite number")


def _check_counters(counters: Any) -> None:
    """ValueError for counts StatsStore._write() never writes: more failures than operations (a success rate
    of -150 %) or negative seconds (a negative speed)."""
    for counter in counters:
        if int(counter.get("failures", 0)) > int(counter.get("count", 0)):
            raise ValueError("more failures than operations")
        seconds = counter.get("seconds", 0)
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds < 0:
            raise ValueError("negative seconds")


def _finite(value: float) -> bool:
    """A number --json can print and float() holds: 1e400 reads as infinity (printed as `Infinity`, no JSON),
    and an integer of 400 digits makes float() raise OverflowError."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def merge_delta(total: StatsRecord, delta: StatsRecord) -> StatsRecord:
    """total + delta, both in the stats.json shape (missing fields count as zero)."""
    out: StatsRecord = {**total, "operations": {k: dict(v) for k, v in (total.get("operations") or {}).items()}}
    out["cache_hits"] = int(total.get("cache_hits", 0)) + int(delta.get("cache_hits", 0))
    out["cache_misses"] = int(total.get("cache_misses", 0)) + int(delta.get("cache_misses", 0))
    if delta.get("gauges"):
        out["gauges"] = {**(total.get("gauges") or {}), **delta["gauges"]}
    for op, add in (delta.get("operations") or {}).items():
        counter = out["operations"].setdefault(op, {name: 0 for name in _FIELDS})
        for name in _FIELDS:
            counter[name] = counter.get(name, 0) + add.get(name, 0)
    return out


def _is_empty(delta: StatsRecord) -> bool:
    return not delta.get("operations") and not delta.get("cache_hits") and not delta.get("cache_misses") \
        and not delta.get("gauges")
