"""Session 33 attack: a manifest nested deep enough to parse, too deep to use.

json.loads takes nesting up to ~1,000 levels (deeper is RecursionError, which registry/validate.decode
already turns into "not valid JSON"). A training_config 400 levels deep parsed fine and passed the
validator, then `model show` copied it (copy.deepcopy: two Python frames a level) and ended in "unexpected
RecursionError ... report it" (exit 1), human and --json alike: one manifest anybody with write access to
the models bucket could store made that version unshowable. `model register` accepted such a config from
the user and stored it. Now a registry document nested deeper than validate.MAX_DEPTH is "not ours" (exit
4, one line), and a training config that deep is refused at register (exit 2), before anything is sent.
Real SeaweedFS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_hostile_manifest import good_manifest, store

from conftest import one_line_error

DEPTH = 400  # parses (json's own limit is ~1,000), deep enough to break a recursive walk


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def deep_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth  # json.dumps itself would recurse


@pytest.mark.parametrize("args", [("show", "evil@1.0.0"), ("show", "evil@1.0.0", "--json"),
                                  ("pull", "evil@1.0.0", "dl/out")])
def test_a_manifest_nested_too_deep_is_refused_as_not_ours(cli: Any, service: Any, buckets: dict[str, str],
                                                           tmp_path: Path, args: tuple[str, ...]) -> None:
    doc = good_manifest()
    doc["training_config"] = "__deep__"
    store(service, buckets["models"], json.dumps(doc).replace('"__deep__"', deep_json(DEPTH)).encode())
    run = cli("model", *args)
    assert run.exit_code == 4, run
    if "--json" in args:
        assert run.json()["error"]["code"] == "integrity_error", run
        assert "unexpected" not in run.json()["error"]["message"]
    else:
        line = one_line_error(run)
        assert "manifest s3://" in line and "nested" in line and "unexpected" not in line, run
    assert not (tmp_path / "dl").exists()


def test_a_shallow_config_still_shows(cli: Any, service: Any, buckets: dict[str, str]) -> None:
    doc = good_manifest()
    doc["training_config"] = nested(20)
    store(service, buckets["models"], doc)
    run = cli("model", "show", "evil@1.0.0", "--json")
    assert run.exit_code == 0, run
    assert run.json()["training_config"] == nested(20)


def test_register_refuses_a_training_config_nested_too_deep(cli: Any, service: Any, buckets: dict[str, str],
                                                            tmp_path: Path) -> None:
    (tmp_path / "w.pt").write_bytes(b"weights")
    (tmp_path / "cfg.json").write_text(deep_json(DEPTH))
    run = cli("model", "register", "w.pt", "--name", "deep", "--version", "1.0.0", "--config", "cfg.json")
    assert run.exit_code == 2, run
    assert "nested" in one_line_error(run) and "cfg.json" in run.stderr
    service.ensure_bucket(buckets["models"])
    assert list(service.s3.list_objects(buckets["models"], "deep/", recursive=True)) == []


def test_register_refuses_a_yaml_config_deeper_than_the_yaml_parser_goes(cli: Any, tmp_path: Path) -> None:
    """`[` x 3,000: deep JSON falls through to YAML (not JSON by its suffix), whose composer recursed
    into "unexpected RecursionError"."""
    (tmp_path / "w.pt").write_bytes(b"weights")
    (tmp_path / "cfg.yaml").write_text("[" * 3000 + "]" * 3000)
    run = cli("model", "register", "w.pt", "--name", "deep", "--version", "1.0.0", "--config", "cfg.yaml")
    assert run.exit_code == 2, run
    assert "nested" in one_line_error(run)
