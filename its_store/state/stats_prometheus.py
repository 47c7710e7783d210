"""The stats as node_exporter's textfile (text exposition format 0.0.4): `stats --prometheus FILE`.

One concern: the exported metric names, help texts and number format. It reads the totals through Totals,
the part of StorageStats (state/stats_model.py) it uses, so that the model, whose with_prometheus_file()
calls write_prometheus(), is not imported here. Every name here is also importable from
its_store.state.stats, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol


class Counts(Protocol):
    """One operation's counts, as OpCounter holds them."""

    @property
    def count(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def bytes(self) -> int: ...
    @property
    def seconds(self) -> float: ...


class Totals(Protocol):
    """What the export reads of StorageStats."""

    @property
    def operations(self) -> Mapping[str, Counts]: ...
    @property
    def cache_hits(self) -> int: ...
    @property
    def cache_misses(self) -> int: ...
    @property
    def gauges(self) -> Mapping[str, float]: ...
    @property
    def average_upload_speed_bps(self) -> float: ...
    @property
    def average_download_speed_bps(self) -> float: ...
    def get_success_rate(self) -> float: ...
    def get_cache_hit_rate(self) -> float: ...


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def to_prometheus(stats: Totals, prefix: str = "its_store") -> str:
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


def write_prometheus(stats: Totals, path: Path) -> Path:
    """Write the textfile atomically (temp + rename: node_exporter never reads half a file)."""
    from its_store.core.errors import LocalIOError
    from its_store.core.files import write_atomic
    path = Path(path)
    if path.is_dir():
        raise LocalIOError(f"{path} is a folder", hint="give a file name such as its_store.prom")
    try:
        write_atomic(path, to_prometheus(stats), 0o644)  # read by the exporter (textfile collector): not private
    except OSError as exc:
        raise LocalIOError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
