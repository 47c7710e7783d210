"""Model registry v2 end to end against the real server: lineage, model cards, variants (+ seal and
--variant auto), dedup by server-side copy, diff, verify, v1 manifests still read, bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import SMALL_THRESHOLD, one_line_error
from helpers import random_bytes, write_file


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def register(cli: Any, path: Path | str, name: str, version: str, *extra: str) -> dict[str, Any]:
    run = cli("model", "register", str(path), "--name", name, "--version", version, *extra, "--json")
    assert run.exit_code == 0, run
    return run.json()


def keys(service: Any, bucket: str, prefix: str = "") -> list[str]:
    try:
        return sorted(o.key for o in service.s3.list_objects(bucket, prefix, True))
    except Exception:  # noqa: BLE001 - no bucket yet: nothing written
        return []


def read(service: Any, bucket: str, key: str) -> bytes:
    resp = service.s3.get(bucket, key)
    try:
        return resp.read()
    finally:
        resp.close()


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def test_lineage_across_three_generations_with_git_datasets_and_run(cli, service, buckets, tmp_path: Path):
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "remote", "add", "origin", "https://bot:s3cr3t-token@git.example.com/its/models.git")
    (tmp_path / "train.py").write_text("print('train')\n")
    git(tmp_path, "add", "train.py")
    git(tmp_path, "commit", "-q", "-m", "first")
    commit = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    weights = write_file(tmp_path / "w.pt", 5000, seed=1)
    base = register(cli, weights, "base", "1.0.0", "--dataset", "s3://frames/traffic_v1@2025-05-01",
                    "--run-id", "mlflow-run-17")
    assert base["lineage"]["datasets"] == ["s3://frames/traffic_v1@2025-05-01"]
    assert base["lineage"]["run_id"] == "mlflow-run-17" and base["lineage"]["parents"] == []
    assert base["lineage"]["git"] == {"commit": commit, "branch": "main", "dirty": False,
                                      "remote": "https://git.example.com/its/models.git"}
    raw = read(service, buckets["models"], "base/1.0.0/manifest.json")
    assert b"s3cr3t-token" not in raw and json.loads(raw)["format"] == 2

    (tmp_path / "train.py").write_text("print('changed')\n")  # a tracked file changed: dirty
    write_file(weights, 5000, seed=2)
    child = register(cli, weights, "child", "1.0.0", "--parent", "base@1.0.0", "--dataset", "s3://frames/night")
    assert child["lineage"]["parents"] == ["base@1.0.0"] and child["lineage"]["git"]["dirty"] is True
    write_file(weights, 5000, seed=3)
    other = register(cli, weights, "other", "0.1.0", "--no-git")
    assert other["lineage"]["git"] is None
    write_file(weights, 5000, seed=4)
    register(cli, weights, "grand", "2.0.0", "--parent", "child@1.0.0", "--parent", "other@0.1.0", "--no-git")

    doc = cli("model", "lineage", "child@1.0.0", "--json").json()
    assert doc["model"] == "child@1.0.0" and doc["parents"] == ["base@1.0.0"]
    assert [(n["ref"], n["datasets"], n["run_id"]) for n in doc["ancestors"]] == [
        ("base@1.0.0", ["s3://frames/traffic_v1@2025-05-01"], "mlflow-run-17")]
    assert [n["ref"] for n in doc["descendants"]] == ["grand@2.0.0"]

    top = cli("model", "lineage", "base@1.0.0", "--json").json()
    assert top["ancestors"] == []
    assert top["descendants"] == [{"ref": "child@1.0.0", "repeated": False,
                                   "children": [{"ref": "grand@2.0.0", "repeated": False, "children": []}]}]
    leaf = cli("model", "lineage", "grand@2.0.0", "--json").json()
    assert [(n["ref"], [p["ref"] for p in n["parents"]]) for n in leaf["ancestors"]] == [
        ("child@1.0.0", ["base@1.0.0"]), ("other@0.1.0", [])]
    assert leaf["descendants"] == []
    assert cli("model", "rm", "other@0.1.0", "--yes").exit_code == 0  # a parent removed later
    orphan = cli("model", "lineage", "grand@2.0.0", "--json").json()
    assert [(n["ref"], n["missing"]) for n in orphan["ancestors"]] == [("child@1.0.0", False), ("other@0.1.0", True)]
    assert "other@0.1.0 (missing)" in cli("model", "lineage", "grand@2.0.0").stdout

    human = cli("model", "lineage", "grand@2.0.0")
    assert human.exit_code == 0
    assert "child@1.0.0" in human.stdout and "base@1.0.0" in human.stdout and "└──" in human.stdout
    shown = cli("model", "show", "child@1.0.0")
    assert shown.exit_code == 0 and "base@1.0.0" in shown.stdout and "(dirty)" in shown.stdout


def test_model_card_is_stored_and_shown(cli, service, buckets, tmp_path: Path):
    card = tmp_path / "README.md"
    text = "# Traffic detector\n\nTrained on **night** frames.\n\n- mAP 0.61\n"
    card.write_text(text)
    weights = write_file(tmp_path / "w.pt", 3000, seed=5)
    rec = register(cli, weights, "carded", "1.0.0", "--card", str(card))
    assert read(service, buckets["models"], "carded/1.0.0/card.md") == text.encode()
    assert [f["path"] for f in rec["files"]] == ["w.pt"]  # the card is not an artifact file
    assert cli("model", "show", "carded@1.0.0", "--json").json()["card"] == text
    human = cli("model", "show", "carded@1.0.0")
    assert human.exit_code == 0 and "Trained on **night** frames." in human.stdout  # raw when not a terminal
    assert cli("model", "verify", "carded@1.0.0", "--json").json()["files"] == 2
    pulled = cli("model", "pull", "carded@1.0.0", str(tmp_path / "out.pt"), "--json")
    assert pulled.exit_code == 0 and (tmp_path / "out.pt").read_bytes() == weights.read_bytes()


def test_variants_auto_selection_seal_and_promote(cli, service, buckets, tmp_path: Path):
    onnx = write_file(tmp_path / "onnx" / "model.onnx", 40_000, seed=10)
    sm89 = write_file(tmp_path / "sm89" / "model.engine", 30_000, seed=11)
    sm86 = write_file(tmp_path / "sm86" / "model.engine", 30_000, seed=12)
    first = register(cli, onnx, "det", "1.0.0", "--variant", "onnx", "--metric", "mAP=0.6")
    assert first["variant"] == "onnx" and first["files"] == []
    second = register(cli, sm89, "det", "1.0.0", "--variant", "trt-sm89-trt10.3")
    assert sorted(second["variants"]) == ["onnx", "trt-sm89-trt10.3"] and second["metrics"] == {"mAP": 0.6}
    human = cli("model", "register", str(sm86), "--name", "det", "--version", "1.0.0", "--variant", "trt-sm86-trt10.3")
    assert human.exit_code == 0 and "registered det@1.0.0 variant trt-sm86-trt10.3 (1 file;" in human.stderr, human
    stored = keys(service, buckets["models"], "det/")
    assert stored == ["det/1.0.0/manifest.json", "det/1.0.0/variants/onnx/model.onnx",
                      "det/1.0.0/variants/trt-sm86-trt10.3/model.engine",
                      "det/1.0.0/variants/trt-sm89-trt10.3/model.engine"]
    assert read(service, buckets["models"], "det/1.0.0/variants/trt-sm89-trt10.3/model.engine") == sm89.read_bytes()

    again = cli("model", "register", str(sm86), "--name", "det", "--version", "1.0.0", "--variant", "onnx")
    assert again.exit_code == 5 and "already has a variant 'onnx'" in one_line_error(again)
    changed = cli("model", "register", str(sm86), "--name", "det", "--version", "1.0.0", "--variant", "x",
                  "--metric", "mAP=0.9")
    assert changed.exit_code == 5 and "metrics" in one_line_error(changed)
    assert keys(service, buckets["models"], "det/") == stored

    shown = cli("model", "show", "det@1.0.0", "--json").json()
    assert {v: [f["sha256"] for f in d["files"]] for v, d in shown["variants"].items()} == {
        "onnx": [sha(onnx.read_bytes())], "trt-sm89-trt10.3": [sha(sm89.read_bytes())],
        "trt-sm86-trt10.3": [sha(sm86.read_bytes())]}
    assert "trt-sm89-trt10.3" in cli("model", "show", "det@1.0.0").stdout

    def pull(dest: str, *args: str, env: dict[str, str] | None = None) -> Any:
        return cli("model", "pull", "det@1.0.0", str(tmp_path / dest), *args, "--json", extra_env=env)

    run = pull("a.engine", "--variant", "auto",
               env={"ITS_STORE_GPU_ARCH": "sm89", "ITS_STORE_TRT_VERSION": "10.3.0.26"})
    assert run.exit_code == 0 and run.json()["variant"] == "trt-sm89-trt10.3"
    assert (tmp_path / "a.engine").read_bytes() == sm89.read_bytes()
    run = pull("b.engine", "--variant", "auto", env={"ITS_STORE_GPU_ARCH": "8.6", "ITS_STORE_TRT_VERSION": "10.3"})
    assert run.json()["variant"] == "trt-sm86-trt10.3" and (tmp_path / "b.engine").read_bytes() == sm86.read_bytes()
    run = pull("c.onnx", "--variant", "auto", env={"ITS_STORE_GPU_ARCH": "sm89", "ITS_STORE_TRT_VERSION": "8.6.1"})
    assert run.json()["variant"] == "onnx" and (tmp_path / "c.onnx").read_bytes() == onnx.read_bytes()
    run = pull("d.engine", "--variant", "trt-sm86-trt10.3")
    assert run.json()["variant"] == "trt-sm86-trt10.3"
    plain = cli("model", "pull", "det@1.0.0", str(tmp_path / "e"))
    assert plain.exit_code == 2 and "--variant" in one_line_error(plain)
    missing = pull("f", "--variant", "trt-sm75-trt8.6")
    assert missing.exit_code == 3 and "trt-sm86-trt10.3" in missing.json()["error"]["message"]

    sealed = cli("model", "seal", "det@1.0.0", "--json")
    assert sealed.exit_code == 0 and sealed.json()["sealed"] is True
    late = cli("model", "register", str(sm86), "--name", "det", "--version", "1.0.0", "--variant", "trt-sm75-trt8.6")
    assert late.exit_code == 5 and "sealed" in one_line_error(late)
    assert keys(service, buckets["models"], "det/") == stored

    engines = write_file(tmp_path / "e2" / "model.engine", 1000, seed=13)
    register(cli, engines, "eng", "1.0.0", "--variant", "trt-sm89-trt10.3")
    none_fits = cli("model", "pull", "eng@1.0.0", "--variant", "auto", "--json",
                    extra_env={"ITS_STORE_GPU_ARCH": "sm80", "ITS_STORE_TRT_VERSION": "10.3"})
    assert none_fits.exit_code == 3
    assert "trt-sm89-trt10.3" in none_fits.json()["error"]["message"] and "sm80" in none_fits.json()["error"]["message"]
    assert cli("model", "promote", "eng@1.0.0", "production").exit_code == 0
    after = cli("model", "register", str(onnx), "--name", "eng", "--version", "1.0.0", "--variant", "onnx")
    assert after.exit_code == 5 and "promoted" in one_line_error(after)


def test_concurrent_variant_registrations_are_all_kept(service, buckets, tmp_path: Path):
    from its_store import ModelRegistry
    sources = [write_file(tmp_path / f"v{i}" / "model.bin", 20_000, seed=20 + i) for i in range(6)]
    errors: list[BaseException] = []

    def add(i: int, version: str) -> None:
        try:
            ModelRegistry(service).register_model(sources[i], "race", version, variant=f"trt-sm8{i}-trt10.{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # Three at once onto a version none of them created, then three at once onto an existing one.
    for version, ids in (("1.0.0", range(3)), ("1.0.0", range(3, 6))):
        threads = [threading.Thread(target=add, args=(i, version)) for i in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    manifest = json.loads(read(service, buckets["models"], "race/1.0.0/manifest.json"))
    assert sorted(manifest["variants"]) == [f"trt-sm8{i}-trt10.{i}" for i in range(6)]
    for i in range(6):
        key = f"race/1.0.0/variants/trt-sm8{i}-trt10.{i}/model.bin"
        assert read(service, buckets["models"], key) == sources[i].read_bytes()
    assert ModelRegistry(service).verify_model("race", "1.0.0")["files"] == 6


def test_dedup_second_registration_uploads_nothing(cli, service, buckets, tmp_path: Path):
    data = random_bytes(2 * SMALL_THRESHOLD + 1, seed=30)  # multipart (the last part one byte); 20 MiB proved no more
    (tmp_path / "big.pt").write_bytes(data)
    first = register(cli, tmp_path / "big.pt", "big", "1.0.0")
    assert (first["uploaded_bytes"], first["copied_files"]) == (len(data), 0)
    second = register(cli, tmp_path / "big.pt", "big-copy", "3.0.0")
    assert (second["uploaded_bytes"], second["copied_files"]) == (0, 1)
    # Every version still holds its own bytes under its own prefix, readable by any S3 tool.
    assert sha(read(service, buckets["models"], "big-copy/3.0.0/big.pt")) == sha(data)
    stat = service.s3.stat(buckets["models"], "big-copy/3.0.0/big.pt")
    assert stat.metadata.get("x-amz-meta-sha256") == sha(data)
    out = tmp_path / "pulled.pt"
    assert cli("model", "pull", "big-copy@3.0.0", str(out)).exit_code == 0 and sha(out.read_bytes()) == sha(data)

    # A stale index entry (its source removed) is not trusted: the bytes are uploaded again.
    assert cli("model", "rm", "big@1.0.0", "--yes").exit_code == 0
    assert cli("model", "rm", "big-copy@3.0.0", "--yes").exit_code == 0
    third = register(cli, tmp_path / "big.pt", "big", "1.1.0")
    assert (third["uploaded_bytes"], third["copied_files"]) == (len(data), 0)
    # Bytes changed behind the registry's back are not copied either.
    service.s3.put(buckets["models"], "big/1.1.0/big.pt", b"x" * 100, {"Content-Type": "application/octet-stream"})
    fourth = register(cli, tmp_path / "big.pt", "big", "1.2.0")
    assert (fourth["uploaded_bytes"], fourth["copied_files"]) == (len(data), 0)
    small = write_file(tmp_path / "s.pt", 1000, seed=31)
    register(cli, small, "small", "1.0.0")
    nodedup = register(cli, small, "small", "1.0.1", "--no-dedup")
    assert (nodedup["uploaded_bytes"], nodedup["copied_files"]) == (1000, 0)


def test_diff_of_two_versions(cli, tmp_path: Path):
    folder = tmp_path / "m"
    write_file(folder / "weights.onnx", 4000, seed=40)
    (folder / "labels.txt").write_text("car\nbus\n")
    (tmp_path / "a.json").write_text(json.dumps({"epochs": 50, "optimizer": {"name": "sgd", "lr": 0.01}}))
    register(cli, folder, "d", "1.0.0", "--metric", "mAP=0.50", "--metric", "latency_ms=40", "--tag", "env=day",
             "--tag", "cam=all", "--config", str(tmp_path / "a.json"), "--dataset", "s3://frames/day")
    write_file(folder / "weights.onnx", 4000, seed=41)
    (folder / "labels.txt").unlink()
    (folder / "extra.txt").write_text("x")
    (tmp_path / "a.json").write_text(json.dumps({"epochs": 80, "optimizer": {"name": "sgd"}, "seed": 1}))
    register(cli, folder, "d", "1.1.0", "--metric", "mAP=0.65", "--metric", "recall=0.7", "--tag", "env=night",
             "--tag", "cam=all", "--config", str(tmp_path / "a.json"), "--parent", "d@1.0.0", "--dataset",
             "s3://frames/night")
    doc = cli("model", "diff", "d@1.0.0", "d@1.1.0", "--json").json()
    assert (doc["a"], doc["b"], doc["same_content"]) == ("d@1.0.0", "d@1.1.0", False)
    assert doc["metrics"]["mAP"]["a"] == 0.5 and abs(doc["metrics"]["mAP"]["delta"] - 0.15) < 1e-9
    assert doc["metrics"]["latency_ms"] == {"a": 40.0, "b": None, "delta": None}
    assert doc["metrics"]["recall"] == {"a": None, "b": 0.7, "delta": None}
    assert doc["tags"] == {"added": {}, "removed": {}, "changed": {"env": {"a": "day", "b": "night"}}}
    assert doc["training_config"] == {"added": {"seed": 1}, "removed": {"optimizer.lr": 0.01},
                                      "changed": {"epochs": {"a": 50, "b": 80}}}
    files = doc["files"]
    assert [f["path"] for f in files["added"]] == ["extra.txt"]
    assert [f["path"] for f in files["removed"]] == ["labels.txt"]
    assert [f["path"] for f in files["changed"]] == ["a.json", "weights.onnx"]
    assert doc["lineage"]["parents"] == {"added": ["d@1.0.0"], "removed": []}
    assert doc["lineage"]["datasets"] == {"added": ["s3://frames/night"], "removed": ["s3://frames/day"]}
    short = cli("model", "diff", "d@1.1.0", "@1.1.0", "--json").json()
    assert short["same_content"] and short["files"]["changed"] == [] and short["metrics"]["mAP"]["delta"] == 0
    human = cli("model", "diff", "d@1.0.0", "d@1.1.0")
    assert human.exit_code == 0 and "mAP" in human.stdout and "+0.15" in human.stdout and "labels.txt" in human.stdout
    assert cli("model", "diff", "d@1.0.0", "d@9.9.9").exit_code == 3


def test_verify_finds_a_file_corrupted_behind_the_registrys_back(cli, service, buckets, tmp_path: Path):
    folder = tmp_path / "m"
    write_file(folder / "weights.onnx", 6 * 1024 * 1024 + 123, seed=50)  # multipart upload, streamed back
    (folder / "labels.txt").write_text("car\nbus\n")
    register(cli, folder, "v", "1.0.0")
    register(cli, write_file(tmp_path / "x.engine", 2000, seed=51), "v", "1.0.0", "--variant", "trt-sm89-trt10.3")
    ok = cli("model", "verify", "v@1.0.0", "--json")
    assert ok.exit_code == 0 and ok.json()["ok"] and ok.json()["files"] == 3
    assert ok.json()["verified_bytes"] == 6 * 1024 * 1024 + 123 + 8 + 2000
    human = cli("model", "verify", "v@1.0.0")
    assert human.exit_code == 0 and "all intact" in human.stderr

    service.s3.put(buckets["models"], "v/1.0.0/labels.txt", b"car\nvan\n", {"Content-Type": "text/plain"})
    bad = cli("model", "verify", "v@1.0.0")
    line = one_line_error(bad)
    assert bad.exit_code == 4 and "labels.txt" in line and "weights.onnx" not in line
    service.s3.remove(buckets["models"], "v/1.0.0/variants/trt-sm89-trt10.3/x.engine")
    as_json = cli("model", "verify", "v@1.0.0", "--json")
    assert as_json.exit_code == 4 and as_json.json()["error"]["code"] == "integrity_error"
    message = as_json.json()["error"]["message"]
    assert "labels.txt (sha256 mismatch)" in message and "variants/trt-sm89-trt10.3/x.engine (missing)" in message
    from its_store import ModelRegistry
    report = ModelRegistry(service).verify_model("v", "1.0.0", check=False)
    assert sorted(r["path"] for r in report["damaged"]) == ["labels.txt", "variants/trt-sm89-trt10.3/x.engine"]


def test_v1_manifest_written_by_hand_is_still_read(cli, service, buckets, tmp_path: Path):
    data = random_bytes(7000, seed=60)
    service.ensure_bucket(buckets["models"])
    service.s3.put(buckets["models"], "old/1.0.0/model.pt", data, {"Content-Type": "application/octet-stream"})
    manifest = {"format": "its-store.model/v1", "name": "old", "version": "1.0.0",
                "files": [{"path": "model.pt", "size": len(data), "sha256": sha(data),
                           "content_type": "application/octet-stream"}],
                "primary": "model.pt", "size": len(data), "sha256": sha(data), "metrics": {"acc": 0.8},
                "training_config": None, "training_config_file": None, "tags": {}, "description": "v1",
                "created_at": "2025-01-01T00:00:00.000+00:00", "created_by": "me@host", "tool_version": "its-store 0.1"}
    bare = {k: v for k, v in manifest.items() if k != "format"}
    bare["version"] = "0.9.0"
    service.s3.put(buckets["models"], "old/0.9.0/model.pt", data, {"Content-Type": "application/octet-stream"})
    for version, doc in (("1.0.0", manifest), ("0.9.0", bare)):
        service.s3.put(buckets["models"], f"old/{version}/manifest.json", json.dumps(doc).encode(),
                       {"Content-Type": "application/json"})

    listed = cli("model", "list", "old", "--json").jsonl()
    assert [(r["version"], r["format"], r["variants"], r["lineage"]["parents"]) for r in listed] == [
        ("1.0.0", 1, {}, []), ("0.9.0", 1, {}, [])]
    shown = cli("model", "show", "old@1.0.0", "--json").json()
    assert shown["format"] == 1 and shown["card"] is None and shown["sealed"] is False
    assert cli("model", "show", "old@0.9.0").exit_code == 0
    assert cli("model", "verify", "old@1.0.0").exit_code == 0
    assert cli("model", "lineage", "old@1.0.0", "--json").json()["ancestors"] == []
    out = tmp_path / "m.pt"
    assert cli("model", "pull", "old@1.0.0", str(out), "--variant", "auto", "--json",
               extra_env={"ITS_STORE_GPU_ARCH": "sm89", "ITS_STORE_TRT_VERSION": "10.3"}).json()["variant"] is None
    assert out.read_bytes() == data
    # A v1 version takes a variant (its plain files stay the default one) and becomes format 2.
    engine = write_file(tmp_path / "m.engine", 500, seed=61)
    register(cli, engine, "old", "1.0.0", "--variant", "trt-sm89-trt10.3")
    upgraded = json.loads(read(service, buckets["models"], "old/1.0.0/manifest.json"))
    assert upgraded["format"] == 2 and upgraded["files"] == manifest["files"]
    assert sorted(upgraded["variants"]) == ["trt-sm89-trt10.3"]
    assert cli("model", "diff", "old@0.9.0", "old@1.0.0", "--json").json()["files"]["added"][0]["variant"] == \
        "trt-sm89-trt10.3"
    child = register(cli, engine, "new", "1.0.0", "--parent", "old@1.0.0")
    assert child["lineage"]["parents"] == ["old@1.0.0"]
    assert [n["ref"] for n in cli("model", "lineage", "old@1.0.0", "--json").json()["descendants"]] == ["new@1.0.0"]


def test_bad_input_gets_one_line_and_writes_nothing(cli, service, buckets, tmp_path: Path):
    weights = write_file(tmp_path / "w.pt", 1000, seed=70)
    # Before the bucket exists, and after: nothing may be written either way.
    run = cli("model", "register", str(weights), "--name", "x", "--version", "1.0.0", "--parent", "ghost@1.0.0")
    assert run.exit_code == 3 and "ghost@1.0.0" in one_line_error(run)
    assert keys(service, buckets["models"]) == []
    register(cli, weights, "seed", "1.0.0")
    before = keys(service, buckets["models"])

    cases = [
        (("--parent", "ghost@1.0.0"), 3, "parent model not found"),
        (("--parent", "seed@2.0.0"), 3, "seed@2.0.0"),
        (("--parent", "seed"), 2, "NAME@VERSION"),
        (("--variant", "trt/sm89"), 2, "invalid variant name"),
        (("--variant", ".."), 2, "invalid variant name"),
        (("--card", str(tmp_path)), 2, "is not a file"),
        (("--card", str(tmp_path / "missing.md")), 2, "is not a file"),
        (("--dataset", "s3://frames/a b"), 2, "invalid dataset"),
        (("--variant", "onnx", "--force"), 2, "--force"),
    ]
    for extra, code, text in cases:
        run = cli("model", "register", str(weights), "--name", "x", "--version", "1.0.0", *extra)
        assert run.exit_code == code, (extra, run)
        assert text in one_line_error(run), (extra, run)
        assert keys(service, buckets["models"]) == before, extra
    as_json = cli("model", "register", str(weights), "--name", "x", "--version", "1.0.0", "--variant", "a/b", "--json")
    assert as_json.exit_code == 2 and as_json.json()["error"]["code"] == "invalid_input"
    bad_arch = cli("model", "pull", "seed@1.0.0", "--variant", "auto", extra_env={"ITS_STORE_GPU_ARCH": "volta"})
    assert bad_arch.exit_code == 2 and "volta" in one_line_error(bad_arch)
    assert cli("model", "lineage", "seed@9.0.0").exit_code == 3
    assert cli("model", "verify", "nope@1.0.0").exit_code == 3
    assert keys(service, buckets["models"]) == before


def test_variant_naming_scheme_and_auto_choice_rules():
    from its_store.core.errors import InvalidInputError, NotFoundError
    from its_store.registry.gitinfo import strip_credentials
    from its_store.registry.variants import choose, engine_target, normalize_arch, trt_major_minor, validate_variant

    assert engine_target("trt-sm89-trt10.3") == ("sm89", (10, 3))
    assert engine_target("trt-sm87-trt8.6.1") == ("sm87", (8, 6))
    assert engine_target("onnx") is None and engine_target("trt-sm89") is None
    assert [normalize_arch(v) for v in ("8.9", "89", "sm89", "SM_89", "", None)] == ["sm89"] * 4 + [None, None]
    assert trt_major_minor("10.3.0.26") == (10, 3) and trt_major_minor(None) is None
    for bad in ("a/b", "", ".", "..", "auto", "x" * 65, "white space"):
        with pytest.raises(InvalidInputError):
            validate_variant(bad)
    names = ["onnx", "trt-sm89-trt10.3", "trt-sm89-trt8.6", "trt-sm87-trt10.3"]
    assert choose(names, has_default=False, gpu_arch="8.9", trt_version="10.3.1") == "trt-sm89-trt10.3"
    assert choose(names, has_default=False, gpu_arch="sm89", trt_version="8.6.1.6") == "trt-sm89-trt8.6"
    assert choose(names, has_default=False, gpu_arch="sm89", trt_version="10.4") == "onnx"  # minor must match
    assert choose(names, has_default=False, gpu_arch=None, trt_version="10.3") == "onnx"
    assert choose(["trt-sm89-trt10.3"], has_default=True, gpu_arch="sm75", trt_version="10.3") is None
    with pytest.raises(NotFoundError, match=r"trt-sm89-trt10\.3"):
        choose(["trt-sm89-trt10.3"], has_default=False, gpu_arch="sm75", trt_version="10.3")
    assert strip_credentials("https://bot:tok@git.example.com/a.git") == "https://git.example.com/a.git"
    assert strip_credentials("git@github.com:org/a.git") == "git@github.com:org/a.git"


def test_new_commands_have_help_with_an_example(cli):
    for command in ("lineage", "seal", "diff", "verify"):
        run = cli("model", command, "--help")
        assert run.exit_code == 0 and "Example: its-store model" in run.stdout, command
    for flag in ("--variant", "--parent", "--dataset", "--run-id", "--no-git", "--card", "--no-dedup"):
        assert flag in cli("model", "register", "--help").stdout, flag
    assert "ITS_STORE_GPU_ARCH" in cli("model", "pull", "--help").stdout


def test_card_is_rendered_as_markdown_on_a_terminal(monkeypatch):
    import io
    import sys

    from its_store.cli import model_text
    from its_store.cli import output as out

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    out.reset([])
    model_text.print_card("# Night detector\n\nTrained on **night** frames.\n")
    shown = screen.getvalue()
    assert "Night detector" in shown and "night" in shown
    assert "**" not in shown and "# Night" not in shown  # rendered, not the raw Markdown


def test_with_an_sse_c_key_verify_card_and_dedup_still_work(cli, service, buckets, tmp_path: Path):
    import base64
    key = base64.b64encode(random_bytes(32, seed=80)).decode()
    ssec = {"MINIO_SSE_C_KEY": key}
    folder = tmp_path / "m"
    weights = write_file(folder / "w.onnx", 300_000, seed=81)
    (tmp_path / "card.md").write_text("# Encrypted model\n")
    run = cli("model", "register", str(folder), "--name", "enc", "--version", "1.0.0", "--card",
              str(tmp_path / "card.md"), "--json", extra_env=ssec)
    assert run.exit_code == 0, run
    with pytest.raises(Exception):  # noqa: B017 - the stored bytes really are SSE-C encrypted
        read(service, buckets["models"], "enc/1.0.0/w.onnx")
    shown = cli("model", "show", "enc@1.0.0", "--json", extra_env=ssec).json()
    assert shown["card"] == "# Encrypted model\n"
    verified = cli("model", "verify", "enc@1.0.0", "--json", extra_env=ssec)
    assert verified.exit_code == 0 and verified.json()["files"] == 2, verified
    # A server-side copy of an SSE-C object would need the key on both sides: it is uploaded instead.
    again = cli("model", "register", str(folder), "--name", "enc", "--version", "1.0.1", "--json", extra_env=ssec)
    assert again.exit_code == 0 and (again.json()["uploaded_bytes"], again.json()["copied_files"]) == (300_000, 0)
    out = tmp_path / "pulled"
    assert cli("model", "pull", "enc@1.0.1", str(out), extra_env=ssec).exit_code == 0
    assert out.read_bytes() == weights.read_bytes()  # a one-file model lands at DEST
