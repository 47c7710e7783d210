"""Model registry end to end against the real server: CLI, library, races, corruption, aliases, cache."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error
from helpers import random_bytes, write_file

CONFIG_YAML = b"# training run 17\nepochs: 100\nbatch_size: 32\noptimizer: {name: adamw, lr: 0.001}\n"
CONFIG_JSON = b'{"epochs": 100,\n  "batch_size": 32, "augment": ["mosaic", "mixup"]}\n'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read()


def register(cli: Any, path: Path | str, name: str, version: str, *extra: str) -> dict[str, Any]:
    run = cli("model", "register", str(path), "--name", name, "--version", version, *extra, "--json")
    assert run.exit_code == 0, run
    return run.json()


def registry(service: Any) -> Any:
    from its_store import ModelRegistry
    return ModelRegistry(service)


def test_register_show_list_and_immutability(cli, service, buckets, tmp_path: Path):
    weights = write_file(tmp_path / "yolo11_traffic_v2.pt", 150_000, seed=1)
    (tmp_path / "train.json").write_bytes(CONFIG_JSON)
    rec = register(cli, weights, "yolo11_traffic", "2.0.0", "--metric", "accuracy=0.94", "--metric",
                   "latency_p95_ms=42", "--tag", "dataset=traffic_v2", "--config", "train.json",
                   "--description", "night fine-tune")
    assert (rec["model_name"], rec["version"], rec["uri"]) == ("yolo11_traffic", "2.0.0",
                                                              f"s3://{buckets['models']}/yolo11_traffic/2.0.0/")
    assert rec["metrics"] == {"accuracy": 0.94, "latency_p95_ms": 42.0} and rec["tags"] == {"dataset": "traffic_v2"}
    tree = f"{sha(CONFIG_JSON)}  train.json\n{sha(weights.read_bytes())}  yolo11_traffic_v2.pt\n"
    assert rec["sha256"] == sha(tree.encode())  # several files: the sha256 of their `sha256sum` lines
    assert sorted(f["path"] for f in rec["files"]) == ["train.json", "yolo11_traffic_v2.pt"]
    assert rec["primary"] == "yolo11_traffic_v2.pt" and rec["size"] == 150_000 + len(CONFIG_JSON)

    shown = cli("model", "show", "yolo11_traffic@2.0.0", "--json").json()
    assert shown["training_config"] == json.loads(CONFIG_JSON) and shown["description"] == "night fine-tune"
    assert {f["path"]: f["sha256"] for f in shown["files"]} == {
        "yolo11_traffic_v2.pt": sha(weights.read_bytes()), "train.json": sha(CONFIG_JSON)}
    assert shown["created_by"] and shown["tool_version"].startswith("its-store ")
    human = cli("model", "show", "yolo11_traffic@2.0.0")
    assert human.exit_code == 0 and "train.json" in human.stdout and "accuracy=0.94" in human.stdout

    # Readable without its-store: the manifest is plain JSON at NAME/VERSION/manifest.json.
    resp = service.s3.get(buckets["models"], "yolo11_traffic/2.0.0/manifest.json")
    manifest = json.loads(resp.read())
    resp.close()
    assert manifest["name"] == "yolo11_traffic" and manifest["files"][0]["content_type"]

    again = cli("model", "register", str(weights), "--name", "yolo11_traffic", "--version", "2.0.0")
    assert again.exit_code == 5 and "already registered" in one_line_error(again)
    as_json = cli("model", "register", str(weights), "--name", "yolo11_traffic", "--version", "2.0.0", "--json")
    assert as_json.exit_code == 5 and as_json.json()["error"]["code"] == "already_exists"

    write_file(weights, 1000, seed=2)
    forced = register(cli, weights, "yolo11_traffic", "2.0.0", "--force", "--metric", "accuracy=0.95")
    assert forced["size"] == 1000 and forced["sha256"] == sha(weights.read_bytes())
    keys = sorted(o.key for o in service.s3.list_objects(buckets["models"], "yolo11_traffic/", True))
    assert keys == ["yolo11_traffic/2.0.0/manifest.json", "yolo11_traffic/2.0.0/yolo11_traffic_v2.pt"]

    listed = cli("model", "list", "--json").jsonl()
    assert [(r["model_name"], r["version"], r["metrics"]) for r in listed] == [
        ("yolo11_traffic", "2.0.0", {"accuracy": 0.95})]
    table = cli("model", "list")
    assert table.exit_code == 0 and "yolo11_traffic" in table.stdout and "accuracy=0.95" in table.stdout


def test_folder_with_yaml_config_is_stored_byte_for_byte(cli, tmp_path: Path):
    folder = tmp_path / "detector"
    weights = write_file(folder / "weights.onnx", 200_000, seed=3)
    (folder / "labels" / "classes.txt").parent.mkdir()
    (folder / "labels" / "classes.txt").write_text("car\nbus\ntruck\n")
    (tmp_path / "train.yaml").write_bytes(CONFIG_YAML)
    rec = register(cli, folder, "detector", "1.0.0", "--config", str(tmp_path / "train.yaml"))
    assert sorted(f["path"] for f in rec["files"]) == ["labels/classes.txt", "train.yaml", "weights.onnx"]
    assert rec["primary"] == "weights.onnx"
    lines = "".join(f"{f['sha256']}  {f['path']}\n" for f in sorted(rec["files"], key=lambda f: f["path"]))
    assert rec["sha256"] == sha(lines.encode())

    shown = cli("model", "show", "detector@1.0.0", "--json").json()
    assert shown["training_config"] == {"epochs": 100, "batch_size": 32, "optimizer": {"name": "adamw", "lr": 0.001}}
    assert shown["training_config_file"] == "train.yaml"

    doc = cli("model", "url", "detector@1.0.0", "--expires", "30m", "--json").json()
    urls = {f["path"]: f["url"] for f in doc["files"]}
    assert fetch(urls["weights.onnx"]) == weights.read_bytes()
    assert fetch(urls["train.yaml"]) == CONFIG_YAML  # comments and layout kept: not re-serialised
    assert fetch(urls["labels/classes.txt"]) == b"car\nbus\ntruck\n"
    assert doc["url"] == urls["weights.onnx"] and doc["expires_in_seconds"] == 1800
    assert json.loads(fetch(doc["manifest_url"]))["version"] == "1.0.0"
    human = cli("model", "url", "detector@1.0.0")
    assert human.exit_code == 0 and len(human.stdout.splitlines()) == 3

    too_long = cli("model", "url", "detector@1.0.0", "--expires", "8d")
    assert too_long.exit_code == 2 and "7d" in one_line_error(too_long)


def test_presigned_url_of_a_one_file_model_gives_the_registered_bytes(cli, tmp_path: Path):
    weights = write_file(tmp_path / "yolo.pt", 300_000, seed=4)
    register(cli, weights, "yolo", "1.0.0")
    run = cli("model", "url", "yolo@1.0.0")
    assert run.exit_code == 0 and fetch(run.stdout.strip()) == weights.read_bytes()


def test_list_filters_sort_and_limit(cli, tmp_path: Path):
    src = write_file(tmp_path / "m.pt", 100, seed=5)
    runs = [("cam", "1.0.0", 0.80, 30, "day"), ("cam", "1.1.0", 0.91, 45, "night"), ("cam", "1.10.0", 0.95, 60, "day"),
            ("plate", "0.9.0", 0.90, 20, "day"), ("plate", "2.0.0-rc.1", 0.97, 25, "night")]
    for name, version, acc, lat, env_tag in runs:
        register(cli, src, name, version, "--metric", f"accuracy={acc}", "--metric", f"latency_ms={lat}",
                 "--tag", f"env={env_tag}")
    register(cli, src, "bare", "0.1.0")  # no metrics at all

    def ids(*args: str) -> list[str]:
        run = cli("model", "list", *args, "--json")
        assert run.exit_code == 0, run
        return [f"{r['model_name']}@{r['version']}" for r in run.jsonl()]

    assert ids() == ["bare@0.1.0", "cam@1.10.0", "cam@1.1.0", "cam@1.0.0", "plate@2.0.0-rc.1", "plate@0.9.0"]
    assert ids("cam") == ["cam@1.10.0", "cam@1.1.0", "cam@1.0.0"]
    assert ids("--where", "accuracy>=0.9") == ["cam@1.10.0", "cam@1.1.0", "plate@2.0.0-rc.1", "plate@0.9.0"]
    assert ids("--where", "accuracy>0.9", "--where", "latency_ms<50") == ["cam@1.1.0", "plate@2.0.0-rc.1"]
    assert ids("--where", "accuracy<=0.9") == ["cam@1.0.0", "plate@0.9.0"]
    assert ids("--where", "accuracy<0.9") == ["cam@1.0.0"]
    assert ids("--where", "latency_ms==45") == ["cam@1.1.0"]
    assert len(ids("--where", "latency_ms!=45")) == 4  # `bare` has no latency: never matches
    assert ids("--sort", "accuracy") == ["plate@2.0.0-rc.1", "cam@1.10.0", "cam@1.1.0", "plate@0.9.0",
                                         "cam@1.0.0", "bare@0.1.0"]
    assert ids("--sort", "latency_ms", "--asc", "--limit", "2") == ["plate@0.9.0", "plate@2.0.0-rc.1"]
    assert ids("--sort", "version", "--limit", "3") == ["plate@2.0.0-rc.1", "cam@1.10.0", "cam@1.1.0"]
    assert ids("--sort", "created", "--limit", "1") == ["bare@0.1.0"]
    assert ids("--sort", "created", "--asc", "--limit", "1") == ["cam@1.0.0"]
    assert ids("--tag", "env=night", "--sort", "accuracy") == ["plate@2.0.0-rc.1", "cam@1.1.0"]
    assert ids("--where", "accuracy>=0.9", "--sort", "accuracy", "--limit", "2") == ["plate@2.0.0-rc.1",
                                                                                    "cam@1.10.0"]
    bad = cli("model", "list", "--where", "accuracy~0.9")
    assert bad.exit_code == 2 and "accuracy~0.9" in one_line_error(bad)
    assert cli("model", "list", "--where", "accuracy>=high").exit_code == 2


def test_versions_semver_and_auto(cli, tmp_path: Path):
    src = write_file(tmp_path / "m.pt", 100, seed=6)
    assert register(cli, src, "auto_model", "auto")["version"] == "0.1.0"
    assert register(cli, src, "auto_model", "auto")["version"] == "0.1.1"
    register(cli, src, "auto_model", "1.4.9")
    assert register(cli, src, "auto_model", "auto")["version"] == "1.4.10"
    for bad in ("1.2", "v1.0.0", "1.0.0+build.5", "01.0.0"):
        run = cli("model", "register", str(src), "--name", "auto_model", "--version", bad)
        assert run.exit_code == 2 and "version" in one_line_error(run), bad
    for bad_name in ("_x", "a/b", "has space"):
        run = cli("model", "register", str(src), "--name", bad_name, "--version", "1.0.0")
        assert run.exit_code == 2 and "model name" in one_line_error(run), bad_name
    bad_metric = cli("model", "register", str(src), "--name", "m", "--version", "1.0.0", "--metric", "acc=high")
    assert bad_metric.exit_code == 2 and "number" in one_line_error(bad_metric)
    missing = cli("model", "register", "nope.pt", "--name", "m", "--version", "1.0.0")
    assert missing.exit_code == 3 and "nope.pt" in one_line_error(missing)
    (tmp_path / "manifest.json").write_text("{}")
    reserved = cli("model", "register", str(tmp_path / "manifest.json"), "--name", "m", "--version", "1.0.0")
    assert reserved.exit_code == 2 and "manifest.json" in one_line_error(reserved)
    assert cli("model", "list", "m", "--json").jsonl() == []


def test_pull_verifies_and_second_pull_downloads_nothing(cli, service, buckets, tmp_path: Path):
    weights = write_file(tmp_path / "w.pt", 400_000, seed=7)
    register(cli, weights, "pullme", "1.0.0")
    first = cli("model", "pull", "pullme@1.0.0", "out/current.pt", "--json")
    assert first.exit_code == 0, first
    doc = first.json()
    assert doc["verified"] is True and doc["downloaded_bytes"] == 400_000 and doc["cached_files"] == 0
    assert (tmp_path / "out" / "current.pt").read_bytes() == weights.read_bytes()

    # Prove the second pull downloads nothing: the stored file is gone, the pull still succeeds.
    service.s3.remove(buckets["models"], "pullme/1.0.0/w.pt")
    second = cli("model", "pull", "pullme@1.0.0", "again.pt", "--json")
    assert second.exit_code == 0, second
    assert (second.json()["downloaded_bytes"], second.json()["cached_files"]) == (0, 1)
    assert (tmp_path / "again.pt").read_bytes() == weights.read_bytes()

    # A damaged cache entry is noticed while copying out, dropped, and fetched again.
    service.s3.put(buckets["models"], "pullme/1.0.0/w.pt", weights.read_bytes(), {})
    blobs = [p for p in Path(service.settings.cache_dir, "models", "blobs").rglob("*")
             if p.is_file() and p.suffix != ".used"]  # .used: the blob's last-used stamp (cache prune)
    assert len(blobs) == 1
    blobs[0].unlink()
    blobs[0].write_bytes(b"x" * 400_000)
    third = cli("model", "pull", "pullme", "third.pt", "--json").json()
    assert (third["downloaded_files"], third["cached_files"]) == (1, 0)
    assert (tmp_path / "third.pt").read_bytes() == weights.read_bytes()
    (tmp_path / "into").mkdir()
    assert cli("model", "pull", "pullme@1.0.0", "into").exit_code == 0
    assert (tmp_path / "into" / "w.pt").read_bytes() == weights.read_bytes()


def test_pull_of_a_corrupted_artifact_fails_with_nothing_at_dest(cli, service, buckets, tmp_path: Path):
    weights = write_file(tmp_path / "w.pt", 50_000, seed=8)
    register(cli, weights, "corrupt", "1.0.0")
    folder = tmp_path / "multi"
    write_file(folder / "a.bin", 10_000, seed=9)
    write_file(folder / "b.bin", 20_000, seed=10)
    register(cli, folder, "corrupt", "2.0.0")
    # Behind the registry's back: same size, different bytes.
    service.s3.put(buckets["models"], "corrupt/1.0.0/w.pt", random_bytes(50_000, seed=99), {})
    service.s3.put(buckets["models"], "corrupt/2.0.0/b.bin", random_bytes(20_000, seed=98), {})
    (tmp_path / "dl").mkdir()

    run = cli("model", "pull", "corrupt@1.0.0", "dl/model.pt")
    assert run.exit_code == 4 and "checksum mismatch" in one_line_error(run)
    run = cli("model", "pull", "corrupt@2.0.0", "dl/multi", "--json")
    assert run.exit_code == 4 and run.json()["error"]["code"] == "integrity_error"
    assert list((tmp_path / "dl").iterdir()) == []  # no DEST, no temp debris
    assert not [p for p in Path(service.settings.cache_dir, "models").rglob("*") if p.is_file()
                and p.stat().st_size == 50_000]  # the bad bytes did not enter the cache either

    service.s3.remove(buckets["models"], "corrupt/2.0.0/b.bin")
    gone = cli("model", "pull", "corrupt@2.0.0", "dl/multi")
    assert gone.exit_code == 4 and "missing" in one_line_error(gone)
    assert list((tmp_path / "dl").iterdir()) == []


def test_pull_folder_model_is_atomic_and_refuses_to_clobber(cli, tmp_path: Path):
    folder = tmp_path / "src"
    write_file(folder / "w.onnx", 30_000, seed=11)
    write_file(folder / "cfg" / "labels.txt", 100, seed=12)
    register(cli, folder, "folder_model", "3.0.0")
    run = cli("model", "pull", "folder_model@3.0.0", "--json")
    assert run.exit_code == 0, run
    dest = tmp_path / "folder_model-3.0.0"
    assert run.json()["path"] == "folder_model-3.0.0"
    assert (dest / "w.onnx").read_bytes() == (folder / "w.onnx").read_bytes()
    assert (dest / "cfg" / "labels.txt").read_bytes() == (folder / "cfg" / "labels.txt").read_bytes()
    assert json.loads((dest / "manifest.json").read_text())["version"] == "3.0.0"
    (dest / "mine.txt").write_text("keep")
    refused = cli("model", "pull", "folder_model@3.0.0", str(dest))
    assert refused.exit_code == 5 and (dest / "mine.txt").exists()
    assert cli("model", "pull", "folder_model@3.0.0", str(dest), "--force").exit_code == 0
    assert not (dest / "mine.txt").exists() and (dest / "w.onnx").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_aliases_promote_resolution_and_history(cli, tmp_path: Path):
    src = {v: write_file(tmp_path / f"{v}.pt", 1000 + i, seed=20 + i)
           for i, v in enumerate(("1.0.0", "1.1.0", "2.0.0-rc.1"))}
    for version, path in src.items():
        register(cli, path, "ali", version)
    assert cli("model", "show", "ali@latest", "--json").json()["version"] == "1.1.0"  # pre-release skipped
    assert cli("model", "show", "ali", "--json").json()["version"] == "1.1.0"

    first = cli("model", "promote", "ali@1.0.0", "production", "--json").json()
    assert (first["version"], first["previous"], first["changed"]) == ("1.0.0", None, True)
    second = cli("model", "promote", "ali@1.1.0", "production", "--json").json()
    assert (second["version"], second["previous"]) == ("1.1.0", "1.0.0")
    assert cli("model", "promote", "ali@latest", "staging", "--json").json()["version"] == "1.1.0"
    assert cli("model", "promote", "ali@production", "production", "--json").json()["changed"] is False
    assert cli("model", "promote", "ali@2.0.0-rc.1", "canary").exit_code == 0

    doc = cli("model", "aliases", "ali", "--json").json()
    assert doc["aliases"] == {"production": "1.1.0", "staging": "1.1.0", "canary": "2.0.0-rc.1"}
    assert [(h["alias"], h["version"], h["previous"]) for h in doc["history"]] == [
        ("production", "1.0.0", None), ("production", "1.1.0", "1.0.0"), ("staging", "1.1.0", None),
        ("canary", "2.0.0-rc.1", None)]
    assert all(h["by"] and h["at"] for h in doc["history"])
    human = cli("model", "aliases", "ali")
    assert human.exit_code == 0 and "production" in human.stdout and "1.0.0" in human.stdout

    assert cli("model", "show", "ali@production", "--json").json()["aliases"] == ["production", "staging"]
    pulled = cli("model", "pull", "ali@canary", "canary.pt")
    assert pulled.exit_code == 0 and (tmp_path / "canary.pt").read_bytes() == src["2.0.0-rc.1"].read_bytes()
    listed = {r["version"]: r["aliases"] for r in cli("model", "list", "ali", "--json").jsonl()}
    assert listed == {"2.0.0-rc.1": ["canary"], "1.1.0": ["production", "staging"], "1.0.0": []}

    unknown = cli("model", "show", "ali@nightly")
    assert unknown.exit_code == 3 and "nightly" in one_line_error(unknown)
    assert cli("model", "promote", "ali@1.0.0", "latest").exit_code == 2
    assert cli("model", "promote", "ali@9.9.9", "production").exit_code == 3
    assert cli("model", "promote", "ali", "production").exit_code == 2
    assert cli("model", "aliases", "nosuchmodel").exit_code == 3


def test_rm_refuses_aliased_versions_unless_forced(cli, env, service, buckets, tmp_path: Path):
    src = write_file(tmp_path / "m.pt", 500, seed=30)
    register(cli, src, "rmme", "1.0.0")
    register(cli, src, "rmme", "1.1.0")
    cli("model", "promote", "rmme@1.1.0", "production")

    assert cli("model", "rm", "rmme@1.0.0").exit_code == 2  # no terminal and no --yes
    run = cli("model", "rm", "rmme@1.0.0", "--yes", "--json")
    assert run.exit_code == 0 and run.json()["deleted_objects"] == 2
    refused = cli("model", "rm", "rmme@1.1.0", "--yes")
    assert refused.exit_code == 5 and "production" in one_line_error(refused)
    assert cli("model", "rm", "rmme@production", "--yes").exit_code == 2  # an explicit version only
    forced = cli("model", "rm", "rmme@1.1.0", "--yes", "--force", "--json").json()
    assert forced["aliases_removed"] == ["production"]
    history = cli("model", "aliases", "rmme", "--json").json()
    assert history["aliases"] == {} and history["history"][-1]["action"] == "removed"
    assert cli("model", "show", "rmme@1.1.0").exit_code == 3
    assert cli("model", "rm", "rmme@1.1.0", "--yes").exit_code == 3
    left = [o.key for o in service.s3.list_objects(buckets["models"], "rmme/", True)]
    assert left == ["rmme/_aliases.json"]

    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    model_lines = [(a["operation"], a.get("version"), a["result"]) for a in audit if a["operation"].startswith("model")]
    assert model_lines == [("model_register", "1.0.0", "ok"), ("model_register", "1.1.0", "ok"),
                           ("model_promote", "1.1.0", "ok"), ("model_rm", "1.0.0", "ok"),
                           ("model_rm", "1.1.0", "ok")]


def test_concurrent_registrations_of_one_version_exactly_one_wins(env, tmp_path: Path):
    from its_store import AlreadyExistsError, ModelRegistry, StorageService, load_settings
    from its_store.registry.results import Registration
    sources = [write_file(tmp_path / f"w{i}.pt", 200_000, seed=40 + i) for i in range(2)]
    for round_ in range(3):
        version = f"1.0.{round_}"
        barrier = threading.Barrier(2)
        outcome: dict[int, Any] = {}

        def attempt(i: int, version: str = version, barrier: threading.Barrier = barrier,
                    outcome: dict[int, Any] = outcome) -> None:
            reg = ModelRegistry(StorageService(load_settings()))  # two "processes": separate clients
            barrier.wait()
            try:
                outcome[i] = reg.register_model(sources[i], "race", version, metrics={"run": i})
            except AlreadyExistsError as exc:
                outcome[i] = exc

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [i for i, r in outcome.items() if isinstance(r, Registration)]
        losers = [i for i, r in outcome.items() if isinstance(r, AlreadyExistsError)]
        assert len(winners) == 1 and len(losers) == 1, outcome
        reg = ModelRegistry(StorageService(load_settings()))
        pulled = reg.get_model("race", version, tmp_path / f"pulled-{version}.pt")
        assert Path(pulled["path"]).read_bytes() == sources[winners[0]].read_bytes()
        assert reg.show_model("race", version)["metrics"] == {"run": winners[0]}
    assert [r["version"] for r in ModelRegistry(StorageService(load_settings())).list_models("race")] == [
        "1.0.2", "1.0.1", "1.0.0"]


def test_concurrent_promotions_lose_no_update(service, tmp_path: Path):
    from its_store import ModelRegistry, StorageService
    reg = registry(service)
    reg.register_model(write_file(tmp_path / "m.pt", 100), "prom", "1.0.0")
    names = [f"env{i}" for i in range(6)]
    barrier = threading.Barrier(len(names))

    def promote(alias: str) -> None:
        other = ModelRegistry(StorageService(service.settings))
        barrier.wait()
        other.promote("prom", "1.0.0", alias)

    threads = [threading.Thread(target=promote, args=(a,)) for a in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    doc = reg.get_aliases("prom")
    assert doc["aliases"] == {a: "1.0.0" for a in names}
    assert sorted(h["alias"] for h in doc["history"]) == names


def test_failed_register_leaves_no_version_and_a_stale_lock_needs_force(service, buckets, monkeypatch,
                                                                        tmp_path: Path):
    from its_store import AlreadyExistsError, ServiceUnavailableError
    folder = tmp_path / "m"
    for i in range(4):
        write_file(folder / f"part{i}.bin", 5000, seed=50 + i)
    from its_store.service import objects
    reg = registry(service)
    real_upload = objects.upload  # what the registry uploads through (over the storage Context)

    def flaky(ctx: Any, request: Any, progress: Any = None, **kwargs: Any) -> Any:
        if request.key.endswith("part2.bin"):
            raise ServiceUnavailableError("injected: connection reset")
        return real_upload(ctx, request, progress, **kwargs)

    monkeypatch.setattr(objects, "upload", flaky)
    with pytest.raises(ServiceUnavailableError):
        reg.register_model(folder, "crashy", "1.0.0")
    monkeypatch.setattr(objects, "upload", real_upload)
    assert list(service.s3.list_objects(buckets["models"], "crashy/", True)) == []
    assert reg.register_model(folder, "crashy", "1.0.0")["version"] == "1.0.0"

    # A process killed mid-upload leaves its lock and no manifest: invisible, and --force takes over.
    service.s3.put(buckets["models"], "crashy/1.1.0/.its-registering", b"{}", {})
    service.s3.put(buckets["models"], "crashy/1.1.0/part0.bin", b"partial", {})
    assert [r["version"] for r in reg.list_models("crashy")] == ["1.0.0"]
    with pytest.raises(AlreadyExistsError, match="another process"):
        reg.register_model(folder, "crashy", "1.1.0")
    assert reg.register_model(folder, "crashy", "1.1.0", force=True)["version"] == "1.1.0"
    assert reg.register_model(folder, "crashy", "auto")["version"] == "1.1.1"
    keys = {o.key for o in service.s3.list_objects(buckets["models"], "crashy/1.1.0/", True)}
    assert keys == {"crashy/1.1.0/manifest.json", *(f"crashy/1.1.0/part{i}.bin" for i in range(4))}


def test_list_reads_manifests_once_per_etag(service, tmp_path: Path):
    from its_store import ModelRegistry, StorageService
    from its_store.registry.registry import ProcessCache
    src = write_file(tmp_path / "m.pt", 100)
    reg = ModelRegistry(service, cache=ProcessCache())
    for i in range(4):
        reg.register_model(src, "cached", f"1.0.{i}", metrics={"i": i})
    gets = []
    real_get = service.s3.get

    def counting_get(bucket: str, key: str, *args: Any, **kwargs: Any) -> Any:
        gets.append(key)
        return real_get(bucket, key, *args, **kwargs)

    service.s3.get = counting_get
    cold = reg.list_models()
    assert len(gets) == 4 and len(cold) == 4
    gets.clear()
    assert reg.list_models() == cold and gets == []  # warm: no GET at all
    reg.register_model(src, "cached", "1.0.0", metrics={"i": 9}, force=True)
    gets.clear()
    assert {r["version"]: r["metrics"]["i"] for r in reg.list_models()} == {"1.0.3": 3, "1.0.2": 2, "1.0.1": 1,
                                                                              "1.0.0": 9}
    assert gets == ["cached/1.0.0/manifest.json"]  # a rewritten manifest has a new ETag: fetched again

    # Another process (new service, empty in-process cache) is answered by the service's metadata cache.
    other = StorageService(service.settings)
    other.s3.get = counting_get
    gets.clear()
    assert ModelRegistry(other, cache=ProcessCache()).list_models() == reg.list_models() and gets == []


def test_yaml_config_without_pyyaml_is_a_clear_error(cli, monkeypatch, tmp_path: Path):
    src = write_file(tmp_path / "m.pt", 100)
    (tmp_path / "train.yaml").write_bytes(CONFIG_YAML)
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` fail
    run = cli("model", "register", str(src), "--name", "y", "--version", "1.0.0", "--config", "train.yaml")
    assert run.exit_code == 2 and "PyYAML" in one_line_error(run)
    (tmp_path / "train.json").write_bytes(b"{not json")
    bad = cli("model", "register", str(src), "--name", "y", "--version", "1.0.0", "--config", "train.json")
    assert bad.exit_code == 2 and "not valid JSON" in one_line_error(bad)


def test_errors_are_one_line_with_documented_codes(cli, tmp_path: Path):
    assert cli("model", "list").exit_code == 3  # nothing registered yet: no models bucket
    register(cli, write_file(tmp_path / "m.pt", 100), "e", "1.0.0")
    for args, code in [(("show", "e@2.0.0"), 3), (("show", "nope"), 3), (("pull", "nope@1.0.0"), 3),
                       (("url", "e@1.0.0", "--expires", "soon"), 2), (("show", "e@"), 2),
                       (("show", "bad name"), 2), (("list", "--limit", "0"), 2)]:
        run = cli("model", *args)
        assert run.exit_code == code, (args, run)
        one_line_error(run)
    as_json = cli("model", "show", "e@2.0.0", "--json")
    assert as_json.exit_code == 3 and as_json.json()["error"]["code"] == "not_found"
    for command in ("register", "list", "show", "pull", "url", "promote", "aliases", "rm"):
        run = cli("model", command, "--help")
        assert run.exit_code == 0 and "Example: its-store model" in run.stdout, command


def test_documented_library_calls(env, buckets, monkeypatch, tmp_path: Path):
    """The product documentation's "Model Registry Operations" example, in its synchronous form."""
    from its_store.registry import registry as registry_module
    from its_store.service import storage as service_module
    monkeypatch.setattr(service_module, "_shared", None)
    monkeypatch.setattr(registry_module, "_shared", None)
    write_file(tmp_path / "yolo11_traffic_v2.pt", 300_000, seed=60)

    from its_store import get_model_registry

    registry = get_model_registry()
    assert registry is get_model_registry() and registry.bucket == buckets["models"]

    model_version = registry.register_model(
        model_path=Path("yolo11_traffic_v2.pt"),
        model_name="yolo11_traffic",
        version="2.0.0",
        metrics={"accuracy": 0.94, "latency_p95_ms": 42.0},
        training_config={"epochs": 100, "batch_size": 32},
        tags={"dataset": "traffic_v2", "environment": "production"}
    )
    assert (model_version["model_name"], model_version["version"]) == ("yolo11_traffic", "2.0.0")
    assert model_version["sha256"] == sha((tmp_path / "yolo11_traffic_v2.pt").read_bytes())

    models = registry.list_models(limit=10)
    printed = [f"{model['model_name']}:{model['version']} - Acc: {model['metrics']['accuracy']:.2f}"
               for model in models]
    assert printed == ["yolo11_traffic:2.0.0 - Acc: 0.94"]
    assert {"model_name", "version", "metrics", "tags", "created_at", "size", "sha256"} <= set(models[0].model_dump())
    assert models[0]["size"] == 300_000 and models[0]["tags"]["environment"] == "production"

    model = registry.get_model(
        "yolo11_traffic", "2.0.0",
        download_path=Path("models/current_model.pt")
    )
    assert Path(model["path"]) == Path("models/current_model.pt")
    assert (tmp_path / "models" / "current_model.pt").read_bytes() == (tmp_path / "yolo11_traffic_v2.pt").read_bytes()
    assert model["sha256"] == sha((tmp_path / "yolo11_traffic_v2.pt").read_bytes())

    url = registry.generate_download_url(
        "yolo11_traffic", "2.0.0",
        expires_in_seconds=3600
    )
    assert fetch(url) == (tmp_path / "yolo11_traffic_v2.pt").read_bytes()
    assert registry.show_model("yolo11_traffic", "2.0.0")["training_config"] == {"epochs": 100, "batch_size": 32}
    from its_store import InvalidInputError
    with pytest.raises(InvalidInputError):
        registry.generate_download_url("yolo11_traffic", "2.0.0", expires_in_seconds=8 * 86400)


def test_semver_precedence_and_auto_rules():
    from its_store.registry.refs import latest_version, next_patch, parse_version, version_key
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"]  # the semver.org example, extended
    assert sorted(reversed(ordered), key=version_key) == ordered
    assert latest_version(["1.0.0", "1.10.0", "1.9.9", "2.0.0-rc.1"]) == "1.10.0"
    assert latest_version(["2.0.0-rc.1", "2.0.0-rc.2"]) == "2.0.0-rc.2"
    assert latest_version([]) is None
    assert next_patch([]) == "0.1.0" and next_patch(["1.2.3", "1.10.0"]) == "1.10.1"
    assert next_patch(["1.2.3", "1.2.4-rc.1"]) == "1.2.4"
    assert str(parse_version(" 3.1.4-rc.1 ")) == "3.1.4-rc.1"


def test_where_conditions():
    from its_store import InvalidInputError
    from its_store.registry.refs import parse_where
    cond = parse_where(" accuracy >= 0.9 ")
    assert (cond.metric, cond.op, cond.value) == ("accuracy", ">=", 0.9)
    assert cond({"accuracy": 0.9}) and not cond({"accuracy": 0.89}) and not cond({})
    assert not cond({"accuracy": "0.95"})  # only numbers compare
    assert parse_where("map50-95!=1")({"map50-95": 0.5})
    for bad in ("accuracy", "accuracy=>0.9", ">=0.9", "accuracy>=nan", "accuracy>=abc"):
        with pytest.raises(InvalidInputError):
            parse_where(bad)
