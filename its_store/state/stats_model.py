"""StorageStats, the operation counters: the live, thread-safe counter of one service and the snapshot of the
persisted totals, in one pydantic model (what `get_stats()` returns and `stats --json` prints); StatsTally,
the batched counter of a recursive transfer; OpCounter. (StatsReset, what `stats --reset` prints, is
state/reports.py's, created on first use.)

One concern: counting in the process (the counts, the derived rates and speeds, the delta not yet saved and
when to save it: AUTOFLUSH_SECONDS). Saving is state/stats.py's StatsStore, the file format
state/stats_record.py, the Prometheus export state/stats_prometheus.py. Every name here is also importable
from its_store.state.stats, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, PrivateAttr, computed_field, field_serializer

from its_store.core import forks
from its_store.core.models import Result
from its_store.state import flush_rule
from its_store.state.stats_prometheus import write_prometheus
from its_store.state.stats_record import _FIELDS, GAUGE_NAME, StatsRecord, _empty_delta, merge_delta

if TYPE_CHECKING:
    from its_store.state.reports import StatsReset as StatsReset
else:  # importable from here as before; created on first use (state/reports.py)
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"StatsReset": "reports"}, "its_store.state")

AUTOFLUSH_SECONDS = 30.0  # a long-running process lands its counts at least this often


class OpCounter(Result):
    """The counts of one operation (upload, download, copy, delete, ...): how many ran, how many failed,
    and the bytes and seconds of the successful ones (the speeds are bytes / seconds)."""

    count: int = 0
    failures: int = 0
    bytes: int = 0
    seconds: float = 0.0


class StorageStats(Result):
    """Operation counters: what `get_stats()` returns (the persisted totals of every run on this machine,
    a snapshot) and what `stats --json` prints, and also the live, thread-safe counter of one service
    (`svc.stats`). One model for both, so that both read the same way: `get_success_rate()`,
    `get_cache_hit_rate()`, `average_upload_speed_bps` (the product documentation's names). The derived
    figures are computed fields: in the JSON, rates are rounded to 3 decimals and speeds to 1.

    The live counter's bookkeeping (the delta not yet saved, its lock, the autoflush hook) is private
    state, never part of the model's fields or its JSON."""

    operations: dict[str, OpCounter] = Field(default_factory=dict,
                                             description="Counts by operation name, sorted by name in the JSON.")
    cache_hits: int = 0
    cache_misses: int = 0
    since: str | None = Field(default=None, description="First time anything was counted (ISO 8601, UTC; "
                                                        "persisted totals only).")
    gauges: dict[str, int | float] = Field(default_factory=dict, description="Last values reported by long-running "
                                     "commands (e.g. the watcher's backlog), sorted by name in the JSON.")
    prometheus_file: str | None = Field(default=None, description="The node_exporter textfile written "
                                        "(`stats --prometheus FILE`), else null.")

    _autoflush: Callable[[], object] | None = PrivateAttr(default=None)
    _pending: StatsRecord = PrivateAttr(default_factory=_empty_delta)
    _last_flush: float = PrivateAttr(default_factory=time.monotonic)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, context: Any, /) -> None:
        forks.renew_in_child(self._renew_in_child)

    @property
    def autoflush(self) -> Callable[[], object] | None:
        """Called to save the counts at least every AUTOFLUSH_SECONDS while they change (the service sets it)."""
        return self._autoflush

    @autoflush.setter
    def autoflush(self, hook: Callable[[], object] | None) -> None:
        self._autoflush = hook

    def _renew_in_child(self) -> None:
        """After a fork: the parent's unsaved counts are the parent's to save (a child saving them too
        counted them once per child); the child's own are saved when it ends (autoflush, at exit)."""
        self._lock = threading.Lock()  # another thread of the parent may have held it at the fork
        self._pending = _empty_delta()
        self._last_flush = time.monotonic()
        if self._autoflush is not None:
            forks.at_exit_in_child(self._flush_at_exit)

    def _flush_at_exit(self) -> None:
        if self._autoflush is not None:
            self._autoflush()

    def record(self, op: str, *, ok: bool, nbytes: int = 0, seconds: float = 0.0) -> None:
        self.add_counts({op: [1, 0, nbytes, seconds] if ok else [1, 1, 0, 0.0]})

    def add_counts(self, counts: dict[str, list[float]]) -> None:
        """Add {operation: [count, failures, bytes, seconds]} (a StatsTally's batch, or one record())."""
        with self._lock:
            for op, (count, failures, nbytes, seconds) in counts.items():
                add = {"count": count, "failures": failures, "bytes": nbytes, "seconds": seconds}
                _add_op(self.operations.setdefault(op, OpCounter()), add)
                pending = self._pending.setdefault("operations", {}).setdefault(op, {name: 0 for name in _FIELDS})
                for name in _FIELDS:
                    pending[name] += add[name]
        self._maybe_flush()

    def tally(self) -> StatsTally:
        """A counter for a batch of operations, added to these stats together (StatsTally)."""
        return StatsTally(self)

    def set_gauge(self, name: str, value: float) -> None:
        """A last-value figure (not a sum), e.g. `watch_backlog_files`; persisted like the counts and exported
        as `its_store_<name>`. The newest value wins when processes merge. A name that is no metric name is
        refused here (ValueError): stats.json holding one is unreadable (it would write lines of its own into
        the node_exporter textfile), so every process's totals would be set aside at the next read."""
        if not isinstance(name, str) or not GAUGE_NAME.fullmatch(name):
            raise ValueError(f"a gauge's name must be a metric name ([a-zA-Z_][a-zA-Z0-9_]*): {name!r}")
        with self._lock:
            self.gauges[name] = value
            self._pending.setdefault("gauges", {})[name] = value
        self._maybe_flush()

    def record_cache(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.cache_hits += 1
                self._pending["cache_hits"] = self._pending.get("cache_hits", 0) + 1
            else:
                self.cache_misses += 1
                self._pending["cache_misses"] = self._pending.get("cache_misses", 0) + 1
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._autoflush is not None and time.monotonic() - self._last_flush >= AUTOFLUSH_SECONDS:
            self._last_flush = time.monotonic()
            self._autoflush()

    def take_pending(self) -> StatsRecord:
        """What was counted since the last call (a delta for StatsStore.merge), and start a new delta."""
        with self._lock:
            delta, self._pending = self._pending, _empty_delta()
            self._last_flush = time.monotonic()
        return delta

    def restore_pending(self, delta: StatsRecord) -> None:
        """Put back a delta that could not be persisted, so that a later flush retries it."""
        with self._lock:
            self._pending = merge_delta(delta, self._pending)  # the newer gauges win

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_operations(self) -> int:
        return sum(c.count for c in self.operations.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed_operations(self) -> int:
        return sum(c.failures for c in self.operations.values())

    def get_success_rate(self) -> float:
        """Percentage (0-100) of operations that succeeded; 100 when nothing has run yet."""
        total = self.total_operations
        return 100.0 if total == 0 else 100.0 * (total - self.failed_operations) / total

    def get_cache_hit_rate(self) -> float:
        """Percentage (0-100) of metadata lookups answered by the cache."""
        total = self.cache_hits + self.cache_misses
        return 0.0 if total == 0 else 100.0 * self.cache_hits / total

    @computed_field(description="get_success_rate(), rounded to 3 decimals.")  # type: ignore[prop-decorator]
    @property
    def success_rate(self) -> float:
        return round(self.get_success_rate(), 3)

    @computed_field(description="get_cache_hit_rate(), rounded to 3 decimals.")  # type: ignore[prop-decorator]
    @property
    def cache_hit_rate(self) -> float:
        return round(self.get_cache_hit_rate(), 3)

    def _speed(self, op: str) -> float:
        counter = self.operations.get(op)
        if not counter or counter.seconds <= 0:
            return 0.0
        return counter.bytes / counter.seconds

    @computed_field  # type: ignore[prop-decorator]
    @property
    def average_upload_speed_bps(self) -> float:
        """Bytes per second averaged over successful uploads (rounded to 1 decimal in the JSON)."""
        return self._speed("upload")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def average_download_speed_bps(self) -> float:
        """Bytes per second averaged over successful downloads (rounded to 1 decimal in the JSON)."""
        return self._speed("download")

    @field_serializer("average_upload_speed_bps", "average_download_speed_bps")
    def _rounded_speed(self, value: float) -> float:
        return round(value, 1)

    @field_serializer("operations")
    def _sorted_operations(self, value: dict[str, OpCounter]) -> dict[str, OpCounter]:
        return dict(sorted(value.items()))

    @field_serializer("gauges")
    def _sorted_gauges(self, value: dict[str, int | float]) -> dict[str, int | float]:
        return dict(sorted(value.items()))

    @classmethod
    def from_record(cls, record: StatsRecord) -> StorageStats:
        """Stats from a persisted record (the stats.json document, checked by _check_record)."""
        since = record.get("since")
        stats = cls(cache_hits=int(record.get("cache_hits", 0)), cache_misses=int(record.get("cache_misses", 0)),
                    since=since if isinstance(since, str) else None,
                    gauges={str(k): v for k, v in (record.get("gauges") or {}).items()})
        for name, counter in (record.get("operations") or {}).items():
            stats.operations[str(name)] = OpCounter(
                count=int(counter.get("count", 0)), failures=int(counter.get("failures", 0)),
                bytes=int(counter.get("bytes", 0)), seconds=float(counter.get("seconds", 0.0)))
        return stats

    def with_prometheus_file(self, path: Path) -> StorageStats:
        """These totals written as a node_exporter textfile at `path` (write_prometheus), and saying so
        in `prometheus_file`: what `stats --prometheus FILE` prints."""
        return self.model_copy(update={"prometheus_file": str(write_prometheus(self, path))})


class StatsTally:
    """The counts of a batch of operations (a recursive upload, a sync), added to a StorageStats together:
    one lock and one model update per flush instead of per operation. Flushed when MAX_SECONDS passed since
    the last flush with flush_rule.FEW operations counted, or ten times as long with fewer, or MAX_COUNTED
    were counted (flush_rule.py; checked as counts come), and by flush() at the batch's end; thread-safe."""

    MAX_SECONDS = 0.5
    MAX_COUNTED = 4096

    def __init__(self, stats: StorageStats) -> None:
        self.stats = stats
        self._lock = threading.Lock()
        self._counts: dict[str, list[float]] = {}
        self._counted = 0  # operations counted since the last flush
        self._since = time.monotonic()

    def add(self, op: str, *, ok: bool, nbytes: int = 0, seconds: float = 0.0) -> None:
        """StorageStats.record(), counted here until the next flush."""
        with self._lock:
            counts = self._counts.get(op)
            if counts is None:
                counts = self._counts[op] = [0, 0, 0, 0.0]
            counts[0] += 1
            if ok:
                counts[2] += nbytes
                counts[3] += seconds
            else:
                counts[1] += 1
            self._counted += 1
            due = flush_rule.due(self._counted, self.MAX_COUNTED, time.monotonic() - self._since, self.MAX_SECONDS)
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
            self._counted = 0
            self._since = time.monotonic()
        if counts:
            self.stats.add_counts(counts)


def _add_op(counter: OpCounter, add: dict[str, Any]) -> None:
    counter.count += int(add.get("count", 0))
    counter.failures += int(add.get("failures", 0))
    counter.bytes += int(add.get("bytes", 0))
    counter.seconds += float(add.get("seconds", 0.0))
