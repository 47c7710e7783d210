"""Parsing and printing of the small value languages the CLI speaks: sizes, durations, k=v pairs, and
the RFC 3339 timestamps servers answer with.

Pure functions, no heavy imports: used by settings, the CLI and the library alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from its_store.core.errors import InvalidInputError

_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3,
    "ti": 1024**4, "tib": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
                      r"(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_size(text: str | int, *, what: str = "size") -> int:
    """'64MiB', '5M', '1.5GB', '1024' -> bytes. Decimal units are SI, *i units binary (like rclone)."""
    if isinstance(text, int):
        if text < 0:
            raise InvalidInputError(f"{what} must not be negative: {text}")
        return text
    match = _SIZE_RE.match(str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _SIZE_UNITS:
        raise InvalidInputError(
            f"invalid {what} {text!r}", hint="use a number of bytes or a unit: 500K, 64MiB, 2GB"
        )
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """'30m', '2h', '7d', '1h30m', '90s', '1w' -> timedelta. A bare number is seconds."""
    raw = str(text).strip().lower()
    if raw.isdigit():
        return timedelta(seconds=int(raw))
    pos, total = 0, 0.0
    for match in _DURATION_RE.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
        pos = match.end()
    if not raw or pos != len(raw):
        raise InvalidInputError(
            f"invalid {what} {text!r}", hint="use a number and a unit: 90s, 30m, 2h, 7d, 1w"
        )
    return timedelta(seconds=total)


def parse_pairs(items: list[str] | None, *, what: str = "metadata") -> dict[str, str]:
    """['k=v', ...] -> {'k': 'v'}; the first '=' splits, so values may contain '='."""
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInputError(f"malformed {what} {item!r}", hint="write it as key=value")
        result[key] = value
    return result


def human_size(num: float) -> str:
    """Bytes in binary units, the way `ls -h` and `mc` print them."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(num) < 1024 or unit == "TiB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return f"{num:.1f} TiB"  # pragma: no cover


def human_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return str(timedelta(seconds=int(seconds)))


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 timestamp -> an aware UTC datetime: any number of fraction digits, 'Z' or an offset.

    Servers differ in the digits: S3 and SeaweedFS send 3, radosgw 9 ('2026-12-07T07:38:27.000000000Z'),
    and minio's own parser takes at most 6. Digits past the microsecond are cut, never rounded up
    (a retain-until date is not moved later). A leap second (:60) counts as :59. Anything else that
    is not RFC 3339 raises ValueError naming the text."""
    match = _RFC3339.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "").ljust(6, "0")[:6])
    zone = UTC
    if match.group(9):
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        zone = timezone(-offset if match.group(9) == "-" else offset)
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {text!r}") from None
