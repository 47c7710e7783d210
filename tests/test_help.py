"""`--help` of every command and subcommand works, and shows each help text as written.

Help is click's plain help (cli/app.py: rich_markup_mode=None): no markup, so `[/PREFIX]` or `[@VERSION]`
is shown as it is written. (Under Typer's rich help, `[/PREFIX]` was a closing tag that crashed `du --help`
and `[@VERSION]` a tag that vanished; a text still escaped for it, `\\[`, would now show its backslash.)
The commands are found by walking the app's click command tree, so a command added later is covered
without a change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import app_command


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(app_command()))
IDS = [" ".join(path) or "its-store" for path, _ in COMMANDS]


def test_the_tree_is_the_whole_app() -> None:
    """The walk sees the groups' subcommands too (a walk that saw only the root would test nothing)."""
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "du", "ls", "bucket", "bucket lifecycle", "model register", "sync"} <= paths
    assert len(paths) > 50


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=IDS)
def test_help_of_every_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app_command(), [*path, "--help"], prog_name="its-store", catch_exceptions=False,
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0, (path, result.stdout[-500:], result.stderr)
    assert "error: unexpected" not in result.stdout + result.stderr, (path, result.stderr)
    assert not result.stderr.strip(), (path, result.stderr)
    assert "Usage:" in result.stdout, (path, result.stdout[:500])


def _texts(command: Any) -> Iterator[tuple[str, str]]:
    for what in ("help", "short_help", "epilog"):
        text = getattr(command, what, None)
        if text:
            yield what, text
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            yield param.name or "?", text


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_texts_are_shown_as_written(path: tuple[str, ...], command: Any) -> None:
    """No help text is escaped for a markup it is not read as, and each bracketed word shows in --help as written."""
    texts = list(_texts(command))
    escaped = [what for what, text in texts if "\\[" in text]
    assert escaped == [], f"`{' '.join(path)}`: {escaped} written for rich markup"
    bracketed = {word for what, text in texts if what != "epilog" for word in text.split() if "[" in word}
    if bracketed:
        shown = CliRunner().invoke(app_command(), [*path, "--help"], prog_name="its-store",
                                   env={"COLUMNS": "200"}).stdout
        assert {word for word in bracketed if word not in shown} == set(), shown
