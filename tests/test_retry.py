"""core/retry.py, the one retry/backoff helper (no server): tries, predicate, deadline, stop event, hooks,
and that tenacity stays out of start-up."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from its_store.core.retry import Backoff, retry_call

NO_PAUSE = Backoff(initial=0.0, cap=0.0)
LONG_PAUSE = Backoff(initial=600.0, cap=600.0)  # a test that waited on it would time out, not pass


class Flaky(Exception):
    pass


class Calls:
    """A call that fails `fails` times with `error`, then returns "done"."""

    def __init__(self, fails: int, error: type[BaseException] = Flaky) -> None:
        self.fails, self.error, self.count = fails, error, 0

    def __call__(self) -> str:
        self.count += 1
        if self.count <= self.fails:
            raise self.error(f"failure {self.count}")
        return "done"


def is_flaky(exc: Exception) -> bool:
    return isinstance(exc, Flaky)


def test_returns_after_retryable_failures():
    call = Calls(2)
    assert retry_call(call, retry_if=is_flaky, attempts=3, backoff=NO_PAUSE) == "done"
    assert call.count == 3


def test_the_last_error_is_raised_when_the_tries_are_used_up():
    call = Calls(10)
    with pytest.raises(Flaky, match="failure 4"):
        retry_call(call, retry_if=is_flaky, attempts=4, backoff=NO_PAUSE)
    assert call.count == 4


def test_an_error_the_predicate_rejects_is_raised_at_once():
    call = Calls(10, ValueError)
    with pytest.raises(ValueError, match="failure 1"):
        retry_call(call, retry_if=is_flaky, attempts=5, backoff=NO_PAUSE)
    assert call.count == 1


def test_keyboard_interrupt_is_never_retried():
    call = Calls(10, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        retry_call(call, retry_if=lambda exc: True, attempts=5, backoff=NO_PAUSE)
    assert call.count == 1


def test_no_pause_is_started_that_would_end_after_the_deadline():
    call = Calls(10)
    with pytest.raises(Flaky, match="failure 1"):  # the first pause (600 s) would pass the deadline
        retry_call(call, retry_if=is_flaky, attempts=5, backoff=LONG_PAUSE, deadline=time.monotonic() + 300)
    assert call.count == 1
    call = Calls(10)
    with pytest.raises(Flaky, match="failure 1"):  # no limit on tries: the deadline alone ends them
        retry_call(call, retry_if=is_flaky, backoff=NO_PAUSE, deadline=time.monotonic() - 1)
    assert call.count == 1


def test_a_stop_set_during_a_call_ends_the_retries_without_a_pause():
    stop = threading.Event()

    def call() -> str:
        stop.set()
        raise Flaky("stopping")

    with pytest.raises(Flaky, match="stopping"):
        retry_call(call, retry_if=is_flaky, backoff=LONG_PAUSE, stop=stop)


def test_a_stop_set_during_a_pause_cuts_it_short():
    stop = threading.Event()
    call = Calls(10)
    started = threading.Event()

    def setter() -> None:
        started.wait(60)
        stop.set()

    thread = threading.Thread(target=setter)
    thread.start()
    with pytest.raises(Flaky, match="failure 1") as caught:
        retry_call(call, retry_if=is_flaky, backoff=LONG_PAUSE, stop=stop,
                   before_sleep=lambda n, e, p: started.set())
    thread.join(60)
    assert call.count == 1
    assert caught.value.__context__ is None  # the error itself, not one chained to the helper's own


def test_before_sleep_sees_each_retry_its_error_and_pause():
    seen: list[tuple[int, str, float]] = []
    retry_call(Calls(3), retry_if=is_flaky, attempts=4, backoff=Backoff(initial=0.0, cap=0.0),
               before_sleep=lambda n, e, p: seen.append((n, str(e), p)))
    assert seen == [(1, "failure 1", 0.0), (2, "failure 2", 0.0), (3, "failure 3", 0.0)]


def test_backoff_doubles_up_to_the_cap_with_bounded_jitter():
    plain = Backoff(initial=0.25, cap=8.0)
    assert [plain.delay(n) for n in range(8)] == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert plain.delay(10_000) == 8.0  # no overflow after many retries
    added = Backoff(initial=0.25, cap=8.0, jitter=0.25)
    for n in range(8):
        assert plain.delay(n) <= added.delay(n) <= plain.delay(n) + 0.25
    spread = Backoff(initial=0.25, cap=2.0, spread=0.2)
    for n in range(6):
        assert min(plain.delay(n), 2.0) * 0.8 <= spread.delay(n) <= min(plain.delay(n), 2.0) * 1.2


def test_tenacity_is_imported_only_when_a_call_retries():
    """Start-up cost: `--version` loads none of it, nor does importing the modules that retry."""
    code = ("import sys, json, contextlib, io\nsys.argv = ['its-store', '--version']\n"
            "from its_store.__main__ import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main()\n    except SystemExit:\n        pass\n"
            "import its_store.transfer.download, its_store.registry.webhooks\n"
            "print(json.dumps('tenacity' in sys.modules))\n"
            "from its_store.core.retry import retry_call\n"
            "retry_call(lambda: 1, retry_if=lambda e: True)\n"
            "print(json.dumps('tenacity' in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["false", "true"]
