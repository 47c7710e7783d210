"""Bandwidth limits (issue 23): the `--bwlimit` language, the token bucket with a fake clock, and that every
upload body and download read of the s3 seam goes through it (against the session's SeaweedFS).

No test here measures time: the limiter's clock is a FakeClock whose sleep() records the wait and moves
time on at once, so the arithmetic is exact whatever the machine's load. The accuracy of the real thing
(mean rate, highest one-second window) is measured by bench/bwlimit_bench.py, not here.
"""

from __future__ import annotations

import io
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from pydantic import SecretStr

from its_store.core import errors as E
from its_store.core.bwlimit import BURST_SECONDS, MAX_CHUNK, Limiter, parse_bwlimit, shared_limiter
from its_store.core.models import DownloadRequest, UploadRequest
from its_store.core.settings import Settings, load_settings

from conftest import ServerInfo, one_line_error
from helpers import random_bytes

KiB, MiB = 1024, 1024 * 1024


class FakeClock:
    """Monotonic seconds from 0 and local wall time from `start`; sleep() records and moves time on."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t = start, 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.monotonic())

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.t += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.t += seconds


MONDAY = datetime(2026, 1, 5)  # a Monday


def at(day: int, hour: int, minute: int = 0, second: float = 0.0) -> datetime:
    """Local time on day `day` (0 = Monday) of one week."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


# -- the language ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "up", "down", "canonical"), [
    ("10M", 10 * MiB, 10 * MiB, "10M"), ("512k", 512 * KiB, 512 * KiB, "512K"), ("512", 512 * KiB, 512 * KiB, "512K"),
    ("100B", 100, 100, "100B"), ("1.5M", 1536 * KiB, 1536 * KiB, "1536K"), ("10MiB", 10 * MiB, 10 * MiB, "10M"),
    ("2g", 2 * 1024 * MiB, 2 * 1024 * MiB, "2G"), ("1M:4M", MiB, 4 * MiB, "1M:4M"),
    ("off:512k", None, 512 * KiB, "off:512K"),
    ("  off ", None, None, "off"), ("10:20", 10 * KiB, 20 * KiB, "10K:20K"),  # rclone's UP:DOWN, not a time
])
def test_rates_are_binary_bytes_per_second_like_rclone(text: str, up: int | None, down: int | None,
                                                       canonical: str) -> None:
    limit = parse_bwlimit(text)
    rate = limit.rate_at(at(2, 12))
    assert (rate.up, rate.down) == (up, down)
    assert str(limit) == canonical and not limit.timetable
    assert parse_bwlimit(canonical) == limit


@pytest.mark.parametrize(("text", "names"), [
    ("10KB", "unknown unit 'KB'"), ("0", "write off"), ("1M:0", "write off"), ("abc", "is not a number"),
    ("1M:2M:3M", "RATE or UP:DOWN"), ("-5M", "is not a number"), ("1e3", "is not a number"), ("", "empty"),
    ("25:00,1M", "out of range"), ("08:60,1M", "out of range"), ("08:00", "not TIME,RATE"),
    ("08:00,1M 08:00,2M", "08:00 appears twice"), ("Xyz-08:00,1M", "day 'Xyz'"), ("08:00-1M", "not TIME,RATE"),
    ("08:00,1M 1M", "not TIME,RATE"), ("08:00,1M,2M", "is not a number"), ("9999999T", "above 1 PiB"),
])
def test_bad_forms_are_one_line_naming_the_part(text: str, names: str) -> None:
    with pytest.raises(E.InvalidInputError) as caught:
        parse_bwlimit(text)
    assert caught.value.exit_code == E.EXIT_USAGE
    assert names in caught.value.message and "\n" not in caught.value.message
    assert caught.value.message.startswith("bandwidth limit ")


def test_timetable_day_boundaries() -> None:
    limit = parse_bwlimit("08:00,1M 19:00,off")
    assert limit.timetable and str(limit) == "08:00,1M 19:00,off"
    expected = {(7, 59): None, (8, 0): MiB, (18, 59): MiB, (19, 0): None, (23, 59): None, (0, 0): None}
    for day in range(7):
        for (hour, minute), rate in expected.items():
            assert limit.rate_at(at(day, hour, minute)).up == rate, (day, hour, minute)
    assert limit.rate_at(at(0, 7, 59, 59.999)).down is None  # the minute, not the second after
    assert limit.rate_at(at(0, 8, 0, 0.0)).down == MiB


def test_timetable_weekday_boundaries_wrap_around_the_week() -> None:
    limit = parse_bwlimit("Mon-08:00,512k Sat-00:00,off")
    cases = [(at(0, 7, 59), None),  # before Monday's entry: Saturday's, from the week before
             (at(0, 8, 0), 512 * KiB), (at(2, 3, 0), 512 * KiB), (at(4, 23, 59), 512 * KiB),
             (at(5, 0, 0), None), (at(6, 23, 59), None), (at(7, 8, 0), 512 * KiB)]  # day 7: next Monday
    for when, rate in cases:
        assert limit.rate_at(when).up == rate, when
    assert str(parse_bwlimit("monday-08:00,512K SATURDAY-00:00,off")) == str(limit)


def test_a_days_own_entry_beats_an_every_day_one_and_up_down_per_slot() -> None:
    limit = parse_bwlimit("Sat-08:00,off 08:00,1M:4M 19:00,off:512k")
    assert (limit.rate_at(at(1, 9)).up, limit.rate_at(at(1, 9)).down) == (MiB, 4 * MiB)
    assert (limit.rate_at(at(1, 20)).up, limit.rate_at(at(1, 20)).down) == (None, 512 * KiB)
    assert (limit.rate_at(at(5, 9)).up, limit.rate_at(at(5, 9)).down) == (None, None)  # Saturday's own
    assert limit.rate_at(at(6, 9)).up == MiB  # Sunday: every day's


# -- the bucket ------------------------------------------------------------------------------------

def test_sleeps_add_up_to_size_over_rate_after_the_burst() -> None:
    clock = FakeClock(at(0, 12))
    limiter = Limiter(parse_bwlimit("1M"), clock)
    for _ in range(80):  # 5 MiB in 64 KiB steps
        limiter.take("up", 64 * KiB)
    burst = MiB * BURST_SECONDS
    assert limiter.moved == {"up": 5 * MiB, "down": 0}
    assert sum(clock.sleeps) == pytest.approx((5 * MiB - burst) / MiB, abs=1e-9)
    assert limiter.slept["up"] == pytest.approx(sum(clock.sleeps))
    assert max(clock.sleeps) <= 64 * KiB / MiB + 1e-9
    limiter.take("down", 64 * KiB)  # the other direction has its own bucket, still full
    assert len(clock.sleeps) == 80 - int(burst // (64 * KiB))


def test_no_one_second_window_above_the_burst_bound_with_threads() -> None:
    """Four threads taking steps of one chunk: in fake time, no one-second window carries more than
    rate x (1 + BURST_SECONDS) + one chunk (below the issue's 1.5 x)."""
    clock = FakeClock(at(0, 12))
    rate = 2 * MiB
    limiter = Limiter(parse_bwlimit("2M"), clock)
    done: list[tuple[float, int]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(60):
            n = limiter.chunk("up")
            limiter.take("up", n)
            with lock:
                done.append((clock.monotonic(), n))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(n for _, n in done)
    assert total == limiter.moved["up"] == 4 * 60 * MAX_CHUNK
    done.sort()
    worst = max(sum(n for t, n in done if start <= t < start + 1.0) for start, _ in done)
    assert worst <= rate * (1 + BURST_SECONDS) + MAX_CHUNK < 1.5 * rate
    assert clock.t == pytest.approx((total - rate * BURST_SECONDS) / rate, abs=4 * MAX_CHUNK / rate)


def test_a_slow_rate_paces_in_steps_of_its_burst() -> None:
    clock = FakeClock(at(0, 12))
    limiter = Limiter(parse_bwlimit("1K"), clock)
    assert limiter.chunk("up") == 256  # 1 KiB/s x 0.25 s: a 64 KiB step would be a minute's budget at once
    limiter.take("up", 1)
    assert limiter.chunk("up") == 256
    assert Limiter(parse_bwlimit("08:00,1K 19:00,off"), FakeClock(at(0, 9))).chunk("down") == 256
    assert Limiter(parse_bwlimit("off:1K"), clock).chunk("up") == MAX_CHUNK


def test_off_one_way_never_sleeps_that_way() -> None:
    clock = FakeClock(at(0, 12))
    limiter = Limiter(parse_bwlimit("off:1M"), clock)
    for _ in range(100):
        limiter.take("up", MAX_CHUNK)
    assert clock.sleeps == [] and limiter.moved["up"] == 100 * MAX_CHUNK
    for _ in range(20):
        limiter.take("down", MAX_CHUNK)
    assert sum(clock.sleeps) == pytest.approx((20 * MAX_CHUNK - MiB * BURST_SECONDS) / MiB)


def test_a_timetable_change_takes_effect_while_waiting() -> None:
    """At 18:59:59.9 a step needs a quarter second at 1 KiB/s; at 19:00 the limit is off: the wait ends
    at the boundary, not after the quarter second (no restart, no step at the old rate)."""
    clock = FakeClock(at(4, 18, 59, 59.9))
    limiter = Limiter(parse_bwlimit("08:00,1K 19:00,off"), clock)
    limiter.take("up", 256)  # the full bucket
    limiter.take("up", 256)
    assert sum(clock.sleeps) == pytest.approx(0.1, abs=1e-5)
    assert clock.now() >= at(4, 19)
    limiter.take("up", 10 * MiB)  # off now
    assert sum(clock.sleeps) == pytest.approx(0.1, abs=1e-5)


def test_from_off_to_a_limit_and_across_midnight_into_saturday() -> None:
    clock = FakeClock(at(4, 23, 59, 59.5))  # Friday night
    limiter = Limiter(parse_bwlimit("Mon-00:00,off Sat-00:00,1K"), clock)
    limiter.take("down", 10 * MiB)
    assert clock.sleeps == []
    clock.advance(0.5)  # Saturday 00:00: 1 KiB/s, starting with a full bucket
    limiter.take("down", 256)
    assert clock.sleeps == []
    limiter.take("down", 256)
    assert sum(clock.sleeps) == pytest.approx(0.25)
    clock.advance(2 * 24 * 3600)  # Monday 00:00: off again
    limiter.take("down", 10 * MiB)
    assert sum(clock.sleeps) == pytest.approx(0.25)


def test_one_limiter_per_process_and_limit() -> None:
    first = shared_limiter("977M")
    assert first is not None
    assert shared_limiter("977m") is first and shared_limiter(parse_bwlimit("1000448K")) is first
    assert shared_limiter("977M:977M") is first
    assert shared_limiter("976M") is not first
    assert shared_limiter(None) is None and shared_limiter("off") is None and shared_limiter("08:00,off") is None
    assert shared_limiter("08:00,977M 20:00,off") is not first


# -- configuration ---------------------------------------------------------------------------------

def test_settings_check_and_keep_the_canonical_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(bwlimit="1024k").bwlimit == "1M" and Settings().bwlimit is None
    with pytest.raises(E.InvalidInputError, match="bandwidth limit 'fast'"):
        Settings(bwlimit="fast")
    for name in [n for n in os.environ if n.startswith("MINIO_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MINIO_BWLIMIT=3M\n")
    assert load_settings().bwlimit == "3M"                     # file
    monkeypatch.setenv("MINIO_BWLIMIT", "2M")
    assert load_settings().bwlimit == "2M"                     # env > file
    assert load_settings(bwlimit="1M").bwlimit == "1M"         # flag > env
    monkeypatch.setenv("MINIO_BWLIMIT", "08:00,1M 25:00,off")
    with pytest.raises(E.ConfigError) as caught:
        load_settings()
    assert caught.value.exit_code == E.EXIT_CONFIG
    assert caught.value.message.startswith("MINIO_BWLIMIT: bandwidth limit '08:00,1M 25:00,off': time '25:00'")


def test_cli_bad_forms_are_one_line_with_exit_codes(cli: Any) -> None:
    run = cli("--bwlimit", "10KB", "ls")
    assert run.exit_code == E.EXIT_USAGE
    assert "unknown unit 'KB'" in one_line_error(run)
    run = cli("ls", extra_env={"MINIO_BWLIMIT": "Mon-8:00"})
    assert run.exit_code == E.EXIT_CONFIG
    assert one_line_error(run).startswith("its-store: error: MINIO_BWLIMIT: bandwidth limit 'Mon-8:00': timetable "
                                          "entry 'Mon-8:00' is not TIME,RATE")
    run = cli("--bwlimit", "512k:4M", "--json", "config", extra_env={"MINIO_BWLIMIT": "off"})
    assert run.exit_code == 0 and run.json()["MINIO_BWLIMIT"] == "512K:4M"


def test_the_cli_flag_paces_the_commands_transfers(cli: Any, bucket: str, tmp_path: Path) -> None:
    """The flag reaches the s3 seam: the process's limiter for it counts the bytes of an upload and a
    download (a rate so high that nothing waits; the waits are the fake-clock tests' business)."""
    limiter = shared_limiter("1000M")
    assert limiter is not None
    before = dict(limiter.moved)
    src = tmp_path / "frame.bin"
    src.write_bytes(random_bytes(300_000, seed=3))
    assert cli("--bwlimit", "1000M", "upload", str(src), f"s3://{bucket}/f.bin", "--compress", "none").exit_code == 0
    assert cli("--bwlimit", "1000m", "get", f"s3://{bucket}/f.bin", str(tmp_path / "back.bin")).exit_code == 0
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert limiter.moved["up"] - before["up"] >= 300_000
    assert limiter.moved["down"] - before["down"] == 300_000


# -- applied end to end ----------------------------------------------------------------------------

def _port(endpoint: str) -> int:
    return int(endpoint.rpartition(":")[2])


def _settings(server: ServerInfo, endpoint: str, tmp_path: Path, **more: Any) -> Settings:
    return Settings(endpoint=endpoint, access_key=server.access_key, secret_key=SecretStr(server.secret_key),
                    cache_dir=tmp_path / "state", audit_log=tmp_path / "state" / "audit.log",
                    multipart_threshold=5 * MiB, part_size=5 * MiB, max_workers=3, max_retries=3, **more)


def test_uploads_and_downloads_are_paced_end_to_end(s3_server: ServerInfo, bucket: str, tmp_path: Path) -> None:
    """Multipart parts on three threads, a single PUT, a streamed upload, parallel ranged GETs, a streamed
    GET and a plain read, through one client with an 8 MiB/s limiter on a fake clock, behind a proxy
    that counts the request body bytes that reached the server: the limiter counted exactly those, and
    the exact object bytes read; its sleeps add up to (bytes - burst) / rate."""
    from its_store import StorageService
    from its_store.s3.client import S3Client
    rate = 8 * MiB
    clock = FakeClock(at(0, 12))
    limiter = Limiter(parse_bwlimit("8M"), clock)
    big, small = random_bytes(13 * MiB, seed=1), random_bytes(MiB + 7, seed=2)
    (tmp_path / "big.bin").write_bytes(big)
    with FaultProxy(_port(s3_server.endpoint)) as proxy:
        s3 = S3Client(_settings(s3_server, proxy.endpoint, tmp_path), limiters=[limiter])
        svc = StorageService(s3.settings, s3=s3)
        try:
            svc.upload_object(UploadRequest(bucket=bucket, key="big", file_path=tmp_path / "big.bin",
                                            compression="none"))
            svc.upload_object(UploadRequest(bucket=bucket, key="small", data=small, compression="none"))
            svc.upload_object(UploadRequest(bucket=bucket, key="streamed", stream=io.BytesIO(small),
                                            compression="none"))
            sent = proxy.counters.body_bytes_up
            assert limiter.moved["up"] == sent
            assert 13 * MiB + 2 * len(small) <= sent < 13 * MiB + 2 * len(small) + 4 * KiB  # + the XML of Complete
            svc.download_object(DownloadRequest(bucket=bucket, key="big", file_path=tmp_path / "back.bin"))
            out = io.BytesIO()
            svc.download_to_stream(bucket, "big", out)
            with s3.get(bucket, "small") as body:
                assert body.read() == small
        finally:
            svc.close()
            s3.close()
    assert (tmp_path / "back.bin").read_bytes() == big and out.getvalue() == big
    assert limiter.moved["down"] == 2 * len(big) + len(small)
    burst = rate * BURST_SECONDS
    for direction in ("up", "down"):
        assert limiter.slept[direction] * rate == pytest.approx(limiter.moved[direction] - burst, abs=3 * MAX_CHUNK)
    assert sum(clock.sleeps) == pytest.approx(limiter.slept["up"] + limiter.slept["down"])


def test_a_resent_body_is_sent_whole_and_paid_again(s3_server: ServerInfo, bucket: str, tmp_path: Path) -> None:
    """The proxy resets the first PUT in the middle of its body; urllib3 sends the same body object again:
    it must iterate from the start (a one-shot generator would send nothing and leave the server waiting)."""
    from its_store.s3.client import S3Client
    clock = FakeClock(at(0, 12))
    limiter = Limiter(parse_bwlimit("16M"), clock)
    data = random_bytes(2 * MiB, seed=4)
    with FaultProxy(_port(s3_server.endpoint), reset_rate=0.5, seed=SEED_RESET_THEN_PASS) as proxy:
        s3 = S3Client(_settings(s3_server, proxy.endpoint, tmp_path, read_timeout=20.0), limiters=[limiter])
        try:
            s3.put(bucket, "again", data, {})
            assert proxy.counters.resets == 1 and proxy.counters.body_bytes_up == len(data)
            proxy.set(reset_rate=0.0)
            with s3.get(bucket, "again") as body:
                assert body.read() == data
        finally:
            s3.close()
    assert len(data) < limiter.moved["up"] <= 2 * len(data)


def _seed_reset_then_pass() -> int:
    """A FaultProxy seed whose first roll resets (< 0.5) and whose second lets through (>= 0.5)."""
    import random
    return next(s for s in range(100) if (r := random.Random(s)).random() < 0.5 <= r.random())


SEED_RESET_THEN_PASS = _seed_reset_then_pass()
