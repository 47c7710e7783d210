"""`auto` compression's trial (codec.compression.decide_auto) compresses each file's first 64 KiB with a
zstd compressor kept per thread instead of a new one per file: the trial's bytes, and so every decision,
must stay those of a fresh compressor (compress_bytes at level 1), whatever ran on that thread before and
on whichever thread it runs."""

from __future__ import annotations

import os
import random
import threading

from its_store.codec import compression as C


def _samples() -> list[bytes]:
    rng = random.Random(22)
    text = b"camera_id,frame,plate\n" + b"".join(b"cam-%03d,%d,AB%04d\n" % (i % 7, i, i) for i in range(4000))
    edge = bytes(rng.getrandbits(8) if i % 9 else 0 for i in range(C.SAMPLE))  # near the 10 % line
    return [b"", b"x", os.urandom(C.SAMPLE), text[:C.SAMPLE], bytes(C.SAMPLE), edge, os.urandom(1000) * 70,
            rng.randbytes(C.SAMPLE // 2) + bytes(C.SAMPLE // 2), text[:5000]]


def _fresh(sample: bytes) -> bytes:
    return C.compress_bytes(sample, C.CODECS["zstd"], 1)


def test_the_kept_compressor_gives_a_fresh_ones_bytes_in_any_order() -> None:
    samples = _samples()
    for order in (samples, samples[::-1], samples * 2):
        for sample in order:
            assert C._trial(sample) == _fresh(sample)
    for sample in samples:
        size = len(sample) * 2 + 2048
        assert C.decide_auto(sample, None, size) == C.decide_auto(sample, None, size)


def test_each_thread_keeps_its_own_and_gives_the_same_bytes() -> None:
    samples = _samples()
    want = [_fresh(s) for s in samples]
    got: dict[int, list[bytes]] = {}
    kept: dict[int, object] = {}
    start = threading.Barrier(4)

    def run(n: int) -> None:
        start.wait()
        got[n] = [C._trial(s) for s in samples * 3][: len(samples)]
        kept[n] = C._TRIAL.zstd

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(got[n] == want for n in range(4))
    assert len({id(k) for k in kept.values()}) == 4  # never shared between threads


def test_the_trial_keeps_one_compressor_per_thread() -> None:
    C.decide_auto(os.urandom(C.SAMPLE), None, 100_000)
    first = C._TRIAL.zstd
    C.decide_auto(b"a" * C.SAMPLE, None, 100_000)
    assert C._TRIAL.zstd is first
