"""`its-store cache stats|clear` and `its-store stats`: the metadata cache and the persisted counters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, add_commands, new_group
from its_store.core.units import human_size

if TYPE_CHECKING:
    from its_store.state.service_cache import CacheStats
    from its_store.state.stats import StorageStats

cache_app = new_group(no_args_is_help=True,
                      help="The metadata cache (disk or Redis): statistics, clear; the model blob cache: prune.")

Json = Annotated[bool, out.JsonOption]


def cache_stats(json_: Json = False) -> None:
    """Show the cache backend, where it lives, its entries and size, TTL and hit rate.

    Example: its-store cache stats --json
    """
    from its_store.state.service_cache import report
    data = report(out.STATE.service())
    out.result(data, lambda: _cache_human(data))


def _cache_human(data: CacheStats) -> None:
    size = data.size_bytes
    rows: list[list[Any]] = [
        ["backend", data.backend], ["location", data.location], ["entries", data.entries],
        ["size", human_size(size) if size is not None else "?"], ["ttl", f"{data.ttl_seconds} s"],
        ["hit rate", f"{data.hit_rate:.1f} % ({data.hits} hits, {data.misses} misses)"]]
    if data.degraded_from:
        rows.append(["unavailable", ", ".join(data.degraded_from)])
    out.table(["cache", "value"], rows)


def cache_clear(json_: Json = False) -> None:
    """Drop every cached entry (disk and Redis). Objects in the bucket are untouched.

    Example: its-store cache clear
    """
    done = out.STATE.service().cache.clear()
    out.result(done, lambda: out.talk(f"cleared {done.cleared} cache entries ({done.backend})"))


def cache_prune(
    max_size: Annotated[str, typer.Option("--max-size", help="Keep the model blob cache at most this big "
                                                             "(10GiB, 500MB, 0).")],
    json_: Json = False,
) -> None:
    """Trim the local model blob cache (model pulls), least recently used first.

    Example: its-store cache prune --max-size 10GiB
    """
    from its_store.core.units import parse_size
    from its_store.registry.offline import models_cache_root
    from its_store.registry.pull import prune_cache
    report = prune_cache(models_cache_root(out.STATE.settings()), parse_size(max_size, what="--max-size"))
    out.result(report, lambda: out.talk(
        f"removed {report.removed_files} cached model file(s), {human_size(report.removed_bytes)}; "
        f"{human_size(report.after_bytes)} left in {report.cache_dir}"))


def stats(
    prometheus: Annotated[Path | None, typer.Option(
        "--prometheus", help="Also write the totals to FILE in node_exporter textfile format (atomic).",
            **LOCAL_PATH)] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Zero the saved totals.")] = False,
    json_: Json = False,
) -> None:
    """Operation counts, success rate, cache hit rate and average speeds, kept between runs.

    Example: its-store stats --prometheus /var/lib/node_exporter/textfile_collector/its_store.prom
    """
    svc = out.STATE.service()
    if reset:
        done = svc.reset_stats()
        out.result(done, lambda: out.talk("stats reset"))
        return
    totals = svc.get_stats()
    if prometheus is not None:
        totals = totals.with_prometheus_file(prometheus)
    out.result(totals, lambda: _stats_human(totals))


def _stats_human(stats: StorageStats) -> None:
    rows: list[list[Any]] = [["operations", stats.total_operations], ["failed", stats.failed_operations],
            ["success rate", f"{stats.success_rate:.1f} %"],
            ["cache hit rate", f"{stats.cache_hit_rate:.1f} % ({stats.cache_hits} hits, "
                               f"{stats.cache_misses} misses)"],
            ["avg upload speed", f"{human_size(round(stats.average_upload_speed_bps, 1))}/s"],
            ["avg download speed", f"{human_size(round(stats.average_download_speed_bps, 1))}/s"],
            ["since", stats.since or ""]]
    out.table(["stat", "value"], rows)
    ops = sorted(stats.operations.items())
    if ops:
        out.console().print()
        out.table(["operation", "count", "failures", "bytes", "seconds"],
                  ([name, c.count, c.failures, human_size(c.bytes), f"{c.seconds:.2f}"]
                   for name, c in ops), right=["count", "failures", "bytes", "seconds"])
    if stats.prometheus_file:
        out.talk(f"wrote {stats.prometheus_file}")


def register(app: typer.Typer) -> None:
    cache_stats.__name__ = "stats"
    cache_clear.__name__ = "clear"
    cache_prune.__name__ = "prune"
    add_commands(cache_app, cache_stats, cache_clear, cache_prune)
    app.add_typer(cache_app, name="cache")
    add_commands(app, stats)
