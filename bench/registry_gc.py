"""Benchmark: `model gc` over 1,000 removable versions on a throwaway local SeaweedFS.

    .venv/bin/python bench/registry_gc.py [--models 10] [--versions 101]

Registers MODELS x VERSIONS tiny one-file versions (16 threads, through ModelRegistry.register_model),
then times, in a new ModelRegistry (nothing cached in memory; the disk metadata cache is cleared):
  dry run   `gc --keep-last 1 --older-than 0s --dry-run`: one bucket listing + every manifest (parallel GETs)
  gc        the same for real: manifests first (batched DeleteObjects), then the files, one audit line each
  again     a second gc, which finds nothing to remove (warm: manifests cached by ETag)
Numbers go to bench/REGISTRY.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--versions", type=int, default=101)
    args = parser.parse_args()

    from registry_list import registry_env
    with registry_env() as tmp:
        total = args.models * args.versions
        seconds = populate(Path(tmp), args.models, args.versions)
        print(f"registered {total} versions ({args.models} models x {args.versions}) in {seconds:.1f} s")
        measure(total, args.models)


def populate(tmp: Path, models: int, versions: int) -> float:
    from its_store import ModelRegistry, StorageService, load_settings
    registry = ModelRegistry(StorageService(load_settings()))
    src = tmp / "weights.pt"
    src.write_bytes(os.urandom(64))
    jobs = [(f"model_{m:03d}", f"1.{v}.0") for m in range(models) for v in range(versions)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda job: registry.register_model(src, job[0], job[1], dedup=False), jobs))
    return time.perf_counter() - started


def fresh_registry() -> object:
    from its_store import ModelRegistry, StorageService, load_settings
    from its_store.registry.registry import ProcessCache
    registry = ModelRegistry(StorageService(load_settings()), cache=ProcessCache())
    registry.service.cache.clear()
    return registry


def measure(total: int, models: int) -> None:
    registry = fresh_registry()
    started = time.perf_counter()
    plan = registry.gc(keep_last=1, older_than="0s", dry_run=True)
    dry = time.perf_counter() - started
    registry = fresh_registry()
    started = time.perf_counter()
    report = registry.gc(keep_last=1, older_than="0s")
    real = time.perf_counter() - started
    started = time.perf_counter()
    again = registry.gc(keep_last=1, older_than="0s")
    second = time.perf_counter() - started
    left = sum(1 for _ in registry.s3.list_objects(registry.bucket, "", True))
    removed = report["removed_versions"]
    assert removed == len(plan["removed"]) == total - models and not report["errors"] and again["removed"] == []
    print(f"gc over {total} versions, {removed} removed (python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}):")
    print(f"  dry run (cold: listing + {total} manifest GETs) : {dry:.3f} s")
    print(f"  gc (cold), {report['removed_objects']} objects deleted      : {real:.3f} s "
          f"({removed / real:.0f} versions/s)")
    print(f"  second gc, nothing to remove (warm)         : {second:.3f} s")
    print(f"  objects left in the bucket                  : {left}")


if __name__ == "__main__":
    main()
