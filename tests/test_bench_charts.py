"""bench/charts.py draws valid SVG charts from the committed benchmark data (bench/RESULTS.json,
bench/STARTUP.json), and from data with a tool, a round and a field more or less than today's (issue 24)."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
SVG = "{http://www.w3.org/2000/svg}"


def _charts():
    spec = importlib.util.spec_from_file_location("bench_charts", BENCH / "charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _texts(path: Path) -> str:
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_charts_from_the_committed_data(tmp_path: Path) -> None:
    charts = _charts()
    results, startup = charts.load(BENCH / "RESULTS.json"), charts.load(BENCH / "STARTUP.json")
    written = charts.draw(results, startup, tmp_path)
    assert sorted(p.name for p in written) == sorted(charts.CHARTS)  # the committed data feeds every chart
    http = _texts(tmp_path / "workloads-http.svg")
    for row in results["results"]:
        if row["transport"] == "http" and row["key"] in ("W2", "W6"):
            assert row["tool"] in http and row["workload"] in http
    assert "its-store --help" in _texts(tmp_path / "startup.svg")


def test_charts_read_data_defensively(tmp_path: Path) -> None:
    """A new peer (minio-py), a second round of the same rows, a row without samples or fields, and no
    startup data: the charts still come out, with the new peer in them; what has no data is skipped."""
    charts = _charts()
    sample = {"wall": 2.0, "cpu": 1.0, "rss_mib": 50.0}
    rows = [{"workload": "W4 upload", "key": "W4", "tool": tool, "samples": [dict(sample, wall=w)]}
            for tool in ("its-store", "s5cmd", "minio-py") for w in (2.0, 3.0)]  # two rounds each
    rows += [{"workload": "W4 upload", "tool": "aws", "samples": []}, {"tool": "odd"}, "not a row"]
    data = {"results": rows, "floors": [{"workload": "W4 upload", "ratio": 0.5, "floor": ">= 0.9", "met": False},
                                        {"workload": "RSS", "ratio": None, "floor": "<= 96 MiB"}]}
    written = charts.draw(json.loads(json.dumps(data)), {}, tmp_path)
    assert sorted(p.name for p in written) == ["floors.svg", "memory.svg", "workloads-http.svg"]
    text = _texts(tmp_path / "workloads-http.svg")
    assert "minio-py" in text and "2.5 s" in text and "aws" not in text  # the median of both rounds
