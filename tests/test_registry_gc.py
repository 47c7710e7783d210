"""`model gc` and `cache prune` end to end against the real server: what is kept, what goes, bad input."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import one_line_error
from helpers import list_versions, write_file


def keys_under(service: Any, bucket: str, prefix: str) -> list[str]:
    return sorted(o.key for o in service.s3.list_objects(bucket, prefix, True))


def versions(cli: Any, name: str) -> list[str]:
    run = cli("model", "list", name, "--json")
    assert run.exit_code == 0, run
    return sorted(r["version"] for r in run.jsonl())


def build_family(service: Any, tmp_path: Path) -> Any:
    """gcm@1.0.0..1.0.6 (one file each, plus a folder version), with lineage and an alias:
    1.0.6 (newest) <- parent 1.0.1 <- parent 1.0.0;  1.0.5 <- parent 1.0.4;  other@1.0.0 <- parent gcm@1.0.2;
    gcm@production -> 1.0.3."""
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    src = write_file(tmp_path / "w.pt", 3000, seed=1)
    folder = tmp_path / "folder"
    write_file(folder / "weights.pt", 2000, seed=2)
    write_file(folder / "labels" / "names.txt", 100, seed=3)
    parents = {"1.0.1": ["gcm@1.0.0"], "1.0.5": ["gcm@1.0.4"], "1.0.6": ["gcm@1.0.1"]}
    for i in range(7):
        version = f"1.0.{i}"
        reg.register_model(folder if i == 4 else src, "gcm", version, parents=parents.get(version))
    reg.register_model(src, "other", "1.0.0", parents=["gcm@1.0.2"])
    reg.promote("gcm", "1.0.3", "production")
    return reg


def test_gc_keeps_newest_aliased_and_parents(cli, env, service, buckets, tmp_path: Path):
    build_family(service, tmp_path)
    bucket = buckets["models"]
    before = keys_under(service, bucket, "")

    # Everything is younger than a day: nothing to do.
    young = cli("model", "gc", "gcm", "--keep-last", "1", "--older-than", "1d", "--yes", "--json")
    assert young.exit_code == 0, young
    assert young.json()["removed"] == [] and keys_under(service, bucket, "") == before

    # --dry-run lists and changes nothing.
    dry = cli("model", "gc", "gcm", "--keep-last", "1", "--older-than", "0s", "--dry-run", "--json")
    assert dry.exit_code == 0, dry
    plan = dry.json()
    assert [(r["model"], r["version"]) for r in plan["removed"]] == [("gcm", "1.0.4"), ("gcm", "1.0.5")]
    reasons = {p["version"]: p["reason"] for p in plan["protected"]}
    assert reasons == {"1.0.3": "alias production", "1.0.1": "parent of gcm@1.0.6",
                       "1.0.0": "parent of gcm@1.0.1", "1.0.2": "parent of other@1.0.0"}
    assert plan["dry_run"] is True and plan["kept"] == 5
    assert keys_under(service, bucket, "") == before

    run = cli("model", "gc", "gcm", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert [r["version"] for r in report["removed"]] == ["1.0.4", "1.0.5"]
    assert report["removed_versions"] == 2 and report["removed_objects"] == 3 + 2
    assert report["removed_bytes"] == sum(r["bytes"] for r in report["removed"]) > 5000
    assert keys_under(service, bucket, "gcm/1.0.4/") == [] and keys_under(service, bucket, "gcm/1.0.5/") == []
    assert versions(cli, "gcm") == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.6"]
    assert versions(cli, "other") == ["1.0.0"]  # another model is never touched by `gc gcm`
    assert cli("model", "pull", "gcm@production", "prod.pt", "--json").exit_code == 0

    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    gc_lines = [(a["version"], a["result"]) for a in audit if a["operation"] == "model_gc"]
    assert gc_lines == [("1.0.4", "ok"), ("1.0.5", "ok")]

    # Again: nothing left to remove (parents and alias still protect the rest).
    again = cli("model", "gc", "--keep-last", "1", "--older-than", "0s", "--yes", "--json").json()
    assert again["removed"] == [] and again["model"] is None


def test_gc_keep_last_counts_semantic_order(cli, service, buckets, tmp_path: Path):
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    src = write_file(tmp_path / "w.pt", 100, seed=4)
    for version in ("1.10.0", "1.9.0", "2.0.0-rc.1", "1.2.0", "2.0.0"):  # registered out of order
        reg.register_model(src, "order", version)
    report = reg.gc("order", keep_last=2, older_than="0s")
    assert [r["version"] for r in report["removed"]] == ["1.2.0", "1.9.0", "1.10.0"]
    assert versions(cli, "order") == ["2.0.0", "2.0.0-rc.1"]


def test_gc_bad_input_changes_nothing(cli, service, buckets, tmp_path: Path):
    build_family(service, tmp_path)
    before = keys_under(service, buckets["models"], "")
    for args, words in ((["--keep-last", "0"], "--keep-last must be at least 1"),
                        (["--keep-last", "-3"], "--keep-last must be at least 1"),
                        (["--older-than", "90x"], "invalid duration for --older-than"),
                        (["--older-than", ""], "invalid duration for --older-than"),
                        (["--stale", "soon"], "invalid duration for --stale"),
                        (["--stale", "0s"], "--stale must be more than 0s")):
        run = cli("model", "gc", "gcm", *args, "--yes")
        assert run.exit_code == 2, (args, run)
        assert words in one_line_error(run)
    bad_name = cli("model", "gc", "bad/name", "--yes")
    assert bad_name.exit_code == 2 and "invalid model name" in one_line_error(bad_name)
    no_terminal = cli("model", "gc", "gcm", "--keep-last", "1", "--older-than", "0s")
    assert no_terminal.exit_code == 2 and "--yes" in no_terminal.stderr
    as_json = cli("model", "gc", "--keep-last", "0", "--yes", "--json")
    assert as_json.exit_code == 2 and as_json.json()["error"]["code"] == "invalid_input"
    assert keys_under(service, buckets["models"], "") == before


def test_gc_removes_registrations_killed_midway(cli, env, service, buckets, tmp_path: Path):
    from its_store import ModelRegistry
    bucket = buckets["models"]
    reg = ModelRegistry(service)
    src = write_file(tmp_path / "w.pt", 500, seed=5)
    reg.register_model(src, "crashy", "1.0.0")
    # A process killed mid-upload: its marker and part of its files, no manifest.
    service.s3.put(bucket, "crashy/1.1.0/.its-registering", b'{"by": "x"}', {})
    service.s3.put(bucket, "crashy/1.1.0/weights.pt", b"partial" * 100, {})
    # A finished registration whose cleanup was lost: marker beside a manifest.
    service.s3.put(bucket, "crashy/1.0.0/.its-registering", b'{"by": "y"}', {})
    # Variants (registry/variants.py): one added whose marker stayed, one whose addition was killed.
    reg.register_model(src, "crashy", "2.0.0", variant="onnx")
    service.s3.put(bucket, "crashy/2.0.0/variants/onnx/.its-registering", b"{}", {})
    service.s3.put(bucket, "crashy/2.0.0/variants/trt-sm89-trt10.3/.its-registering", b"{}", {})
    service.s3.put(bucket, "crashy/2.0.0/variants/trt-sm89-trt10.3/model.engine", b"half" * 50, {})
    onnx_keys = [k for k in keys_under(service, bucket, "crashy/2.0.0/variants/onnx/") if "registering" not in k]
    # A `model rm` killed after deleting the manifest: files with neither manifest nor marker.
    service.s3.put(bucket, "crashy/0.9.0/w.pt", b"orphan" * 10, {})

    fresh = cli("model", "gc", "crashy", "--stale", "1h", "--yes", "--json").json()
    assert fresh["stale_registrations"] == []  # could still be running
    assert keys_under(service, bucket, "crashy/1.1.0/") == ["crashy/1.1.0/.its-registering",
                                                            "crashy/1.1.0/weights.pt"]
    # Two hours on (gc's `now`, not a sleep): every marker is older than the default --stale 1h.
    later = datetime.now(UTC) + timedelta(hours=2)
    dry = reg.gc("crashy", keep_last=10, older_than="90d", dry_run=True, now=later)
    assert len(dry["stale_registrations"]) == 5  # what would go, without gc's internal fields (_keys, _etag)
    assert not [k for s in dry["stale_registrations"] for k in s if k.startswith("_")], dry
    assert keys_under(service, bucket, "crashy/1.1.0/") == ["crashy/1.1.0/.its-registering",
                                                            "crashy/1.1.0/weights.pt"]
    report = reg.gc("crashy", keep_last=10, older_than="90d", now=later)
    assert report["errors"] == [], report
    stale = {s["version"] + (s.get("variant") or ""): s for s in report["stale_registrations"]}
    assert set(stale) == {"0.9.0", "1.0.0", "1.1.0", "2.0.0onnx", "2.0.0trt-sm89-trt10.3"}
    assert (stale["0.9.0"]["orphan"], stale["0.9.0"]["objects"], stale["0.9.0"]["bytes"]) == (True, 1, 60)
    assert keys_under(service, bucket, "crashy/0.9.0/") == []
    assert (stale["2.0.0onnx"]["has_manifest"], stale["2.0.0onnx"]["objects"]) == (True, 1)
    assert stale["2.0.0trt-sm89-trt10.3"]["objects"] == 2
    assert keys_under(service, bucket, "crashy/2.0.0/variants/") == onnx_keys and onnx_keys
    assert cli("model", "pull", "crashy@2.0.0", "--variant", "onnx", "onnx.bin").exit_code == 0
    assert (stale["1.1.0"]["has_manifest"], stale["1.1.0"]["objects"]) == (False, 2)
    assert (stale["1.0.0"]["has_manifest"], stale["1.0.0"]["objects"]) == (True, 1)
    assert keys_under(service, bucket, "crashy/1.1.0/") == []
    assert keys_under(service, bucket, "crashy/1.0.0/") == ["crashy/1.0.0/manifest.json", "crashy/1.0.0/w.pt"]
    assert report["removed"] == []  # keep the newest 10 versions
    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    assert sorted(a["version"] for a in audit if a["operation"] == "model_gc" and a.get("stale_registration")) == [
        "0.9.0", "1.0.0", "1.1.0", "2.0.0", "2.0.0"]
    # The version number is free again.
    assert reg.register_model(src, "crashy", "1.1.0")["version"] == "1.1.0"


def test_cache_prune_drops_least_recently_used(cli, env, service, tmp_path: Path):
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    for i in range(3):
        reg.register_model(write_file(tmp_path / f"m{i}.pt", 100_000, seed=10 + i), "cached", f"1.0.{i}")
        assert cli("model", "pull", f"cached@1.0.{i}", f"got{i}.pt").exit_code == 0
    blobs = Path(env["MINIO_CACHE_DIR"]) / "models" / "blobs"
    assert len(list(blobs.rglob("*.used"))) == 3
    digest = {i: hashlib.sha256((tmp_path / f"got{i}.pt").read_bytes()).hexdigest() for i in range(3)}
    # Last used: 1.0.0 longest ago, then 1.0.1, then 1.0.2; then 1.0.0 is pulled again (from the cache),
    # so 1.0.1 becomes the least recently used.
    for i, when in ((0, 500_000), (1, 1_000_000), (2, 2_000_000)):
        os.utime(blobs / digest[i][:2] / f"{digest[i]}.used", (when, when))
    assert cli("model", "pull", "cached@1.0.0", "again.pt", "--json").json()["cached_files"] == 1

    bad = cli("cache", "prune", "--max-size", "ten")
    assert bad.exit_code == 2 and "invalid size for --max-size" in one_line_error(bad)
    assert len(list(blobs.rglob("*.used"))) == 3

    run = cli("cache", "prune", "--max-size", "250KB", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert (report["before_files"], report["removed_files"], report["after_files"]) == (3, 1, 2)
    assert report["before_bytes"] == 300_000 and report["after_bytes"] == 200_000 <= report["max_size"]
    left = {p.name for p in blobs.rglob("*") if p.is_file()}
    assert left == {digest[0], f"{digest[0]}.used", digest[2], f"{digest[2]}.used"}
    # The pulled files themselves are the user's: pruning the cache never touches them.
    assert hashlib.sha256((tmp_path / "got1.pt").read_bytes()).hexdigest() == digest[1]

    empty = cli("cache", "prune", "--max-size", "0", "--json").json()
    assert empty["after_bytes"] == 0 and not [p for p in blobs.rglob("*") if p.is_file()]
    again = cli("model", "pull", "cached@1.0.2", "again2.pt", "--json").json()
    assert again["downloaded_files"] == 1  # the cache only costs a download


def test_gc_in_a_versioned_bucket_says_the_data_is_hidden_not_gone(cli, env, service, buckets, tmp_path: Path):
    """The tester's report: in a versioned (or locked) bucket gc adds delete markers but reported "removed"
    with byte counts, as if the data were gone. It says what happened, as `rm` does."""
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    for i in range(3):
        reg.register_model(write_file(tmp_path / f"w{i}.pt", 4000 + i, seed=20 + i), "hid", f"1.0.{i}")
    bucket = buckets["models"]
    assert service.s3.get_versioning(bucket).lower() == "enabled"  # MINIO_ENABLE_VERSIONING's default
    run = cli("model", "gc", "hid", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert [r["version"] for r in report["removed"]] == ["1.0.0", "1.0.1"]  # fields kept (a public API)
    assert report["removed_versions"] == 2 and report["removed_bytes"] == sum(r["bytes"] for r in report["removed"])
    assert report["delete_markers"] is True and all(r["hidden"] for r in report["removed"])
    assert report["hidden_bytes"] == report["removed_bytes"] > 8000  # still stored, behind delete markers
    assert keys_under(service, bucket, "hid/1.0.0/") == []  # gone from listings...
    stored = list_versions(cli, bucket, "hid/1.0.0/")  # ...but still stored, as the report says
    assert any(v.get("is_delete_marker") for v in stored) and sum(
        v["size"] for v in stored if not v.get("is_delete_marker")) >= report["removed"][0]["bytes"]
    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    assert all(a.get("delete_marker") for a in audit if a["operation"] == "model_gc")

    for i in range(3, 5):
        reg.register_model(write_file(tmp_path / f"w{i}.pt", 1000, seed=30 + i), "hid", f"1.0.{i}")
    human = cli("model", "gc", "hid", "--keep-last", "1", "--older-than", "0s", "--yes")
    assert human.exit_code == 0, human
    assert "removed" not in human.stdout + human.stderr, human
    assert "hid 2 versions" in human.stderr and "still stored" in human.stderr, human
    dry = cli("model", "gc", "hid", "--keep-last", "1", "--older-than", "0s", "--dry-run", "--json").json()
    assert dry["delete_markers"] is True and dry["hidden_bytes"] == 0  # nothing done yet


def test_gc_in_an_unversioned_bucket_reports_bytes_freed(cli, env, service, monkeypatch, tmp_path: Path):
    from its_store import ModelRegistry, StorageService, load_settings
    monkeypatch.setenv("MINIO_ENABLE_VERSIONING", "false")
    plain = StorageService(load_settings())
    reg = ModelRegistry(plain)
    for i in range(2):
        reg.register_model(write_file(tmp_path / f"w{i}.pt", 3000, seed=40 + i), "plain", f"1.0.{i}")
    assert (plain.s3.get_versioning(reg.bucket) or "").lower() not in ("enabled", "suspended")
    report = cli("model", "gc", "plain", "--keep-last", "1", "--older-than", "0s", "--yes", "--json").json()
    assert report["delete_markers"] is False and report["hidden_bytes"] == 0
    assert [r.get("hidden") for r in report["removed"]] == [False] and report["removed_bytes"] > 3000


def test_gc_in_an_object_locked_bucket_says_the_data_is_hidden(cli, env, service, locked, monkeypatch, tmp_path: Path):
    """Object lock implies versioning: gc's deletes add delete markers there too, and it says so."""
    from its_store import ModelRegistry, StorageService, load_settings
    monkeypatch.setenv("MINIO_MODELS_BUCKET", locked)
    reg = ModelRegistry(StorageService(load_settings()))
    for i in range(2):
        reg.register_model(write_file(tmp_path / f"w{i}.pt", 2500, seed=60 + i), "lockm", f"1.0.{i}")
    run = cli("model", "gc", "lockm", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert [r["version"] for r in report["removed"]] == ["1.0.0"] and report["delete_markers"] is True
    assert report["removed"][0]["hidden"] is True and report["hidden_bytes"] >= 2500
    assert any(v.get("is_delete_marker") for v in list_versions(cli, locked, "lockm/1.0.0/"))
