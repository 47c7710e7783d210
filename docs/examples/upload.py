"""Upload a camera frame from a file and from bytes, download it verified, stat it, handle a missing key."""

import hashlib
import tempfile
from pathlib import Path

from its_store import DownloadRequest, ObjectNotFoundError, ObjectType, StorageService, UploadRequest, load_settings

settings = load_settings()                      # MINIO_* variables and ./.env
frame = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400   # stands in for a JPEG from the camera

with StorageService(settings) as svc, tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    (folder / "frame_0001.jpg").write_bytes(frame)

    from_file = svc.upload_object(UploadRequest(
        file_path=folder / "frame_0001.jpg", key="camera_001/frame_0001.jpg",
        object_type=ObjectType.VIDEO_FRAME,             # no bucket: MINIO_VIDEO_BUCKET
        metadata={"camera_id": "camera_001"}, tags={"site": "a4-north"}))
    print("uploaded", from_file.bucket, from_file.key, from_file.total_size, from_file.sha256)

    from_bytes = svc.upload_object(UploadRequest(
        data=frame, key="camera_001/frame_0002.jpg", object_type=ObjectType.VIDEO_FRAME))
    print("uploaded", from_bytes.key, from_bytes.etag)

    got = svc.download_object(DownloadRequest(
        bucket=from_file.bucket, key=from_file.key, file_path=folder / "out" / "frame.jpg"))
    assert got.verified                               # the CRC32/MD5/sha256 check passed
    assert hashlib.sha256(got.file_path.read_bytes()).hexdigest() == from_file.sha256
    print("downloaded", got.file_path.name, got.size, "bytes, verified")

    info = svc.stat_object(from_file.bucket, from_file.key)
    camera = (info.metadata or {}).get("camera_id")
    print("stat", info.key, info.size, info.content_type, info.object_type, camera, info.tags)

    try:
        svc.stat_object(from_file.bucket, "camera_001/missing.jpg")
    except ObjectNotFoundError as exc:
        print("not found:", exc.code, exc.exit_code, exc.message)   # object_not_found 3 ...
