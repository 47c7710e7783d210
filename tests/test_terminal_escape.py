"""Control characters never reach a terminal raw: one escaping function (core/refs.printable, the CLI's
output.safe) applied at the output seam (cli/output.py), which is the only place the CLI writes from.
The hostile-key corpus walk (tests/test_hostile_keys.py) checks the commands end to end."""

from __future__ import annotations

import ast
import codecs
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from its_store.cli import output as out
from its_store.core.refs import printable

from helpers import run_cli_process

CLI = Path(__file__).resolve().parent.parent / "its_store" / "cli"

TRICKY = ["plain", "a\nb", "a\\nb", "a\\\\nb", "a\\", "\\", "esc\x1b[31mred", "osc\x1b]0;title\x07", "bell\x07",
          "cr\rline", "tab\tx", "del\x7f", "c1\x9b31m", "nel\x85", "bidi\u202etxt", "ls\u2028x", "ps\u2029x",
          "lri\u2066x", "zwsp\u200bx", "bom\ufeffx", "nbsp\xa0x", "tag\U000e0001x", "sur\udcffx", "nul\x00",
          "caf\u00e9", "cafe\u0301", "\u65e5\u672c", "emoji \U0001f600", "quote'\"", "x" * 300]


@pytest.mark.parametrize("text", TRICKY)
def test_printable_is_one_printable_line_that_reads_back(text: str):
    shown = printable(text)
    assert shown.isprintable() and "\n" not in shown
    if text.isprintable() and "\\" not in text:
        assert shown is text or shown == text  # the usual case is left alone
    # Python's string-literal escapes: reading the ASCII escapes back gives the text again, a local name's byte
    # that is not UTF-8 (surrogateescape) as that byte (\xHH, s37): read back, as the name's bytes
    back = codecs.decode(shown.encode("ascii", "backslashreplace").decode("ascii"), "unicode_escape") \
        if shown.isascii() else None
    if back is not None:
        assert back == "".join(chr(ord(c) - 0xDC00) if "\udc80" <= c <= "\udcff" else c for c in text)


def test_printable_never_shows_two_texts_the_same():
    shown = [printable(t) for t in TRICKY]
    assert len(set(shown)) == len(TRICKY)
    assert printable("a\nb") != printable("a\\nb") and printable("\\x1b") != printable("\x1b")


def test_every_human_output_function_escapes(capsys: pytest.CaptureFixture[str]):
    out.reset([])
    hostile = "k\x1b]0;pwn\x07\nforged\u202e"
    out.lines([hostile])
    out.row(hostile, "reason\r")
    out.table(["key"], [[hostile]])
    out.console().print(hostile)
    out.console().print(f"[link=file:///etc/passwd]{hostile}[/link]")
    out.block("# card\x1b[2J\nline two\ttab")
    out.talk(hostile)
    out.error("x", hostile, hint=hostile)
    out.stderr_line(f"log {hostile}")
    out.stderr_line(f"already {printable(hostile)} \x1b", escaped=True)
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and "\x07" not in stream and "\r" not in stream and "\u202e" not in stream
        for line in stream.splitlines():
            assert line.replace("\t", "").isprintable(), line
    assert printable(hostile) in captured.out and "[link=" in captured.out  # markup shown, not obeyed
    assert captured.out.count("forged") == 5  # lines, row, table, and the console's two prints
    assert "line two\ttab" in captured.out  # prose keeps its line breaks and tabs
    assert "already k\\x1b]0;pwn\\x07\\nforged\\u202e \\x1b" in captured.err  # not escaped twice


def test_talk_shows_a_key_as_it_is(capsys: pytest.CaptureFixture[str]):
    """A `:name:` in a key is text, not an emoji code (rich's console printed `:ok:` as `🆗`)."""
    out.reset([])
    out.talk("downloaded s3://b/cam:ok:1 and :smile:")
    assert capsys.readouterr().err == "downloaded s3://b/cam:ok:1 and :smile:\n"


def test_the_summary_line_of_get_shows_a_file_name_as_it_is(cli: Any, env: dict[str, str], bucket: str,
                                                             tmp_path: Path):
    """The its-store process itself (stderr a pipe): `:ok:` in the file's name is text (rich's console
    showed the file as `🆗`)."""
    (tmp_path / "f").write_bytes(b"frame")
    assert cli("upload", str(tmp_path / "f"), f"s3://{bucket}/k").exit_code == 0
    got = run_cli_process(["get", f"s3://{bucket}/k", ":ok:"], env, tmp_path)
    assert got.exit_code == 0 and " → :ok: (" in got.stderr, got.stderr


def test_markdown_and_tables_through_the_console_are_escaped(capsys: pytest.CaptureFixture[str]):
    from rich.markdown import Markdown
    out.reset([])
    out.console().print(Markdown("# Title\x1b]0;pwn\x07\n\nbody \x1b[31m red"))
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\\x1b" in text


def test_json_is_exact_and_carries_no_raw_terminal_control(capsys: pytest.CaptureFixture[str]):
    out.reset(["--json"])
    key = "k\x1b\x7f\x85\x9b\u2028\u2029\u202e\u2066\ttab\nnl \u00e9"
    from its_store.core.models import ErrorDetail
    out.emit_json(ErrorDetail(code="c", message=key))
    out.emit_jsonl([ErrorDetail(code="c", message=key)])
    out.json_line(json.dumps({"key": key}, ensure_ascii=False))
    text = capsys.readouterr().out
    assert all(c.isprintable() or c == "\n" for c in text)
    assert [(lambda d: d.get("key", d.get("message")))(json.loads(line)) for line in text.splitlines()] == [key] * 3
    assert "\u00e9" in text  # printable non-ASCII stays as it is


def test_log_records_are_escaped():
    from its_store.cli import logs
    err = io.StringIO()
    import sys
    saved, sys.stderr = sys.stderr, err
    try:
        out.reset([])
        logs.configure(verbose=True, debug=False)
        logging.getLogger("its_store.test").warning("key %s", "x\x1b[2Jy\nz")
    finally:
        sys.stderr = saved
        logs.configure(verbose=False, debug=False)
    assert "\x1b" not in err.getvalue() and "x\\x1b[2Jy\\nz" in err.getvalue()


# -- the source: nothing in cli/ writes around the seam -----------------------------------------------

RAW_WRITES = {("sys", "stdout", "write"), ("sys", "stderr", "write"), ("typer", "echo"), ("click", "echo"),
              ("click", "secho"), ("typer", "secho")}


def _chain(node: ast.AST) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "<expr>")  # out.console().print: "<expr>"
    return tuple(reversed(parts))


def test_no_command_prints_around_the_output_seam():
    """Every text the CLI prints goes through cli/output.py (which escapes): no print(), no
    sys.stdout/stderr.write, no typer/click echo, no rich Console of its own, anywhere else in cli/.
    (Completion scripts talk to the shell, not to a person: cli/completion/ escapes for its shells.)"""
    offenders = []
    for path in sorted(CLI.rglob("*.py")):
        if path.name == "output.py" or "completion" in path.parts:
            continue
        if path.name == "stdout_lost.py":  # --version's line and an OS error's text, before output.py is
            continue                        # imported (a full or closed stdout): nothing a server or key wrote
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            chain = _chain(node.func)
            if chain == ("print",) or chain in RAW_WRITES or chain[-1:] == ("Console",) or \
                    (chain[-1:] == ("write",) and any(p in ("stdout", "stderr", "stream") for p in chain)):
                offenders.append(f"{path.relative_to(CLI)}:{node.lineno}: {'.'.join(chain)}")
    assert offenders == []


def test_the_seam_is_used_by_the_commands_that_print_keys():
    """The commands that print keys print through the seam (a guard against a new raw path)."""
    for name in ("objects.py", "versions.py", "transfer.py", "sync.py", "audit.py", "verify.py"):
        source = (CLI / "commands" / name).read_text()
        assert "out." in source and "import output as out" in source, name


def test_a_table_cell_is_text_never_markup_nor_an_emoji_code(capsys: pytest.CaptureFixture[str]):
    """A key, a metadata value or a tag in a table (stat, versions, tags...) is someone else's text: rich read
    `[/]` as markup (MarkupError: `stat s3://b/a[/]b` ended in an unexpected error), `[link=...]` as a link it
    hid, and `:ok:` as an emoji (last read of session 33)."""
    out.reset([])
    out.table(["key", "value"], [["a[/]b", "[link=https://evil.example]click[/link] :ok: [bold]x[/bold]"]])
    text = capsys.readouterr().out
    assert "a[/]b" in text and "[link=https://evil.example]click[/link] :ok: [bold]x[/bold]" in text, text
