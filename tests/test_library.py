"""The synchronous library API, used the way the product documentation shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import JPEG_HEADER, random_bytes


def test_documented_sync_flow(env, buckets, tmp_path: Path):
    import its_store
    from its_store import DownloadRequest, ListObjectsRequest, ObjectType, UploadRequest, get_storage_service

    frame = tmp_path / "frame.jpg"
    frame.write_bytes(JPEG_HEADER + random_bytes(4000))
    storage = get_storage_service()
    assert storage is get_storage_service()  # shared instance

    upload_request = UploadRequest(
        bucket=buckets["video"],
        key="camera_001/frame_20240812_120000.jpg",
        file_path=Path(frame),
        object_type=ObjectType.VIDEO_FRAME,
        metadata={"camera_id": "camera_001", "timestamp": "2024-08-12T12:00:00Z"},
        tags={"camera": "camera_001", "type": "video-frame"},
    )
    response = storage.upload_object(upload_request)
    assert (response.key, response.total_size) == ("camera_001/frame_20240812_120000.jpg", frame.stat().st_size)

    download_request = DownloadRequest(bucket=buckets["video"], key="camera_001/frame_20240812_120000.jpg",
                                       file_path=Path(tmp_path / "downloaded_frame.jpg"))
    result = storage.download_object(download_request)
    assert f"Downloaded to: {result}" == f"Downloaded to: {tmp_path / 'downloaded_frame.jpg'}"
    assert Path(result).read_bytes() == frame.read_bytes()

    storage.upload_object(UploadRequest(bucket=buckets["video"], key="camera_001/tiny.jpg", data=b"x" * 10,
                                        object_type=ObjectType.VIDEO_FRAME))
    storage.upload_object(UploadRequest(bucket=buckets["video"], key="camera_001/notes.txt", data=b"y" * 2000,
                                        object_type=ObjectType.METADATA))
    list_request = ListObjectsRequest(bucket=buckets["video"], prefix="camera_001/", max_keys=100,
                                      object_types=[ObjectType.VIDEO_FRAME], size_range=(1024, 10 * 1024 * 1024),
                                      include_metadata=True)
    objects = storage.list_objects(list_request)
    assert [o.key for o in objects] == ["camera_001/frame_20240812_120000.jpg"]
    assert objects[0].metadata["camera_id"] == "camera_001" and objects[0].bucket == buckets["video"]

    for obj in objects[:10]:
        storage.delete_object(obj.bucket, obj.key)
    assert storage.list_objects(list_request) == []

    upload_url = storage.generate_presigned_url(bucket=buckets["video"], key="camera_002/new_frame.jpg",
                                                expires_in_seconds=300, method="PUT")
    assert "X-Amz-Signature" in upload_url
    health = storage.get_health_status()
    assert health["status"] in ("healthy", "degraded")
    stats = storage.get_stats()
    assert 0 < stats.get_success_rate() <= 100
    assert stats.get_cache_hit_rate() >= 0
    assert stats.average_upload_speed_bps > 0
    assert its_store.__version__


def test_stats_count_failures(service, bucket):
    from its_store import ObjectNotFoundError
    from its_store.core.models import DownloadRequest
    with pytest.raises(ObjectNotFoundError):
        service.download_object(DownloadRequest(bucket=bucket, key="missing", file_path=Path("x")))
    service.upload_object(__import__("its_store").UploadRequest(bucket=bucket, key="k", data=b"abc"))
    stats = service.get_stats()
    assert stats.total_operations == 2 and stats.failed_operations == 1
    assert stats.get_success_rate() == 50.0


def test_delete_objects_batch(service, bucket):
    from its_store import UploadRequest
    for i in range(5):
        service.upload_object(UploadRequest(bucket=bucket, key=f"k{i}", data=b"x"))
    results = service.delete_objects(bucket, [f"k{i}" for i in range(5)])
    assert all(r.deleted for r in results) and len(results) == 5
    assert service.list_objects(__import__("its_store").ListObjectsRequest(bucket=bucket)) == []


def test_request_validation():
    from its_store import InvalidInputError, ListObjectsRequest, UploadRequest
    with pytest.raises(InvalidInputError):  # the one error tree (tests/test_library_inputs.py)
        UploadRequest(bucket="b", key="k")  # no source
    with pytest.raises(InvalidInputError):
        UploadRequest(bucket="b", key="k", data=b"x", file_path=Path("f"))
    with pytest.raises(InvalidInputError):
        ListObjectsRequest(bucket="b", size_range=(10, 1))


def test_bad_metadata_refused_before_any_request(service, bucket):
    from its_store import InvalidInputError, UploadRequest
    for meta in ({"bad key": "v"}, {"k": "héllo"}, {"k": "x" * 3000}):
        with pytest.raises(InvalidInputError):
            service.upload_object(UploadRequest(bucket=bucket, key="k", data=b"x", metadata=meta))
    assert service.list_objects(__import__("its_store").ListObjectsRequest(bucket=bucket)) == []
