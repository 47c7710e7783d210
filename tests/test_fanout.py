"""transfer/fanout.py, the one fan-out helper (no server): order, per-item errors, the look-ahead bound
(counted, never timed), the input's own failure, and a clean stop on Ctrl-C from the consumer or a worker.

Nothing here waits on time: threads meet on events; the 60 s timeouts are only a safety net."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest

from its_store.transfer.fanout import Outcome, fan_out

SAFETY = 60.0
NAME = "its-fan-test"


def fan_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(NAME)]


class Counted:
    """An input that counts what was taken from it and checks the look-ahead bound at each take:
    taken - consumed must never pass `ahead` (consumed is counted by the test's loop)."""

    def __init__(self, n: int, ahead: int) -> None:
        self.n, self.ahead = n, ahead
        self.taken = self.consumed = self.most = 0
        self.lock = threading.Lock()
        self.full = threading.Event()

    def __iter__(self) -> Iterator[int]:
        for i in range(self.n):
            with self.lock:
                self.taken += 1
                self.most = max(self.most, self.taken - self.consumed)
                if self.taken - self.consumed == self.ahead:
                    self.full.set()
            yield i

    def consume(self) -> None:
        with self.lock:
            self.consumed += 1


def test_outcomes_in_input_order_even_when_items_finish_out_of_order():
    third_done = threading.Event()

    def fn(i: int) -> int:
        if i == 0:
            assert third_done.wait(SAFETY)  # item 0 finishes only after item 3
        if i == 3:
            third_done.set()
        return i * 10

    outs = list(fan_out(fn, range(50), workers=4, name=NAME))
    assert [o.index for o in outs] == list(range(50))
    assert [o.value for o in outs] == [i * 10 for i in range(50)]
    assert all(o.ok and o.item == o.index for o in outs)


def test_as_completed_gives_the_first_finished_first():
    third_done = threading.Event()

    def fn(i: int) -> int:
        if i == 0:
            assert third_done.wait(SAFETY)
        return i

    outs = []
    for out in fan_out(fn, range(4), workers=4, ordered=False, name=NAME):
        outs.append(out.index)
        if out.index == 3:
            third_done.set()
    assert sorted(outs) == [0, 1, 2, 3]
    assert outs.index(3) < outs.index(0)


def test_per_item_errors_are_outcomes_never_raised_nor_lost():
    def fn(i: int) -> int:
        if i % 3 == 0:
            raise ValueError(f"bad {i}")
        return i

    outs = list(fan_out(fn, range(30), workers=3, name=NAME))
    assert len(outs) == 30
    failed = [o for o in outs if not o.ok]
    assert [o.index for o in failed] == list(range(0, 30, 3))
    assert all(isinstance(o.error, ValueError) and str(o.error) == f"bad {o.index}" for o in failed)
    assert all(o.result() == o.index for o in outs if o.ok)
    with pytest.raises(ValueError, match="bad 0"):
        outs[0].result()


@pytest.mark.parametrize("ordered", [True, False])
def test_never_more_than_ahead_items_taken_and_not_handed_back(ordered: bool):
    ahead = 5
    source = Counted(2000, ahead)
    running = 0
    most_running = 0
    lock = threading.Lock()

    def fn(i: int) -> int:
        nonlocal running, most_running
        with lock:
            running += 1
            most_running = max(most_running, running)
        with lock:
            running -= 1
        return i

    seen = 0
    for out in fan_out(fn, source, workers=3, ahead=ahead, ordered=ordered, name=NAME):
        if seen == 0:  # the consumer holds the first outcome: the workers fill the look-ahead, no further
            assert source.full.wait(SAFETY)
        assert out.ok
        seen += 1
        source.consume()
    assert seen == 2000 and source.taken == 2000
    assert source.most == ahead
    assert most_running <= 3


def test_the_inputs_own_failure_comes_after_the_items_taken_before_it():
    def items() -> Iterator[int]:
        yield from range(7)
        raise RuntimeError("listing broke")

    got = []
    with pytest.raises(RuntimeError, match="listing broke"):
        for out in fan_out(lambda i: i, items(), workers=3, name=NAME):
            got.append(out.value)
    assert got == list(range(7))
    assert not fan_threads()


def test_empty_input_and_more_workers_than_items():
    assert list(fan_out(lambda i: i, [], workers=4, name=NAME)) == []
    assert [o.value for o in fan_out(lambda i: i + 1, [1, 2], workers=16, name=NAME)] == [2, 3]
    assert not fan_threads()


def test_ctrl_c_in_the_consumers_loop_starts_nothing_more_and_leaves_no_thread():
    ahead = 4
    source = Counted(10_000, ahead)
    started = 0
    lock = threading.Lock()

    def fn(i: int) -> int:
        nonlocal started
        with lock:
            started += 1
        return i

    seen = 0
    with pytest.raises(KeyboardInterrupt):
        for _ in fan_out(fn, source, workers=2, ahead=ahead, name=NAME):
            seen += 1
            source.consume()
            if seen == 10:
                raise KeyboardInterrupt
    assert not fan_threads()  # joined before the interrupt reached this frame
    assert started <= seen + ahead and source.taken <= seen + ahead


def test_ctrl_c_while_the_consumer_waits_inside_the_helper():
    """A real SIGINT while the consumer is blocked waiting for an outcome: it is raised there, pending
    items are not started and no thread is left behind."""
    ahead = 4
    started = 0
    lock = threading.Lock()
    release = threading.Event()

    def fn(i: int) -> int:
        nonlocal started
        with lock:
            started += 1
        if i == 0:
            os.kill(os.getpid(), signal.SIGINT)  # the consumer waits for item 0 (ordered): it gets it there
            release.wait(SAFETY)
        return i

    def interrupted(*_: object) -> None:
        release.set()
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in fan_out(fn, range(10_000), workers=2, ahead=ahead, name=NAME):
                pass
    finally:
        signal.signal(signal.SIGINT, old)
    assert not fan_threads()
    assert started <= ahead


def test_ctrl_c_raised_in_a_worker_reaches_the_consumer_and_stops_the_rest():
    ahead = 6
    started = 0
    lock = threading.Lock()

    def fn(i: int) -> int:
        nonlocal started
        with lock:
            started += 1
        if i == 2:
            raise KeyboardInterrupt
        return i

    seen = []
    with pytest.raises(KeyboardInterrupt):
        for out in fan_out(fn, range(100_000), workers=3, ahead=ahead, name=NAME):
            seen.append(out.index)
    assert not fan_threads()
    assert started <= len(seen) + ahead
    assert 2 not in seen


def test_break_and_close_stop_the_workers():
    outs = fan_out(lambda i: i, range(100_000), workers=2, ahead=3, name=NAME)
    with closing(outs):
        first = next(outs)
    assert isinstance(first, Outcome) and first.value == 0
    assert not fan_threads()
    for out in fan_out(lambda i: i, range(100_000), workers=2, ahead=3, name=NAME):
        if out.index == 5:
            break
    assert not fan_threads()


def test_initializer_runs_once_in_each_worker():
    names: list[str] = []
    lock = threading.Lock()

    def init() -> None:
        with lock:
            names.append(threading.current_thread().name)

    assert len(list(fan_out(lambda i: i, range(20), workers=3, name=NAME, initializer=init))) == 20
    assert sorted(names) == [f"{NAME}-0", f"{NAME}-1", f"{NAME}-2"]


def voluntary_switches(tid: int) -> int:
    """The kernel's count of times thread `tid` of this process gave up the CPU to wait (Linux)."""
    with open(f"/proc/self/task/{tid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("voluntary_ctxt_switches"))


def test_in_order_the_consumer_is_woken_for_the_item_whose_turn_it_is_not_for_each_item():
    # items 1..N-1 finish while item 0 still runs: the consumer, waiting for item 0, is woken by item 0 (and
    # the workers leaving), not once per item finished before it (a count of the kernel's, not a time)
    n = 400
    rest_done, lock, done = threading.Event(), threading.Lock(), [0]

    def fn(i: int) -> int:
        if i == 0:
            assert rest_done.wait(SAFETY)
        else:
            time.sleep(0.001)  # blocks as a request does: the items finish one by one, not in one burst
            with lock:
                done[0] += 1
                if done[0] == n - 1:
                    rest_done.set()
        return i

    me = threading.get_native_id()
    before = voluntary_switches(me)
    outs = [o.index for o in fan_out(fn, range(n), workers=4, ahead=n, name=NAME)]
    woken = voluntary_switches(me) - before
    assert outs == list(range(n))
    assert woken < n // 8, f"the consumer was woken {woken} times for {n} items"  # before: 374-432
