"""atk33: cancelling a task that iterates the async façade's listing (its.aio._AsyncIterator, session 32).

The documented way to release an async iterator early is `aclose()` (contextlib.aclosing, or an
`async with` around the loop). _AsyncIterator.aclose runs the source generator's close() in one of the
façade's threads. When the task is cancelled while its chunk is being read (`_read`, the usual place: the
listing request is in flight), that read is still running in ANOTHER façade thread, on the same generator:
close() there raises `ValueError: generator already executing`, which replaces the CancelledError. The task
ends with a ValueError instead of being cancelled, and the listing generator is never closed.

Deterministic: the fake server holds the listing's answer until the test lets it go; the cancel happens once
the request has arrived (a real condition). Fails now."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request

from conftest import ServerInfo
from helpers import DEADLINE

BUCKET = "aio-cancel"


@pytest.fixture
def held() -> Iterator[tuple[FaultServer, threading.Event, threading.Event]]:
    """A fake S3 whose object listings wait for `release` once `asked` is set."""
    asked, release = threading.Event(), threading.Event()

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method == "GET" and not req.key and "list-type" in req.query:
            asked.set()
            release.wait(DEADLINE)
        return False  # then answered as usual

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        for i in range(3):
            server.put_object(BUCKET, f"p/{i}.jpg", FakeObject(b"\xff\xd8\xff"))
        try:
            yield server, asked, release
        finally:
            release.set()


def test_cancel_while_a_chunk_is_read_cancels_and_closes(held: tuple[FaultServer, threading.Event, threading.Event],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store import ListObjectsRequest, StorageService, load_settings
    from its_store.aio import AsyncStorageService
    server, asked, release = held
    for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
        monkeypatch.delenv(name)
    env = {**ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(), "MINIO_MAX_RETRIES": "0",
           "MINIO_CACHE_DIR": str(tmp_path / "s" / "c"), "MINIO_AUDIT_LOG": str(tmp_path / "s" / "a.log")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)

    async def main() -> str:
        async with AsyncStorageService(StorageService(load_settings()), own=True) as storage:
            listing: Any = await storage.iter_objects(ListObjectsRequest(bucket=BUCKET, prefix="p/"))

            async def consume() -> None:
                async with contextlib.aclosing(listing):
                    async for _ in listing:
                        pass

            task = asyncio.create_task(consume())
            got = await asyncio.get_running_loop().run_in_executor(None, asked.wait, DEADLINE)
            assert got, "the listing request never arrived"
            task.cancel()
            try:
                await task
                outcome = "finished"
            except asyncio.CancelledError:
                outcome = "cancelled"
            except Exception as exc:  # noqa: BLE001 - what the test is about
                outcome = repr(exc)
            release.set()
            return outcome

    assert asyncio.run(main()) == "cancelled"
