"""A batch's file is stored from the batch's one request (object_upload.upload_walked: no copy of the request
per file, the key checked once, by local_key) exactly as a lone upload of a request naming that file and key
stores it: the same object (bytes, content type, metadata, tags, custody hash, codec, encryption), the same
UploadResponse, the same audit line, the same `--json` item; and `on_object` still gets a request naming
the file and its key, `on_response` (what `upload -r` records in the sync state store) the same response.

The folder walked is named like a video file ("clips.mp4"): a content type guessed from the batch request's
file_path (the folder) instead of the file's own name would show, as would a prehash or a multipart upload
of the wrong file (big.bin is above the tests' multipart threshold)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from its_store.core.models import UploadRequest, UploadResponse
from tests.conftest import SMALL_THRESHOLD
from tests.helpers import audit_lines, random_bytes

FILES = {"frame.jpg": random_bytes(30_000, seed=1), "notes.txt": b"lane 2 north " * 4_000,
         "noext": random_bytes(1_000, seed=2), "cam_7/big.bin": random_bytes(SMALL_THRESHOLD + 123_457, seed=3)}
OPTIONS: list[dict[str, Any]] = [
    {},
    {"metadata": {"Camera_ID": "cam-7", "site": "north"}, "tags": {"lane": "2", "a b": "c d"},
     "options": {"sse": "s3", "compression": "auto"}},
    {"metadata": {"mtime": "1700000000.5"}, "options": {"compression": "zstd"}, "content_type": "image/png"},
]
VARYING = {"key", "version_id", "duration_seconds"}  # each object its own key and version, each upload its time


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "clips.mp4"
    for name, data in FILES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    return src


def _lone(service: Any, bucket: str, key: str, path: Path, case: dict[str, Any]) -> UploadRequest:
    """The request a lone upload of `path` to `key` with the batch's options makes."""
    return UploadRequest(bucket=bucket, key=key, file_path=path, metadata=case.get("metadata", {}),
                         tags=case.get("tags", {}), content_type=case.get("content_type"),
                         **case.get("options", {}))


def _stored(service: Any, bucket: str, key: str) -> tuple[Any, ...]:
    stat = service.stat_object(bucket, key)
    body = service.s3.get(bucket, key)
    try:
        raw = body.read()
    finally:
        body.close()
    return (stat.content_type, stat.metadata, stat.tags, stat.sha256, stat.size, stat.codec, stat.encryption,
            hashlib.sha256(raw).hexdigest())


def _line(lines: list[dict[str, Any]], key: str) -> dict[str, Any]:
    found = [line for line in lines if line.get("key") == key and line["operation"] == "upload"]
    assert len(found) == 1, (key, found)  # one audit line per object
    return {k: v for k, v in found[0].items() if k not in ("time", "key", "version_id")}


@pytest.mark.parametrize("case", range(len(OPTIONS)))
def test_batch_file_is_stored_as_a_lone_upload_of_it(service: Any, bucket: str, env: dict[str, str],
                                                     tmp_path: Path, case: int) -> None:
    opts = OPTIONS[case]
    src = _folder(tmp_path)
    asked: dict[str, tuple[UploadRequest, UploadResponse]] = {}
    answered: dict[str, UploadResponse] = {}
    result = service.batch().upload_directory(
        src, bucket, "b/", metadata=opts.get("metadata"), tags=opts.get("tags"),
        content_type=opts.get("content_type"), options=opts.get("options"),
        on_object=lambda request, resp: asked.__setitem__(resp.key, (request, resp)),
        on_response=lambda resp: answered.__setitem__(resp.key, resp))
    assert result.failed == 0 and result.succeeded == len(FILES), result
    lines = audit_lines(env)
    for name in FILES:
        key, path = f"b/{name}", src / name
        lone_request = _lone(service, bucket, f"o/{name}", path, opts)
        lone = service.upload_object(lone_request)
        assert _stored(service, bucket, key) == _stored(service, bucket, f"o/{name}"), name
        request, resp = asked[key]
        assert answered[key] is resp  # on_response: the very response on_object got
        assert resp.model_dump(exclude=VARYING) == lone.model_dump(exclude=VARYING), name
        assert (resp.key, resp.bucket) == (key, bucket)
        # on_object's request names the file and its key, and is the lone upload's request otherwise
        assert (request.key, request.file_path) == (key, path)
        assert request.model_dump(exclude={"key", "workers"}) == lone_request.model_dump(exclude={"key", "workers"})
        item = next(i for i in result.objects if i.key == key)
        assert (item.size, item.etag, item.source, item.unchecked) == \
            (lone.total_size, lone.etag, str(path), lone.unchecked), name
    after = audit_lines(env)
    for name in FILES:
        assert _line(lines, f"b/{name}") == _line(after, f"o/{name}"), name


def test_json_items_and_sync_state_as_before(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """`upload -r --json`: each item names its key, file, size and ETag (a lone upload's); the run records each
    object in the sync state store (on_response), so the sync that follows finds every file there: nothing
    to copy, and its mtime metadata (one for the batch) recorded as sent."""
    src = _folder(tmp_path)
    run = cli("upload", str(src), f"s3://{bucket}/j/", "-r", "--json", "--meta", "mtime=1700000000.5")
    assert run.exit_code == 0, run
    items = {item["key"]: item for item in run.json()["objects"]}
    assert set(items) == {f"j/{name}" for name in FILES}
    for name, data in FILES.items():
        lone = service.upload_object(UploadRequest(bucket=bucket, key=f"o/{name}", file_path=src / name,
                                                   metadata={"mtime": "1700000000.5"}))
        item = items[f"j/{name}"]
        assert (item["source"], item["size"], item["etag"]) == (str(src / name), len(data), lone.etag), name
    from its_store.sync.remember import open_state
    state = open_state(service)
    try:
        for name, data in FILES.items():
            stored = service.s3.stat(bucket, f"j/{name}").size  # the bytes on the server (compressed or not)
            known = state.get(bucket, f"j/{name}", items[f"j/{name}"]["etag"], stored)
            assert known is not None and known.size == len(data), name
            assert known.mtime == "1700000000.5" and known.sha256 == hashlib.sha256(data).hexdigest(), name
    finally:
        state.close()


@pytest.mark.parametrize("key", ["a//b.jpg", "a\\b.jpg", "../up.jpg", "x" * 1025])
def test_a_walked_upload_checks_the_key_a_library_caller_hands_it(service: Any, bucket: str, tmp_path: Path,
                                                                  key: str) -> None:
    """object_upload.upload_walked is public (service.objects): a key handed in by a caller, not made by a walk,
    is held to a new key's rules (a '//' or backslash key replaces another object on SeaweedFS), nothing stored."""
    from its_store.core.errors import InvalidInputError
    from its_store.service.object_upload import plan_shared, upload_walked
    path = tmp_path / "f.jpg"
    path.write_bytes(b"frame")
    request = UploadRequest(bucket=bucket, key="", file_path=tmp_path)
    shared = plan_shared(service.ctx, request)
    with path.open("rb") as source, pytest.raises(InvalidInputError):
        upload_walked(service.ctx, shared, request, key, path, source)
    assert list(service.s3.list_objects(bucket, "", recursive=True)) == []
