"""The one fan-out helper: a function over many items on a few threads, memory bounded however many items.

    for out in fan_out(check, listing, workers=8):
        if out.error is not None: ...      # one item's failure, never the run's
        else: use(out.value)

Rules it keeps for every caller:
- **Bounded look-ahead.** At most `ahead` items are taken from the input and not yet handed back (running,
  done and waiting for their turn, or being handled by the consumer): a listing of millions of keys is read
  as the work goes, never into memory, and results wait in memory for at most `ahead` items.
- **Per-item errors are outcomes.** An `Exception` from `fn` becomes that item's `Outcome.error`: never
  raised by the helper, never lost. `Outcome.result()` re-raises it for callers that stop at the first one.
- **Order.** `ordered=True` gives the outcomes in input order, else as they complete.
- **Clean stop.** When the consumer stops (break, an error, Ctrl-C in its loop or while it waits), or a
  worker's `fn` raises a BaseException (KeyboardInterrupt, SystemExit), no further item is started, running
  ones are let finish, and the threads are joined; that exception reaches the consumer as it was. On an
  interrupt (Ctrl-C, SIGTERM) a running item waiting to retry a request does not wait out its back-off:
  it ends at once, not done (core/retry.interrupting). The threads are daemons: a second Ctrl-C during
  that wait abandons them instead of hanging the exit.
- **The input's own error** (a listing that fails midway) is raised to the consumer after the outcomes of
  the items taken before it.

Workers pull items themselves (no Future and no task queue per item: for 100 KB camera frames the
bookkeeping of a pool cost more client CPU than the request); outcomes come back through one queue, and the
look-ahead is a queue of tokens (one taken per item, given back by the consumer): per item two C-level queue
round trips and one lock, no Python-level Condition (bench/fanout_bench.py, 16 workers over a cheap fn:
~4-5 us of CPU per item over fn alone and 0.25-0.3 context switches per item, against ~6.5-10.5 us and
1.5-1.8 with a Condition, and ~19-20 us for ThreadPoolExecutor.map).
Outcomes come back through a deque; a consumer with none it can use sleeps on a queue that a worker rings
only when it brings what the consumer waits for: as completed, any outcome; in order, the one whose turn it
is (the ones after it wait in the deque without waking it). In order that is one wake-up per item whose
turn had not come instead of one per item (tests/test_fanout.py counts them: 7-9 against 374-432 for 400
items finishing before the first; bench/fanout_bench.py with SLEEP_S 0.002, ordered: see its numbers).
Drive it with a `for` loop (the generator is closed as the loop ends, which stops the workers), or wrap it
in `contextlib.closing` when it is kept in a variable.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 - the item type
R = TypeVar("R")


@dataclass(slots=True)
class Outcome(Generic[I, R]):
    """One item's outcome: its position in the input, the item, and fn's value or its error."""

    index: int
    item: I
    value: R | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> R:
        """The value, or the item's error raised (for callers that stop at the first failure)."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def fan_out(fn: Callable[[I], R], items: Iterable[I], *, workers: int, ahead: int | None = None,
            ordered: bool = True, name: str = "its-fan",
            initializer: Callable[[], None] | None = None) -> Generator[Outcome[I, R], None, None]:
    """fn over items on `workers` threads; yields one Outcome per item (see the module's rules).

    `ahead` (default 4 x workers, at least 1): the most items taken and not yet handed back.
    `initializer`: run once at the start of each worker thread (e.g. to bind a per-thread cache batch)."""
    from its_store.core.limits import workers_for_open_files
    asked = max(workers, 1)
    workers = workers_for_open_files(asked)  # each worker holds descriptors (core/limits.py)
    ahead = max((ahead if ahead is not None else 4 * asked) * workers // asked, 1)  # items taken may hold some too
    run = _Run(fn, items, ahead, initializer)
    threads = [threading.Thread(target=run.work, name=f"{name}-{i}", daemon=True)
               for i in range(min(workers, ahead))]
    run.workers = len(threads)
    interrupt: BaseException | None = None
    try:  # started inside: a Ctrl-C while they start (the first may already be running) stops them too
        started = _start(threads)
        yield from run.collect(started, ordered)
    except BaseException as exc:
        interrupt = exc if _is_interrupt(exc) else None
        raise
    finally:
        run.stop()
        if interrupt is None:
            _join(threads)
        else:
            from its_store.core.retry import interrupting
            with interrupting():  # workers waiting to retry a request: stop now
                _join(threads)


def _start(threads: list[threading.Thread]) -> int:
    """Start the workers; how many started. A limit on threads (RLIMIT_NPROC, a container's pids.max: "can't
    start new thread") is the machine's, not a bug: the run goes on with the threads that started (one
    warning naming --workers), or, when none did, ends as one error line (exit 1) saying what to do."""
    for started, thread in enumerate(threads):
        try:
            thread.start()
        except RuntimeError as exc:
            if started == 0:
                from its_store.core.errors import ItsStoreError
                raise ItsStoreError(f"cannot start a worker thread ({exc}): this process has reached its limit "
                                    "of threads (ulimit -u, a container's pids.max)",
                                    hint="use fewer workers (--workers / MINIO_MAX_WORKERS), or raise the "
                                         "limit") from None
            import logging
            logging.getLogger("its_store.transfer.fanout").warning(
                "only %d of %d worker threads could start (%s): going on with %d; use fewer --workers "
                "(MINIO_MAX_WORKERS) under this limit", started, len(threads), exc, started)
            return started
    return len(threads)


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        if thread.ident is not None:  # not started: nothing to join
            thread.join()


def _is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C or SIGTERM (KeyboardInterrupt, SystemExit), raised here while the consumer waited or in its
    loop (a generator closed then sees GeneratorExit, the interrupt as its context when it is closed while
    the interrupt unwinds)."""
    if isinstance(exc, GeneratorExit):
        exc = exc.__context__  # type: ignore[assignment]
    return isinstance(exc, (KeyboardInterrupt, SystemExit))


class _Run(Generic[I, R]):
    """The state one fan_out shares between its workers and its consumer."""

    def __init__(self, fn: Callable[[I], R], items: Iterable[I], ahead: int,
                 initializer: Callable[[], None] | None) -> None:
        self.fn, self.initializer = fn, initializer
        self.numbered = enumerate(iter(items))
        self.take = threading.Lock()        # the input iterator is read by one worker at a time
        # the look-ahead as tokens: a worker takes one per item, the consumer gives it back once it is done
        # with the item's outcome; a False token (put by stop, one per worker) tells a waiting worker to leave.
        # A C queue, not a Condition: per item one put and one get, no Python-level lock round trips.
        self.tokens: queue.SimpleQueue[bool] = queue.SimpleQueue()
        for _ in range(ahead):
            self.tokens.put(True)
        self.workers = 0                     # set by fan_out before the threads start: False tokens per stop
        self.stopping = False
        self.input_error: BaseException | None = None
        # outcomes: appended by the workers, read by the consumer, which sleeps on `bell` when it has none it
        # can use. A worker rings only when the consumer sleeps and waits for what it brings: any outcome (as
        # completed), the outcome whose turn it is (in order: the ones after it only wait in `pending`), a
        # worker leaving. In order a consumer then wakes ~once per item whose turn had not come, not per item.
        self.pending: deque[Outcome[I, R] | _Exit | _Fatal] = deque()
        self.bell: queue.SimpleQueue[None] = queue.SimpleQueue()
        self.sleeping = False
        self.want = -1                       # the index the sleeping consumer waits for; -1: any outcome

    # ------------------------------------------------------------------ workers
    def work(self) -> None:
        try:
            if self.initializer is not None:
                self.initializer()
            while self._reserve():
                drawn = self._draw()
                if drawn is None:
                    return
                index, item = drawn
                try:
                    out = Outcome(index, item, value=self.fn(item))
                except Exception as exc:  # noqa: BLE001 - that item's outcome, handed to the consumer
                    out = Outcome(index, item, error=exc)
                self.pending.append(out)
                if self.sleeping and self.want in (-1, index):
                    self._ring()
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt/SystemExit: re-raised by the consumer
            self.stop()
            self.pending.append(_Fatal(exc))
        finally:
            self.pending.append(_Exit())
            self._ring()

    def _ring(self) -> None:
        """Wake the consumer (a second ring before it looks is one spare wake-up, never a lost outcome:
        it sets `sleeping` before it looks at `pending` a last time, a worker appends before it looks at
        `sleeping`)."""
        self.sleeping = False
        self.bell.put(None)

    def _reserve(self) -> bool:
        """Wait for a free look-ahead slot (a token); False once the run stops."""
        return self.tokens.get() and not self.stopping

    def _draw(self) -> tuple[int, I] | None:
        """The next (index, item), or None when the input is used up or failed (no more draws then)."""
        with self.take:
            if not self.stopping:
                try:
                    return next(self.numbered)
                except StopIteration:
                    pass
                except Exception as exc:  # noqa: BLE001 - the input's failure, raised by the consumer
                    self.input_error = exc
        self.stop()
        self.release()
        return None

    # ------------------------------------------------------------------ both sides
    def release(self) -> None:
        """One item handed back: its look-ahead slot is free again."""
        self.tokens.put(True)

    def stop(self) -> None:
        """No further item is started: every worker waiting for a slot wakes and leaves."""
        self.stopping = True
        for _ in range(self.workers):
            self.tokens.put(False)

    # ------------------------------------------------------------------ consumer
    def collect(self, running: int, ordered: bool) -> Iterator[Outcome[I, R]]:
        waiting: dict[int, Outcome[I, R]] = {}
        turn = 0
        pending, release = self.pending, self.tokens.put  # per item: one token back (after the yield)
        while running:
            if not pending:
                self._sleep(turn if ordered else -1)
                continue
            got = pending.popleft()
            if isinstance(got, _Exit):
                running -= 1
                continue
            if isinstance(got, _Fatal):
                raise got.exc
            if not ordered:
                yield got
                release(True)  # after the consumer is done with it: it counts against the look-ahead
                continue
            waiting[got.index] = got
            while turn in waiting:
                yield waiting.pop(turn)
                turn += 1
                release(True)
        if self.input_error is not None:
            raise self.input_error

    def _sleep(self, want: int) -> None:
        """Wait until a worker brings outcome `want` (-1: any) or leaves, unless one came meanwhile."""
        self.want = want
        self.sleeping = True
        if self.pending:  # appended before `sleeping` was seen: no ring may come for it
            self.sleeping = False
            return
        self.bell.get()


@dataclass(slots=True)
class _Exit:
    """A worker left (input used up, stopped, or failed)."""


@dataclass(slots=True)
class _Fatal:
    """A worker's BaseException, raised in the consumer's thread."""

    exc: BaseException
