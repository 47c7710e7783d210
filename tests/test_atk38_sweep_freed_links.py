"""The dead-temp sweep's one line says how many bytes it freed (core/stale_temps.report). A temp whose data has
another name frees nothing when its name goes: a dead model pull's staging folder holds hard links to the blob
cache's files (registry/pull.BlobCache keeps a pulled file by a hard link on the same disk), and a temp file
someone linked elsewhere keeps its data by that link. Each was counted at its full size: "removed 1 temp file(s)
... (2.0 GiB freed)" while the disk gained nothing. Now only data whose last name goes is counted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from its_store.core.stale_temps import sweep_folder


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _swept(folder: Path) -> tuple[int, int]:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        swept = sweep_folder(fd)
    finally:
        os.close(fd)
    return swept.count, swept.freed


def test_a_temp_file_with_another_name_frees_nothing(tmp_path: Path) -> None:
    dest, keep = tmp_path / "dest", tmp_path / "kept"
    dest.mkdir()
    keep.mkdir()
    temp = dest / f".frame.bin.{_dead_pid()}-0.its-tmp"
    temp.write_bytes(b"x" * 5000)
    os.link(temp, keep / "frame.bin")
    (dest / f".other.bin.{_dead_pid()}-1.its-tmp").write_bytes(b"y" * 300)  # its only name: freed
    assert _swept(dest) == (2, 300)
    assert (keep / "frame.bin").read_bytes() == b"x" * 5000
    assert sorted(os.listdir(dest)) == []


def test_a_staging_folder_of_cache_links_frees_only_its_own_files(tmp_path: Path) -> None:
    dest, cache = tmp_path / "models", tmp_path / "cache"
    cache.mkdir()
    staging = dest / f".yolo.{_dead_pid()}-0.its-tmp"
    (staging / "sub").mkdir(parents=True)
    (cache / "blob").write_bytes(b"w" * 7000)
    os.link(cache / "blob", staging / "sub" / "weights.bin")
    (staging / "manifest.json").write_bytes(b"{}" * 10)
    assert _swept(dest) == (1, 20)
    assert (cache / "blob").read_bytes() == b"w" * 7000
    assert os.listdir(dest) == []
