"""Sync a local folder to a prefix and back, and read the typed report: copied, skipped, failed."""

import tempfile
from pathlib import Path

from its_store import StorageService, load_settings
from its_store.sync.filters import Filter
from its_store.sync.model import SyncOptions, SyncReport, UploadOptions

settings = load_settings()


def show(report: SyncReport) -> None:
    print(f"{report.source} -> {report.dest}: {len(report.copied)} copied, {len(report.skipped)} skipped, "
          f"{len(report.failed)} failed, ok={report.ok}")
    for item in report.copied:
        print("  copied", item.path, item.size, item.reason)
    for item in report.skipped:
        print("  skipped", item.path, item.reason)
    for item in report.failed:
        print("  failed", item.path, item.code, item.reason)


with StorageService(settings) as svc, tempfile.TemporaryDirectory() as tmp:
    frames = Path(tmp, "frames")
    (frames / "2024-08-12").mkdir(parents=True)
    for n in range(3):
        (frames / "2024-08-12" / f"frame_{n:04d}.jpg").write_bytes(b"\xff\xd8" + bytes([n]) * 5000)
    (frames / "2024-08-12" / "frame_0003.jpg.tmp").write_bytes(b"still being written")

    remote = f"s3://{settings.video_bucket}/cam1/"
    up = svc.sync(str(frames), remote, SyncOptions(
        filter=Filter.of(exclude=["*.tmp"]), upload=UploadOptions(metadata={"site": "a4-north"})))
    show(up)
    again = svc.sync(str(frames), remote, SyncOptions(filter=Filter.of(exclude=["*.tmp"])))
    assert not again.copied                          # nothing changed: nothing sent again

    back = svc.sync(remote, str(Path(tmp, "back")), SyncOptions(mode="checksum"))
    show(back)
    for item in back.copied:
        assert Path(tmp, "back", item.path).read_bytes() == (frames / item.path).read_bytes()
    if not (up.ok and back.ok):
        raise SystemExit(1)
