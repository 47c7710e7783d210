"""The metadata cache on a read-only file system (an ext4 remounted read-only after an error, a read-only
bind of $HOME in a container), for real: the cache folder is a tmpfs that the test remounts `ro` and back.

While the folder is read-only the disk cache cannot open, and the stale marker (disk.stale) that would clear
it at its next open cannot be made either: whatever it held before stays there, unmarked. An upload in that
window changed an object whose HEAD the cache keeps, and once the folder is writable again `stat` answered
with the old size and sha256 until the TTL ran out, and nothing had said so: the only line was "metadata
caching is off for this run". And `cache clear` in that window said "cleared 0 cache entries", exit 0,
leaving every entry in place.

Now a write that cannot reach the cache nor mark it says, once, that its entries may be served after this
run and how to clear them; and `cache clear` that cannot clear a level nor mark it fails with one line, exit 1.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers import run_cli_process, tiny_disk, write_file


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` (a mount point) remounted read-only, always remounted read-write."""
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)


@pytest.fixture
def cache_disk(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """The test's environment with its cache folder on a tmpfs of its own (the mount point: `folder`)."""
    folder = tmp_path.parent / f"{tmp_path.name}-cachefs"
    with tiny_disk(folder):
        yield {**env, "MINIO_CACHE_DIR": str(folder / "cache")}, folder


def test_a_write_the_read_only_cache_cannot_forget_is_said(cache_disk, bucket: str, tmp_path: Path) -> None:
    env, folder = cache_disk
    target = f"s3://{bucket}/cam/frame.bin"
    first = write_file(tmp_path / "a.bin", 1000, seed=1)
    assert run_cli_process(["upload", str(first), target], env, tmp_path).exit_code == 0
    assert run_cli_process(["--json", "stat", target], env, tmp_path).json()["size"] == 1000  # now cached
    with read_only(folder):
        done = run_cli_process(["upload", str(write_file(tmp_path / "b.bin", 3000, seed=2)), target], env, tmp_path)
    assert done.exit_code == 0, done
    assert "its-store cache clear" in done.stderr, done  # says the cache may answer with what this run changed
    assert run_cli_process(["cache", "clear"], env, tmp_path).exit_code == 0  # what the warning says to do
    assert run_cli_process(["--json", "stat", target], env, tmp_path).json()["size"] == 3000


def test_cache_clear_on_a_read_only_cache_fails(cache_disk, bucket: str, tmp_path: Path) -> None:
    env, folder = cache_disk
    target = f"s3://{bucket}/cam/frame.bin"
    first = write_file(tmp_path / "a.bin", 1000, seed=1)
    assert run_cli_process(["upload", str(first), target], env, tmp_path).exit_code == 0
    assert run_cli_process(["stat", target], env, tmp_path).exit_code == 0  # one entry cached
    with read_only(folder):
        done = run_cli_process(["--json", "cache", "clear"], env, tmp_path)
    assert done.exit_code == 1, done
    assert json.loads(done.stdout)["error"]["code"] == "local_io_error", done
    assert "Traceback" not in done.stderr
    assert run_cli_process(["--json", "cache", "stats"], env, tmp_path).json()["entries"] >= 1  # nothing was cleared
    cleared = run_cli_process(["--json", "cache", "clear"], env, tmp_path)  # writable again: it works
    assert cleared.exit_code == 0 and cleared.json()["cleared"] >= 1, cleared
