"""Object lock input: retention modes, "--retain 90d / 1y / 2027-01-31", and the upload lock headers.

Pure parsing, no server: the CLI, the service and sync all read `--retain`, `--retain-mode` and
`--legal-hold` the same way, and a bad value is refused (exit 2) before anything is sent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from its_store.core.errors import InvalidInputError
from its_store.core.units import parse_rfc3339

GOVERNANCE = "GOVERNANCE"
COMPLIANCE = "COMPLIANCE"
MODES = (GOVERNANCE, COMPLIANCE)
DEFAULT_MODE = GOVERNANCE  # `--retain` alone: governance, the mode an admin can still lift with bypass

# The x-amz headers that put a lock on an object when it is written (PUT and CreateMultipartUpload).
HEADER_MODE = "x-amz-object-lock-mode"
HEADER_UNTIL = "x-amz-object-lock-retain-until-date"
HEADER_HOLD = "x-amz-object-lock-legal-hold"
# S3 requires Content-MD5 or this header on a write that sets a lock (moto enforces it too); every PUT
# and part of ours carries x-amz-checksum-crc32 (CreateMultipartUpload declares CRC32), so it says CRC32
HEADER_SDK_CHECKSUM = "x-amz-sdk-checksum-algorithm"

# compiled by re on its first use (~0.8M instructions), by a command that reads a retention period
_SPAN = r"^\s*(\d{1,19})\s*(d|day|days|w|week|weeks|y|year|years)\s*$"
_SPAN_FLAGS = re.IGNORECASE | re.ASCII
_DAYS = {"d": 1, "w": 7, "y": 365}
MAX_DAYS = 100 * 365  # a century: anything longer is a typo, and S3 caps default retention there too


def parse_mode(value: Any) -> str:
    """'governance' / 'COMPLIANCE' / an enum -> 'GOVERNANCE' or 'COMPLIANCE'; anything else: exit 2."""
    text = str(getattr(value, "value", value) or "").strip().upper()
    if text not in MODES:
        raise InvalidInputError(f"unknown retention mode {value!r}: use governance or compliance")
    return text


def _utcnow() -> datetime:
    return datetime.now(UTC)


def span_days(value: str) -> int:
    """'90d' -> 90, '2w' -> 14, '1y' -> 365. Zero or negative spans are refused (exit 2)."""
    match = re.match(_SPAN, value or "", _SPAN_FLAGS)
    if not match:
        raise InvalidInputError(f"bad retention period {value!r}: use e.g. 90d, 2w, 1y or a date 2027-01-31")
    days = int(match.group(1)) * _DAYS[match.group(2)[0].lower()]
    return check_days(days, what=value)


def check_days(days: int, *, what: str | None = None) -> int:
    """A retention length in days must be 1..MAX_DAYS."""
    if days < 1:
        raise InvalidInputError(f"retention must be at least one day (got {what or days})")
    if days > MAX_DAYS:
        raise InvalidInputError(f"retention of {what or days} is longer than {MAX_DAYS} days")
    return days


def parse_until(value: str | datetime | date, *, now: datetime | None = None) -> datetime:
    """A date ('2027-01-31', midnight UTC) or an ISO time ('2027-01-31T12:00:00Z') -> an aware UTC
    datetime in the future. A date in the past (or now) is refused: the server would refuse it too,
    but only after we had sent it."""
    now = now or _utcnow()
    if isinstance(value, datetime):
        until = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        until = datetime.combine(value, time(), tzinfo=UTC)
    else:
        text = (value or "").strip()
        try:
            if len(text) == 10:
                until = datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
            else:
                until = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidInputError(
                f"bad date {value!r}: use YYYY-MM-DD or an ISO time like 2027-01-31T12:00:00Z") from None
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
    until = until.astimezone(UTC)
    if until <= now:
        raise InvalidInputError(f"retain-until date {until:%Y-%m-%d %H:%M:%S}Z is not in the future")
    return until


def parse_retain(value: str | datetime | date, *, now: datetime | None = None) -> datetime:
    """`--retain`: a span ('90d', '2w', '1y') from now, or a date/time ('2027-01-31') -> retain-until."""
    now = now or _utcnow()
    try:
        if isinstance(value, str) and re.match(_SPAN, value, _SPAN_FLAGS):
            return (now + timedelta(days=span_days(value))).replace(microsecond=0)
        return parse_until(value, now=now)
    except InvalidInputError as exc:  # one line that names the flag, as every flag's error does
        raise InvalidInputError(f"--retain: {exc.message}", hint=exc.hint) from None


def until_from(until: str | datetime | date | None, days: int | None,
               *, now: datetime | None = None) -> datetime:
    """`--until DATE` or `--days N` (exactly one) -> the retain-until datetime."""
    if (until is None) == (days is None):
        raise InvalidInputError("give exactly one of --until DATE or --days N")
    now = now or _utcnow()
    if days is not None:
        return (now + timedelta(days=check_days(days))).replace(microsecond=0)
    assert until is not None
    return parse_until(until, now=now)


def default_period(days: int | None, years: int | None) -> tuple[int | None, int | None]:
    """A bucket's default retention: exactly one of days or years, at least 1 (exit 2 otherwise)."""
    if (days is None) == (years is None):
        raise InvalidInputError("give exactly one of --days N or --years N")
    if days is not None:
        return check_days(days), None
    assert years is not None
    check_days(years * 365, what=f"{years} years" if years > 0 else str(years))
    return None, years


def upload_lock_fields(retain: str | datetime | date | None, retain_mode: Any = None,
                       legal_hold: bool = False, *, now: datetime | None = None) -> dict[str, Any]:
    """The UploadRequest fields for `--retain`, `--retain-mode` and `--legal-hold`.

    `--retain` alone means governance; `--retain-mode` without `--retain` is an error (a mode needs a
    date). Returns only the fields that are set, so `UploadRequest(**other, **upload_lock_fields(...))`
    leaves a plain upload unchanged."""
    fields: dict[str, Any] = {}
    if retain is None or retain == "":
        if retain_mode not in (None, ""):
            raise InvalidInputError("--retain-mode needs --retain (a period like 90d or a date)")
    else:
        fields["retain_until"] = parse_retain(retain, now=now)
        fields["retain_mode"] = parse_mode(retain_mode) if retain_mode not in (None, "") else DEFAULT_MODE
    if legal_hold:
        fields["legal_hold"] = True
    return fields


def format_until(until: datetime) -> str:
    """The ISO form S3 wants in x-amz-object-lock-retain-until-date (UTC, 'Z', milliseconds)."""
    return until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{until.microsecond // 1000:03d}Z"


def lock_headers(retain_mode: str | None, retain_until: datetime | None,
                 legal_hold: bool | None) -> dict[str, str]:
    """The object-lock headers of a PUT / CreateMultipartUpload (empty for an unlocked upload)."""
    headers: dict[str, str] = {}
    if retain_until is not None:
        headers[HEADER_MODE] = parse_mode(retain_mode or DEFAULT_MODE)
        headers[HEADER_UNTIL] = format_until(retain_until)
    if legal_hold:
        headers[HEADER_HOLD] = "ON"
    if headers:
        headers[HEADER_SDK_CHECKSUM] = "CRC32"
    return headers


def retention_kept(mode: str | None, until: datetime | None, wanted_mode: str | None, wanted_until: datetime) -> bool:
    """The one rule for a retention read back after a write that asked for (`wanted_mode`, `wanted_until`):
    held at least that long (to the second: servers keep the date to the second or the millisecond) in that
    mode, or in compliance (held at least as well as governance). Uploads (service/lockcheck) and `retention
    set` (service/retention) both read their retention back with it."""
    if until is None or until < wanted_until - KEPT_SLACK:
        return False
    return mode == (wanted_mode or DEFAULT_MODE) or mode == COMPLIANCE


KEPT_SLACK = timedelta(seconds=1)


def describe(mode: str | None, until: datetime | None, legal_hold: bool | None,
             *, now: datetime | None = None) -> list[str]:
    """Why a version cannot be deleted, in words: 'retained until 2027-01-31 (governance)',
    'under legal hold'. Empty when nothing holds it (or the retention has run out)."""
    now = now or _utcnow()
    reasons = []
    if mode and until is not None and until > now:
        reasons.append(f"retained until {until.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z ({mode.lower()})")
    if legal_hold:
        reasons.append("under legal hold")
    return reasons


def from_headers(headers: Any) -> tuple[str | None, datetime | None, bool | None]:
    """(mode, retain-until, legal hold) from a HEAD's headers (any case). Legal hold is None when the
    server said nothing about it (a bucket without object lock), False when it said OFF."""
    found = {str(k).lower(): v for k, v in (headers or {}).items() if "object-lock" in str(k).lower()}
    mode = (found.get(HEADER_MODE) or "").upper() or None
    until = None
    if found.get(HEADER_UNTIL):
        try:
            until = parse_rfc3339(found[HEADER_UNTIL])
        except ValueError:
            until = None
    hold = found.get(HEADER_HOLD)
    return mode, until, (hold.upper() == "ON") if hold else None
