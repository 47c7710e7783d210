"""Listings reach stdout in chunks (cli/output._write_lines): one write per CHUNK_LINES lines through a pipe
or file, not one per key (a system call each when stdout is unbuffered), with the same text as the lines
written one by one, hostile keys included, and nothing read before an error left unwritten."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from its_store.cli import output as out
from its_store.cli.jsontext import dump_line
from its_store.core.models import ObjectInfo
from its_store.core.refs import printable
from tests.helpers import hostile_keys
from tests.test_terminal_escape import TRICKY


class Stdout(io.StringIO):
    """A stdout that is a pipe (not a terminal), counting its writes."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.writes = 0
        self.tty = tty

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def isatty(self) -> bool:
        return self.tty


KEYS = [*TRICKY, *hostile_keys(), *(f"cam{i % 7}/frame_{i:06d}.jpg" for i in range(700))]


def listed(keys: list[str]) -> list[ObjectInfo]:
    when = datetime(2026, 12, 7, 10, 24, 27, tzinfo=UTC)
    return [ObjectInfo.listed(bucket="b", key=key, size=i, etag=f"etag{i}", last_modified=when, version_id=None)
            if i % 3 else ObjectInfo(bucket="b", key=key, size=i, last_modified=when, is_prefix=i % 2 == 0)
            for i, key in enumerate(keys)]


@pytest.fixture
def stdout(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stdout]:
    """The test's stdout (set in the test's own call: pytest's capture sets sys.stdout again after fixtures)."""
    monkeypatch.setattr(out, "CHUNK_SECONDS", 3600.0)  # chunks by count alone here, however slow the machine
    yield Stdout()


def run(stream: Stdout, monkeypatch: pytest.MonkeyPatch, write: Callable[[], object]) -> object:
    with monkeypatch.context() as patch:
        patch.setattr("sys.stdout", stream)
        return write()


def test_jsonl_in_chunks_is_the_lines_one_by_one(stdout: Stdout, monkeypatch: pytest.MonkeyPatch):
    items = listed(KEYS)
    assert run(stdout, monkeypatch, lambda: out.emit_jsonl(items)) == len(items)
    assert stdout.getvalue() == "".join(out._json_safe(dump_line(item)) + "\n" for item in items)
    assert stdout.writes == math.ceil(len(items) / out.CHUNK_LINES)


def test_human_lines_in_chunks_are_each_escaped(stdout: Stdout, monkeypatch: pytest.MonkeyPatch):
    assert run(stdout, monkeypatch, lambda: out.lines(KEYS)) == len(KEYS)
    assert stdout.getvalue() == "".join(printable(key) + "\n" for key in KEYS)
    assert stdout.getvalue().count("\n") == len(KEYS)  # a newline in a key never splits its line
    assert stdout.writes == math.ceil(len(KEYS) / out.CHUNK_LINES)


def test_lines_read_before_an_error_are_written(stdout: Stdout, monkeypatch: pytest.MonkeyPatch):
    def failing() -> Iterator[ObjectInfo]:
        yield from listed(KEYS[:10])
        raise RuntimeError("the listing broke")

    with pytest.raises(RuntimeError):
        run(stdout, monkeypatch, lambda: out.emit_jsonl(failing()))
    assert stdout.getvalue() == "".join(out._json_safe(dump_line(item)) + "\n" for item in listed(KEYS[:10]))


def test_a_terminal_gets_each_line_as_it_comes(monkeypatch: pytest.MonkeyPatch):
    stream = Stdout(tty=True)
    run(stream, monkeypatch, lambda: out.lines(KEYS[:20]))
    assert stream.writes == 20
    assert stream.getvalue() == "".join(printable(key) + "\n" for key in KEYS[:20])


def test_an_error_in_flight_is_not_replaced_by_a_reader_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A listing that fails (or is interrupted) while its reader has gone: the lines read are still offered,
    but the closed pipe's BrokenPipeError does not replace the error in flight (it made a Ctrl-C or a
    listing's own failure exit 141, silently; last read of session 33)."""
    class Gone:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def isatty(self) -> bool:
            return False

    def items() -> Iterator[str]:
        yield "a"
        yield "b"
        raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdout", Gone())
    with pytest.raises(KeyboardInterrupt):
        out.lines(items())
