"""A batch's shared upload plan (service/objects.plan_shared, worked out once for every file of upload -r)
gives each file exactly the headers, encryption and codec choice, or the same refusal, that one upload's own
planning gives it (objects._upload without `shared`), hostile metadata, tags, keys and content types
included; and a batch refuses bad options before any request, as before."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.core.models import UploadRequest
from tests.helpers import write_file

UNTIL = datetime.now(UTC) + timedelta(days=3)
CASES: list[dict[str, Any]] = [
    {},
    {"metadata": {"Camera_ID": "cam-7", "Site": " A 1 "}, "tags": {"k": "v w", "ü/=&?": "x%y"}},
    {"metadata": {"bad key": "v"}},
    {"metadata": {"": "v"}},
    {"metadata": {"its-sha256": "0" * 64}},
    {"metadata": {"k": "caf\u00e9"}},
    {"metadata": {"k": "line\nbreak"}},
    {"metadata": {f"k{i}": "v" * 100 for i in range(21)}},
    {"tags": {f"t{i}": "v" for i in range(11)}},
    {"tags": {"": "v"}},
    {"tags": {"k" * 129: "v"}},
    {"tags": {"k": "v" * 257}},
    {"content_type": "image/jp\u00e9g"},
    {"content_type": "video/mp4"},
    {"sse": "s3"},
    {"sse": "bogus"},
    {"sse": "none", "sse_c_key": b"k" * 32},
    {"sse": "c"},
    {"sse_c_key": os.urandom(32)},
    {"compression": "zstd", "resume": True},
    {"compression": "lz4"},
    {"compression": "auto", "resume": True},
    {"legal_hold": True},
    {"retain_mode": "GOVERNANCE", "retain_until": UNTIL, "legal_hold": True},
    {"object_type": "video_frame", "metadata": {"k.v-w_x": "1"}},
]
NAMES = ["frame.jpg", "clip.MP4", "noext", "we\u0301ird name.tar.gz", ".hidden", "a.b.c.json"]


def _options(options: Any) -> Any:
    """An UploadOptions by value (an SSE-C key compares by identity; its headers carry it)."""
    return options.sse.mode, options.sse.defaulted, options.sse.headers(), options.choice


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except E.ItsStoreError as exc:
        return (type(exc).__name__, exc.message, exc.hint)


def _own(ctx: Any, request: UploadRequest, content_type: str) -> Any:
    """One upload's own planning (objects._upload without `shared`)."""
    from its_store.service import objects
    from its_store.service.encoded import UploadOptions
    headers = objects._headers(request, content_type)
    options = UploadOptions.of(ctx, request)
    return {**headers, **options.sse.headers()}, _options(options)


def _batch(shared: Any, content_type: str) -> Any:
    """What _upload does with a batch's shared plan (or the batch's refusal, which every file must share):
    SharedUpload.headers_for, asked twice (made, then the copy of what it made for that content type, a copy
    the file may change without changing the next file's)."""
    if isinstance(shared, tuple):
        return shared
    first = shared.headers_for(content_type)
    first["x-changed-by-a-file"] = "1"
    again = shared.headers_for(content_type)
    assert again is not first and "x-changed-by-a-file" not in again
    return again, _options(shared.options)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_shared_plan_gives_each_file_what_its_own_plan_gives(service: Any, bucket: str, case: int) -> None:
    from its_store.service import objects
    ctx = service.ctx
    template = UploadRequest(bucket=bucket, key="", file_path=Path("/src"), **CASES[case])
    shared = _outcome(lambda: objects.plan_shared(ctx, template))
    assert isinstance(shared, tuple) or shared.bucket == bucket
    for name in NAMES:
        request = template.model_copy(update={"key": f"p/{name}", "file_path": Path("/src") / name})
        content_type = request.content_type or objects._guess_type(name)
        got = _outcome(lambda: _batch(shared, content_type))  # noqa: B023 (called at once)
        assert got == _outcome(lambda: _own(ctx, request, content_type)), (CASES[case], name)  # noqa: B023


def test_bad_options_fail_each_file_as_before(service: Any, bucket: str, tmp_path: Path) -> None:
    """Options the shared plan refuses leave each file to plan on its own: each fails, named, nothing stored.
    Bad tags are refused once, before the walk (fix3, s35: tests/test_s35_bad_tags_once.py)."""
    from its_store import InvalidInputError
    for i in range(3):
        write_file(tmp_path / f"f{i}.jpg", 10)
    result = service.batch().upload_directory(tmp_path, bucket, "x/", metadata={"bad key": "v"})
    assert result.failed == 3 and result.succeeded == 0
    assert {e.code for e in result.errors} == {"invalid_input"}, result.errors
    with pytest.raises(InvalidInputError, match="invalid tag"):
        service.batch().upload_directory(tmp_path, bucket, "x/", tags={"": "v"})
    assert list(service.s3.list_objects(bucket, "", recursive=True)) == []


def test_batch_stores_each_file_as_one_upload_does(service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in ("frame.jpg", "clip.mp4", "noext"):
        write_file(src / name, 100)
    meta, tags = {"Camera_ID": "cam-7", "site": "north"}, {"lane": "2", "a b": "c d"}
    service.batch().upload_directory(src, bucket, "b/", metadata=meta, tags=tags, options={"sse": "s3"})
    for name in ("frame.jpg", "clip.mp4", "noext"):
        service.upload_object(UploadRequest(bucket=bucket, key=f"o/{name}", file_path=src / name, metadata=meta,
                                            tags=tags, sse="s3"))
        batch, one = service.stat_object(bucket, f"b/{name}"), service.stat_object(bucket, f"o/{name}")
        assert (batch.content_type, batch.metadata, batch.tags, batch.sha256) == \
            (one.content_type, one.metadata, one.tags, one.sha256), name
