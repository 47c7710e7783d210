"""Session 35 (atk4): a YAML training config with two keys that JSON writes alike.

YAML keys may be numbers, booleans or null; the manifest is JSON, whose names are strings. A config with `1:`
and `"1":` in one mapping (or `null:` and `"null":`) was registered, the manifest written with the name twice,
and every reader (model show, pull) kept only the last: a value of the config lost without a word (in
fact the register failed first, exit 1 'unexpected TypeError', sorting keys of two kinds). Now it is
refused (exit 2) before anything is sent. And a config with keys of two kinds that do not collide (`a:` and
`2:`) failed the same way: now its keys are stored as JSON writes them, and it registers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error


def _register(cli: Any, tmp_path: Path, text: str) -> Any:
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    config = tmp_path / "train.yaml"
    config.write_text(text)
    return cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0", "--config", str(config),
               "--no-git")


@pytest.mark.parametrize("text", ['layers:\n  1: 64\n  "1": 128\n', 'null: a\n"null": b\n',
                                  'flags:\n  - {true: on, "true": off}\n'], ids=["int", "null", "bool-in-list"])
def test_keys_json_writes_alike_are_refused(cli: Any, tmp_path: Path, text: str) -> None:
    run = _register(cli, tmp_path, text)
    assert run.exit_code == 2, run
    assert "writes alike" in one_line_error(run)
    assert cli("model", "show", "det@1.0.0").exit_code == 3


@pytest.mark.parametrize(("text", "stored"), [
    ("layers:\n  1: 64\n  2: 128\n", {"layers": {"1": 64, "2": 128}}),
    ("name: a\n2: b\nnull: c\ntrue: [{1.5: d, e: f}]\n", {"name": "a", "2": "b", "null": "c",
                                                          "true": [{"1.5": "d", "e": "f"}]})],
    ids=["numbers", "mixed-kinds"])
def test_keys_that_do_not_collide_register_as_json_writes_them(cli: Any, tmp_path: Path, text: str,
                                                              stored: dict[str, Any]) -> None:
    run = _register(cli, tmp_path, text)
    assert run.exit_code == 0, run
    assert cli("model", "show", "det@1.0.0", "--json").json()["training_config"] == stored


def test_a_yaml_config_past_a_mib_is_refused_before_it_is_parsed(cli: Any, tmp_path: Path) -> None:
    """A 16 MiB YAML config took PyYAML more than 100 CPU-s and 2.4 GB before it was killed (1 MiB: 9 s, 250 MB):
    past MAX_YAML_CONFIG_CHARS it is refused (exit 2) before any parsing."""
    line = "k{:07d}: 1\n"
    text = "".join(line.format(i) for i in range((1 << 20) // len(line.format(0)) + 1))  # MAX_YAML_CONFIG_CHARS + 1
    run = _register(cli, tmp_path, text)
    assert run.exit_code == 2, run
    assert "more than a training config is" in one_line_error(run)
    assert cli("model", "show", "det@1.0.0").exit_code == 3
