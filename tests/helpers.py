"""Data makers shared by tests."""

from __future__ import annotations

import random
from pathlib import Path

JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def write_file(path: Path, size: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random_bytes(size, seed))
    return path


def make_frames(root: Path, cameras: int = 2, per_camera: int = 5, size: int = 20_000) -> list[Path]:
    """Fake camera frames (JPEG header + random bytes) under root/camera_00N/frame_000M.jpg."""
    paths = []
    for cam in range(1, cameras + 1):
        for n in range(1, per_camera + 1):
            path = root / f"camera_{cam:03d}" / f"frame_{n:04d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(JPEG_HEADER + random_bytes(size - len(JPEG_HEADER), seed=cam * 1000 + n))
            paths.append(path)
    return paths
