"""Hostile manifests: a manifest is input, every field is checked before it names a file.

A manifest on the server (or in the local caches) may have been written by anyone with write access to
the models bucket. Whatever it says, `model pull` / `show` / `list` answer with one line (exit 4,
integrity: the stored document is not one its-store wrote), write nothing at the destination and
delete nothing outside the blob cache.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error
from helpers import random_bytes

DATA = random_bytes(5000, seed=71)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def good_manifest(name: str = "evil", version: str = "1.0.0") -> dict[str, Any]:
    return {"format": 2, "name": name, "version": version,
            "files": [{"path": "w.pt", "size": len(DATA), "sha256": sha(DATA),
                       "content_type": "application/octet-stream"}],
            "primary": "w.pt", "size": len(DATA), "sha256": sha(DATA), "metrics": {"acc": 0.9},
            "training_config": {"epochs": 3}, "training_config_file": None, "tags": {"site": "a"},
            "description": "ok", "created_at": "2025-01-01T00:00:00.000+00:00", "created_by": "me@host",
            "tool_version": "its-store 1.0", "variants": {}, "sealed": False,
            "lineage": {"parents": [], "datasets": [], "run_id": None, "git": None}}


def store(service: Any, bucket: str, doc: Any, name: str = "evil", version: str = "1.0.0") -> None:
    service.ensure_bucket(bucket)
    service.s3.put(bucket, f"{name}/{version}/w.pt", DATA, {})
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    service.s3.put(bucket, f"{name}/{version}/manifest.json", body, {"Content-Type": "application/json"})


def victim(path: Path, size: int = len(DATA)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"v" * size)
    Path(str(path) + ".used").write_bytes(b"")
    path.with_suffix(".used").write_bytes(b"")
    return path


def test_pull_never_deletes_a_file_that_sha256_names(cli, env, service, buckets, tmp_path: Path):
    """The tester's report: sha256 set to an absolute path or to ../../x, a file of the claimed size
    there was hashed, failed the check and was deleted (with its .used sibling)."""
    blobs = Path(env["MINIO_CACHE_DIR"]) / "models" / "blobs"
    absolute = victim(tmp_path / "precious" / "weights.bin")
    relative = victim(blobs.parent.parent / "x")  # blobs/../../x, i.e. beside the models cache folder
    for name, claim in (("evil", str(absolute)), ("evil2", "../../x"), ("evil3", "../../../x")):
        doc = good_manifest(name)
        doc["files"][0]["sha256"] = claim
        store(service, buckets["models"], doc, name)
        run = cli("model", "pull", f"{name}@1.0.0", "dest.pt")
        assert run.exit_code == 4, run
        assert "sha256" in one_line_error(run)
    assert absolute.read_bytes() == b"v" * len(DATA) and Path(str(absolute) + ".used").exists()
    assert absolute.with_suffix(".used").exists()
    assert relative.read_bytes() == b"v" * len(DATA) and relative.with_suffix(".used").exists()
    assert not (tmp_path / "dest.pt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging debris


def _set(doc: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    """A copy of `doc` with the field at dotted `where` (files.0.sha256) set to `value` (or deleted: DROP)."""
    doc = copy.deepcopy(doc)
    parts = where.split(".")
    target: Any = doc
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    last: Any = int(parts[-1]) if isinstance(target, list) else parts[-1]
    if value is DROP:
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value
    return doc


DROP = object()
ENTRY = {"path": "w.onnx", "size": 10, "sha256": "a" * 64}
HOSTILE: list[tuple[str, Any]] = [
    *[("files.0.path", v) for v in ("/etc/passwd", "../x", "a/../../x", "a//b", "./w.pt", "w\x1b[31m.pt", "a\\b",
                                    "x" * 1100, "manifest.json", ".its-registering", "card.md", "variants/x/w.pt",
                                    "", "dir/", 5, None, ["w.pt"])],
    *[("files.0.sha256", v) for v in ("/tmp/x", "../../x", "A" * 64, "g" * 64, "a" * 63, "a" * 65, 123, None,
                                      "a" * 62 + "\n" + "a", DROP)],
    *[("files.0.size", v) for v in (-1, "5000", True, 1.5, None, 10 ** 30, DROP)],
    *[("files.0.content_type", v) for v in ("x\ny", 5, "x" * 300)],
    ("files.0.key", "../../other/1.0.0/w.pt"),
    ("files.0", "w.pt"), ("files", {"w.pt": {}}), ("files", "w.pt"),
    ("files.1", {"path": "w.pt", "size": len(DATA), "sha256": sha(DATA)}),  # the same path twice
    ("name", "../evil"), ("name", "other"), ("version", "1.0"), ("version", "1.0.1"), ("version", 1),
    ("metrics.acc", "high"), ("metrics.acc", float("inf")), ("metrics", [1, 2]), ("metrics", "x"),
    ("tags.site", 5), ("tags.site", "a\x1b[2Jb"), ("tags", ["site"]),
    ("description", "\x1b]0;pwned\x07"), ("description", 7), ("created_by", "me\r\nInjected: 1"),
    ("created_at", {"t": 1}), ("tool_version", "x" * 5000),
    ("lineage.parents", ["../../x@1.0.0"]), ("lineage.parents", ["x"]), ("lineage.parents", "a@1.0.0"),
    ("lineage.datasets", ["with space"]), ("lineage.run_id", "r\x00"), ("lineage.git", ["x"]),
    ("lineage.git", {"commit": "\x1b[31m"}), ("lineage", "parents"),
    ("variants", {"../x": {"files": [ENTRY]}}), ("variants", {"onnx": {"files": [{**ENTRY, "path": "/abs"}]}}),
    ("variants", {"onnx": {"files": [{**ENTRY, "key": "../../w.onnx"}]}}), ("variants", {"onnx": []}),
    ("variants", {"onnx": {"files": [{**ENTRY, "sha256": "../../x"}]}}), ("variants", ["onnx"]),
    ("card", {"path": "../card.md", "size": 1, "sha256": "b" * 64}),
    ("card", {"path": "card.md", "size": 1, "sha256": "/etc/passwd"}),
    ("sealed", "yes"), ("primary", "/etc/passwd"), ("training_config_file", "../x"), ("size", -5),
    ("sha256", "not-a-digest"),
]


# End to end: every field that names a file or a key (the rest is covered by the validator test above).
NAMING = [(where, value) for where, value in HOSTILE
          if where.split(".")[0] in ("files", "variants", "card", "name", "version", "primary")]


def test_the_validator_refuses_every_hostile_field():
    from its_store.core import errors as E
    from its_store.registry.manifest import check_name_version, parse_manifest
    assert parse_manifest(json.dumps(good_manifest()).encode(), "x")["name"] == "evil"
    for where, value in HOSTILE:
        body = json.dumps(_set(good_manifest(), where, value)).encode()
        with pytest.raises(E.IntegrityError) as caught:
            check_name_version(parse_manifest(body, "s3://b/evil/1.0.0/manifest.json"), "evil", "1.0.0", "x")
        message = caught.value.message
        assert "\n" not in message and "\x1b" not in message and "\x00" not in message, (where, message)
        assert len(message) < 300, (where, message)
    for raw in (b"\xff\xfe", b"[]", b"null", b'{"files": []}', b"[" * 100_000 + b"]" * 100_000):
        with pytest.raises(E.IntegrityError):
            parse_manifest(raw, "x")


@pytest.mark.parametrize("where,value", NAMING, ids=[f"{i}-{w}" for i, (w, _) in enumerate(NAMING)])
def test_hostile_manifest_is_one_line_and_writes_nothing(cli, env, service, buckets, tmp_path: Path, where, value):
    blobs = Path(env["MINIO_CACHE_DIR"]) / "models" / "blobs"
    victims = [victim(tmp_path / "keep" / "weights.bin"), victim(blobs.parent.parent / "x")]
    store(service, buckets["models"], _set(good_manifest(), where, value))
    (tmp_path / "dl").mkdir()
    for args in (["pull", "evil@1.0.0", "dl/out.pt"], ["pull", "evil@1.0.0", "dl/out", "--json"],
                 ["show", "evil@1.0.0"]):
        run = cli("model", *args)
        assert run.exit_code == 4, (args, run)
        if "--json" in args:
            assert run.json()["error"]["code"] == "integrity_error"
        else:
            assert "its-store: error: manifest s3://" in one_line_error(run)
    assert list((tmp_path / "dl").iterdir()) == []
    for path in victims:
        assert path.read_bytes() == b"v" * len(DATA) and path.with_suffix(".used").exists()
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


def test_hostile_alias_document_is_refused(cli, service, buckets):
    store(service, buckets["models"], good_manifest())
    for doc in ({"aliases": {"production": "../../x"}}, {"aliases": {"Prod!": "1.0.0"}},
                {"aliases": {"production": "1.0.0"}, "history": "x"}, {"aliases": []},
                {"aliases": {"production": "1.0.0"}, "history": [{"by": "\x1b[31m"}]},
                {"name": "other", "aliases": {}}):
        service.s3.put(buckets["models"], "evil/_aliases.json", json.dumps(doc).encode(), {})
        for args in (["pull", "evil@production", "x.pt"], ["aliases", "evil"], ["show", "evil@1.0.0"]):
            run = cli("model", *args)
            assert run.exit_code == 4, (doc, args, run)
            assert "alias document" in one_line_error(run)


def test_tampered_offline_store_is_refused_before_any_file_is_touched(cli, env, service, buckets, tmp_path: Path):
    """The local folder is input too: a manifest remembered for offline use is checked like the server's."""
    store(service, buckets["models"], good_manifest())
    assert cli("model", "list", "evil").exit_code == 0
    assert cli("model", "pull", "evil@1.0.0", "first.pt").exit_code == 0
    target = victim(tmp_path / "keep" / "weights.bin")
    [remembered] = (Path(env["MINIO_CACHE_DIR"]) / "models" / "offline").rglob("manifests/evil.json")
    doc = json.loads(remembered.read_text())
    doc["versions"]["1.0.0"]["manifest"]["files"][0]["sha256"] = str(target)
    remembered.write_text(json.dumps(doc))
    for args in (["pull", "evil@1.0.0", "second.pt"], ["show", "evil@1.0.0"], ["list", "evil"]):
        run = cli("model", *args, "--offline")
        assert run.exit_code == 4, (args, run)
        assert "sha256" in one_line_error(run)
    assert target.read_bytes() == b"v" * len(DATA) and not (tmp_path / "second.pt").exists()


def test_blob_cache_never_deletes_outside_its_folder(tmp_path: Path):
    """Defence in depth: even called with a hostile name, the blob cache deletes only inside blobs/."""
    from its_store.registry.pull import BlobCache
    cache = BlobCache(tmp_path / "models")
    outside = victim(tmp_path / "outside.bin")
    for name in (str(outside), "../../outside.bin", "../outside.bin", "A" * 64):
        assert cache.lookup(name, len(DATA)) is None
        cache.discard(name)
        cache.touch(name)
        cache.add(outside, name)
    assert outside.read_bytes() == b"v" * len(DATA)
    assert not (tmp_path / "models").exists()
    (tmp_path / "models" / "blobs").mkdir(parents=True)
    (tmp_path / "models" / "blobs" / "ab").symlink_to(tmp_path)  # a subfolder that leads out
    with pytest.raises(PermissionError):
        cache._unlink(tmp_path / "models" / "blobs" / "ab" / "outside.bin")
    report = cache.prune(0)
    assert report.removed_files == 0 and outside.exists()
