"""The committed JSON Schemas (docs/schema/) are the ones the result models generate (issue 21).

`--json` prints `model_dump(mode="json")` of a result model (cli/output.py), and cli/schemas.py generates the
schema of every command's output from the same models. A model changed without regenerating the schemas fails
here: run `python -m its_store.cli.schemas docs/schema` and review the diff like any change to a public API.
That each command's real output is a dump of its model is checked in tests/test_json_pinned.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_json_pinned import json_commands

from its_store.cli import schemas

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "schema"


def test_committed_schemas_are_the_generated_ones() -> None:
    generated = schemas.documents()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert sorted(committed) == sorted(generated), (
        "docs/schema/ and the models disagree on which schemas exist; run `python -m its_store.cli.schemas "
        "docs/schema`")
    stale = [name for name, doc in generated.items() if committed[name] != schemas.render(doc)]
    assert not stale, (f"these committed schemas differ from the models: {stale}; run "
                       "`python -m its_store.cli.schemas docs/schema` and commit the diff")


def test_every_listed_command_has_json() -> None:
    assert sorted(set(schemas.RESULTS) - set(json_commands())) == []


def test_schemas_are_json_schema_documents() -> None:
    for name, doc in schemas.documents().items():
        assert doc["$schema"].endswith("2020-12/schema"), name
        assert doc["$id"] == name
        json.dumps(doc)  # serialisable as it is written


def test_every_json_command_has_its_result_model() -> None:
    """--json prints a result model's dump and nothing else (cli/output.to_jsonable refuses anything else): so
    every command with --json names its model(s) here, and has a committed schema."""
    missing = sorted(set(json_commands()) - set(schemas.RESULTS))
    assert missing == [], f"commands with --json but no result model in cli/schemas.RESULTS: {missing}"


def test_only_models_are_printed_as_json() -> None:
    import pytest

    from its_store.cli import output
    with pytest.raises(TypeError, match="result models"):
        output.to_jsonable({"a": 1})  # type: ignore[arg-type]
