"""Where log records go, set per invocation by the root callback (app.py).

Library chatter (urllib3 retry warnings) reaches stderr only with --verbose/--debug: without a handler,
Python would print WARNING records and break the one-line error promise. The warnings of the cache, stats
and audit loggers (Redis unreachable, cache rebuilt, audit log not writable) are the exception: they reach
stderr as one `its-store: warning: ...` line each even without -v. The library only logs them; --quiet
silences them; --json keeps stdout pure JSON. An ERROR record (an audit line that could not be written:
a loss the user must hear of) is one `its-store: error: ...` line, which --quiet does not silence.

Every line is passed through redact() on its way out, whatever logger wrote it: credentials a record
may carry (a password in a URL, a presigned URL's signature and credential, an Authorization or
signature header, token-like query values) become ********. The webhook URL's path and query are
already hidden at the source, on urllib3's loggers (s3/webhook.py), for every handler, not only ours.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Iterator

from its_store.cli import output as out

# the library's warnings (cache, stats, audit, webhooks, lock and SSE checks, state files...): every module
# logs under "its_store.<module>", so one handler on the parent says them all, and none can be forgotten
WARNING_LOGGERS = ("its_store",)


MASK = "********"
_SECRET_WORDS = (r"x-amz-signature|x-amz-credential|x-amz-security-token|signature|awsaccesskeyid|credential"
                 r"|access_token|refresh_token|id_token|token|sig|secret|password|passwd|api_?key|key|auth")
@functools.cache
def _redactions() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The patterns redact() applies, compiled on its first call: a command writes a log line only with -v,
    --debug or a warning, and the three case-blind patterns cost ~7.5M instructions (~0.6 % of an empty ls)."""
    return (
        # scheme://user:password@host -> scheme://********@host (and a bare token as user name)
        (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@\"']+@"), r"\1" + MASK + "@"),
        # ?X-Amz-Signature=..&token=.. ; Credential=AK/2025/..., Signature=hex (SigV4 headers and queries)
        (re.compile(rf"(?i)(^|[?&;,\s\"'(])({_SECRET_WORDS})=[^&;,\s\"')]+"), r"\1\2=" + MASK),
        # Authorization: AWS4-HMAC-SHA256 ..., X-Its-Signature: sha256=..., Cookie: ...; JSON or dict forms too
        (re.compile(r"(?i)\b(authorization|proxy-authorization|x-its-signature|x-amz-security-token|cookie"
                    r"|x-amz-server-side-encryption-customer-key(?:-md5)?)(['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+"),
         r"\1\2" + MASK),
    )


def redact(text: str) -> str:
    """`text` without the credentials a log line may carry (see the module docstring)."""
    for pattern, replacement in _redactions():
        text = pattern.sub(replacement, text)
    return text


def configure(verbose: bool, debug: bool) -> None:
    """Levels and handlers for this invocation's flags."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.CRITICAL
    root_logger = logging.getLogger()
    lines = next((h for h in root_logger.handlers if isinstance(h, _StderrLines)), None)
    if lines is None:
        root_logger.addHandler(lines := _StderrLines())
    lines.setLevel(level if (verbose or debug) else logging.CRITICAL + 1)
    logging.getLogger("its_store").setLevel(level)
    # urllib3 speaks at --debug only: its_store.s3 logs each retry once, in our words (s3/pool.py)
    logging.getLogger("urllib3").setLevel(logging.DEBUG if debug else logging.CRITICAL)
    root_logger.setLevel(level if (verbose or debug) else logging.WARNING)
    show_warnings(verbose or debug)


class _StderrLines(logging.Handler):
    """`its-store: LOGGER: message`, one line per record, on the stderr of the moment (not the one of
    the first invocation, as logging.basicConfig would keep: CliRunner swaps it per run)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            out.stderr_line(f"its-store: {record.name}: {redact(record.getMessage())}")
        except (OSError, ValueError):
            pass


class _StderrWarnings(logging.Handler):
    """One `its-store: warning: ...` line per warning, on the stderr of the moment (CliRunner swaps it);
    under the watcher (stamped()) `TIME warning: ...`, as its event lines (sync/watch_report.format_line)."""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.levelno >= logging.ERROR  # a loss the user must hear of (an audit line): -q keeps it
        if out.STATE.quiet and not error:
            return
        level = "error" if error else "warning"
        try:
            head = f"{_STAMP()} {level}" if _STAMP is not None else f"its-store: {level}"
            out.stderr_line(f"{head}: {redact(record.getMessage())}")
        except (OSError, ValueError):
            pass


_STAMP: Callable[[], str] | None = None  # set by stamped(): the time each warning line starts with


@contextlib.contextmanager
def stamped(clock: Callable[[], str]) -> Iterator[None]:
    """Warning lines start with `clock()` (the watcher's event time) instead of `its-store:` meanwhile."""
    global _STAMP
    _STAMP = clock
    try:
        yield
    finally:
        _STAMP = None


def show_warnings(verbose: bool) -> None:
    """Warnings of the cache, stats and audit loggers reach stderr even though library chatter is silenced
    without --verbose. With --verbose/--debug the root handler prints them (and their debug lines)
    instead, so they are never printed twice."""
    for name in WARNING_LOGGERS:
        logger = logging.getLogger(name)
        handler = next((h for h in logger.handlers if isinstance(h, _StderrWarnings)), None)
        if handler is None:
            logger.addHandler(handler := _StderrWarnings(level=logging.WARNING))
        handler.setLevel(logging.CRITICAL + 1 if verbose else logging.WARNING)
        logger.setLevel(logging.NOTSET if verbose else logging.WARNING)
        logger.propagate = verbose
