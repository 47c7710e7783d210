"""NaN and Infinity in --json output (atk2, s35): a manifest that another client wrote with NaN or Infinity in
its training config (json.loads reads JSON's extension) was printed by `model show --json` as NaN/Infinity,
which is no JSON: jq and every strict reader fail on the whole document. emit_json writes them as null.
"""

from __future__ import annotations

import json
from typing import Any

from test_hostile_manifest import good_manifest, store


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_model_show_json_is_json_whatever_the_manifest_holds(cli: Any, service: Any, buckets: dict[str, str]) -> None:
    doc = good_manifest()
    doc["training_config"] = {"lr": float("nan"), "clip": float("inf"), "ok": 0.5, "deep": [{"x": float("-inf")}]}
    store(service, buckets["models"], json.dumps(doc).encode())  # json.dumps writes NaN, Infinity
    run = cli("--json", "model", "show", "evil@1.0.0")
    assert run.exit_code == 0, run
    shown = _strict(run.stdout)
    assert shown["training_config"] == {"lr": None, "clip": None, "ok": 0.5, "deep": [{"x": None}]}
