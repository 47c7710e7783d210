"""`model rm` and `model gc` drop the dedup index entries (`_index/sha256/<hex>`, registry/dedup.py) that name a
key of the version they removed: those objects are gone, and an entry naming them only cost the next registration
of the bytes a HEAD before it was rewritten, while it kept the removed files' sha256s and key names in the bucket.
An entry naming a key of a version still there is kept (left-out item 11)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from helpers import write_file


def _entries(service: Any, bucket: str) -> dict[str, str]:
    """sha256 -> the key its index entry names, of every entry listed."""
    from its_store.registry.dedup import INDEX_PREFIX
    found = {}
    for obj in service.s3.list_objects(bucket, INDEX_PREFIX, True):
        with service.s3.get(bucket, obj.key) as body:
            found[obj.key.removeprefix(INDEX_PREFIX)] = json.loads(body.read())["key"]
    return found


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rm_drops_the_entries_naming_its_keys_only(service: Any, buckets: dict[str, str], tmp_path: Path) -> None:
    from its_store import ModelRegistry
    reg, bucket = ModelRegistry(service), buckets["models"]
    shared, own = write_file(tmp_path / "shared.pt", 5000, seed=1), write_file(tmp_path / "own.pt", 4000, seed=2)
    reg.register_model(shared, "ia", "1.0.0")
    reg.register_model(own, "ib", "1.0.0")
    reg.register_model(shared, "ic", "1.0.0")  # the same bytes: copied from ia's, the entry still names ia's key
    assert _entries(service, bucket) == {_sha(shared): "ia/1.0.0/shared.pt", _sha(own): "ib/1.0.0/own.pt"}
    reg.delete_model("ic", "1.0.0")  # its bytes are indexed under ia's key, which stays: kept
    assert _entries(service, bucket) == {_sha(shared): "ia/1.0.0/shared.pt", _sha(own): "ib/1.0.0/own.pt"}
    reg.delete_model("ib", "1.0.0")
    assert _entries(service, bucket) == {_sha(shared): "ia/1.0.0/shared.pt"}
    done = reg.register_model(own, "ib", "2.0.0")  # registered again: uploaded (nothing to copy), indexed again
    assert _entries(service, bucket)[_sha(own)] == "ib/2.0.0/own.pt", done


def test_gc_drops_the_entries_of_the_versions_it_removes(service: Any, buckets: dict[str, str],
                                                         tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from its_store import ModelRegistry
    reg, bucket = ModelRegistry(service), buckets["models"]
    files = [write_file(tmp_path / f"w{i}.pt", 3000 + i, seed=10 + i) for i in range(3)]
    for i, path in enumerate(files):
        reg.register_model(path, "ig", f"1.0.{i}")
    report = reg.gc("ig", keep_last=1, older_than=0, now=datetime.now(UTC) + timedelta(days=1))
    assert sorted(r.version for r in report.removed) == ["1.0.0", "1.0.1"], report
    assert _entries(service, bucket) == {_sha(files[2]): "ig/1.0.2/w2.pt"}


def test_rm_drops_the_entries_while_it_still_holds_the_marker(env: dict[str, str], service: Any,
                                                              buckets: dict[str, str], tmp_path: Path) -> None:
    """The entries go before the version's marker is released: a registration of the same NAME@VERSION
    that takes the marker right after writes fresh entries that this removal must not delete (it used to
    drop them after the release). The proxy looks at the marker when each entry's DELETE arrives."""
    from faultproxy import FaultProxy, Seen

    from its_store import ModelRegistry, StorageService, load_settings
    from its_store.core import errors as E
    from its_store.registry.dedup import INDEX_PREFIX
    from its_store.registry.refs import LOCK
    bucket = buckets["models"]
    ModelRegistry(service).register_model(write_file(tmp_path / "w.pt", 5000, seed=3), "ir", "1.0.0")
    marker_held: list[bool] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "DELETE" and f"/{INDEX_PREFIX}" in seen.path:
            try:
                service.s3.stat(bucket, f"ir/1.0.0/{LOCK}")
                marker_held.append(True)
            except E.NotFoundError:
                marker_held.append(False)
        return None

    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=answer) as proxy:
        ModelRegistry(StorageService(load_settings(endpoint=proxy.endpoint))).delete_model("ir", "1.0.0")
    assert marker_held == [True], marker_held
    assert _entries(service, bucket) == {}
