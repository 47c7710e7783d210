"""Benchmark: registering a 200 MB model new vs deduplicated, and `model lineage` over many versions.

    .venv/bin/python bench/registry_v2.py [--size-mb 200] [--repeat 3] [--versions 1000]

On a throwaway local SeaweedFS (its_store.testing.devserver.SeaweedServer):
  new      register_model of SIZE random bytes under a new name (hash + upload + manifest), `--no-dedup`
           semantics (dedup=False) so every repeat really uploads;
  dedup    register_model of the same file under another new name: hash + server-side copy + manifest;
  lineage  ModelRegistry.lineage() of the root of a chain, VERSIONS versions in the bucket (each naming the
           previous as parent): cold (nothing cached on our side) and warm (same process).
Numbers go to bench/REGISTRY.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--versions", type=int, default=1000)
    args = parser.parse_args()

    from registry_list import registry_env
    with registry_env() as tmp:
        dedup_bench(Path(tmp), args.size_mb, args.repeat)
        lineage_bench(Path(tmp), args.versions)


def _registry() -> object:
    from its_store import ModelRegistry, StorageService, load_settings
    from its_store.registry.docs import ProcessCache
    return ModelRegistry(StorageService(load_settings()), cache=ProcessCache())


def dedup_bench(tmp: Path, size_mb: int, repeat: int) -> None:
    src = tmp / "big.pt"
    with open(src, "wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(1024 * 1024))
    registry = _registry()
    registry.register_model(src, "warmup", "1.0.0")  # the bucket exists and the bytes are indexed
    new, dedup, uploaded = [], [], []
    for i in range(repeat):
        started = time.perf_counter()
        registry.register_model(src, f"new{i}", "1.0.0", dedup=False)
        new.append(time.perf_counter() - started)
        started = time.perf_counter()
        rec = registry.register_model(src, f"dup{i}", "1.0.0")
        dedup.append(time.perf_counter() - started)
        uploaded.append(rec["uploaded_bytes"])
    print(f"register {size_mb} MB new:   median {statistics.median(new):.2f} s  (all {[round(t, 2) for t in new]})")
    print(f"register {size_mb} MB dedup: median {statistics.median(dedup):.2f} s  (all "
          f"{[round(t, 2) for t in dedup]}), uploaded_bytes {uploaded}")
    copies = []
    for i in range(repeat):
        started = time.perf_counter()
        registry.s3.copy_object(registry.bucket, "warmup/1.0.0/big.pt", registry.bucket, f"raw-copy-{i}")
        copies.append(time.perf_counter() - started)
    print(f"  of which the server-side copy alone (one CopyObject): median {statistics.median(copies):.2f} s")
    started = time.perf_counter()
    from its_store.registry.manifest import sha256_file
    sha256_file(src)
    print(f"  of which hashing the file alone: {time.perf_counter() - started:.2f} s")


def lineage_bench(tmp: Path, versions: int) -> None:
    src = tmp / "tiny.pt"
    src.write_bytes(os.urandom(64))
    registry = _registry()
    registry.register_model(src, "chain", "0.0.1")
    # A wide tree: every version names the root as parent, plus a chain of 5 under the first child.
    refs = [f"0.1.{i}" for i in range(versions - 1)]

    def one(version: str) -> None:
        registry.register_model(src, "chain", version, parents=["chain@0.0.1"])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, refs))
    print(f"registered {versions} versions with a parent in {time.perf_counter() - started:.1f} s")
    cold_registry = _registry()
    started = time.perf_counter()
    doc = cold_registry.lineage("chain", "0.0.1")
    cold = time.perf_counter() - started
    warm = []
    for _ in range(5):
        started = time.perf_counter()
        cold_registry.lineage("chain", "0.0.1")
        warm.append(time.perf_counter() - started)
    print(f"lineage of the root over {versions} versions ({len(doc['descendants'])} descendants): "
          f"cold {cold:.2f} s, warm median {statistics.median(warm):.3f} s")


if __name__ == "__main__":
    main()
