"""List objects with filters (prefix, type, size, tags), and list the buckets."""

from datetime import UTC, datetime, timedelta

from its_store import ListObjectsRequest, ObjectType, StorageService, UploadRequest, load_settings

settings = load_settings()

with StorageService(settings) as svc:
    bucket = settings.video_bucket
    for n, site in enumerate(["a4-north", "a4-north", "b12-east"]):
        svc.upload_object(UploadRequest(
            bucket=bucket, key=f"camera_002/frame_{n:04d}.jpg", data=b"\xff\xd8" + bytes(1000 * (n + 1)),
            object_type=ObjectType.VIDEO_FRAME, tags={"site": site}))
    svc.upload_object(UploadRequest(bucket=bucket, key="camera_002/notes.txt", data=b"lens cleaned"))

    # every frame of camera_002 of at least 1,500 bytes, from the last hour, tagged site=a4-north
    since = datetime.now(UTC) - timedelta(hours=1)
    for info in svc.iter_objects(ListObjectsRequest(
            bucket=bucket, prefix="camera_002/", object_types=[ObjectType.VIDEO_FRAME],
            size_range=(1_500, None), modified_after=since, match_tags={"site": "a4-north"})):
        print(info.key, info.size, info.last_modified, info.tags)

    # one level at a time: sub-prefixes come back as entries with is_prefix set
    for entry in svc.iter_objects(ListObjectsRequest(bucket=bucket, recursive=False)):
        print("prefix" if entry.is_prefix else "object", entry.key)

    total = sum(info.size for info in svc.list_objects(ListObjectsRequest(bucket=bucket, prefix="camera_002/")))
    print("camera_002:", total, "bytes")

    for found in svc.list_buckets():
        print("bucket", found.name, found.created)
