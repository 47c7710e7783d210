"""Part sizes, progress callbacks and the bounded thread pool shared by uploads and downloads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from its_store.core import errors as E

T = TypeVar("T")

ProgressFn = Callable[[int], None]

MiB = 1024 * 1024

MIN_PART = 5 * MiB

MAX_PART = 5 * 1024 * MiB

MAX_PARTS = 10_000

DEFAULT_PART = 8 * MiB  # bench: 1 GiB upload as fast as with 16 MiB (the server is the limit)

CHUNK = 1 * MiB

READ_BUF = 256 * 1024  # per-thread buffer that file downloads read into (bench: less sys time than 1 MiB)

META_PART_SIZE = "its-part-size"  # x-amz-meta-its-part-size: lets a download verify a multipart ETag

def noop(_: int) -> None:
    pass


def choose_part_size(size: int | None, requested: int | None = None) -> int:
    """A part size within S3's limits (5 MiB .. 5 GiB, <= 10,000 parts), rounded to whole MiB."""
    part = max(requested or DEFAULT_PART, MIN_PART)
    if size is not None and size > part * MAX_PARTS:
        part = -(-size // MAX_PARTS)
        part = -(-part // MiB) * MiB
    if part > MAX_PART:
        raise E.InvalidInputError("object too large for S3 multipart limits (5 GiB x 10,000 parts)")
    return part


@contextmanager
def bounded_pool(workers: int) -> Iterator[Callable[..., None]]:
    """A thread pool whose submit() blocks while `workers` tasks are in flight; the first error wins.

    Blocking submission is what bounds memory: a producer cannot read ahead of the uploads.
    """
    slots = threading.BoundedSemaphore(max(workers, 1))
    failure: list[BaseException] = []
    futures: list[Future[None]] = []
    pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="its-xfer")

    def run(fn: Callable[..., None], args: tuple[object, ...]) -> None:
        try:
            if not failure:
                fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)
        finally:
            slots.release()

    def submit(fn: Callable[..., None], *args: object) -> None:
        if failure:
            raise failure[0]
        slots.acquire()
        futures.append(pool.submit(run, fn, args))

    try:
        yield submit
        for fut in futures:
            fut.result()
        if failure:
            raise failure[0]
    except BaseException:
        failure.append(E.InterruptedError_("transfer cancelled"))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)

