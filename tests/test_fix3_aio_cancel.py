"""fix3: a listing read in the async façade's threads, its task cancelled mid-read under aclosing(): the task
ends cancelled, nothing more is read, and the source generator is closed (its `finally:` runs) once the
read in flight returns, in that read's thread (aio._AsyncIterator)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from helpers import DEADLINE


def test_cancel_mid_read_cancels_then_closes_the_source() -> None:
    from its_store.aio import CHUNK, _AsyncIterator, _Runner
    reading, release, closed = threading.Event(), threading.Event(), threading.Event()
    produced: list[int] = []

    def source() -> Iterator[int]:
        try:
            for i in range(10_000):
                if i == 0:
                    reading.set()
                    release.wait(DEADLINE)
                produced.append(i)
                yield i
        finally:
            closed.set()

    async def main() -> str:
        runner = _Runner(2)
        listing = _AsyncIterator(source(), runner)

        async def consume() -> None:
            async with contextlib.aclosing(listing):
                async for _ in listing:
                    pass

        task = asyncio.create_task(consume())
        assert await asyncio.get_running_loop().run_in_executor(None, reading.wait, DEADLINE)
        task.cancel()
        try:
            await task
            outcome = "finished"
        except asyncio.CancelledError:
            outcome = "cancelled"
        except Exception as exc:  # noqa: BLE001 - what the test is about
            outcome = repr(exc)
        release.set()
        assert await asyncio.get_running_loop().run_in_executor(None, closed.wait, DEADLINE)
        runner.shutdown()
        return outcome

    assert asyncio.run(main()) == "cancelled"
    assert closed.is_set() and len(produced) <= CHUNK  # one chunk at most, then closed
