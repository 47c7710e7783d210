"""The one retry/backoff helper: a call tried again on the errors its caller names, with exponential backoff
and jitter (capped), a number of tries, an overall deadline, and a stop event that cuts a pause short.

Built on tenacity (the loop, the stop and retry rules, the hooks); imported only when a retry helper is
first called, so that startup (`its-store --version`, completion) never pays for it. Requests to the S3
server are retried by the pool's urllib3 policy (s3/pool.py); this helper is for the loops above it: a
ranged GET whose connection broke mid-body, a webhook POST, a first pass waiting for the server.

What a caller gets when the retries end (tries used up, the deadline would pass during the next pause, or
the stop event is set): the last error, re-raised as it was, never a tenacity type.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tenacity import RetryCallState

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Pause before retry n (0 for the first pause): min(initial * 2**n, cap), plus uniform(0, jitter) seconds,
    times uniform(1 - spread, 1 + spread). The two jitters exist because today's loops use one each (the
    pool's additive one for downloads, a proportional one for webhooks); both spread clients that failed
    together so that they do not come back together."""

    initial: float = 0.25
    cap: float = 8.0
    jitter: float = 0.0
    spread: float = 0.0

    def delay(self, retry: int) -> float:
        pause = min(self.initial * 2.0 ** min(retry, 64), self.cap)  # 2.0: int ** int is Any to mypy
        if self.jitter:
            pause += random.uniform(0.0, self.jitter)
        if self.spread:
            pause *= random.uniform(1.0 - self.spread, 1.0 + self.spread)
        return pause


RetryHook = Callable[[int, BaseException, float], None]


def retry_call(fn: Callable[[], T], *, retry_if: Callable[[Exception], bool], attempts: int | None = None,
               backoff: Backoff = Backoff(), deadline: float | None = None,
               stop: threading.Event | None = None, before_sleep: RetryHook | None = None) -> T:
    """Call `fn` until it returns, trying again after an error for which `retry_if` is true.

    - `attempts`: the most calls in all (None: no limit but the deadline or the stop event).
    - `deadline`: a time.monotonic() value; no pause is started that would end at or after it.
    - `stop`: an event that ends the retries: a pause waits on it (so setting it cuts the pause short) and
      no further call is made once it is set. An interrupt unwinding (`interrupting`) does the same.
    - `before_sleep(retry, error, pause)`: called before each pause (retry counts from 1), e.g. to log.
    Errors `retry_if` rejects, and BaseExceptions such as KeyboardInterrupt, pass through at once."""
    import tenacity  # lazy: ~25 ms of imports, paid only by a process that retries

    last: list[BaseException] = []

    def wait(state: RetryCallState) -> float:
        return backoff.delay(state.attempt_number - 1)

    retrying = tenacity.Retrying(
        stop=_must_stop(attempts, deadline, stop), wait=wait, before_sleep=_noting(last, before_sleep),
        sleep=_pausing(stop), reraise=True,
        retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, Exception) and retry_if(exc)))
    try:
        return retrying(fn)
    except _Stopped:
        pass
    raise last[0]  # outside the except: the caller sees the error itself, not one chained to _Stopped


def _must_stop(attempts: int | None, deadline: float | None,
               stop: threading.Event | None) -> Callable[[RetryCallState], bool]:
    """retry_call's stop rule: the tries used up, a deadline the next pause would reach, or the stop event."""
    def must_stop(state: RetryCallState) -> bool:
        if attempts is not None and state.attempt_number >= attempts:
            return True
        if deadline is not None and time.monotonic() + state.upcoming_sleep >= deadline:
            return True
        return stop is not None and stop.is_set()
    return must_stop


def _noting(last: list[BaseException], before_sleep: RetryHook | None) -> Callable[[RetryCallState], None]:
    """retry_call's hook before each pause: the error kept in `last` (raised when the retries end), then
    handed to the caller's `before_sleep`."""
    def hook(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        if error is not None:
            last[:] = [error]
            if before_sleep is not None:
                before_sleep(state.attempt_number, error, state.upcoming_sleep)
    return hook


def _pausing(stop: threading.Event | None) -> Callable[[float], None]:
    """retry_call's pause: waited out on the stop event (or, without one, on an interrupt unwinding);
    _Stopped when either ends it, so that no further call is made."""
    def sleep(seconds: float) -> None:
        if stop is None:
            if not pause_before_retry(seconds):
                raise _Stopped
        elif stop.wait(seconds) or _interrupted.is_set():
            raise _Stopped
    return sleep


# -- the interrupt: a Ctrl-C (or SIGTERM) unwinding a run whose worker threads wait to retry ------------------
_interrupted = threading.Event()


def pause_before_retry(seconds: float) -> bool:
    """Wait `seconds` before a retry; False, at once, when an interrupt is unwinding (no retry then).
    THE pause of every retry loop in a worker thread (s3/pool.LoggedRetry, retry_call): a signal reaches
    only the main thread, which then waits for its workers (transfer/fanout.py); a worker sleeping out a
    back-off of seconds (or a server's Retry-After) would hold the first Ctrl-C for all that time."""
    if seconds > 0:
        return not _interrupted.wait(seconds)
    return not _interrupted.is_set()


@contextmanager
def interrupting() -> Iterator[None]:
    """While an interrupt unwinds (a fan-out's main thread joining its workers after Ctrl-C or SIGTERM):
    retry pauses end at once, and no retry is made. Cleared after, so that what runs next (cleanup,
    a library caller's next call) retries as always."""
    _interrupted.set()
    try:
        yield
    finally:
        _interrupted.clear()


class _Stopped(Exception):
    """The stop event was set during a pause: the retries end with the last error."""
