"""Bandwidth limits applied at the s3 seam: every request body this client sends, every object body it reads.

One place each way, so that every path goes through the limit by construction (single PUTs, multipart
parts, conditional PUTs, ranged and streamed GETs, the watcher's uploads, copies between endpoints):

- up: s3/pool.checked_urlopen hands each request body to `Pacer.body()`, which urllib3 sends in paced
  steps (a re-iterable: a retry sends it again, and pays again). minio builds every body as bytes before
  it calls the pool (it signs them), so wrapping the stream given to put_object would pace only minio's
  copy into memory, and the part would then leave at full speed: the pool is where bytes meet the wire.
  The Content-Length minio set stays, so urllib3 sends the steps as one plain body (not chunked).
- down: s3/client.Body reads an object's answer in paced steps (read, readinto, stream).

The limiters are the process's (core/bwlimit.shared_limiter): MINIO_BWLIMIT / --bwlimit, and an endpoint's
own limit where one is given; each step waits for all of them. Without a limit there is no Pacer, and the
paths are the ones they were (one `is None` test per request and per read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from its_store.core.bwlimit import Direction, Limiter, shared_limiter

if TYPE_CHECKING:
    from its_store.core.settings import Settings

__all__ = ["PacedBody", "Pacer", "pacer_for"]


class Pacer:
    """The limiters one client's transfers wait for."""

    __slots__ = ("limiters",)

    def __init__(self, limiters: Sequence[Limiter]) -> None:
        self.limiters = tuple(limiters)

    def chunk(self, direction: Direction) -> int:
        return min(limiter.chunk(direction) for limiter in self.limiters)

    def take(self, direction: Direction, n: int) -> None:
        for limiter in self.limiters:
            limiter.take(direction, n)

    def body(self, data: bytes | bytearray | memoryview) -> PacedBody:
        return PacedBody(data, self)

    def read(self, read: Callable[[int], bytes], amt: int | None) -> bytes:
        """`read(amt)` of an answer (all of it when None), in paced steps."""
        parts = []
        left = amt
        while left is None or left > 0:
            step = self.chunk("down")
            data = read(step if left is None else min(step, left))
            if not data:
                break
            self.take("down", len(data))
            parts.append(data)
            if left is not None:
                left -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, readinto: Callable[[memoryview], int], buf: bytearray | memoryview) -> int:
        """`readinto(buf)` of an answer: fills `buf` (or up to the end of the body) in paced steps."""
        view = memoryview(buf)
        total = len(view)
        done = 0
        while done < total:
            n = readinto(view[done:done + min(self.chunk("down"), total - done)])
            if not n:
                break
            self.take("down", n)
            done += n
        return done

    def stream(self, stream: Callable[[int], Iterator[bytes]], amt: int) -> Iterator[bytes]:
        """`stream(amt)` of an answer in paced steps (pieces of at most one step)."""
        for data in stream(min(amt, self.chunk("down"))):
            self.take("down", len(data))
            yield data


class PacedBody:
    """A request body urllib3 sends step by step, each step once the limiters let it go. Iterable again:
    urllib3 re-sends the same object on a retry (connection lost before the answer)."""

    __slots__ = ("_data", "_pacer")

    def __init__(self, data: bytes | bytearray | memoryview, pacer: Pacer) -> None:
        self._data, self._pacer = data, pacer

    def __iter__(self) -> Iterator[memoryview]:
        view = memoryview(self._data).cast("B")
        done, total = 0, len(view)
        while done < total:
            n = min(self._pacer.chunk("up"), total - done)
            self._pacer.take("up", n)
            yield view[done:done + n]
            done += n


def pacer_for(settings: Settings, own: str | None = None, limiters: Sequence[Limiter] | None = None) -> Pacer | None:
    """The Pacer of a client: `limiters` when given (tests pass one with a fake clock), else the process's
    limiter for the settings' MINIO_BWLIMIT and the one for the endpoint's `own` limit (a remote's); None
    when there is no limit at all."""
    if limiters is None:
        found = (shared_limiter(settings.bwlimit), shared_limiter(own))
        limiters = [limiter for i, limiter in enumerate(found) if limiter is not None and limiter not in found[:i]]
    return Pacer(limiters) if limiters else None
