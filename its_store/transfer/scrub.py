"""Reading an object back only to hash it (the `verify` scrub): nothing is written anywhere.

Every object, small or large, is one streaming GET read in CHUNK (1 MiB) pieces and fed to the hash
as they come: memory is one chunk per object in flight. The GET answers the object's headers too, so a
scrub costs one request per object and no HEAD. Parallel ranges were measured and lost on a 1 GiB
object (bench/verify_bench.py, 2 cores, server on the same box): one stream 1.11 s / 0.72 CPU-s,
4 ranges of 8 MiB 1.19 s / 1.02 CPU-s. SHA-256 is sequential anyway, and read() hands over each
chunk with a single copy, where ranges cost threads, buffers and a copy more. Reading on a second
thread while this one hashes did not help either (1 GiB: 1.21-1.56 s against 1.26-1.32 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.transfer.parts import CHUNK

if TYPE_CHECKING:
    from its_store.s3.client import Body

Feed = Callable[[bytes], None]


def drain(resp: Body, feed: Feed, where: str, expected: int | None = None, limit: int | None = None) -> int:
    """Feed a GET's body to `feed` chunk by chunk and close the response. A body shorter than
    `expected` (its Content-Length) is ServiceUnavailableError: the connection ended early.

    With `expected` known, reads stop once that many bytes are in (a frame: one read): http.client
    reads no byte past the Content-Length, so a read to find the end would only cost a call. Without it (a
    chunked answer), `limit` (the size a listing gave) bounds the read: one byte more, never fed, is
    BadAnswerError, as a body that may never end (a stream) is not the object listed."""
    total = 0
    cap = expected if expected is not None else limit
    with resp:
        while cap is None or total < cap:
            chunk = resp.read(CHUNK if cap is None else min(CHUNK, cap - total))
            if not chunk:
                break
            feed(chunk)
            total += len(chunk)
        if expected is None and limit is not None and total == limit and resp.read(1):
            raise E.BadAnswerError(f"the server sent more of {where} than the {limit} bytes listed, without a "
                                   "Content-Length: not the object listed (a stream?); nothing more was read")
    if expected is not None and total != expected:
        raise E.ServiceUnavailableError(f"connection ended early for {where}: got {total} of {expected} bytes",
                                        mid_body=True)
    return total
