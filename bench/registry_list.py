"""Benchmark: `model list` over 200 models x 5 versions, cold and warm, on a throwaway local SeaweedFS.

    .venv/bin/python bench/registry_list.py [--models 200] [--versions 5] [--repeat 5]

Registers MODELS x VERSIONS tiny one-file versions (in parallel, through ModelRegistry.register_model),
lists them once (so the server's own caches are warm, as on a running server), then times:
  cold   list_models() with nothing cached on our side (in-process cache empty, metadata cache cleared):
         one bucket listing plus one GET per manifest and alias document, in parallel;
  warm   the next list_models() calls in the same process: one bucket listing, every document from memory;
  bare   the bucket listing alone, the floor of a warm list;
  offline  list_models() with --offline: the local copy (registry/offline.py), no request at all;
  cli    `its-store model list --json` through the real Typer app in this process (output included);
  proc   `python -m its_store model list --json` in new processes (warm through the disk metadata cache).
--no-metadata-cache runs the same with MINIO_ENABLE_CACHING=false. Numbers go to bench/REGISTRY.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def registry_env(**extra: str) -> Iterator[str]:
    """A throwaway SeaweedFS and temp folder for a registry benchmark: this process's MINIO_* variables
    point at them only (models bucket bench-models, cache and audit log in the folder, which is the cwd).
    Used by registry_gc.py, registry_register.py and registry_v2.py too."""
    from its_store.testing.devserver import SeaweedServer
    with SeaweedServer() as server, tempfile.TemporaryDirectory(prefix="its-bench-") as tmp:
        env = {**server.env(), "MINIO_MODELS_BUCKET": "bench-models", "MINIO_CACHE_DIR": str(Path(tmp) / "cache"),
               "MINIO_AUDIT_LOG": str(Path(tmp) / "audit.log"), **extra}
        for name in [n for n in os.environ if n.startswith("MINIO_")]:
            del os.environ[name]
        os.environ.update(env)
        os.chdir(tmp)
        yield tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-metadata-cache", action="store_true",
                        help="MINIO_ENABLE_CACHING=false: only the in-process cache (shows its share of cold)")
    args = parser.parse_args()

    extra = {"MINIO_ENABLE_CACHING": "false"} if args.no_metadata_cache else {}
    with registry_env(**extra) as tmp:
        total = args.models * args.versions
        seconds = populate(Path(tmp), args.models, args.versions)
        print(f"registered {total} versions ({args.models} models x {args.versions}) in {seconds:.1f} s "
              f"({total / seconds:.0f} versions/s)")
        measure(total, args.repeat, disk_cache=not args.no_metadata_cache)


def populate(tmp: Path, models: int, versions: int) -> float:
    from its_store import ModelRegistry, StorageService, load_settings
    registry = ModelRegistry(StorageService(load_settings()))
    src = tmp / "weights.pt"
    src.write_bytes(os.urandom(64))
    jobs = [(f"model_{m:03d}", f"1.{v}.0", m, v) for m in range(models) for v in range(versions)]

    def one(job: tuple[str, str, int, int]) -> None:
        name, version, m, v = job
        registry.register_model(src, name, version, metrics={"accuracy": 0.5 + (m * versions + v) / (4 * len(jobs))},
                                tags={"site": f"s{m % 7}"})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, jobs))
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure(total: int, repeat: int, disk_cache: bool) -> None:
    from its_store import ModelRegistry, StorageService, load_settings
    from its_store.registry.registry import ProcessCache

    registry = ModelRegistry(StorageService(load_settings()), cache=ProcessCache())
    assert len(registry.list_models()) == total  # sanity, and the first run is timed again just below
    registry = ModelRegistry(StorageService(load_settings()), cache=ProcessCache())
    if disk_cache:
        registry.service.cache.clear()
    cold = timed(lambda: registry.list_models(), 1)[0]
    warm = timed(lambda: registry.list_models(), repeat)
    bare = timed(lambda: sum(1 for _ in registry.s3.list_objects(registry.bucket, "", True)), repeat)
    filtered = timed(lambda: registry.list_models(where=["accuracy>=0.6"], sort="accuracy", limit=10), repeat)
    offline = ModelRegistry(registry.service, offline=True)
    assert len(offline.list_models()) == total
    from_disk = timed(lambda: offline.list_models(), repeat)  # --offline: local files only, no request
    keep = registry.offline_store.remember_listing
    registry.offline_store.remember_listing = lambda *args, **kwargs: None
    no_copy = timed(lambda: registry.list_models(), repeat)  # warm, without keeping the offline copy
    registry.offline_store.remember_listing = keep
    scan = registry.docs.scan(None)
    manifests, alias_docs = registry.docs.fetch_all(scan)
    import shutil
    shutil.rmtree(registry.offline_store.root)  # the first listing ever on this machine writes every document
    first_copy = timed(lambda: registry.offline_store.remember_listing(None, manifests, scan.manifests, alias_docs,
                                                                       scan.aliases), 1)[0]
    assert (registry.offline_store.root / "index.json").exists()
    cli = time_cli(total, repeat)
    procs, imports = time_processes(total)
    where = "disk cache warm" if disk_cache else "no metadata cache: cold"
    print(f"model list over {total} versions (python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}{'' if disk_cache else ', MINIO_ENABLE_CACHING=false'}):")
    print(f"  cold (nothing cached, parallel GETs)      : {cold:.3f} s")
    print(f"  warm (library, median of {repeat})             : {_stats(warm)}")
    print(f"  bare bucket listing (floor of a warm list): {_stats(bare)}")
    print(f"  warm --where/--sort/--limit               : {_stats(filtered)}")
    print(f"  warm, without the offline copy            : {_stats(no_copy)}")
    print(f"  --offline (local files, no request)       : {_stats(from_disk)}")
    print(f"  first offline copy ({len(manifests)} manifests, {len(alias_docs)} alias docs): {first_copy:.3f} s")
    print(f"  cli in-process, first call                : {cli[0]:.3f} s  (memory cache empty, {where})")
    print(f"  cli in-process, warm (median of {repeat})      : {_stats(cli[1:])}")
    print(f"  new process (median of 3)                 : {statistics.median(procs):.3f} s  ({where}; "
          f"start-up and imports alone: {imports:.3f} s)")


def _stats(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s  (min {min(times):.3f}, max {max(times):.3f})"


def time_cli(total: int, repeat: int) -> list[float]:
    """`model list --json` through the real app in this process; the first call fills the process cache."""
    from typer.testing import CliRunner

    from its_store.cli.app import app
    from its_store.registry.docs import PROCESS_CACHE
    PROCESS_CACHE._data.clear()
    runner = CliRunner()

    def once() -> None:
        result = runner.invoke(app, ["model", "list", "--json"])
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == total, result.stdout[-500:]

    return timed(once, repeat + 1)


def time_processes(total: int) -> tuple[list[float], float]:
    """`python -m its_store model list --json` in new processes, and the bare start-up cost for comparison."""
    def once() -> None:
        done = subprocess.run([sys.executable, "-m", "its_store", "model", "list", "--json"], capture_output=True,
                              check=True)
        assert len(done.stdout.splitlines()) == total

    code = "import its_store.cli.app, its_store.service.storage, its_store.registry.registry, its_store.core.models"
    imports = timed(lambda: subprocess.run([sys.executable, "-c", code], check=True), 1)[0]
    return timed(once, 3), imports


if __name__ == "__main__":
    main()
