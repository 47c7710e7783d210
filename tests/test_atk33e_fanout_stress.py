"""Attack on transfer/fanout.py's in-order wake-up (0b09a42: the consumer is woken only for the outcome whose
turn it is): random runs of up to 3,000 items on 1..32 workers, fn sleeping 0..100 µs at random and failing
at random, the input failing midway, the consumer stopping early (break, close), Ctrl-C in the consumer's loop
or raised while it waits (a worker's fn sends SIGINT to the main thread), in order and as completed.

Each run holds: every outcome handed over at most once, in input order when ordered, with fn's own value or
error; all of them when nothing stopped the run; the input's error after the items taken before it; Ctrl-C
reaching the consumer; never more than `ahead` items taken and not handed back. A run that hangs fails
(a watchdog sends SIGINT to the main thread after 60 s, a safety net only: nothing here waits on time).
No finding in this attack (3,600 runs besides these): these hold the behaviour.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import pytest

from its_store.core.limits import workers_for_open_files
from its_store.transfer.fanout import Outcome, fan_out

SAFETY_S = 60.0


class InputBroke(Exception):
    pass


@dataclass
class Plan:
    """One random run."""

    n: int
    workers: int
    ahead: int | None
    ordered: bool
    input_fails_at: int | None
    stop_at: int | None
    ctrl_c_in_loop_at: int | None
    ctrl_c_in_fn_at: int | None
    error_rate: float
    rolls: list[float] = field(default_factory=list)

    @classmethod
    def draw(cls, seed: int) -> Plan:
        rng = random.Random(seed)
        n = rng.choice([0, 1, 5, 100, 1000, 3000])
        workers = rng.randint(1, 32)
        loop_c = rng.choice([None] * 6 + [rng.randrange(n + 1)])
        return cls(n, workers, rng.choice([None, 1, 2, workers, 3 * workers]), rng.random() < 0.6,
                   rng.choice([None, None, rng.randrange(n)]) if n else None,
                   rng.choice([None, None, None, rng.randrange(1, n + 1)]) if n else None, loop_c,
                   rng.choice([None] * 5 + [rng.randrange(n)]) if n and loop_c is None else None,
                   rng.choice([0, 0.1, 0.5]), [rng.random() for _ in range(n)])

    def bound(self) -> int:
        """fan_out's look-ahead for this plan (scaled as it scales it under the open-files limit)."""
        wanted = self.ahead if self.ahead is not None else 4 * self.workers
        return max(wanted * workers_for_open_files(self.workers) // self.workers, 1)


class Watchdog:
    """Interrupts the main thread every second once `SAFETY_S` passed without `done()`: a hung run fails."""

    def __init__(self) -> None:
        self.fired = False
        self._done = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        if self._done.wait(SAFETY_S):
            return
        self.fired = True
        while not self._done.wait(1.0):
            _ctrl_c()

    def done(self) -> None:
        self._done.set()


def _ctrl_c() -> None:
    """A real SIGINT to the main thread (it wakes a blocked wait there, as Ctrl-C does)."""
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def _run(plan: Plan) -> tuple[list[Outcome[int, int]], BaseException | None, int]:
    """Drive one plan; the outcomes received, what the loop raised, the most items out at once."""
    lock = threading.Lock()
    drawn = received = most = 0

    def items() -> Any:
        nonlocal drawn, most
        for i in range(plan.n):
            if i == plan.input_fails_at:
                raise InputBroke("input")
            with lock:
                drawn += 1
                most = max(most, drawn - received)
            yield i

    def fn(i: int) -> int:
        if i == plan.ctrl_c_in_fn_at:
            _ctrl_c()
        time.sleep(plan.rolls[i] * 1e-4)
        if plan.rolls[i] < plan.error_rate:
            raise ValueError(i)
        return 2 * i

    got: list[Outcome[int, int]] = []
    raised: BaseException | None = None
    try:
        with closing(fan_out(fn, items(), workers=plan.workers, ahead=plan.ahead, ordered=plan.ordered)) as outs:
            for out in outs:
                with lock:
                    received += 1
                if len(got) == plan.ctrl_c_in_loop_at:
                    _ctrl_c()  # lands here, in the consumer's loop
                got.append(out)
                if plan.stop_at is not None and len(got) >= plan.stop_at:
                    break
    except (KeyboardInterrupt, InputBroke) as exc:
        raised = exc
    return got, raised, most


def _check(plan: Plan, got: list[Outcome[int, int]], raised: BaseException | None, most: int) -> None:
    indexes = [out.index for out in got]
    assert len(set(indexes)) == len(indexes), "an outcome handed over twice"
    for out in got:
        failed = plan.rolls[out.index] < plan.error_rate
        assert out.item == out.index
        assert (type(out.error), out.value) == ((ValueError, None) if failed else (type(None), 2 * out.index))
    if plan.ordered:
        assert indexes == list(range(len(indexes))), "out of order"
    assert most <= plan.bound(), f"{most} items out at once, ahead {plan.bound()}"
    end = plan.n if plan.input_fails_at is None else plan.input_fails_at
    if plan.ctrl_c_in_fn_at is not None:  # it lands wherever the consumer is, or not at all if fn never ran
        assert raised is None or isinstance(raised, (KeyboardInterrupt, InputBroke))
        if plan.stop_at is None and plan.ctrl_c_in_fn_at < end:
            assert isinstance(raised, KeyboardInterrupt), "a worker's Ctrl-C did not reach the consumer"
        return
    if plan.ctrl_c_in_loop_at is not None and plan.ctrl_c_in_loop_at < min(end, plan.stop_at or end + 1):
        assert isinstance(raised, KeyboardInterrupt)
        assert len(got) == plan.ctrl_c_in_loop_at
        return
    assert not isinstance(raised, KeyboardInterrupt)
    if plan.stop_at is not None and plan.stop_at <= end:
        assert len(got) == plan.stop_at
        return
    if plan.input_fails_at is not None:
        assert isinstance(raised, InputBroke), "the input's error was lost"
    else:
        assert raised is None
    assert sorted(indexes) == list(range(end)), "an outcome lost"


@pytest.mark.parametrize("first", range(0, 240, 40))
def test_random_runs_hand_over_every_outcome_once_in_order_and_never_hang(first: int) -> None:
    for seed in range(first, first + 40):
        plan = Plan.draw(seed)
        watchdog = Watchdog()
        try:
            got, raised, most = _run(plan)
            watchdog.done()
        except KeyboardInterrupt:
            watchdog.done()
            if watchdog.fired:
                pytest.fail(f"seed {seed}: fan_out hung ({plan.n} items, {plan.workers} workers)")
            raise
        assert not watchdog.fired, f"seed {seed}: fan_out hung"
        try:
            _check(plan, got, raised, most)
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {exc} ({plan.n} items, {plan.workers} workers, ahead "
                                 f"{plan.ahead}, ordered {plan.ordered})") from None
