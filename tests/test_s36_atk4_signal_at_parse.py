"""Session 36 (atk4): a SIGTERM, SIGHUP or Ctrl-C that came while the root's options were parsed (Typer builds
their pydantic adapters then, importing pydantic: ~0.3 s of every command's start, longer on a busy machine)
ended the command with exit 130 and not a word: Typer turns a KeyboardInterrupt (core/errors.Terminated is
one) raised in make_context into Exit(130), which, not standalone, it returns. `systemctl stop` of a watcher
just started read 130 (SIGINT's) where 143 says SIGTERM. Seen with `sync --watch` killed 0.45-0.65 s after
start: 5 of 7 exited 130, silent. Here the signal's exception is raised from the root's parse_args, where the
handler (cli/signals) raised it in those runs."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from typer.core import TyperGroup

from its_store.core import errors as E


@pytest.mark.parametrize(("raised", "code", "line"), [
    (lambda: E.Terminated(signal.SIGTERM), 143, "terminated by SIGTERM"),
    (lambda: E.Terminated(signal.SIGHUP), 129, "terminated by SIGHUP"),
    (KeyboardInterrupt, 130, "interrupted"),
], ids=["SIGTERM", "SIGHUP", "Ctrl-C"])
def test_a_signal_while_the_root_options_are_parsed(cli: Any, monkeypatch: pytest.MonkeyPatch, raised: Any,
                                                    code: int, line: str) -> None:
    parse = TyperGroup.parse_args

    def parse_args(self: Any, ctx: Any, args: list[str]) -> Any:
        if ctx.parent is None:
            raise raised()
        return parse(self, ctx, args)

    monkeypatch.setattr(TyperGroup, "parse_args", parse_args)
    run = cli("bucket", "ls")
    assert run.exit_code == code and line in run.stderr, (run.exit_code, run.stderr)
