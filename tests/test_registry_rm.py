"""`model rm` says what happened to the data: gone (unversioned bucket), or hidden behind delete markers
and still stored (versioned or object-locked bucket), in the same fields and words as `model gc`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import list_versions, write_file


def keys_under(service: Any, bucket: str, prefix: str) -> list[str]:
    return sorted(o.key for o in service.s3.list_objects(bucket, prefix, True))


def registered(service: Any, tmp_path: Path, name: str, count: int, size: int) -> Any:
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    for i in range(count):
        reg.register_model(write_file(tmp_path / f"{name}{i}.pt", size + i, seed=70 + i), name, f"1.0.{i}")
    return reg


def model_rm_audit(env: dict[str, str]) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    return [a for a in lines if a["operation"] == "model_rm"]


def test_rm_in_a_versioned_bucket_says_the_data_is_hidden_not_gone(cli, env, service, buckets, tmp_path: Path):
    """The tester's report, for `model rm`: in a versioned bucket it added delete markers but reported
    `deleted_objects` and "removed", as if the data were gone. It says what happened, as `rm` does."""
    registered(service, tmp_path, "hidm", 2, 4000)
    bucket = buckets["models"]
    assert service.s3.get_versioning(bucket).lower() == "enabled"  # MINIO_ENABLE_VERSIONING's default
    run = cli("model", "rm", "hidm@1.0.0", "--yes", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["deleted_objects"] == 2 and doc["aliases_removed"] == []  # the fields it had (a public API)
    assert doc["delete_markers"] is True and doc["hidden"] is True
    assert doc["hidden_bytes"] == doc["bytes"] > 4000  # the weights and the manifest, still stored
    assert keys_under(service, bucket, "hidm/1.0.0/") == []  # gone from listings, marker included...
    stored = list_versions(cli, bucket, "hidm/1.0.0/")  # ...but still stored, as the report says
    assert any(v.get("is_delete_marker") for v in stored)
    assert sum(v["size"] for v in stored if not v.get("is_delete_marker") and ".its-registering" not in v["key"]
               ) == doc["hidden_bytes"]
    audit = model_rm_audit(env)
    assert [(a["delete_marker"], a["size"], a["objects"]) for a in audit] == [(True, doc["bytes"], 2)]

    human = cli("model", "rm", "hidm@1.0.1", "--yes")
    assert human.exit_code == 0, human
    assert "removed" not in human.stderr and "hid hidm@1.0.1 behind delete markers" in human.stderr, human
    assert "still stored" in human.stderr and "--noncurrent-expire-days" in human.stderr, human


def test_rm_in_an_object_locked_bucket_says_the_data_is_hidden(cli, env, service, locked, monkeypatch,
                                                              tmp_path: Path):
    """Object lock implies versioning: a delete without a version id adds a marker there too."""
    from its_store import StorageService, load_settings
    monkeypatch.setenv("MINIO_MODELS_BUCKET", locked)
    registered(StorageService(load_settings()), tmp_path, "lockr", 1, 2500)
    run = cli("model", "rm", "lockr@1.0.0", "--yes", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["delete_markers"] is True and doc["hidden"] is True and doc["hidden_bytes"] >= 2500
    assert keys_under(service, locked, "lockr/1.0.0/") == []
    assert any(v.get("is_delete_marker") for v in list_versions(cli, locked, "lockr/1.0.0/"))


def test_rm_in_an_unversioned_bucket_reports_the_bytes_freed(cli, env, monkeypatch, tmp_path: Path):
    from its_store import StorageService, load_settings
    monkeypatch.setenv("MINIO_ENABLE_VERSIONING", "false")
    plain = StorageService(load_settings())
    reg = registered(plain, tmp_path, "plainr", 2, 3000)
    assert (plain.s3.get_versioning(reg.bucket) or "").lower() not in ("enabled", "suspended")
    doc = cli("model", "rm", "plainr@1.0.0", "--yes", "--json").json()
    assert doc["delete_markers"] is False and doc["hidden"] is False and doc["hidden_bytes"] == 0
    assert doc["deleted_objects"] == 2 and doc["bytes"] > 3000
    assert keys_under(plain, reg.bucket, "plainr/1.0.0/") == []
    assert [v for v in list_versions(cli, reg.bucket, "plainr/1.0.0/")] == []  # really gone
    human = cli("model", "rm", "plainr@1.0.1", "--yes")
    assert human.exit_code == 0 and "removed plainr@1.0.1, 3." in human.stderr and "KiB" in human.stderr, human
    assert [a["delete_marker"] for a in model_rm_audit(env)] == [None, None]
