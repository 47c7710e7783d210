"""A service's life as a Python program lives it: forked children (multiprocessing "fork") that go on using
the parent's service, and close() that gives back every descriptor and thread.

Against the session's SeaweedFS. No timing: children are joined (the deadline is only a safety net for a
child that hangs, which is one of the failures tested), descriptors are counted in /proc/self/fd.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Any

from its_store import ListObjectsRequest, StorageService, UploadRequest, load_settings
from its_store.aio import AsyncStorageService
from its_store.state.stats import StatsStore

CHILDREN = 3
PER_PROCESS = 50
SAFETY_DEADLINE = 180.0  # seconds for all children; healthy ones need a few


def _payload(who: str, i: int) -> bytes:
    return hashlib.sha256(f"{who}-{i}".encode()).digest() * (1 + i % 7)


def _upload_many(svc: StorageService, bucket: str, who: str) -> None:
    for i in range(PER_PROCESS):
        data = _payload(who, i)
        resp = svc.upload_object(UploadRequest(bucket=bucket, key=f"{who}/{i}", data=data))
        assert resp.total_size == len(data), (who, i, resp)


def _child_uploads(svc: StorageService, bucket: str, who: str, report: Path) -> None:
    """In a forked child: the parent's service, as inherited, uploads and reads back its own objects."""
    try:
        _upload_many(svc, bucket, who)
        listed = svc.list_objects(ListObjectsRequest(bucket=bucket, prefix=f"{who}/"))
        assert len(listed) == PER_PROCESS, len(listed)
        report.write_text("ok")
    except BaseException as exc:  # the parent reads what went wrong
        report.write_text(f"{type(exc).__name__}: {exc}")
        raise


def _run_children(target: Any, args_of: Any, tmp_path: Path) -> list[str]:
    fork = multiprocessing.get_context("fork")
    reports = [tmp_path / f"child-{n}.txt" for n in range(CHILDREN)]
    children = [fork.Process(target=target, args=args_of(n, reports[n])) for n in range(CHILDREN)]
    for child in children:
        child.start()
    deadline = time.monotonic() + SAFETY_DEADLINE  # one deadline for all: a safety net, not a measure
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
    outcomes = []
    for child, report in zip(children, reports, strict=True):
        if child.is_alive():  # hung: the failure this test is about; do not leave it behind
            child.kill()
            child.join()
            outcomes.append("hung")
        else:
            outcomes.append(report.read_text() if report.exists() else f"exit {child.exitcode}, no report")
    return outcomes


def test_forked_children_use_the_parents_service_and_count_exactly(service: StorageService, bucket: str,
                                                                   tmp_path: Path) -> None:
    """The parent uploads 50 (kept-alive sockets in its pool, 50 counts unsaved), then three children upload
    50 each at once through the same service: no garbled answers (each has its own connections), and
    the saved totals are exact: the parent's 50 counted once, each child's 50 saved when it ends."""
    store = StatsStore(Path(service.settings.cache_dir or "."))
    store.reset()
    _upload_many(service, bucket, "parent")
    outcomes = _run_children(_child_uploads, lambda n, report: (service, bucket, f"child{n}", report), tmp_path)
    assert outcomes == ["ok"] * CHILDREN
    service.stat_object(bucket, "parent/0")  # the parent's own connections still work after the children
    service.close()
    assert store.load().operations["upload"].count == PER_PROCESS * (1 + CHILDREN)


def _child_async(facade: AsyncStorageService, bucket: str, who: str, report: Path) -> None:
    async def main() -> None:
        resp = await facade.upload_object(UploadRequest(bucket=bucket, key=f"{who}/a", data=b"async in a child"))
        assert resp.total_size == 16
        info = await facade.stat_object(bucket, f"{who}/a")
        assert info.size == 16
    try:
        asyncio.run(main())
        report.write_text("ok")
    except BaseException as exc:
        report.write_text(f"{type(exc).__name__}: {exc}")
        raise


def test_async_api_works_in_a_forked_child(service: StorageService, bucket: str, tmp_path: Path) -> None:
    facade = AsyncStorageService(service)

    async def parent() -> None:  # the parent's worker threads exist when the children are forked
        await facade.upload_object(UploadRequest(bucket=bucket, key="parent/a", data=b"x"))
    asyncio.run(parent())
    outcomes = _run_children(_child_async, lambda n, report: (facade, bucket, f"child{n}", report), tmp_path)
    assert outcomes == ["ok"] * CHILDREN
    asyncio.run(parent())  # the parent's façade still works too
    asyncio.run(facade.close())


def _descriptors() -> dict[str, str]:
    """This process's open descriptors and what each names (compared as pairs: a number used again for
    another file is another descriptor)."""
    named = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            named[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed meanwhile
            continue
    return named


def _sockets_to(port: int) -> set[str]:
    """This process's TCP sockets connected to `port` on the loopback: the inodes of /proc/self/fd's
    sockets that /proc/net/tcp{,6} lists with that remote port."""
    ours: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed meanwhile
            continue
        if target.startswith("socket:["):
            ours.add(target[len("socket:["):-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()  # sl local_address rem_address st ... uid timeout inode
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in ours:
                    found.add(fields[9])
    return found


SERVICES = 5  # used and closed one after another


def _use_and_close(folder: Path, bucket: str, n: int,
                   port: int) -> tuple[StorageService, AsyncStorageService, Any]:
    before = _sockets_to(port)
    svc = StorageService(load_settings())
    svc.upload_object(UploadRequest(bucket=bucket, key=f"s{n}/one", data=b"one"))
    svc.stat_object(bucket, f"s{n}/one")
    svc.list_objects(ListObjectsRequest(bucket=bucket, prefix=f"s{n}/"))
    svc.batch().upload_directory(folder, bucket, f"s{n}/dir/", workers=4).raise_for_failures()

    facade = AsyncStorageService(svc)

    async def through_aio() -> None:
        async with facade:  # not its own service: only its threads end
            await facade.stat_object(bucket, f"s{n}/one")
    asyncio.run(through_aio())
    client = svc.s3  # held like the service: close() forgets its client, whose pool the GC would close
    assert _sockets_to(port) - before  # kept alive in its pool: what close() must give back
    svc.close()
    return svc, facade, client  # kept by the caller: what is released is released by close(), not by the GC


def test_close_gives_back_every_descriptor_and_thread(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    """SERVICES services, each used (single calls, a batch on 4 threads, the async façade) and closed, all
    still referenced, their S3 clients too: descriptors, threads and sockets to the server are back at the
    baseline (50 services held 394 descriptors before; any leak per service shows SERVICES times over;
    20 proved no more and cost 4x the time)."""
    port = int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1])
    folder = tmp_path / "dir"
    folder.mkdir()
    for i in range(6):
        (folder / f"f{i}.bin").write_bytes(os.urandom(100))
    kept = [_use_and_close(folder, bucket, -1, port)]  # warm-up: lazy imports, certifi, logging handlers
    # what the services made and left open, not the process's totals: another thread (one an earlier test left,
    # the collector freeing an earlier test's client and its socket, a collected service's stats flush) may
    # close or end something of its own meanwhile; an earlier test's garbage is freed before the baseline
    gc.collect()
    baseline, threads, held = _descriptors(), set(threading.enumerate()), _sockets_to(port)  # held: the fixture's
    kept += [_use_and_close(folder, bucket, n, port) for n in range(SERVICES)]
    assert _sockets_to(port) - held == set()  # every closed service's kept-alive connections closed
    left = {fd: name for fd, name in _descriptors().items() if baseline.get(fd) != name}
    assert left == {}, left
    assert [t.name for t in threading.enumerate() if t not in threads] == []
    assert len(kept) == SERVICES + 1
