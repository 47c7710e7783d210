"""Every `its-store ...` command line the documentation shows must parse with the real CLI.

The pages hold a few hundred command lines (the guides' recipes, the systemd unit's ExecStart, cron lines,
the Kubernetes Job's args). Each is cut out of its shell code block, and parsed with the Typer app's own
click commands, resolving groups through their public `get_command` and parsing with `make_context`, without
running anything: an option that was renamed or removed, a missing argument or a command that no longer
exists is a problem named with its page. A mkdocs hook (on_page_markdown: a warning, so the strict build
fails), used by docs/hooks/k8s_manifest.py for the Job's args, and by tests/test_docs_site.py for README.md.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import re
import shlex
from collections.abc import Iterator
from typing import Any

FENCE = re.compile(r"^[ \t]*```(\w*)[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
SHELL = {"sh", "bash", "console", "ini"}  # `ini`: a systemd unit's ExecStart; plain ``` blocks are output
GENERATED = "reference/"  # the CLI reference is generated from the app itself (usage lines are no commands)
# `its-store` as a command: a word of its own (or a path ending in /its-store), not a name such as
# `its-store-watch`, `its-store:` or the tag of `logger -t its-store`
CALL = re.compile(r"(?<![\w./=-])(?:/[\w./-]*/)?its-store(?= )")
TAGGED = re.compile(r"-t\s+$")
COMMENT = re.compile(r"(^|\s)#")  # a shell comment before it
CONTROL = set("|&;<>()")
VARIABLE = re.compile(r"\$\{?\w+\}?|\$\((\w+)\)")


def command_lines(markdown: str) -> Iterator[str]:
    """The text after each `its-store` that starts a command in a shell code block of `markdown`."""
    for block in FENCE.finditer(markdown):
        if block.group(1) not in SHELL:
            continue
        body = re.sub(r"\\\n\s*", " ", block.group(2))  # continuation lines
        body = re.sub(r"(?m)^(ExecStart\w*)=", r"\1= ", body)  # a unit's command: ExecStart=/usr/bin/its-store
        for line in body.splitlines():
            for call in CALL.finditer(line):
                before = line[:call.start()]
                if not (TAGGED.search(before) or COMMENT.search(before)):
                    yield line[call.end():]


def argv(rest: str) -> list[str]:
    """The arguments of one command: up to the first pipe, redirection, `&&`, `;` or comment; shell and
    Kubernetes variables (`$X`, `${X}`, `$(X)`) stand for a value, `0`, as JOB_COMPLETION_INDEX does."""
    lexer = shlex.shlex(rest, posix=True, punctuation_chars="|&;<>()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    args: list[str] = []
    try:
        for token in lexer:
            if set(token) <= CONTROL:
                break
            args.append(VARIABLE.sub("0", token))
    except ValueError:  # an open quote that closes after the command (`sh -c '... its-store ...'`)
        pass
    return args


@functools.cache
def _root() -> Any:
    """The app's click command, built once (Typer converts the whole app on each get_command)."""
    import typer.main

    from its_store.cli.app import app
    return typer.main.get_command(app)


def _takes_value(command: Any, ctx: Any, token: str) -> bool:
    name = token.split("=", 1)[0]
    for param in command.get_params(ctx):
        if name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
            return "=" not in token and not (getattr(param, "is_flag", False) or getattr(param, "count", False))
    return False


def parse(args: list[str]) -> str | None:
    """None when `its-store ARGS` parses, else why not (one line)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # --help and --version print before they exit
            return _walk(args)
    except Exception as exc:  # noqa: BLE001 - click's usage errors, and its Exit for --help / --version
        if getattr(exc, "exit_code", 1) == 0 and not hasattr(exc, "format_message"):
            return None
        message = exc.format_message() if hasattr(exc, "format_message") else repr(exc)
        return f"{' '.join(['its-store', *args])}: {message}"


def _walk(args: list[str]) -> str | None:
    """Parse group by group: each group's own options, then the command it names (public click API only)."""
    command, name, rest, parent = _root(), "its-store", list(args), None
    while True:
        ctx = command.make_context(name, list(rest), parent=parent)
        if not hasattr(command, "get_command"):
            return None
        i = 0
        while i < len(rest) and rest[i].startswith("-"):
            i += 2 if _takes_value(command, ctx, rest[i]) else 1
        if i == len(rest):
            return f"{' '.join(['its-store', *args])}: no command after {name}"
        sub = command.get_command(ctx, rest[i])
        if sub is None:
            return f"{' '.join(['its-store', *args])}: no command {rest[i]!r} in {name}"
        command, name, rest, parent = sub, rest[i], rest[i + 1:], ctx


def problems(markdown: str) -> list[str]:
    """Why each command line of `markdown` that does not parse does not."""
    found = (parse(argv(rest)) for rest in command_lines(markdown))
    return [problem for problem in found if problem]


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """mkdocs hook: a warning per command line the CLI refuses (the strict build turns it into a failure)."""
    if page.file.src_uri.startswith(GENERATED):
        return markdown
    for problem in problems(markdown):
        logging.getLogger("mkdocs.hooks.cli_lines").warning("%s: %s", page.file.src_uri, problem)
    return markdown
