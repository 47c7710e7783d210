"""Benchmark: `model register` of a 200 MB model, new bytes vs bytes the registry already holds (dedup).

    .venv/bin/python bench/registry_register.py [--size-mb 200] [--repeat 3]

On a throwaway local SeaweedFS, each round:
  new      register a 200 MB file of fresh random bytes as a new version (hash + upload);
  dedup    register the same file as another version: registry/dedup.py finds its sha256 in the index,
           HEADs the source and copies it server-side (CopyObject), uploading 0 bytes;
  upload   the same again with dedup=False (`--no-dedup`): the like-for-like upload of the same bytes,
           page cache warm as for dedup, so new vs upload shows the cost of cold reads.
Prints wall times (median and range), uploaded_bytes and copied_files. Numbers go to bench/REGISTRY.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from registry_list import registry_env
    with registry_env() as tmp:
        run(Path(tmp), args.size_mb * 1000 * 1000, args.repeat)


def run(tmp: Path, size: int, repeat: int) -> None:
    from its_store import ModelRegistry, StorageService, load_settings
    registry = ModelRegistry(StorageService(load_settings()))
    rows: dict[str, list[tuple[float, int, int]]] = {"new": [], "dedup": [], "upload": []}
    for r in range(repeat):
        src = tmp / f"model{r}.onnx"
        with open(src, "wb") as fh:
            for _ in range(size // (8 << 20) + 1):
                fh.write(os.urandom(min(8 << 20, size - fh.tell())))
        fd = os.open(src, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # out of the page cache, as after training
        os.close(fd)
        for kind, version, dedup in (("new", f"{r}.0.0", True), ("dedup", f"{r}.0.1", True),
                                     ("upload", f"{r}.0.2", False)):
            started = time.perf_counter()
            rec = registry.register_model(src, "big", version, dedup=dedup)
            rows[kind].append((time.perf_counter() - started, rec.get("uploaded_bytes", -1),
                               rec.get("copied_files", -1)))
        src.unlink()
    print(f"register a {size / 1e6:.0f} MB one-file model, {repeat} rounds (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}):")
    for kind, values in rows.items():
        times = [v[0] for v in values]
        print(f"  {kind:7s}: {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}); "
              f"{size / statistics.median(times) / 1e6:.0f} MB/s; uploaded_bytes {values[-1][1]}, "
              f"copied_files {values[-1][2]}")


if __name__ == "__main__":
    main()
