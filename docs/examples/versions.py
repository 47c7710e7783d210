"""A versioned bucket: two versions of one object, list them, restore the older one, tag it."""

import io

from its_store import StorageService, UploadRequest, load_settings

settings = load_settings()
key = "calibration/camera_001.json"

with StorageService(settings) as svc:
    bucket = settings.video_bucket
    svc.ensure_bucket(bucket)
    versions = svc.versions()
    if versions.status(bucket) != "Enabled":
        print("versioning:", versions.set(bucket, True).versioning)

    first = svc.upload_object(UploadRequest(bucket=bucket, key=key, data=b'{"focal_mm": 8.0}'))
    second = svc.upload_object(UploadRequest(bucket=bucket, key=key, data=b'{"focal_mm": 12.0}'))
    if first.version_id is None or second.version_id is None:
        raise SystemExit(f"{bucket} does not keep versions")

    for version in versions.of_key(bucket, key):        # newest first
        print(version.version_id, version.size, version.last_modified,
              "latest" if version.is_latest else "", "delete marker" if version.is_delete_marker else "")

    restored = versions.restore(bucket, key, first.version_id)   # a server-side copy: a third version
    print("restored", restored.source_version_id, "as", restored.version_id)
    current = io.BytesIO()
    svc.download_to_stream(bucket, key, current)
    assert current.getvalue() == b'{"focal_mm": 8.0}'

    tagging = svc.tagging()
    tagging.set(bucket, key, {"status": "restored", "from": first.version_id})
    tagging.set(bucket, key, {"status": "superseded"}, version_id=second.version_id)
    print("current tags:", tagging.get(bucket, key).tags)
    print("tags of", second.version_id, tagging.get(bucket, key, second.version_id).tags)
