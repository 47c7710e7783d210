"""Bandwidth limits: the `--bwlimit` / MINIO_BWLIMIT language, and the one token bucket per direction per process.

The language is rclone's (`--bwlimit`), so that a timetable written for rclone means the same here:

- a rate: `10M`, `512k`, `1.5M`, `100B`, or `off` (no limit). Bytes per second, binary: B = 1, K = 1024,
  M = 1024², G = 1024³, T = 1024⁴, in either case, optionally followed by `i` or `iB` (`10Mi`, `10MiB`); a
  bare number is KiB/s, as in rclone (`512` = 512 KiB/s). `KB`/`MB` are refused: elsewhere in its-store
  they are decimal, and rclone refuses them too. `0` is refused (write `off`): rclone reads it as "no
  limit", which a reader could take for "nothing".
- `UP:DOWN`: separate rates for uploads (request bodies) and downloads (object reads): `1M:10M`,
  `off:512k`.
- a timetable: entries `TIME,RATE` separated by blanks, TIME being `HH:MM` (every day) or `Day-HH:MM`
  (`Mon`..`Sun`, or the full name): `"08:00,1M 19:00,off"`, `"Mon-08:00,512k Sat-00:00,off"`, and
  `UP:DOWN` per entry (`"07:00,512k:4M 20:00,off"`). An entry is in force from its time until the next
  one; before the first entry of the week the last one is (it wraps around, as in rclone). An every-day
  entry applies to each day, and a day's own entry at the same time beats it. Local time.

A bad form is one InvalidInputError line (exit 2; settings turn it into ConfigError, exit 78).

The limiter (Limiter) is a token bucket per direction, shared by every thread, part and object of the
process (`shared_limiter()`: one per distinct limit). Its burst is BURST_SECONDS of the rate, and a
paced stream moves at most `chunk()` bytes per step (64 KiB, less when the burst is smaller), so that
no one-second window carries more than (1 + BURST_SECONDS) x the rate plus one chunk (1.25x + 64 KiB).
The timetable is read again at each step, and a wait never sleeps past the next whole minute, so a
change of slot takes effect while transfers run, without a restart. Time comes from an injectable
Clock (monotonic time, local wall time, sleep): tests use a fake one.

Pure: no network, no heavy import (the s3 seam wraps request bodies and object reads with it).
"""

from __future__ import annotations

import os
import re
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from its_store.core.errors import InvalidInputError
from its_store.core.units import shown

__all__ = ["BURST_SECONDS", "MAX_CHUNK", "BwLimit", "Clock", "Direction", "Limiter", "Rate", "Slot",
           "SystemClock", "parse_bwlimit", "shared_limiter"]

Direction = Literal["up", "down"]
BURST_SECONDS = 0.25  # the bucket holds this much of the rate: bursts stay well under 1.5x in any second
MAX_CHUNK = 64 * 1024  # bytes paced per step (a send or a read)
MAX_SLICE = 0.5  # seconds: the longest single sleep (a timetable change or "off" is seen this soon)
MAX_RATE = 2**50  # 1 PiB/s: beyond is a typo (and floats stay exact)
HINT = "e.g. 10M, 512k:4M, off, \"08:00,1M 19:00,off\" (bytes/s, binary units; a bare number is KiB/s)"

_UNITS: dict[str, int] = {"": 1024, "b": 1,
                          **{p + s: 1024 ** (i + 1) for i, p in enumerate("kmgt") for s in ("", "i", "ib")}}
_VALUE = re.compile(r"(\d{1,15}(?:\.\d{1,9})?)([a-z]*)", re.ASCII | re.IGNORECASE)
_TIME = re.compile(r"(?:([a-z]+)-)?(\d{1,2}):(\d{2})", re.ASCII | re.IGNORECASE)
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class Rate:
    """Bytes per second up (request bodies) and down (object reads); None: no limit that way."""

    up: int | None
    down: int | None

    def of(self, direction: Direction) -> int | None:
        return self.up if direction == "up" else self.down

    def __str__(self) -> str:
        up, down = _shown_rate(self.up), _shown_rate(self.down)
        return up if up == down else f"{up}:{down}"


@dataclass(frozen=True, slots=True)
class Slot:
    """One timetable entry: from `minute` of the day (0..1439) on `day` (0 = Monday .. 6 = Sunday; None:
    every day), `rate` is in force."""

    day: int | None
    minute: int
    rate: Rate

    def __str__(self) -> str:
        when = f"{self.minute // 60:02d}:{self.minute % 60:02d}"
        return f"{_DAYS[self.day][:3].title()}-{when}" if self.day is not None else when


@dataclass(frozen=True)
class BwLimit:
    """A parsed `--bwlimit`: one rate (`timetable` False, a single slot), or a weekly timetable. Equal limits
    compare equal (and share one Limiter per process). `str()` is the canonical form."""

    slots: tuple[Slot, ...]
    timetable: bool = False
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)  # minute of the week, sorted
    _rates: tuple[Rate, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        week: dict[int, Rate] = {}
        for slot in sorted(self.slots, key=lambda s: s.day is not None):  # a day's own entry comes last: wins
            for day in range(7) if slot.day is None else (slot.day,):
                week[day * _MINUTES_PER_DAY + slot.minute] = slot.rate
        starts = tuple(sorted(week))
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_rates", tuple(week[s] for s in starts))

    @property
    def constant(self) -> bool:
        """One rate at every time (no need to read the wall clock)."""
        return len(set(self._rates)) == 1

    @property
    def off(self) -> bool:
        """No limit at any time, either way."""
        return all(r.up is None and r.down is None for r in self._rates)

    def rate_at(self, when: datetime) -> Rate:
        """The rate in force at local time `when`."""
        minute = when.weekday() * _MINUTES_PER_DAY + when.hour * 60 + when.minute
        return self._rates[bisect_right(self._starts, minute) - 1]  # -1: before the first, the week's last

    def __str__(self) -> str:
        if not self.timetable:
            return str(self.slots[0].rate)
        return " ".join(f"{slot},{slot.rate}" for slot in self.slots)


def parse_bwlimit(text: str) -> BwLimit:
    """`text` as a bandwidth limit (module docstring), else InvalidInputError: one line naming the bad part."""
    words = str(text).split()
    if not words:
        raise _bad(text, "it is empty")
    if len(words) == 1 and "," not in words[0]:
        try:
            return BwLimit((Slot(None, 0, _rate(words[0], text)),))  # "10:20" is 10K:20K, as in rclone
        except InvalidInputError:
            if _TIME.match(words[0]):  # "08:00", "Mon-08:00 1M": a timetable entry, written wrong
                raise _bad(text, f"timetable entry {shown(words[0])} is not TIME,RATE (e.g. 08:00,1M)") from None
            raise
    slots: dict[tuple[int | None, int], Slot] = {}
    for word in words:
        when, sep, rate = word.partition(",")
        if not sep:
            raise _bad(text, f"timetable entry {shown(word)} is not TIME,RATE (e.g. 08:00,1M)")
        slot = Slot(*_when(when, text), _rate(rate, text))
        if (slot.day, slot.minute) in slots:
            raise _bad(text, f"{slot} appears twice")
        slots[(slot.day, slot.minute)] = slot
    return BwLimit(tuple(slots.values()), timetable=True)


def _when(text: str, whole: str) -> tuple[int | None, int]:
    found = _TIME.fullmatch(text)
    if found is None:
        raise _bad(whole, f"time {shown(text)} is not HH:MM or Day-HH:MM (e.g. Mon-08:00)")
    name, hour, minute = found.group(1), int(found.group(2)), int(found.group(3))
    if hour > 23 or minute > 59:
        raise _bad(whole, f"time {shown(text)} is out of range (00:00..23:59)")
    day = None
    if name is not None:
        days = [i for i, d in enumerate(_DAYS) if name.lower() in (d, d[:3])]
        if not days:
            raise _bad(whole, f"day {shown(name)} is not one of Mon, Tue, Wed, Thu, Fri, Sat, Sun")
        day = days[0]
    return day, hour * 60 + minute


def _rate(text: str, whole: str) -> Rate:
    """RATE or UP:DOWN."""
    parts = text.split(":")
    if len(parts) > 2:
        raise _bad(whole, f"rate {shown(text)} is not RATE or UP:DOWN (e.g. 1M:10M)")
    values = [_value(part, text, whole) for part in parts]
    return Rate(values[0], values[-1])


def _value(text: str, rate: str, whole: str) -> int | None:
    """Bytes per second, or None for `off`; `rate` is the RATE or UP:DOWN it is part of."""
    if text.lower() == "off":
        return None
    where = f"rate {shown(rate)}" if text == rate else f"rate {shown(rate)}: {shown(text)}"
    found = _VALUE.fullmatch(text)
    if found is None:
        raise _bad(whole, f"{where} is not a number with an optional unit (B, K, M, G, T), nor off")
    unit = _UNITS.get(found.group(2).lower())
    if unit is None:
        raise _bad(whole, f"{where}: unknown unit {found.group(2)!r} (use B, K, M, G or T: binary; KB and MB "
                          "are not taken)")
    value = round(float(found.group(1)) * unit)
    if value < 1:
        raise _bad(whole, f"{where} is below 1 byte per second (write off for no limit)")
    if value > MAX_RATE:
        raise _bad(whole, f"{where} is above 1 PiB per second")
    return value


def _bad(text: str, reason: str) -> InvalidInputError:
    return InvalidInputError(f"bandwidth limit {shown(text, 60)}: {reason}", hint=HINT)


def _shown_rate(value: int | None) -> str:
    if value is None:
        return "off"
    for suffix, unit in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if value % unit == 0:
            return f"{value // unit}{suffix}"
    return f"{value}B"


# -- time --------------------------------------------------------------------------------------------

class Clock(Protocol):
    """Where a Limiter reads time and waits: monotonic seconds for the bucket, local wall time for the
    timetable, and a sleep."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: time.monotonic, datetime.now (local, as a timetable is written), time.sleep."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# -- the bucket --------------------------------------------------------------------------------------

class _Bucket:
    __slots__ = ("rate", "stamp", "tokens")

    def __init__(self) -> None:
        self.rate: int | None = None  # the rate last seen; None: unlimited (or not used yet)
        self.tokens = 0.0
        self.stamp = 0.0


class Limiter:
    """A token bucket per direction for one BwLimit, thread-safe (module docstring). `moved` counts the
    bytes taken each way, `slept` the seconds waited (the sum of the sleeps asked for)."""

    def __init__(self, limit: BwLimit, clock: Clock | None = None) -> None:
        self.limit = limit
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {"up": _Bucket(), "down": _Bucket()}
        self._constant = limit.slots[0].rate if limit.constant else None
        self.moved: dict[str, int] = {"up": 0, "down": 0}
        self.slept: dict[str, float] = {"up": 0.0, "down": 0.0}
        from its_store.core import forks
        forks.renew_in_child(self._renew)

    def _renew(self) -> None:
        """A forked child has its own budget, and a lock no thread of it holds."""
        self._lock = threading.Lock()

    def chunk(self, direction: Direction) -> int:
        """How many bytes one paced step (a send, a read) moves: MAX_CHUNK, or the burst when smaller (at
        the rate last seen; before any, at the rate now)."""
        rate = self._buckets[direction].rate
        if rate is None:
            rate = (self._constant or self.limit.rate_at(self.clock.now())).of(direction)
        return MAX_CHUNK if rate is None else max(1, min(MAX_CHUNK, int(rate * BURST_SECONDS)))

    def take(self, direction: Direction, n: int) -> None:
        """Wait until `n` bytes may move `direction`, then count them. A step larger than the burst goes
        when the bucket is full, and leaves it in debt (the next steps wait for it)."""
        bucket = self._buckets[direction]
        while True:
            with self._lock:
                wait = self._try(bucket, direction, n)
                if wait <= 0:
                    self.moved[direction] += n
                    return
                self.slept[direction] += wait
            self.clock.sleep(wait)

    def _try(self, bucket: _Bucket, direction: Direction, n: int) -> float:
        """Under the lock: take `n` tokens and answer 0, or answer how long to sleep before trying again."""
        now = self.clock.monotonic()
        wall = None
        if self._constant is not None:
            rate = self._constant.of(direction)
        else:
            wall = self.clock.now()
            rate = self.limit.rate_at(wall).of(direction)
        if rate is None:
            bucket.rate = None
            return 0.0
        burst = max(1.0, rate * BURST_SECONDS)
        if bucket.rate is None:  # first use, or the end of an "off" slot: a full bucket
            bucket.tokens = burst
        else:
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.rate, bucket.stamp = rate, now
        need = min(n, burst)
        if bucket.tokens >= need:
            bucket.tokens -= n
            return 0.0
        wait = min((need - bucket.tokens) / rate, MAX_SLICE)
        if wall is not None:  # wake at the next whole minute: a timetable slot may start there
            wait = min(wait, 60 - wall.second - wall.microsecond / 1e6)
        return wait


# -- one per process ---------------------------------------------------------------------------------

_SHARED: dict[BwLimit, Limiter] = {}
_SHARED_LOCK = threading.Lock()


def canonical(value: str | None) -> str | None:
    """A limit as a settings or remote field keeps it: None, or parse_bwlimit's canonical form (equal
    limits share one bucket per process). ValueError (a pydantic validator's error) for a bad form."""
    if value is None:
        return None
    try:
        return str(parse_bwlimit(value))
    except InvalidInputError as exc:
        raise ValueError(exc.message) from None


def shared_limiter(limit: BwLimit | str | None) -> Limiter | None:
    """The process's one Limiter for `limit` (every client, thread and object with that limit shares its
    buckets); None when there is no limit or it is `off` at every time (nothing is paced then)."""
    if limit is None:
        return None
    parsed = parse_bwlimit(limit) if isinstance(limit, str) else limit
    if parsed.off:
        return None
    with _SHARED_LOCK:
        found = _SHARED.get(parsed)
        if found is None:
            found = _SHARED[parsed] = Limiter(parsed)
        return found


def _renew_shared_lock() -> None:
    global _SHARED_LOCK  # a forked child must not inherit a lock another thread held
    _SHARED_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_renew_shared_lock)
