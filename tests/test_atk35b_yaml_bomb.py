"""A training config whose YAML aliases expand it without end (atk2, s35): `model register --config` loaded it
with yaml.safe_load and then copied and checked the expanded value; nine levels of nine aliases (a "billion
laughs", 400 bytes) took 107 s and all the memory there was. registry/manifest.py measures the node graph
first and refuses a config that stands for more than 16 MiB (or four times its size), and one that holds
itself. Anchors that a real config uses (a `<<: *defaults` merge) still load.

A config holding NaN or Infinity (JSON's extension, YAML's .nan/.inf) was registered, and `model show --json`
printed them (no JSON reader takes them: jq fails); a 5,000-digit number was an "unexpected ValueError".
Both are refused now (exit 2).

The bomb here is small enough (5 levels of 9 over a 1 KB string: 59 MB once expanded) that the old code
finished: it registered a 59 MB training config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error

LEVELS = "".join(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcde", "bcdef", strict=True))
BOMB = "a: &a " + "x" * 1024 + "\n" + LEVELS
SELF = "a: &a [1, *a]\n"


@pytest.mark.parametrize("text", [BOMB, SELF], ids=["billion-laughs", "holds-itself"])
def test_a_config_that_expands_without_end_is_refused(cli: Any, tmp_path: Path, text: str) -> None:
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    config = tmp_path / "train.yaml"
    config.write_text(text)
    run = cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0", "--config", str(config),
              "--no-git")
    assert run.exit_code == 2, run
    assert "expands (through YAML aliases)" in one_line_error(run)
    assert cli("model", "show", "det@1.0.0").exit_code == 3


def test_anchors_of_a_real_config_still_load(cli: Any, tmp_path: Path) -> None:
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    config = tmp_path / "train.yaml"
    config.write_text("defaults: &d {lr: 0.1, batch: 32}\ntrain:\n  <<: *d\n  epochs: 3\nval: *d\n")
    run = cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0", "--config", str(config),
              "--no-git")
    assert run.exit_code == 0, run
    shown = cli("model", "show", "det@1.0.0", "--json")
    assert shown.json()["training_config"] == {"defaults": {"lr": 0.1, "batch": 32},
                                               "train": {"lr": 0.1, "batch": 32, "epochs": 3},
                                               "val": {"lr": 0.1, "batch": 32}}


@pytest.mark.parametrize(("name", "text", "said"), [
    ("train.yaml", "lr: " + "1" * 5000 + "\n", "number too long"),  # was "unexpected ValueError", exit 1
    ("train.yaml", "lr: .inf\nmomentum: .nan\n", "not finite"),  # was registered: --json printed Infinity, NaN
    ("train.json", '{"lr": NaN}', "not finite")], ids=["long-int", "yaml-inf-nan", "json-nan"])
def test_a_config_json_cannot_carry_is_refused(cli: Any, tmp_path: Path, name: str, text: str, said: str) -> None:
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    config = tmp_path / name
    config.write_text(text)
    run = cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0", "--config", str(config),
              "--no-git")
    assert run.exit_code == 2, run
    assert said in one_line_error(run)
    assert cli("model", "show", "det@1.0.0").exit_code == 3
