"""its_store.aio: the documented coroutine API, run in worker threads without blocking the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path

import pytest

from helpers import random_bytes


def test_documented_names_import_from_aio():
    import its_store
    from its_store import aio
    from its_store.aio import DownloadRequest, ListObjectsRequest, ObjectType, UploadRequest, get_storage_service
    assert (UploadRequest, DownloadRequest, ListObjectsRequest, ObjectType) == (
        its_store.UploadRequest, its_store.DownloadRequest, its_store.ListObjectsRequest, its_store.ObjectType)
    assert asyncio.iscoroutinefunction(get_storage_service)
    assert asyncio.iscoroutinefunction(aio.get_model_registry)
    with pytest.raises(AttributeError):
        aio.NoSuchName  # noqa: B018


def test_calls_run_in_worker_threads(service, bucket, tmp_path: Path):
    from its_store.aio import AsyncStorageService, DownloadRequest, UploadRequest

    threads: set[int] = set()

    async def main() -> tuple[int, object, object]:
        storage = AsyncStorageService(service)
        up = await storage.upload_object(UploadRequest(bucket=bucket, key="a.bin", data=b"x" * 1000),
                                         progress=lambda n: threads.add(threading.get_ident()))
        got = await storage.download_object(DownloadRequest(bucket=bucket, key="a.bin", file_path=tmp_path / "a"),
                                            progress=lambda n: threads.add(threading.get_ident()))
        return threading.get_ident(), up, got

    loop_thread, up, got = asyncio.run(main())
    assert up.total_size == 1000 and Path(got).read_bytes() == b"x" * 1000
    assert threads and loop_thread not in threads


def test_the_two_faces_take_the_same_parameters():
    """Every call the async façades write out takes what the synchronous one takes, by the same names,
    kinds and defaults (upload_object had no `source`, download_object no `into`); the others are the
    synchronous calls themselves, run in the worker threads."""
    import inspect

    from its_store.aio import AsyncModelRegistry, AsyncStorageService
    from its_store.registry.registry import ModelRegistry
    from its_store.service.storage import StorageService

    def shape(function: object) -> list[tuple[str, object, object]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]  # type: ignore[arg-type]

    checked = []
    for facade, sync in ((AsyncStorageService, StorageService), (AsyncModelRegistry, ModelRegistry)):
        for name, function in vars(facade).items():
            if name.startswith("_") or not inspect.iscoroutinefunction(function) or not hasattr(sync, name):
                continue
            assert shape(function) == shape(getattr(sync, name)), (facade.__name__, name)
            checked.append(name)
    assert {"upload_object", "download_object", "stat_object"} <= set(checked), checked


def test_upload_from_an_opened_source_and_download_into_a_tree(service, bucket, tmp_path: Path):
    """upload_object(source=...): the file the caller opened is what is stored, even once another file took its
    name; download_object(into=...): the object is written into the folder's file, not to request.file_path."""
    from its_store.aio import AsyncStorageService, DownloadRequest, UploadRequest
    from its_store.core.localtree import LocalTree

    frame, other = random_bytes(150_000), random_bytes(1_000)
    path = tmp_path / "frame.jpg"
    path.write_bytes(frame)
    elsewhere = tmp_path / "elsewhere.jpg"

    async def main() -> tuple[object, object]:
        storage = AsyncStorageService(service)
        with open(path, "rb") as opened:
            path.unlink()
            path.write_bytes(other)  # a new file under the name: not the one opened
            up = await storage.upload_object(UploadRequest(bucket=bucket, key="cams/frame.jpg", file_path=path),
                                             source=opened)
        with LocalTree(tmp_path / "tree", create=True) as tree:
            got = await storage.download_object(DownloadRequest(bucket=bucket, key="cams/frame.jpg",
                                                                file_path=elsewhere), into=tree.file("cams/f.jpg"))
        return up, got

    up, got = asyncio.run(main())
    assert up.total_size == len(frame), up
    with service.s3.get(bucket, "cams/frame.jpg") as body:
        assert body.read() == frame
    assert (tmp_path / "tree" / "cams" / "f.jpg").read_bytes() == frame and not elsewhere.exists(), got


def test_event_loop_keeps_running_during_a_transfer(service, bucket):
    """The upload can only finish if a coroutine on the loop runs while the upload is in progress."""
    from its_store.aio import AsyncStorageService, UploadRequest

    released = threading.Event()
    reading = threading.Event()
    payload = random_bytes(200_000)

    class GatedStream:
        def __init__(self) -> None:
            self.pos = 0

        def read(self, n: int = -1) -> bytes:
            reading.set()
            if not released.wait(timeout=20):
                raise RuntimeError("the event loop was blocked: the releasing coroutine never ran")
            n = len(payload) - self.pos if n is None or n < 0 else n
            chunk = payload[self.pos:self.pos + n]
            self.pos += len(chunk)
            return chunk

    async def release_when_reading() -> None:
        while not reading.is_set():
            await asyncio.sleep(0.01)
        released.set()

    async def main() -> int:
        storage = AsyncStorageService(service)
        upload = storage.upload_object(UploadRequest(bucket=bucket, key="gated.bin", stream=GatedStream()))
        resp, _ = await asyncio.gather(upload, release_when_reading())
        return resp.total_size

    assert asyncio.run(main()) == len(payload)
    assert service.stat_object(bucket, "gated.bin").size == len(payload)


def test_concurrent_uploads_and_listing(service, bucket):
    from its_store.aio import AsyncStorageService, ListObjectsRequest, UploadRequest

    async def main() -> list[str]:
        storage = AsyncStorageService(service)
        await asyncio.gather(*(storage.upload_object(UploadRequest(bucket=bucket, key=f"cam/{i:02d}.jpg",
                                                                   data=random_bytes(100, seed=i)))
                               for i in range(12)))
        items = await storage.list_objects(ListObjectsRequest(bucket=bucket, prefix="cam/"))
        return [i.key for i in items]

    assert asyncio.run(main()) == [f"cam/{i:02d}.jpg" for i in range(12)]


def test_errors_are_the_library_errors(service, bucket, tmp_path: Path):
    from its_store import InvalidInputError, ObjectNotFoundError
    from its_store.aio import AsyncStorageService, DownloadRequest

    async def main() -> None:
        storage = AsyncStorageService(service)
        with pytest.raises(ObjectNotFoundError):
            await storage.download_object(DownloadRequest(bucket=bucket, key="missing", file_path=tmp_path / "m"))
        with pytest.raises(ObjectNotFoundError):
            await storage.delete_object(bucket, "missing")
        with pytest.raises(InvalidInputError):
            await storage.generate_presigned_url(bucket, "k", expires_in_seconds=8 * 86400)

    asyncio.run(main())
    assert not (tmp_path / "m").exists()


def test_health_status_works_awaited_and_not(env, buckets, monkeypatch):
    from its_store.aio import HealthStatus, get_storage_service
    from its_store.service import storage as service_module

    async def main() -> tuple[object, object, object]:
        storage = await get_storage_service()
        assert storage is await get_storage_service()  # the shared instance
        awaited = await storage.get_health_status()
        direct = storage.get_health_status()
        status = direct["status"]  # as the documentation writes it: no await
        return awaited, direct, status

    monkeypatch.setattr(service_module, "_shared", None)  # a shared service built from this test's env
    awaited, direct, status = asyncio.run(main())
    assert isinstance(awaited, HealthStatus) and isinstance(awaited, dict)
    assert awaited["status"] == status == "degraded"  # the test's buckets do not exist yet
    assert awaited["buckets"] == {name: False for name in buckets.values()}
    assert set(direct) == set(awaited) and "latency_ms" in dict(direct)
    assert json.loads(json.dumps(direct))["checks"]["credentials"]["ok"] is True


def test_stats_are_returned_directly(service, bucket):
    from its_store.aio import AsyncStorageService, UploadRequest
    from its_store.state.stats import StorageStats

    async def main() -> StorageStats:
        storage = AsyncStorageService(service)
        await storage.upload_object(UploadRequest(bucket=bucket, key="s", data=b"abc"))
        return storage.get_stats()

    stats = asyncio.run(main())
    assert isinstance(stats, StorageStats)  # the object itself: usable without await
    assert stats.get_success_rate() == 100.0 and stats.total_operations == 1


def test_other_service_methods_become_coroutines(service, bucket):
    from its_store.aio import AsyncStorageService

    async def main() -> list[str]:
        storage = AsyncStorageService(service)
        assert storage.settings is service.settings  # attributes pass through unchanged
        return [b.name for b in await storage.list_buckets()]

    assert bucket in asyncio.run(main())


def test_debug_logs_under_its_store(service, bucket, caplog):
    from its_store.aio import AsyncStorageService

    async def main() -> None:
        await AsyncStorageService(service).generate_presigned_url(bucket, "k")

    with caplog.at_level(logging.DEBUG, logger="its_store"):
        asyncio.run(main())
    assert any(r.name.startswith("its_store") and "generate_presigned_url" in r.getMessage()
               for r in caplog.records)
