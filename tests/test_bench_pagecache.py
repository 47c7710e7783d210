"""bench/run.py starts each W2/W3 sample from an emptied page cache when it may, and records with every sample
whether it did and MemFree/Cached just before the command (a full page cache cost every tool ~1.6 CPU-s a
GiB and made earlier W3 numbers lie); report.py keeps the fields in RESULTS.json and says so in RESULTS.md."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_cold_sample_drops_the_cache_when_allowed_and_records_it(tmp_path: Path) -> None:
    """The drop is written to the file run_measured is given (the kernel's /proc/sys/vm/drop_caches in a
    bench): here a file of the test's own, so that the suite never empties the machine's page cache (which
    slowed every test and process after it). What the kernel does with "3" is the kernel's part."""
    run = _load("run")
    pagecache = sys.modules["pagecache"]  # the module run.py uses (bench/ on sys.path)
    assert pagecache.DROP_CACHES == "/proc/sys/vm/drop_caches"  # what a bench writes by default
    drop = tmp_path / "drop_caches"
    drop.write_text("")
    sample = run.run_measured(["true"], dict(os.environ), tmp_path, drop_cache=True, drop_caches=str(drop))
    allowed = os.geteuid() == 0  # the tests run as root; as another user, nothing may be written
    assert sample.cache_dropped is allowed  # True: dropped; False: tried and not allowed, never None
    assert drop.read_text() == ("3\n" if allowed else "")  # "3": page cache, dentries and inodes
    assert sample.mem_free_mib > 0 and sample.cached_mib >= 0
    # not allowed (no such file, as where /proc/sys is not writable): False, nothing written, never None
    refused = run.run_measured(["true"], dict(os.environ), tmp_path, drop_cache=True,
                               drop_caches=str(tmp_path / "absent" / "drop_caches"))
    assert refused.cache_dropped is False and not (tmp_path / "absent").exists()


def test_a_warm_sample_records_the_state_without_dropping(tmp_path: Path) -> None:
    run = _load("run")
    sample = run.run_measured(["true"], dict(os.environ), tmp_path)
    assert sample.cache_dropped is None  # not tried (W1, W4..W6, RSS)
    assert sample.mem_free_mib > 0 and sample.cached_mib >= 0


def test_bench_transfer_drops_for_w2_and_w3_only() -> None:
    run = _load("run")
    assert set(run.COLD_CACHE) == {"W2", "W3"}


def test_report_keeps_the_fields_and_says_what_they_mean(tmp_path: Path) -> None:
    report = _load("report")
    out = tmp_path / "RESULTS.md"
    cold = [report.Sample(1.5, 1.0, 50.0, 0.5, cache_dropped=True, mem_free_mib=900.0, cached_mib=120.0)
            for _ in range(2)]
    rows = [report.Result("W3 download 1GiB", tool, 2**30, samples=list(cold), key="W3", unit="GiB", units=1.0)
            for tool in ("its-store", "rclone")]
    report.write_report(rows, {}, {}, out, {"its-store": "test"})
    stored = json.loads(out.with_suffix(".json").read_text())["results"]
    assert {(s["cache_dropped"], s["mem_free_mib"], s["cached_mib"]) for r in stored for s in r["samples"]} == {
        (True, 900.0, 120.0)}
    text = out.read_text()
    assert "echo 3 > /proc/sys/vm/drop_caches" in text and "`cache_dropped`" in text
    assert "All 4 W2/W3 samples here started from an emptied page cache." in text
    # rows from before the fields existed load as "not tried" and are called out
    for row in stored:
        for s in row["samples"]:
            del s["cache_dropped"], s["mem_free_mib"], s["cached_mib"]
    old = report.rows_of({"results": stored})
    assert all(s.cache_dropped is None and s.cached_mib == -1.0 for r in old for s in r.samples)
    assert report._cache_note(old).startswith("Only 0 of 4 W2/W3 samples")
