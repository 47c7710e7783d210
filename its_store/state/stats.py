"""Operation counters: success rate, bytes, speeds, cache hits. Thread-safe, cheap to update, kept between runs.

`StorageStats` counts in-process; what it counted since the last flush is merged into a `StatsStore`
(`<MINIO_CACHE_DIR>/stats.json`) under an exclusive file lock, so two processes finishing at once both
land their counts. Stats stay on the local disk even when the metadata cache is in Redis: they are this
machine's figures, exported per host to node_exporter (`to_prometheus()`); a shared Redis would make
every host export everybody's totals.

`StorageService.get_stats()` returns the persisted totals; the method names follow the product
documentation (get_success_rate(), get_cache_hit_rate(), average_upload_speed_bps).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, cast

from pydantic import Field, PrivateAttr, computed_field, field_serializer

from its_store.core import forks
from its_store.core.errors import ItsStoreError
from its_store.core.jsontext import loads
from its_store.core.models import Result

log = logging.getLogger("its_store.state.stats")

AUTOFLUSH_SECONDS = 30.0  # a long-running process lands its counts at least this often
_FIELDS = ("count", "failures", "bytes", "seconds")


class OpCounter(Result):
    """The counts of one operation (upload, download, copy, delete, ...): how many ran, how many failed,
    and the bytes and seconds of the successful ones (the speeds are bytes / seconds)."""

    count: int = 0
    failures: int = 0
    bytes: int = 0
    seconds: float = 0.0


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
        as `its_store_<name>`. The newest value wins when processes merge."""
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
    one lock and one model update per flush instead of per operation. Flushed when MAX_SECONDS passed
    since the last flush (checked as counts come) and by flush() at the batch's end; thread-safe."""

    MAX_SECONDS = 0.5

    def __init__(self, stats: StorageStats) -> None:
        self.stats = stats
        self._lock = threading.Lock()
        self._counts: dict[str, list[float]] = {}
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
            due = time.monotonic() - self._since >= self.MAX_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
            self._since = time.monotonic()
        if counts:
            self.stats.add_counts(counts)


class StatsReset(Result):
    """What `stats --reset` prints: the saved totals were zeroed."""

    reset: bool = True


_GAUGE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,127}")


def _check_record(record: dict[str, Any]) -> None:
    """ValueError unless the numbers of a stats.json are what _write() writes: a hand-edited or damaged
    "cache_hits": "²" or "operations": {"get": 5} is an unreadable file, not an unexpected error later."""
    from its_store.core.units import read_count
    operations, gauges = record.get("operations") or {}, record.get("gauges") or {}
    if not isinstance(operations, dict) or not isinstance(gauges, dict):
        raise ValueError("operations or gauges that are not objects")
    if not all(isinstance(name, str) and _GAUGE_NAME.fullmatch(name) for name in gauges):
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
    """ValueError for counts _write() never writes: more failures than operations (a success rate of -150 %)
    or negative seconds (a negative speed)."""
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


def _add_op(counter: OpCounter, add: dict[str, Any]) -> None:
    counter.count += int(add.get("count", 0))
    counter.failures += int(add.get("failures", 0))
    counter.bytes += int(add.get("bytes", 0))
    counter.seconds += float(add.get("seconds", 0.0))


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


class StatsStore:
    """Totals of every run on this machine: one small JSON file, read-modify-written under flock."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / "stats.json"
        self.lock_path = self.directory / "stats.lock"
        self._warned = False

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        from its_store.core.files import file_lock
        return file_lock(self.lock_path)

    def _read(self) -> StatsRecord:
        """The record on disk; missing → empty; unreadable, or not a regular file (a FIFO would block
        this read forever, holding stats.lock) → kept aside as stats.json.corrupt, empty."""
        from its_store.core.statefile import read_state
        try:
            record = loads(read_state(self.path).decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
            _check_record(record)
            return cast("StatsRecord", record)
        except FileNotFoundError:
            return {}
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("stats file %s was unreadable (%s); starting from zero", self.path, exc)
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_suffix(".json.corrupt"))
            return {}

    def _write(self, record: StatsRecord) -> None:
        atomic_write_text(self.path, json.dumps(record, indent=1, sort_keys=True) + "\n")

    def warn_once(self) -> bool:
        """True the first time a save failed: the run says so once, not at every flush that retries."""
        first, self._warned = not self._warned, True
        return first

    def merge(self, delta: StatsRecord) -> None:
        """Add a delta to the totals (raises OSError if the folder is not writable)."""
        if _is_empty(delta):
            return
        with self._locked():
            record = merge_delta(self._read(), delta)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            record.setdefault("since", now)
            record["updated"] = now
            record["version"] = 1
            self._write(record)

    def load(self) -> StorageStats:
        with self._locked():
            return StorageStats.from_record(self._read())

    def reset(self) -> StatsReset:
        """Zero the totals (a fresh `since`)."""
        from its_store.core.errors import LocalIOError
        try:
            with self._locked():
                self._write({"version": 1, "since": datetime.now(UTC).isoformat(timespec="seconds"),
                             "operations": {}, "cache_hits": 0, "cache_misses": 0})
        except OSError as exc:
            raise LocalIOError(f"cannot reset the stats in {self.path}: {exc.strerror or exc}") from None
        return StatsReset()


def flush_pending(stats: StorageStats, store: StatsStore) -> bool:
    """Persist what `stats` counted since the last flush. Never raises; a failed delta is kept for later."""
    delta = stats.take_pending()
    if _is_empty(delta):
        return True
    try:
        store.merge(delta)
        return True
    except ImportError:  # run by the garbage collector while filelock (the lock) was half imported: later
        stats.restore_pending(delta)
        return False
    except (OSError, ItsStoreError) as exc:  # a full disk, a folder that takes no write: the atomic write's
        stats.restore_pending(delta)         # LocalIOError as much as an OSError of the lock file
        reason = exc.message if isinstance(exc, ItsStoreError) else (exc.strerror or str(exc))
        if store.warn_once():
            log.warning("cannot save stats to %s: %s", store.path, reason)
        return False


def flush_when_collected(stats: StorageStats, store: StatsStore) -> None:
    """The flush of a service garbage-collected without close() (weakref.finalize). The collector runs at
    any allocation, also in the middle of the import of filelock that the stats lock needs: such a flush
    cannot take the lock then (ImportError), and is made again at exit instead of printing "Exception
    ignored in: <finalize object>" into the program's stderr and losing the counts."""
    if not flush_pending(stats, store):
        import atexit
        atexit.register(flush_pending, stats, store)


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    """Write a file whole or not at all (core/files.py's atomic write)."""
    from its_store.core.files import write_atomic
    write_atomic(path, text, mode)


# ------------------------------------------------------------------------------------ Prometheus
def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def to_prometheus(stats: StorageStats, prefix: str = "its_store") -> str:
    """The node_exporter textfile format (text exposition format 0.0.4) of the totals."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {prefix}_{name} {help_}")
        lines.append(f"# TYPE {prefix}_{name} {kind}")
        lines.extend(f"{prefix}_{name}{labels} {_number(value)}" for labels, value in samples)

    ops = sorted(stats.operations.items())

    def by_op(attr: str) -> list[tuple[str, float]]:
        return [(f'{{operation="{_label(op)}"}}', getattr(c, attr)) for op, c in ops]

    metric("operations_total", "counter", "Operations run, by operation.", by_op("count"))
    metric("operation_failures_total", "counter", "Operations that failed, by operation.", by_op("failures"))
    metric("bytes_total", "counter", "Bytes moved by successful operations, by operation.", by_op("bytes"))
    metric("operation_seconds_total", "counter", "Seconds spent in successful operations, by operation.",
           by_op("seconds"))
    metric("cache_hits_total", "counter", "Metadata lookups answered by the cache.", [("", stats.cache_hits)])
    metric("cache_misses_total", "counter", "Metadata lookups the cache could not answer.",
           [("", stats.cache_misses)])
    metric("success_ratio", "gauge", "Share of operations that succeeded (0-1).",
           [("", stats.get_success_rate() / 100)])
    metric("cache_hit_ratio", "gauge", "Share of metadata lookups answered by the cache (0-1).",
           [("", stats.get_cache_hit_rate() / 100)])
    metric("average_upload_speed_bytes_per_second", "gauge", "Average speed of successful uploads.",
           [("", stats.average_upload_speed_bps)])
    metric("average_download_speed_bytes_per_second", "gauge", "Average speed of successful downloads.",
           [("", stats.average_download_speed_bps)])
    for name, value in sorted(stats.gauges.items()):
        metric(name, "gauge", "Last value reported by a long-running command (sync --watch).", [("", value)])
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def write_prometheus(stats: StorageStats, path: Path) -> Path:
    """Write the textfile atomically (temp + rename: node_exporter never reads half a file)."""
    from its_store.core.errors import LocalIOError
    path = Path(path)
    if path.is_dir():
        raise LocalIOError(f"{path} is a folder", hint="give a file name such as its_store.prom")
    try:
        atomic_write_text(path, to_prometheus(stats))
    except OSError as exc:
        raise LocalIOError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
