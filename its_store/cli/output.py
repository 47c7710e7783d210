r"""Rendering: stdout is data, stderr is talk.

With --json, stdout carries JSON only: one document per command, JSON Lines for listings, and
errors as {"error": {"code", "message", "hint"}}. Progress appears only on a terminal; --quiet
silences talk; NO_COLOR is honoured by rich. State is per invocation (reset by the root group).

Keys and messages come from outside (another client may store a key holding a newline or an ESC
sequence), so every human output path here escapes control characters with `safe()`
(core/refs.printable: `\n`, `\x1b`, `\u202e`, and `\\` for a backslash): lines(), table() cells,
talk(), error(), progress descriptions, and anything printed through console() / err_console().
Commands print only through these (tests/test_terminal_escape.py checks the source). --json keeps
every value exact; JSON's own \uXXXX escapes also cover DEL, C1 controls, U+2028/2029 and the bidi
controls, which json.dumps would leave raw (a parser reads back the same text).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from its_store.core.refs import printable as safe

if TYPE_CHECKING:
    from pydantic import BaseModel

if TYPE_CHECKING:
    from rich.console import Console

    from its_store.service.storage import StorageService

# characters JSON may carry raw but a terminal would act on, and lone surrogates (a local name that is not
# UTF-8, as Python reads it), which no UTF-8 stream can carry: written as \uXXXX (the same text to a parser)
JSON_RAW = "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


@functools.cache
def _json_raw() -> re.Pattern[str]:
    """JSON_RAW compiled, by the first JSON text that is not plain ASCII: most commands write none, and the
    class (over the surrogates) costs ~3.7M instructions to compile, paid by every command at import."""
    return re.compile(JSON_RAW)


@dataclass
class State:
    json: bool = False
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    env_file: str | None = None
    emitted: bool = False  # a JSON document is already on stdout
    open_service: StorageService | None = None  # what service() built, if it did (closed at the end)
    stdout_console: Console | None = None  # console(), once built
    stderr_console: Console | None = None  # err_console(), once built
    remote: str | None = None  # the remote the command's locations name (cli/locations.py); None: MINIO_*
    remote_named: bool = False  # a location has chosen the endpoint (remote, None included)

    def base_settings(self, *, default_endpoint: bool = True) -> Any:
        """The settings of the default endpoint: env, .env and flags. `default_endpoint=False`: only the
        base of a remote's settings, the default endpoint's own (MINIO_ENDPOINT, its keys, ...) unread, so
        that a broken one does not stop a command on remotes (core/settings.load_settings)."""
        from its_store.core.settings import load_settings
        return load_settings(self.env_file, default_endpoint=default_endpoint, **self.overrides)

    def settings(self) -> Any:
        """The settings of this invocation's endpoint: the default one, or the remote its locations name."""
        return self.settings_of(self.remote)

    def settings_of(self, remote: str | None) -> Any:
        """The settings of the endpoint `remote` (None: the default one of MINIO_*), with the warning of an
        endpoint whose TLS certificate is not verified: each side of a copy between endpoints has its own.
        A remote's are built on settings that never read the default endpoint's own (a broken MINIO_ENDPOINT
        or key file does not stop a command on a remote)."""
        if remote is None:
            settings = self.base_settings()
        else:
            from its_store.core.remotes import settings_for
            settings = settings_for(remote, self.base_settings(default_endpoint=False))
        if settings.secure and not settings.verify_tls and not self.quiet:
            origin = (f"remote {remote}'s verify_tls" if remote
                      else "MINIO_VERIFY_TLS=false or --no-verify-tls")
            sys.stderr.write(f"its-store: warning: TLS certificate verification is off ({origin})\n")
        return settings

    def service(self, workers: int | None = None) -> Any:
        """The StorageService for this invocation, built from env/.env/flags on first use.

        `workers` (a command's --workers) also sizes the connection pool: more threads than pooled
        connections only queue on the pool's lock."""
        if self.open_service is None:
            from its_store.service.storage import StorageService
            self.open_service = StorageService(self.settings(), workers=workers)
        return self.open_service


STATE = State()


def reset(args: list[str]) -> None:
    global STATE
    STATE = State(json="--json" in args)
    typos = sys.modules.get("its_store.core.setting_typos")  # loaded by an earlier invocation (in-process runs)
    if typos is not None:
        typos.forget_warnings()  # a misspelt MINIO_* name: one warning line per run


def _set_json(value: bool) -> bool:
    if value:
        STATE.json = True
    return value


JsonOption = typer.Option("--json", help="Print JSON to stdout (JSON Lines for listings).",
                          callback=_set_json, is_eager=True)


def console() -> Any:
    """The rich console on stdout; its print() escapes what it prints (see _safe_console)."""
    if STATE.stdout_console is None:
        STATE.stdout_console = _safe_console(sys.stdout)
    return STATE.stdout_console


def err_console() -> Any:
    """The rich console on stderr, escaping like console()."""
    if STATE.stderr_console is None:
        STATE.stderr_console = _safe_console(sys.stderr)
    return STATE.stderr_console


def _safe_console(file: Any) -> Any:
    """A rich Console whose print() escapes: a str is passed through safe() and printed without markup
    (a key holding "[link=...]" stays text); any other renderable (a Table, Markdown) has the text of
    its rendered segments escaped, line breaks kept. So a command printing through it cannot forget."""
    from rich.console import Console
    from rich.segment import Segment

    class Escaped:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __rich_console__(self, con: Any, options: Any) -> Any:
            for seg in con.render(self.inner, options):
                text = seg.text
                if seg.control or text == "\n" or text.isprintable():
                    yield seg
                else:
                    yield Segment("\n".join(_controls(part) for part in text.split("\n")), seg.style)

    class SafeConsole(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            if any(isinstance(o, str) for o in objects):
                kwargs["markup"] = False
            super().print(*(safe(o) if isinstance(o, str) else Escaped(o) for o in objects), **kwargs)

        def on_broken_pipe(self) -> None:
            """rich's hook for a closed pipe (it would exit 1 itself): the error goes on to the CLI's one rule
            for a closed pipe (cli/stdout_lost), as from any other write."""
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return SafeConsole(file=file, highlight=False, soft_wrap=True)


def _controls(text: str) -> str:
    """Escape what is not printable, leaving backslashes (prose in a renderable, not a key)."""
    return "".join(c if c.isprintable() else safe(c) for c in text)


def to_jsonable(value: BaseModel) -> Any:
    """What --json prints of a result: its `model_dump(mode="json")`, nothing added, nothing removed (the
    schema of every command's output is generated from the same models: cli/schemas.py). Anything that is
    not a model is a bug of the command, not something to guess a JSON form for. (Asked by attribute, not
    isinstance: it runs once per listed entry, and an import statement there cost as much as the check.)"""
    dump = getattr(value, "model_dump", None)
    if dump is None:
        raise TypeError(f"--json prints result models, not {type(value).__name__}")
    return dump(mode="json")


def emit_json(doc: BaseModel) -> None:
    """The command's one JSON document on stdout (a later error goes to stderr: see error())."""
    value = to_jsonable(doc)
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or Infinity (a manifest another client wrote): JSON has no such number, jq fails
        text = json.dumps(_finite(value), ensure_ascii=False)
    sys.stdout.write(_json_safe(text) + "\n")
    sys.stdout.flush()
    STATE.emitted = True


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinite float as null (as pydantic's own JSON writes them); nesting is
    bounded by what the readers accept (jsontext.MAX_DEPTH)."""
    if isinstance(value, float):
        return value if value - value == 0 else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json_safe(text: str) -> str:
    """JSON text with DEL, C1 controls, U+2028/2029 and bidi controls as \\uXXXX escapes: they can only
    sit inside strings, so a parser reads the same values, and a terminal shown the JSON sees no control."""
    if text.isascii() and "\x7f" not in text:  # the usual case: fast
        return text
    raw = _json_raw()
    if raw.search(text) is None:
        return text
    return raw.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_line(text: str) -> None:
    """One JSON Lines document already encoded (a watcher event) on stdout."""
    sys.stdout.write(_json_safe(text) + "\n")
    sys.stdout.flush()


def emit_jsonl(items: Iterable[BaseModel]) -> int:
    """JSON Lines: one result per line, each exactly the text emit_json would print for it
    (cli/jsontext.dump_line writes a flat model straight from its fields: a listing is one model a key)."""
    from its_store.cli.jsontext import dump_line
    return _write_lines(map(dump_line, items), _json_safe)


def lines(items: Iterable[str]) -> int:
    """Stream plain lines to stdout (listings: constant memory; on a terminal each line as it comes,
    through a pipe in chunks), escaped: a line stays one line whatever a key in it holds."""
    return _write_lines(map(safe, items), None)


CHUNK_LINES = 256  # lines per write to stdout (a pipe or file), unless one is on the terminal
CHUNK_SECONDS = 0.2  # ... or the first of them waited this long (ls --metadata: lines come as HEADs answer)


def _write_lines(texts: Iterable[str], escape: Callable[[str], str] | None) -> int:
    """Each text as one line on stdout: in chunks of up to CHUNK_LINES lines, one write each (a write
    per line is a system call per key when stdout is unbuffered: PYTHONUNBUFFERED, `python -u`), one
    per line on a terminal. `escape` is applied to a whole chunk: only _json_safe may be, which rewrites
    single characters that are never a newline (a JSON text holds none raw), so a chunk escaped at once
    is its lines escaped one by one (safe() escapes a newline: lines() escapes each text first). What
    was read before an error or Ctrl-C is still written (nothing lost)."""
    count = 0
    write = sys.stdout.write
    escape = escape or str
    if _on_terminal():
        for text in texts:
            write(escape(text) + "\n")  # line-buffered: each line shown as it comes
            count += 1
        sys.stdout.flush()
        return count
    pending: list[str] = []
    add, clock, started = pending.append, time.monotonic, 0.0
    try:
        for text in texts:
            if not pending:
                started = clock()
            add(text)
            count += 1
            if len(pending) >= CHUNK_LINES or clock() - started >= CHUNK_SECONDS:
                chunk = "\n".join(pending)
                pending.clear()
                write(escape(chunk) + "\n")
    except BaseException:
        if pending:  # what was read is still written, but a reader gone meanwhile (a closed pipe) does not
            with contextlib.suppress(OSError):  # replace the error in flight (Ctrl-C: 130, a listing's own)
                write(escape("\n".join(pending)) + "\n")
        raise
    if pending:
        write(escape("\n".join(pending)) + "\n")
    sys.stdout.flush()
    return count


def _on_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stdout
        return False


def row(*fields: Any, sep: str = "\t") -> None:
    """One line of fields on stdout, each escaped: a tab or newline inside a key stays in its field."""
    sys.stdout.write(sep.join(safe(f) for f in fields) + "\n")
    sys.stdout.flush()


def block(text: str) -> None:
    """Prose of several lines (a model card) on stdout: line breaks and tabs kept, other control
    characters escaped."""
    body = "\n".join("\t".join(_controls(part) for part in line.split("\t")) for line in text.split("\n"))
    sys.stdout.write(body + ("" if body.endswith("\n") else "\n"))
    sys.stdout.flush()


def stderr_line(text: str, *, escaped: bool = False) -> None:
    """One line on stderr (a log record, a warning, a watcher event), escaped. `escaped`: its fields
    already went through safe() (sync/watch_report.format_line), so backslashes are not doubled again;
    whatever is still a control character is escaped all the same."""
    sys.stderr.write((_controls(text) if escaped else safe(text)) + "\n")
    sys.stderr.flush()


def result(doc: BaseModel, human: Callable[[], object]) -> None:
    """Print `doc` as JSON in --json mode, else run the human renderer."""
    if STATE.json:
        emit_json(doc)
    else:
        human()


def talk(message: str) -> None:
    """A line for the human on stderr (silenced by --quiet and --json), escaped (safe), as it is: written
    straight, not through rich, which cost every command that says a line ~80M instructions of imports
    (~5 % of a `get`) and showed `:name:` in a name as an emoji (`get s3://b/k :ok:` said `→ 🆗`)."""
    if not STATE.quiet and not STATE.json:
        stderr_line(message)


def error(code: str, message: str, hint: str | None = None) -> None:
    if STATE.remote and code != "config_error":  # the layers below name places s3://B/K and settings
        # MINIO_*: said of the remote. Not a configuration error: MINIO_ENDPOINT's is about MINIO_ENDPOINT
        from its_store.core.remotes import said_of_remote
        message, hint = said_of_remote(message, STATE.remote), hint and said_of_remote(hint, STATE.remote)
    if STATE.json:
        from its_store.core.models import ErrorDetail, ErrorDocument
        doc = ErrorDocument(error=ErrorDetail(code=code, message=message, hint=hint))
        if STATE.emitted:  # the report already on stdout names the failures: stdout stays one document
            said(_json_safe(json.dumps(doc.model_dump(mode="json"), ensure_ascii=False)) + "\n")
            return
        from its_store.cli.stdout_lost import written
        if written(lambda: emit_json(doc)):
            return  # else stdout itself failed: the error is said on stderr, as a line
    line = f"its-store: error: {safe(message)}"
    if hint and not STATE.quiet:
        line += f" (hint: {safe(hint)})"
    said(line + "\n")


def said(text: str) -> None:
    """Write an error's `text` to stderr and flush it; a stderr that cannot take it (its reader gone too:
    `2>&1 | head -0`) is dropped: nothing can be said anywhere, and the command's own exit code (3, 2...)
    must not become the mapping's own failure (exit 1, and the service's close skipped)."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(description: str, total: int | None, files: int | None = None) -> Iterator[Callable[[int], None]]:
    """A byte-progress callback: a rich bar on a terminal, nothing per chunk otherwise.

    Off a terminal (cron, CI) the caller prints a one-line summary at the end instead.
    """
    if STATE.quiet or STATE.json or not is_tty():
        yield _noop
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), console=err_console(), transient=True)
    task = bar.add_task(safe(description), total=total)
    last = [time.monotonic(), 0]

    def advance(n: int) -> None:
        last[1] += n
        now = time.monotonic()
        if now - last[0] >= 0.1:
            bar.update(task, advance=last[1])
            last[0], last[1] = now, 0

    with bar:
        yield advance
        bar.update(task, advance=last[1])


def _noop(_: int) -> None:
    pass


def table(columns: list[str], rows: Iterable[list[Any]], *, right: Iterable[str] = ()) -> None:
    from rich.table import Table
    from rich.text import Text
    tbl = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    right = set(right)
    for col in columns:
        tbl.add_column(col, justify="right" if col in right else "left", overflow="fold")
    for row in rows:  # each cell a Text: a key's `[/]` or `:ok:` is text, never rich markup nor an emoji code
        tbl.add_row(*[Text("" if v is None else safe(v)) for v in row])
    console().print(tbl)


def fmt_time(value: datetime | None) -> str:
    """A time as `ls` shows it (2026-12-06 20:14:43). UTC ones are remembered (a listing repeats a few
    seconds; keyed by value, which is only safe for one time zone: equal instants in two zones are equal)."""
    if not value:
        return ""
    if value.tzinfo is not UTC:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = _TIMES.get(value)
    if text is None:
        if len(_TIMES) >= 4096:
            _TIMES.clear()
        text = _TIMES[value] = value.strftime("%Y-%m-%d %H:%M:%S")
    return text


_TIMES: dict[datetime, str] = {}
