"""Session 31 fixes in the model registry, each proved against the code before it: registry documents are
held to the size of what its-store writes (registry/validate.limit_of), and `model list` lists every good
model when one version's manifest is bad."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, plain_client


def put(client: Any, bucket: str, key: str, body: bytes) -> None:
    client.put_object(bucket, key, io.BytesIO(body), len(body))


def test_a_manifest_above_the_rule_is_refused_as_not_ours(cli, s3_server, buckets: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest above the size rule (256 MiB in the product, 64 KiB here) is refused without a parse."""
    from its_store.registry import validate
    monkeypatch.setattr(validate, "MAX_DOCUMENT_BYTES", 64 * 1024)
    put(plain_client(s3_server), buckets["models"], "det/1.0.0/manifest.json", b" " * (64 * 1024 + 1))
    run = cli("model", "show", "det@1.0.0")
    assert run.exit_code == 4, run
    assert "larger than 65,536 bytes" in one_line_error(run), run


def test_a_dedup_index_entry_is_held_to_the_size_of_one() -> None:
    from its_store.core import errors as E
    from its_store.registry import validate
    assert validate.limit_of("dedup index entry") == 16 * 1024
    with pytest.raises(E.IntegrityError, match="larger than"):
        validate.decode(b" " * (16 * 1024 + 1), "_index/sha256/x", "dedup index entry")


def test_register_refuses_a_manifest_it_could_not_read_back_before_uploading(
        cli, service, buckets: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its own rule on the way out: a manifest larger than readers accept is refused (exit 2) before any
    file is uploaded (the limit made small here: 256 MiB is ~1,000,000 files)."""
    from its_store.registry import validate
    monkeypatch.setattr(validate, "MAX_DOCUMENT_BYTES", 4096)
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        (folder / f"shard-{i:03d}.bin").write_bytes(b"w%d" % i)
    run = cli("model", "register", str(folder), "--name", "many", "--version", "1.0.0")
    assert run.exit_code == 2, run
    line = one_line_error(run)
    assert "manifest would be" in line and "40 files" in line, line
    assert [o.object_name for o in service.s3.list_objects(buckets["models"], "many/", True)] == []


def test_model_list_names_each_bad_document_and_lists_the_rest(cli, s3_server, buckets: dict[str, str],
                                                                tmp_path: Path) -> None:
    """Two bad versions and a bad alias document: one stderr line each (no summary line), the good version listed (human
    table and --json lines), exit 4 at the end. Was: exit 4 with the first and nothing listed."""
    import json
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    assert cli("model", "register", str(weights), "--name", "good", "--version", "1.0.0").exit_code == 0
    client = plain_client(s3_server)
    put(client, buckets["models"], "evil/1.0.0/manifest.json", b"{}")
    put(client, buckets["models"], "evil/2.0.0/manifest.json", b"not json")
    put(client, buckets["models"], "good/_aliases.json", b"[]")
    run = cli("model", "list")
    assert run.exit_code == 4, run
    assert "good" in run.stdout and "1.0.0" in run.stdout, run
    errors = [line for line in run.stderr.splitlines() if line.startswith("its-store: error:")]
    assert len(errors) == 3, run  # one line a document, the last through the error mapping
    assert any("evil/1.0.0/manifest.json" in e for e in errors) and any("evil/2.0.0" in e for e in errors), run
    assert any("good/_aliases.json" in e for e in errors), run
    run = cli("--json", "model", "list")
    assert run.exit_code == 4, run
    docs = [json.loads(line) for line in run.stdout.splitlines()]  # valid JSON lines: the records, then the
    assert [d.get("model_name") for d in docs[:-1]] == ["good"], run  # error document, as a listing's error is
    assert docs[-1]["error"]["code"] == "integrity_error", run
