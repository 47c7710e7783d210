"""Part sizes, progress callbacks and the bounded thread pool shared by uploads and downloads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TypeVar

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.s3.client import Body, ObjectStat, Written
    from its_store.s3.messages import Custody
    from its_store.s3.payload import Payload

T = TypeVar("T")

ProgressFn = Callable[[int], None]


class ObjectIO(Protocol):
    """What the transfer engine asks of a client: s3.S3Client, or codec.encryption.KeyedS3 (the same
    client adding an SSE-C key to reads and parts), so that transfer/ needs no notion of SSE-C."""

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectStat: ...
    def get(self, bucket: str, key: str, offset: int = 0, length: int = 0,
            version_id: str | None = None) -> Body: ...
    def put(self, bucket: str, key: str, data: bytes | Payload, headers: dict[str, str]) -> Written: ...
    def create_multipart(self, bucket: str, key: str, headers: dict[str, str]) -> str: ...
    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes, *,
                    sha256: str | None = None) -> str: ...
    def complete_multipart(self, bucket: str, key: str, upload_id: str, etags: list[str],
                           custody: Custody | None = None, head: dict[str, str] | None = None,
                           ) -> Written: ...
    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None: ...
    def list_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]]: ...

MiB = 1024 * 1024

MIN_PART = 5 * MiB

MAX_PART = 5 * 1024 * MiB

MAX_PARTS = 10_000

DEFAULT_PART = 8 * MiB  # bench: 1 GiB upload as fast as with 16 MiB (the server is the limit)

CHUNK = 1 * MiB

RANGE_SPAN = 64 * MiB  # the most one ranged GET of a file download asks for (transfer/download._span_size)

READ_BUF = 256 * 1024  # the reads of file downloads (less sys time than 512 KiB or 1 MiB: spans._reads says)

META_PART_SIZE = "its-part-size"  # x-amz-meta-its-part-size: lets a download verify a multipart ETag

def noop(_: int) -> None:
    pass


def choose_part_size(size: int | None, requested: int | None = None) -> int:
    """A part size within S3's limits (5 MiB .. 5 GiB, <= 10,000 parts), rounded to whole MiB."""
    if requested is not None and requested > MAX_PART:  # the part size is wrong, whatever the object's size
        raise E.InvalidInputError(f"part size of {requested:,} bytes is above S3's limit of 5 GiB a part",
                                  hint="set a part size of 5 MiB to 5 GiB (--part-size, MINIO_PART_SIZE)")
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

    Blocking submission is what bounds memory: a producer cannot read ahead of the uploads. On an
    interrupt (Ctrl-C, SIGTERM) in the caller's thread, a worker waiting out a retry's back-off (a
    server's Retry-After) ends at once, not done (core/retry.interrupting), as transfer/fanout's do.
    """
    tasks = _Tasks(workers)
    interrupted = False
    try:
        yield tasks.submit
        tasks.finish()
    except BaseException as exc:
        interrupted = isinstance(exc, (KeyboardInterrupt, SystemExit))
        tasks.cancel()
        raise
    finally:
        _shut_down(tasks.pool, interrupted)


class _Tasks:
    """bounded_pool's tasks: a slot taken per task submitted (given back when it ends), the first error
    any of them raised (no task starts after it), and the futures to wait for."""

    __slots__ = ("failure", "futures", "pool", "slots")

    def __init__(self, workers: int) -> None:
        self.slots = threading.BoundedSemaphore(max(workers, 1))
        self.failure: list[BaseException] = []
        self.futures: list[Future[None]] = []
        self.pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="its-xfer")

    def run(self, fn: Callable[..., None], args: tuple[object, ...]) -> None:
        try:
            if not self.failure:
                fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self.failure.append(exc)
        finally:
            self.slots.release()

    def submit(self, fn: Callable[..., None], *args: object) -> None:
        if self.failure:
            raise self.failure[0]
        self.slots.acquire()
        self.futures.append(self.pool.submit(self.run, fn, args))

    def finish(self) -> None:
        """Wait for every task; the first error, if any, raised here."""
        for fut in self.futures:
            fut.result()
        if self.failure:
            raise self.failure[0]

    def cancel(self) -> None:
        """The caller failed (or was interrupted): a task not yet begun does not run, and no more are taken."""
        self.failure.append(E.InterruptedError_("transfer cancelled"))
        self.pool.shutdown(wait=False, cancel_futures=True)


def _shut_down(pool: ThreadPoolExecutor, interrupted: bool) -> None:
    """Wait for the pool's threads to end; after Ctrl-C or SIGTERM, with a worker's retry pause cut short."""
    if interrupted:  # Ctrl-C, SIGTERM: a worker waiting to retry a request stops now (as in fan_out)
        from its_store.core.retry import interrupting
        with interrupting():
            pool.shutdown(wait=True)
    else:
        pool.shutdown(wait=True)
