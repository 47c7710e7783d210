"""The command tree of `its-store` as plain data, read through click's public interface only, for the
generated CLI reference (cli/reference.py) and man pages (cli/manpages.py).

What --help prints is the source: each parameter's `get_help_record()` (names, type, help, and its
`[default: ...; env var: ...; range; required]` notes), each command's `help`, `short_help`, `epilog` (where
our commands keep their `Example:` lines, cli/base.add_commands) and `get_usage()`. The walk goes through
`list_commands()` / `get_command()` with a real Context per level, so a lazy group that imports a command
module only when asked for it is walked the same way as an eager one. Rich markup in help texts (`\\[`) is
turned into the plain text the terminal shows.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

PROG = "its-store"
COMMANDS_PACKAGE = "its_store.cli.commands."


@dataclass(frozen=True)
class Param:
    """One option or argument as --help shows it."""

    kind: str  # "option" or "argument"
    names: tuple[str, ...]  # option spellings (`-t`, `--type`), or the argument's name
    type: str  # `<int range>`, `<video|logs>`, ... ("" for a flag)
    help: str
    default: str = ""
    envvar: tuple[str, ...] = ()
    constraint: str = ""  # a number range such as `x>=1`
    required: bool = False
    secondary: tuple[str, ...] = ()  # a boolean option's off spellings (`--no-x`, `--insecure`)


@dataclass(frozen=True)
class Command:
    """A command or a group, with its subcommands (empty for a command)."""

    path: tuple[str, ...]  # ("its-store", "bucket", "create")
    usage: str  # "Usage: its-store bucket create [OPTIONS] {target}"
    short: str  # the one line of the parent's command list
    paragraphs: tuple[str, ...]  # the help text, one string per paragraph (a `\b` one keeps its lines)
    params: tuple[Param, ...]
    examples: tuple[str, ...]  # command lines from the epilog's `Example:` paragraphs
    notes: tuple[str, ...]  # the epilog's other paragraphs
    module: str  # the command module under cli/commands/ that defines it ("" for a group)
    subcommands: tuple[Command, ...] = field(default=())

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def is_group(self) -> bool:
        return bool(self.subcommands)

    def walk(self) -> list[Command]:
        """This command and every one below it, depth first, in --help order."""
        found = [self]
        for sub in self.subcommands:
            found.extend(sub.walk())
        return found


def root_command() -> Any:
    """The click command of the whole app (typer.main.get_command: Typer's public way to get it)."""
    import typer

    from its_store.cli import app as app_module
    return typer.main.get_command(app_module.app)


def read_tree(root: Any = None) -> Command:
    """The app's command tree, walked with a Context per level (the usage lines need the parents)."""
    import typer
    root = root_command() if root is None else root
    return _read(root, typer.Context(root, info_name=PROG, **root.context_settings))


def _read(cmd: Any, ctx: Any) -> Command:
    subcommands = []
    if hasattr(cmd, "list_commands"):
        import typer
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                # context_settings as Command.make_context applies them (help_option_names: `-h, --help`)
                subcommands.append(_read(sub, typer.Context(sub, info_name=name, parent=ctx, **sub.context_settings)))
    examples, notes = _epilog(cmd.epilog)
    params = tuple(p for p in (_param(param, ctx) for param in cmd.get_params(ctx)) if p is not None)
    callback_module = getattr(cmd.callback, "__module__", "") or ""
    paragraphs = _paragraphs(cmd.help or "", deprecated=bool(getattr(cmd, "deprecated", False)))
    return Command(
        path=tuple(ctx.command_path.split(" ")),
        usage=" ".join(cmd.get_usage(ctx).split()),
        short=cmd.short_help if cmd.short_help else next(iter(paragraphs), "").lstrip("\b"),  # as Typer
        paragraphs=paragraphs,
        params=params,
        examples=examples,
        notes=notes,
        module=callback_module.removeprefix(COMMANDS_PACKAGE) if callback_module.startswith(COMMANDS_PACKAGE)
        else "",
        subcommands=tuple(subcommands),
    )


def _paragraphs(help_text: str, *, deprecated: bool = False) -> tuple[str, ...]:
    """Paragraphs as Typer shows them: cut at `\\f`, split at blank lines, lines of one paragraph joined
    (a paragraph that starts with `\\b` keeps its line breaks, as in click)."""
    text = inspect.cleandoc(help_text).partition("\f")[0]
    found = ["(Deprecated)"] if deprecated else []
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block.strip():
            continue
        if block.startswith("\b"):
            found.append("\b" + block[1:].strip("\n"))
        else:
            found.append(" ".join(line.strip() for line in block.splitlines()))
    return tuple(found)


def _epilog(epilog: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the command lines of its `Example:` paragraphs, its other paragraphs)."""
    examples: list[str] = []
    notes: list[str] = []
    for block in _paragraphs(epilog or ""):
        head, colon, rest = block.lstrip("\b").partition(":")  # `\b`: click prints the block unwrapped
        if colon and head.strip() in ("Example", "Examples"):
            examples.extend(line.strip() for line in rest.splitlines() if line.strip())
        else:
            notes.append(block)
    return tuple(examples), tuple(notes)


def _param(param: Any, ctx: Any) -> Param | None:
    """A parameter as its help record says it (None when hidden). The record's first half is the names
    and the type; its second is `help` plus `  [notes]`, which are read back into their fields."""
    record = param.get_help_record(ctx)
    if record is None:
        return None
    label, text = record
    help_text = param.help or ""
    notes = text[len(help_text):].strip() if text.startswith(help_text) else ""
    if notes.startswith("[") and notes.endswith("]"):
        notes = notes[1:-1]
    default, envvar, constraint, required = "", _as_tuple(getattr(param, "envvar", None)), "", False
    for note in filter(None, (part.strip() for part in notes.split("; "))):
        if note.startswith("default: "):
            default = note.removeprefix("default: ")
        elif note.startswith("env var: "):
            envvar = envvar or tuple(v.strip() for v in note.removeprefix("env var: ").split(","))
        elif note == "required":
            required = True
        else:
            constraint = f"{constraint}; {note}" if constraint else note
    if param.param_type_name == "argument":
        names: tuple[str, ...] = (label.split(" ", 1)[0],)
        type_ = label.split(" ", 1)[1] if " " in label else ""
    else:
        names = _sorted_opts(param.opts)
        first = label.split(" / ", 1)[0].split("; ", 1)[0]
        type_ = " ".join(word for word in first.split(" ") if word.rstrip(",") not in param.opts)
    return Param(kind=param.param_type_name, names=names, type=type_, help=help_text, default=default,
                 envvar=envvar, constraint=constraint, required=required or bool(param.required),
                 secondary=_sorted_opts(getattr(param, "secondary_opts", ())))


def _sorted_opts(opts: Any) -> tuple[str, ...]:
    """Short spellings first, as --help lists them."""
    return tuple(sorted(opts, key=lambda opt: len(opt) - len(opt.lstrip("-"))))


def _as_tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def by_page(tree: Command) -> dict[str, list[Command]]:
    """The reference's pages: one per top-level group (named by it), and the top-level commands grouped
    by the command module that defines them (`objects`: upload, get, ls, ...); a module named `M_PART`
    adds to the page of M (`objects_info`: ls, stat, presign on `objects`); a module's commands join the
    group page of the same name (`stats` goes with `cache`)."""
    pages: dict[str, list[Command]] = {}
    for sub in tree.subcommands:
        key = sub.path[-1] if sub.is_group else (sub.module or "commands").partition("_")[0]
        pages.setdefault(key, []).append(sub)
    return pages
