"""Session 33 attack: a gauge's name in stats.json becomes a metric's name in the node_exporter textfile.

The stats file is local input (tests/test_numbers.py checks its numbers). Its gauges' names were not
checked: `"gauges": {"watch_up 1\\nits_store_fake{a=\\"b\\"} 42\\n# x": 1}` wrote, through `stats --prometheus
FILE`, lines of its own into the textfile node_exporter serves (a metric nobody measured; or a malformed
file, which node_exporter refuses whole). A gauge name that is not a metric name makes the file unreadable,
as a bad number does: one warning, the file moved aside, stats from zero. Real SeaweedFS environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

INJECTED = 'watch_up 1\nits_store_fake_metric{a="b"} 42\n# x'


@pytest.mark.parametrize("name", [INJECTED, "watch up", "", "9starts_with_a_digit", "x" * 200])
def test_a_gauge_name_that_is_no_metric_name_makes_the_file_unreadable(cli: Any, env: dict[str, str],
                                                                       tmp_path: Path, name: str) -> None:
    stats = Path(env["MINIO_CACHE_DIR"]) / "stats.json"
    stats.parent.mkdir(parents=True, exist_ok=True)
    stats.write_text(json.dumps({"operations": {}, "gauges": {name: 1, "watch_backlog_files": 3}}))
    prom = tmp_path / "its.prom"
    run = cli("stats", "--prometheus", str(prom), "--json")
    assert run.exit_code == 0, run
    assert run.json()["gauges"] == {}
    said = [line for line in run.stderr.splitlines() if line.startswith("its-store: warning: ")]
    assert len(said) == 1 and "stats file" in said[0], run
    text = prom.read_text()
    assert "fake_metric" not in text and "watch_backlog_files" not in text
    for line in text.splitlines():  # every line a comment or `its_store_NAME[{labels}] VALUE`
        assert line.startswith("# ") or line.startswith("its_store_"), line


def test_the_gauges_the_watcher_writes_still_read(cli: Any, env: dict[str, str], tmp_path: Path) -> None:
    stats = Path(env["MINIO_CACHE_DIR"]) / "stats.json"
    stats.parent.mkdir(parents=True, exist_ok=True)
    gauges = {"watch_backlog_files": 3, "watch_up": 1, "watch_last_success_timestamp_seconds": 1765100000.5}
    stats.write_text(json.dumps({"operations": {}, "gauges": gauges}))
    run = cli("stats", "--prometheus", str(tmp_path / "its.prom"), "--json")
    assert run.exit_code == 0 and run.json()["gauges"] == gauges, run
    assert "its_store_watch_up 1" in (tmp_path / "its.prom").read_text()


def test_set_gauge_refuses_a_name_the_stats_file_could_not_hold() -> None:
    """A library caller's set_gauge("disk.free", 1) was written, and the next read set the whole stats.json
    aside (every process's totals) as unreadable, again at every autoflush (last read of session 33)."""
    from its_store.state.stats import StorageStats
    stats = StorageStats()
    with pytest.raises(ValueError, match="metric name"):
        stats.set_gauge("disk.free", 1)
    stats.set_gauge("watch_backlog_files", 3)
    assert stats.gauges == {"watch_backlog_files": 3}
