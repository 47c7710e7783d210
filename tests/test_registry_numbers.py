"""Numbers in registry documents that Python's json cannot turn into what the validator expects.

An integer metric beyond float range (10**400: float() and math.isfinite raise OverflowError) and any
integer of more than 4300 digits (json.loads itself raises ValueError: the int-to-str digit limit) are
integrity errors like any other broken field: one line, exit 4, for every command that reads the
document (show, pull, verify, list, gc, and an alias resolved through `_aliases.json`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error
from helpers import write_file

HUGE_METRIC = b'"metrics": {"acc": 1' + b"0" * 400 + b"}"   # fits an int, not a float
LONG_INT = b"1" * 5000                                        # beyond json's 4300-digit limit


def register(service: Any, tmp_path: Path) -> Any:
    """det@1.0.0 (one file), aliased production."""
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    reg.register_model(write_file(tmp_path / "w.pt", 3000, seed=5), "det", "1.0.0", metrics={"acc": 0.5})
    reg.promote("det", "1.0.0", "production")
    return reg


def plant(service: Any, bucket: str, version: str, edit: Any) -> None:
    """det@VERSION: det@1.0.0's files and manifest, the manifest's bytes changed by `edit`."""
    resp = service.s3.get(bucket, "det/1.0.0/manifest.json")
    base = json.loads(resp.read())
    resp.close()
    for entry in base["files"]:
        data = service.s3.get(bucket, f"det/1.0.0/{entry['path']}")
        service.s3.put(bucket, f"det/{version}/{entry['path']}", data.read(), {})
        data.close()
    text = json.dumps(dict(base, version=version), separators=(", ", ": ")).encode()
    changed = edit(text)
    assert changed != text
    service.s3.put(bucket, f"det/{version}/manifest.json", changed, {"Content-Type": "application/json"})


def huge_metric(text: bytes) -> bytes:
    return text.replace(b'"metrics": {"acc": 0.5}', HUGE_METRIC)


def long_size(text: bytes) -> bytes:
    return text.replace(b'"size": 3000', b'"size": ' + LONG_INT, 1)


def control_character(text: bytes) -> bytes:
    return text.replace(b'"description": ""', b'"description": "\\u001b[2J"')


def test_the_decoder_and_validator_refuse_numbers_python_cannot_hold():
    from its_store.core import errors as E
    from its_store.registry import aliases
    from its_store.registry.manifest import parse_manifest
    for body in (b'{"name": "x", "version": "1.0.0", "files": [], "metrics": {"acc": 1' + b"0" * 400 + b"}}",
                 b'{"name": "x", "version": "1.0.0", "files": [], "size": ' + LONG_INT + b"}"):
        with pytest.raises(E.IntegrityError) as caught:
            parse_manifest(body, "s3://b/x/1.0.0/manifest.json")
        assert "s3://b/x/1.0.0/manifest.json" in caught.value.message and len(caught.value.message) < 200
    for body in (b'{"aliases": {}, "n": ' + LONG_INT + b"}", b"[" * 100_000 + b"]" * 100_000, b"\xff"):
        with pytest.raises(E.IntegrityError) as caught:
            aliases.parse(body, "s3://b/x/_aliases.json", "x")
        assert "alias document s3://b/x/_aliases.json" in caught.value.message


@pytest.mark.parametrize("edit", [huge_metric, long_size, control_character])
def test_a_hostile_number_is_one_integrity_line(cli, service, buckets, tmp_path: Path, edit):
    """Every reader of the version: exit 4 and one line, as for any other broken field (the control
    character case is the reference). `model list` and `model gc` fail as a whole today: they read every
    manifest of the registry and a bad one stops them (exit 4, naming it)."""
    register(service, tmp_path)
    plant(service, buckets["models"], "7.0.0", edit)
    for args in (["show", "det@7.0.0"], ["pull", "det@7.0.0", "out"], ["verify", "det@7.0.0"], ["list"],
                 ["list", "det"], ["gc", "det", "--keep-last", "5", "--dry-run"]):
        run = cli("model", *args)
        assert run.exit_code == 4, (args, run)
        assert "det/7.0.0/manifest.json" in one_line_error(run), (args, run)
    assert not (tmp_path / "out").exists()
    assert cli("model", "show", "det@1.0.0").exit_code == 0


def test_a_long_number_in_the_alias_document_is_one_integrity_line(cli, service, buckets, tmp_path: Path):
    register(service, tmp_path)
    bucket = buckets["models"]
    resp = service.s3.get(bucket, "det/_aliases.json")
    old = resp.read()
    resp.close()
    service.s3.put(bucket, "det/_aliases.json", old.replace(b'"name"', b'"n": ' + LONG_INT + b', "name"', 1), {})
    for args in (["aliases", "det"], ["pull", "det@production", "out"], ["show", "det@1.0.0"]):
        run = cli("model", *args)
        assert run.exit_code == 4, (args, run)
        assert "alias document s3://" in one_line_error(run), (args, run)
    assert not (tmp_path / "out").exists()


def test_a_deeply_nested_dedup_index_entry_is_no_entry(cli, service, buckets, tmp_path: Path):
    """The dedup index (_index/SHA256) is best effort: an entry that is not ours means "upload"."""
    import hashlib

    from its_store.registry.dedup import index_key
    reg = register(service, tmp_path)
    src = tmp_path / "w.pt"
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    service.s3.put(buckets["models"], index_key(sha), b"[" * 100_000 + b"]" * 100_000, {})
    reg.register_model(src, "det", "1.0.1")
    assert cli("model", "verify", "det@1.0.1").exit_code == 0


def test_a_deeply_nested_offline_copy_is_not_used(cli, env, service, buckets, tmp_path: Path):
    """The offline store is a local copy of registry documents: one that does not decode is no copy."""
    register(service, tmp_path)
    assert cli("model", "list", "det").exit_code == 0
    [remembered] = (Path(env["MINIO_CACHE_DIR"]) / "models" / "offline").rglob("manifests/det.json")
    remembered.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    run = cli("model", "list", "det", "--offline")
    assert run.exit_code != 1, run  # not an "unexpected" error
    assert "unexpected" not in run.stderr


# ---------------------------------------------------------------------------------- pulled file modes
def modes(root: Path) -> dict[str, int]:
    """Permission bits of `root` and of everything under it, by relative path ('.' for root)."""
    found = {".": root.stat().st_mode & 0o7777}
    found.update({p.relative_to(root).as_posix(): p.stat().st_mode & 0o7777 for p in root.rglob("*")})
    return found


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_a_pulled_folder_gets_the_modes_mkdir_and_cp_give(cli, service, tmp_path: Path, umask: int):
    """The pulled folder was renamed from a tempfile.mkdtemp staging folder: 0700 whatever the umask, so
    an inference service running as another user could not read the model `get -r` would have let it."""
    from its_store import ModelRegistry
    folder = tmp_path / "src"
    write_file(folder / "weights.pt", 2000, seed=2)
    write_file(folder / "labels" / "names.txt", 100, seed=3)
    reg = ModelRegistry(service)
    reg.register_model(folder, "fold", "1.0.0")
    reg.register_model(folder / "weights.pt", "one", "1.0.0")
    old = os.umask(umask)  # the CLI runs in this process; nothing else runs in it meanwhile
    try:
        runs = [cli("model", "pull", "fold@1.0.0", "out"), cli("model", "pull", "one@1.0.0", "one.pt"),
                cli("model", "pull", "fold@1.0.0", "again"), cli("model", "pull", "fold@1.0.0", "again", "--force")]
    finally:
        os.umask(old)
    assert all(run.exit_code == 0 for run in runs), runs
    folders, files = 0o777 & ~umask, 0o666 & ~umask
    for dest in ("out", "again"):  # a new folder, and one that replaces a folder (--force)
        got = modes(tmp_path / dest)
        assert got == {".": folders, "labels": folders, "labels/names.txt": files, "weights.pt": files,
                       "manifest.json": files}, (dest, {k: oct(v) for k, v in got.items()})
    assert (tmp_path / "one.pt").stat().st_mode & 0o7777 == files
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging or probe left


def test_a_deeply_nested_metadata_cache_entry_is_a_miss(tmp_path: Path):
    """The metadata cache (disk, or a Redis others share) holds registry documents: an entry json cannot
    decode (RecursionError, not a ValueError) is a miss like any other unreadable entry."""
    import diskcache

    from its_store.state.cache import _SEP, DiskCache
    cache = DiskCache(tmp_path / "cache")
    cache.put("model-registry", "ok", {"a": 1}, 60)
    with diskcache.Cache(str(tmp_path / "cache")) as raw:  # planted with the library's own API
        raw.set("model-registry" + _SEP + "deep", "[" * 100_000 + "]" * 100_000)
    assert cache.get("model-registry", "ok") == {"a": 1}
    assert cache.get("model-registry", "deep") is None
