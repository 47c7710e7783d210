"""Parsing and printing of the small value languages the CLI speaks: whole numbers, sizes, durations,
k=v pairs, and the RFC 3339 timestamps servers answer with.

Pure functions, no heavy imports: used by settings, the CLI and the library alike.

One rule for every number read from text that comes in (a flag, a MINIO_* variable, a header, an XML
value, a journal): ASCII digits 0-9 and nothing else (`is_uint`). `str.isdigit()` also says yes to "²"
and "٣", which `int()` then refuses or reads as 3; `int()` alone takes " 12", "+5", "1_000" and the
full-width "１２", and raises on more than 4,300 digits. Callers that allow surrounding blanks around a
whole value (a flag as the shell quoted it) strip them before; the number itself is never stretched.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone

from its_store.core.errors import InvalidInputError, ItsStoreError

_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3,
    "ti": 1024**4, "tib": 1024**4,
}
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


# Compiled by their first use (together ~2.6M instructions): most commands read no size, duration or date
# from text. re.ASCII: without it \d matches "٣" and "９" too (float() and int() then read them as 3 and 9).
@functools.cache
def _size_re() -> re.Pattern[str]:
    return re.compile(r"^\s*(\d{1,19}(?:\.\d{1,19})?)\s*([a-zA-Z]*)\s*$", re.ASCII)


@functools.cache
def _duration_re() -> re.Pattern[str]:
    return re.compile(r"(\d{1,19}(?:\.\d{1,19})?)([smhdw])", re.ASCII)


@functools.cache
def _rfc3339() -> re.Pattern[str]:
    return re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
                      r"(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII)


MAX_DIGITS = 19  # every count, size, time or port this tool reads fits (10**19 > 2**63)
MAX_SIZE = 2**63 - 1  # bytes: what a file offset can be
MAX_DURATION = 10**12  # seconds (~31,700 years): beyond is a typo; timedelta itself ends near 8.6e13


def is_uint(text: object, digits: int = MAX_DIGITS) -> bool:
    """True for a str of 1..`digits` ASCII digits 0-9: no sign, blank, '_', exponent or other script."""
    return isinstance(text, str) and 0 < len(text) <= digits and text.isascii() and text.isdigit()


def parse_uint(text: object, what: str, *, low: int = 0, high: int | None = None,
               error: type[Exception] = InvalidInputError, hint: str | None = None) -> int:
    """A whole number in `low..high` from text that came in, else `error(message)` naming `what`: an
    InvalidInputError (exit 2) for a flag, ValueError inside settings validators and s3's `parsing()`
    (which name the variable or the server's call), BadAnswerError for a server's answer."""
    if not is_uint(text):
        long = isinstance(text, str) and text.isascii() and text.isdigit()
        raise _error(error, f"{what}: {shown(text)} " + (f"has more than {MAX_DIGITS} digits" if long else
                                                         "is not a number (ASCII digits 0-9 only)"), hint)
    value = int(str(text))
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f"at least {low}"
        raise _error(error, f"{what}: {value} is out of range ({bounds})", hint)
    return value


def read_uint(text: object, *, low: int = 0, high: int | None = None) -> int | None:
    """A whole number in `low..high`, or None when `text` is absent or anything else: for values whose
    absence the caller already handles (our own metadata on an object, a journal's field)."""
    # is_uint's test (default digits) written out: ~4 reads of an answer's numbers a GET (one call less each,
    # issue 22 W5); the two are pinned equal by tests/test_get_answer_fast_checks.py (change both or neither)
    if not (isinstance(text, str) and 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()):
        return None
    value = int(str(text))
    return value if value >= low and (high is None or value <= high) else None


def read_count(value: object, *, low: int = 0, high: int = MAX_SIZE) -> int | None:
    """An int (not a bool) in `low..high` from a JSON or SQLite value we wrote ourselves, else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def shown(text: object, limit: int = 24) -> str:
    """`text` as it may appear in a one-line message: repr (escapes control characters), cut short."""
    value = str(text)
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def _error(error: type[Exception], message: str, hint: str | None) -> Exception:
    if issubclass(error, ItsStoreError):
        return error(message, hint=hint)
    return error(message)


def parse_size(text: str | int, *, what: str = "size") -> int:
    """'64MiB', '5M', '1.5GB', '1024' -> bytes. Decimal units are SI, *i units binary (like rclone)."""
    if isinstance(text, int):
        if text < 0:
            raise InvalidInputError(f"{what} must not be negative: {text}")
        return text
    match = _size_re().match(str(text))
    unit = match.group(2).lower() if match else None
    hint = "use a number of bytes or a unit: 500K, 64MiB, 2GB"
    if not match or unit not in _SIZE_UNITS:
        raise InvalidInputError(f"invalid {_kind('size', what)} {shown(text)}", hint=hint)
    number = match.group(1)
    value = int(number) * _SIZE_UNITS[unit] if is_uint(number) else int(float(number) * _SIZE_UNITS[unit])
    if value > MAX_SIZE:
        raise InvalidInputError(f"{what} {shown(text)} is out of range (at most {MAX_SIZE} bytes)", hint=hint)
    return value


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """'30m', '2h', '7d', '1h30m', '90s', '1w' -> timedelta. A bare number is seconds."""
    raw = str(text).strip().lower()
    hint = "use a number and a unit: 90s, 30m, 2h, 7d, 1w"
    total = _duration_seconds(raw + "s" if is_uint(raw) else raw)
    if total is None:
        raise InvalidInputError(f"invalid {_kind('duration', what)} {shown(text)}", hint=hint)
    if total > MAX_DURATION:
        raise InvalidInputError(f"{what} {shown(text)} is out of range (at most {MAX_DURATION} seconds)", hint=hint)
    return timedelta(seconds=total)


def _kind(kind: str, what: str) -> str:
    """'duration', or 'duration for --newer-than' when a flag is named ("invalid duration" stays in the
    message that scripts may match)."""
    return kind if what == kind else f"{kind} for {what}:"


def _duration_seconds(raw: str) -> float | None:
    """Seconds of '1h30m' (number-unit pairs, nothing between them), None when it is not that."""
    pos, total = 0, 0.0
    for match in _duration_re().finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
        pos = match.end()
    return total if raw and pos == len(raw) else None


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
    match = _rfc3339().fullmatch(str(text).strip())
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


def whole(value: object, what: str, *, low: int | None = 0, high: int | None = None) -> int:
    """A library caller's whole-number argument (an int, not a bool) in `low..high`, else InvalidInputError
    naming it: a str, None, a float or NaN given for an int reached int(), a comparison or a slice deep
    inside as ValueError/TypeError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what} must be a whole number, not {type(value).__name__} {shown(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInputError(f"{what} {value} is out of range ({low}..{'' if high is None else high})")
    return value
