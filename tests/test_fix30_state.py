"""Session 30's fixes to local state: a hostile stats.json is read as unreadable (set aside), never shown as a
success rate of -150 %."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("counter", ['{"count": 2, "failures": 5, "bytes": 0, "seconds": 0}',
                                     '{"count": 2, "failures": 0, "bytes": 10, "seconds": -1.5}'])
def test_stats_with_impossible_counts_are_an_unreadable_file(cli: Any, tmp_path: Path, counter: str) -> None:
    state = tmp_path.parent / f"{tmp_path.name}-state" / "cache"
    state.mkdir(parents=True, exist_ok=True)
    (state / "stats.json").write_text(f'{{"version": 1, "operations": {{"upload": {counter}}}}}')
    run = cli("--json", "stats")
    assert run.exit_code == 0, run
    doc = json.loads(run.stdout)
    assert 0 <= doc["success_rate"] <= 100 and doc["average_upload_speed_bps"] >= 0, doc
    assert "unreadable" in run.stderr and (state / "stats.json.corrupt").exists(), run
