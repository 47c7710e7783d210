"""Attack on the registry's blob cache (session 36): a model pulled while the cache folder's disk is full
(an edge box's small /var/cache). The pull itself lands elsewhere and succeeds, and keeping the blob is
best effort; but BlobCache.add copied it (another file system: no hard link) into a temp file and, at
ENOSPC, returned without removing it: a half-written `.its-tmp` blob stayed in the cache for ever (the
cache's walks pass temp names over), holding the space that made the disk full."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store import ModelRegistry

from helpers import tiny_disk, write_file


def test_a_blob_not_kept_for_a_full_disk_leaves_no_temp_file(service: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store import StorageService, load_settings
    weights = write_file(tmp_path / "w.onnx", 2_000_000, seed=36)  # the tmpfs holds 1 MiB
    ModelRegistry(service).register_model(weights, "full_cache", "1.0.0")
    cache = tmp_path / "smallcache"
    with tiny_disk(cache):
        monkeypatch.setenv("MINIO_CACHE_DIR", str(cache))
        edge = StorageService(load_settings())
        try:
            pulled = ModelRegistry(edge).get_model("full_cache", "1.0.0", tmp_path / "out.onnx")
        finally:
            edge.close()
        left = [p.name for p in cache.rglob("*") if p.name.endswith(".its-tmp")]
    assert pulled.verified and (tmp_path / "out.onnx").read_bytes() == weights.read_bytes()
    assert left == [], "a half-written blob was left in the cache"
