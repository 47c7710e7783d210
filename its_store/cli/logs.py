"""Where log records go, set per invocation by the root callback (app.py).

Library chatter (urllib3 retry warnings) reaches stderr only with --verbose/--debug: without a handler,
Python would print WARNING records and break the one-line error promise. The warnings of the cache, stats
and audit loggers (Redis unreachable, cache rebuilt, audit log not writable) are the exception: they reach
stderr as one `its-store: warning: ...` line each even without -v. The library only logs them; --quiet
silences them; --json keeps stdout pure JSON.
"""

from __future__ import annotations

import logging

from its_store.cli import output as out

WARNING_LOGGERS = ("its_store.state.cache", "its_store.state.stats", "its_store.state.audit",
                   "its_store.registry.webhooks")


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
            out.stderr_line(f"its-store: {record.name}: {record.getMessage()}")
        except (OSError, ValueError):
            pass


class _StderrWarnings(logging.Handler):
    """One `its-store: warning: ...` line per warning, on the stderr of the moment (CliRunner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        if out.STATE.quiet:
            return
        try:
            out.stderr_line(f"its-store: warning: {record.getMessage()}")
        except (OSError, ValueError):
            pass


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
