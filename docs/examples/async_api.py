"""The async API (its_store.aio): upload, list and delete concurrently, and a registry call."""

import asyncio
import tempfile
from pathlib import Path

from its_store import ModelRegistry
from its_store.aio import AsyncModelRegistry, AsyncStorageService, ListObjectsRequest, ObjectType, UploadRequest


async def main() -> None:
    async with AsyncStorageService() as storage:     # its own StorageService, from MINIO_* / .env; closed at the end
        bucket = storage.settings.video_bucket
        uploads = await asyncio.gather(*(storage.upload_object(UploadRequest(
            bucket=bucket, key=f"camera_003/frame_{n:04d}.jpg", data=b"\xff\xd8" + bytes([n]) * 2000,
            object_type=ObjectType.VIDEO_FRAME, metadata={"camera_id": "camera_003"})) for n in range(8)))
        print("uploaded", len(uploads), sum(u.total_size for u in uploads), "bytes")

        frames = await storage.list_objects(ListObjectsRequest(bucket=bucket, prefix="camera_003/"))
        print("listed", [f.key for f in frames])
        deleted = await asyncio.gather(*(storage.delete_object(f.bucket, f.key) for f in frames[:4]))
        print("deleted", sum(d.deleted for d in deleted))
        url = await storage.generate_presigned_url(bucket, "camera_003/frame_0007.jpg", 300)
        print("presigned GET", url.split("?")[0])

        with tempfile.TemporaryDirectory() as tmp:
            weights = Path(tmp, "yolo11_edge.onnx")
            weights.write_bytes(b"onnx" * 1000)
            async with AsyncModelRegistry(ModelRegistry(storage.sync)) as registry:
                registered = await registry.register_model(weights, "yolo11_edge", metrics={"accuracy": 0.9})
                models = await registry.list_models("yolo11_edge")
                print("registered", registered.version, "; versions:", [m.version for m in models])

asyncio.run(main())
