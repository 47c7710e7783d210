"""A scripted tour of the its-store CLI against a throwaway local SeaweedFS server.

Run it with `make demo` (or `.venv/bin/python demo/run_demo.py`). It starts its own server on free
loopback ports, works in a temp folder, runs the real CLI as subprocesses, checks what it can, and
stops the server at the end, even on failure. Exit status 0 means every step did what it should.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without install

from its_store.testing.devserver import SeaweedServer

SEED = 42
CAMERAS = ("camera_001", "camera_002")
FRAMES_PER_CAMERA = 6
JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
MODEL_SIZE = 20 * 1000 * 1000
STEP_TIMEOUT = 60


class DemoError(Exception):
    """A step did not do what the demo expects."""


class Cli:
    """Runs `python -m its_store ...` in the work folder with the server's environment."""

    def __init__(self, workdir: Path, server_env: dict[str, str]) -> None:
        self.workdir = workdir
        base = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}  # no stray settings
        self.env = {**base, **server_env, "MINIO_MULTIPART_THRESHOLD": "8MiB", "NO_COLOR": "1",
                    "COLUMNS": "120"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run quietly; the caller looks at the result."""
        return subprocess.run([sys.executable, "-m", "its_store", *args], cwd=self.workdir, env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=STEP_TIMEOUT, check=False)

    def __call__(self, *args: str, expect: int = 0, show: int | None = None) -> str:
        """Print `$ its-store ARGS` and the output (the first `show` stdout lines if given)."""
        print(f"\n$ its-store {shlex.join(args)}", flush=True)
        proc = self.run(*args)
        lines = proc.stdout.splitlines()
        shown = lines if show is None else lines[:show]
        for line in shown:
            print(line)
        if len(shown) < len(lines):
            print(f"... ({len(lines) - len(shown)} more lines)")
        if proc.stderr:
            print(proc.stderr, end="" if proc.stderr.endswith("\n") else "\n")
        if proc.returncode != expect:
            raise DemoError(f"`its-store {shlex.join(args)}` exited {proc.returncode}, expected {expect}")
        return proc.stdout


def note(text: str) -> None:
    print(f"# {text}", flush=True)


def make_frames(root: Path, rng: random.Random) -> list[int]:
    """Fake camera frames: a real JFIF header, random bytes, an EOI marker; 50-300 KB each. Returns sizes."""
    sizes = []
    for camera in CAMERAS:
        folder = root / "frames" / camera
        folder.mkdir(parents=True)
        for i in range(1, FRAMES_PER_CAMERA + 1):
            size = rng.randint(50_000, 300_000)
            body = JPEG_HEADER + rng.randbytes(size - len(JPEG_HEADER) - 2) + b"\xff\xd9"
            (folder / f"frame_{i:04d}.jpg").write_bytes(body)
            sizes.append(size)
    return sizes


def fetch(url: str) -> bytes:
    """GET a URL directly (no proxy from the environment: the server is on loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=STEP_TIMEOUT) as resp:
        return resp.read()


def tour(work: Path, cli: Cli) -> tuple[int, int]:
    rng = random.Random(SEED)
    sizes = make_frames(work, rng)
    frames, frame_bytes = len(sizes), sum(sizes)
    big = sum(size >= 100_000 for size in sizes)
    note(f"generated {frames} camera frames ({frame_bytes:,} bytes) in frames/camera_001 and frames/camera_002;"
         f" {frames - big} are under 100K")

    cli("init")
    for camera in CAMERAS:
        cli("upload", f"frames/{camera}", f"s3://its-video/{camera}/", "--recursive", "--type", "video_frame",
            "--meta", f"camera_id={camera}", "--tag", "site=a4-north")

    model = work / "yolo11_traffic.pt"
    model.write_bytes(rng.randbytes(MODEL_SIZE))
    note(f"created a fake model {model.name} ({MODEL_SIZE:,} bytes); MINIO_MULTIPART_THRESHOLD=8MiB")
    model_ref = "s3://its-models/yolo11_traffic/2.0.0/model.pt"
    cli("upload", model.name, model_ref, "--type", "model_artifact")

    cli("ls")
    filters = ("--recursive", "--min-size", "100K", "--newer-than", "1h")
    cli("ls", "s3://its-video/", *filters)
    found = cli.run("ls", "s3://its-video/", *filters, "--json").stdout.splitlines()
    if len(found) != big:
        raise DemoError(f"--min-size 100K should list {big} frames, listed {len(found)}")
    listing = cli("ls", "s3://its-video/camera_001/", "--type", "video_frame", "--json", show=2)
    if len(listing.splitlines()) != FRAMES_PER_CAMERA:
        raise DemoError(f"expected {FRAMES_PER_CAMERA} JSON lines, got {len(listing.splitlines())}")

    cli("stat", model_ref)
    stat = json.loads(cli.run("stat", model_ref, "--json").stdout)
    parts = stat["etag"].rpartition("-")[2] if "-" in stat["etag"] else "1"
    if stat["size"] != MODEL_SIZE or parts == "1":
        raise DemoError(f"model should be {MODEL_SIZE} bytes in several parts: {stat}")
    note(f"ETag ends in -{parts}: the model went up as a {parts}-part multipart upload")

    print("\n$ mkdir out")
    (work / "out").mkdir()
    cli("get", "s3://its-video/camera_001/frame_0003.jpg", "out/")
    original = (work / "frames/camera_001/frame_0003.jpg").read_bytes()
    if (work / "out/frame_0003.jpg").read_bytes() != original:
        raise DemoError("downloaded frame differs from the original")
    print("verified: identical")

    url = cli("presign", model_ref, "--expires", "10m").strip()
    body = fetch(url)
    same = body == model.read_bytes()
    print(f"fetched presigned URL without credentials: {len(body):,} bytes, identical: {same}")
    if not same:
        raise DemoError("presigned download differs from the model file")

    edge_sync(cli, work, rng)
    cli("health")
    cli("rm", "s3://its-video/camera_002/", "--recursive", "--dry-run")
    cli("rm", "s3://its-video/camera_002/", "--recursive", "--yes")
    remaining = cli.run("ls", "s3://its-video/camera_002/", "--recursive", "--json")
    if remaining.returncode != 0 or remaining.stdout.strip():
        raise DemoError(f"camera_002/ should be empty now: {remaining.stdout or remaining.stderr}")
    print("verified: nothing left under s3://its-video/camera_002/")
    return frames + 1, frame_bytes + MODEL_SIZE


def edge_sync(cli: Cli, work: Path, rng: random.Random) -> None:
    """The edge box's daily job: the camera folder reaches the bucket once, and the bucket is scrubbed."""
    cli("sync", "frames/camera_001", "s3://its-video/camera_001/")  # uploaded above: nothing to send
    new = work / "frames/camera_001/frame_0100.jpg"
    new.write_bytes(JPEG_HEADER + rng.randbytes(80_000))
    note(f"the camera wrote {new.name}")
    report = json.loads(cli.run("sync", "frames/camera_001", "s3://its-video/camera_001/", "--json").stdout)
    sent = [item["path"] for item in report["copied"]]
    print(f"$ its-store sync frames/camera_001 s3://its-video/camera_001/ --json  ->  copied {sent}")
    if sent != [new.name]:
        raise DemoError(f"the second sync should send only {new.name}: {report}")
    cli("verify", "s3://its-video/camera_001/", "-r")  # re-reads every frame against its recorded SHA-256
    cli("du", "s3://its-video", "--depth", "1")


def main() -> int:
    started = time.monotonic()
    print("its-store demo: starting a throwaway SeaweedFS server on loopback ...", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="its-store-demo-") as tmp, SeaweedServer() as server:
            note(f"server at {server.endpoint} (S3 API), work folder {tmp}")
            objects, nbytes = tour(Path(tmp), Cli(Path(tmp), server.env()))
    except DemoError as exc:
        print(f"\ndemo FAILED: {exc}", file=sys.stderr)
        return 1
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"\ndemo FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"\nsummary: {objects} objects uploaded, {nbytes:,} bytes ({nbytes / 1e6:.1f} MB), "
          f"{elapsed:.1f} s in all (server start-up included); server stopped, temp files removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
