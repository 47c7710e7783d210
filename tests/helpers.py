"""Data makers shared by tests."""

from __future__ import annotations

import json
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


def audit_lines(env: dict[str, str]) -> list[dict]:
    """The audit log of a test's environment (MINIO_AUDIT_LOG), one dict per line; [] before any."""
    path = Path(env["MINIO_AUDIT_LOG"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def put_stdin(cli, bucket: str, key: str, *flags: str, data: bytes = b"frame") -> str:
    """`upload - s3://bucket/key FLAGS` through the CLI; the new version id."""
    run = cli("upload", "-", f"s3://{bucket}/{key}", *flags, "--json", input=data)
    assert run.exit_code == 0, run
    return run.json()["version_id"]


def list_versions(cli, bucket: str, prefix: str = "") -> list[dict]:
    """Every version and delete marker under s3://bucket/prefix (ls --versions -r --json)."""
    run = cli("ls", f"s3://{bucket}/{prefix}", "--versions", "-r", "--json")
    assert run.exit_code == 0, run
    return run.jsonl()


def refused_without_lock(cli, *args: str, input: bytes | None = None) -> None:
    """`its-store ARGS` on a bucket without object lock (every bucket of `rclone serve s3`, which has none)
    is refused before anything is stored or changed: one line, exit 78, object_lock_not_enabled."""
    run = cli(*args, input=input)
    assert run.exit_code == 78, (args, run)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: ") and "has no object lock" in lines[0], run


def refused_unsupported(cli, *args: str, input: bytes | None = None) -> None:
    """`its-store ARGS` that needs what the server lacks (`rclone serve s3`: versions) is one line, exit 1:
    "the server does not support this operation (NotImplemented, ...)"."""
    run = cli(*args, input=input)
    assert run.exit_code == 1, (args, run)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: the server does not support this operation "
                                                   "(NotImplemented"), run


def seed_completion_cache(cache_dir: Path, endpoint: str, access_key: str, secret: str,
                          answers: dict[str, list[str]], age: float = 0.0) -> None:
    """Put answers in the completion cache as a completion by this identity would have filed them
    (cli/completion/complete.py): `answers` maps a key tail ("buckets", "keys\\nBUCKET\\nPREFIX") to names."""
    import time

    from its_store.cli.completion.complete import CACHE_FILE, CACHE_VERSION
    from its_store.core.identity import identity_of
    path = cache_dir / CACHE_FILE
    doc = json.loads(path.read_text()) if path.is_file() else {"version": CACHE_VERSION, "entries": {}}
    server = f"{endpoint}|{identity_of(endpoint, access_key, secret)}"
    for tail, items in answers.items():
        doc["entries"][f"{server}\n{tail}"] = {"t": time.time() - age, "items": items, "complete": True}
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
