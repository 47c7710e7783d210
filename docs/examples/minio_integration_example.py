"""The product documentation's comprehensive demonstration (`python examples/minio_integration_example.py`).

Service set-up from MINIO_* / .env; upload, download, list and delete; a video frame with metadata and tags;
the model registry; presigned URLs; performance monitoring; errors and their recovery. Everything it writes
is under its own prefix and model name, and deleted again at the end (the model's versions stay: a
registry keeps what it registered; `its-store model rm` removes one).
"""

import asyncio
import http.client
import tempfile
import urllib.request
from pathlib import Path
from typing import cast

from its_store import ItsStoreError, ModelRegistry, ObjectNotFoundError
from its_store.aio import (
    AsyncModelRegistry,
    AsyncStorageService,
    DownloadRequest,
    ListObjectsRequest,
    ObjectType,
    UploadRequest,
)

PREFIX = "demo/camera_001/"


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """What a client without keys does with a presigned URL: a plain HTTP PUT (with data) or GET."""
    request = urllib.request.Request(url, data=data, method="PUT" if data is not None else "GET")
    with cast(http.client.HTTPResponse, urllib.request.urlopen(request, timeout=30)) as answer:
        return answer.status, answer.read()


async def main() -> None:
    async with AsyncStorageService() as storage:          # MINIO_* variables and ./.env
        print("endpoint", storage.settings.endpoint, "video bucket", storage.settings.video_bucket)
        await storage.init_buckets()                      # the configured buckets (MINIO_CREATE_BUCKETS)
        video = storage.settings.video_bucket

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            # Video frames with metadata and tags
            frames = [folder / f"frame_{n:04d}.jpg" for n in range(3)]
            for n, frame in enumerate(frames):
                frame.write_bytes(b"\xff\xd8\xff\xe0" + bytes([n]) * 4000)
            uploads = await asyncio.gather(*(storage.upload_object(UploadRequest(
                bucket=video, key=PREFIX + frame.name, file_path=frame, object_type=ObjectType.VIDEO_FRAME,
                metadata={"camera_id": "camera_001"}, tags={"camera": "camera_001", "type": "video-frame"}))
                for frame in frames))
            print("uploaded", len(uploads), "frames,", sum(u.total_size for u in uploads), "bytes")

            # Download (verified), list with filters, stat
            got = await storage.download_object(DownloadRequest(
                bucket=video, key=PREFIX + "frame_0001.jpg", file_path=folder / "out.jpg"))
            print("downloaded", got.size, "bytes, verified:", got.verified)
            listed = await storage.list_objects(ListObjectsRequest(
                bucket=video, prefix=PREFIX, object_types=[ObjectType.VIDEO_FRAME], include_metadata=True))
            print("listed", [o.key.removeprefix(PREFIX) for o in listed])
            info = await storage.stat_object(video, PREFIX + "frame_0000.jpg")
            print("tags", info.tags)

            # Presigned URLs: a client uploads and downloads without keys
            put_url = await storage.generate_presigned_url(video, PREFIX + "client.jpg", 300, method="PUT")
            print("presigned PUT", fetch(put_url, b"\xff\xd8 from a client")[0])  # the client, elsewhere
            get_url = await storage.generate_presigned_url(video, PREFIX + "client.jpg", 300)
            status, body = fetch(get_url)
            print("presigned GET", status, body == b"\xff\xd8 from a client")

            # Model registry
            weights = folder / "yolo11_demo.pt"
            weights.write_bytes(b"weights" * 5000)
            async with AsyncModelRegistry(ModelRegistry(storage.sync)) as registry:
                model = await registry.register_model(weights, "yolo11_demo", metrics={"accuracy": 0.94},
                                                      training_config={"epochs": 100}, tags={"dataset": "demo"})
                pulled = await registry.get_model("yolo11_demo", model.version, download_path=folder / "pulled.pt")
                url = await registry.generate_download_url("yolo11_demo", model.version, expires_in_seconds=3600)
                same = Path(pulled.path).read_bytes() == weights.read_bytes()
                print("model", f"yolo11_demo:{model.version}", "pulled", same, "url", url.startswith("http"))

        # Errors and recovery: each error has a stable code and exit code
        try:
            await storage.stat_object(video, PREFIX + "missing.jpg")
        except ObjectNotFoundError as exc:
            print("not found:", exc.code, exc.exit_code)
        except ItsStoreError as exc:                      # any other failure of the library
            print("failed:", exc.code, exc.message)

        # Clean up, then performance monitoring
        deleted = await storage.delete_objects(video, [o.key for o in listed] + [PREFIX + "client.jpg"])
        print("deleted", sum(d.deleted for d in deleted))
        stats = storage.get_stats()
        report = await asyncio.to_thread(storage.sync.get_health_status)  # typed; the dict form: get_health_status()
        print(f"success rate {stats.get_success_rate():.1f}%, average upload {stats.average_upload_speed_bps:.0f} B/s,"
              f" health {report.status}")


asyncio.run(main())
