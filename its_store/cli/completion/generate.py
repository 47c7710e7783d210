"""`make completions`: the scripts in completions/ and the command table of the fast path, from the app.

    python -m its_store.cli.completion.generate [DIR]      (DIR default: completions)

writes the bash, zsh and fish scripts to DIR (completion/shells.py: ours for bash, Typer's for the others)
and the table `_table.py` beside this module. tests/test_completion.py and tests/test_completion_fast.py
fail when either is stale.

The table records what click's completion reads of each command (completion/fast.py answers from it
without Typer). It is read through public API only: each parameter's public attributes and its own
add_to_parser() and shell_complete(), the declarations (typer.Option/Argument) of the command functions,
and typer.rich_utils.rich_render_text for the help texts. Anything unusual (custom classes, contexts or
completions, callbacks that act while completing) is marked `fallback`: Typer answers it.

Nothing imports this module but the tests: it imports the whole app (cli/app.py), which never imports it.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Any

from its_store.cli.completion.shells import COMPLETE_VAR, COMPLETION_OPTIONS, PROG, patched_environ, script

# shell -> file name under completions/ (zsh wants `_its-store` in a folder of $fpath)
FILES = {"bash": "its-store.bash", "zsh": "_its-store", "fish": "its-store.fish"}
TABLE = Path(__file__).with_name("_table.py")
WIDE = 10_000  # a console width at which no help text wraps
NEVER = sys.maxsize  # "needs a wider console than any": always answered by Typer
TABLE_HEADER = '''"""The command table of completion/fast.py, GENERATED from the Typer app by `make completions`.

Do not edit: tests/test_completion_fast.py fails when it is not current. COMMANDS maps a command path to
what click's completion reads of it: the option parser's setup (long, short, prefixes, interspersed,
arguments), the parameters in order (how each completes; `fallback`: Typer must answer), the
subcommands with their short help. HELP maps a help text to (zsh rendering, least console width, fish
rendering, least console width).
"""
# ruff: noqa: E501

'''
# Methods of Typer's command and group classes that decide how a command line is parsed and completed:
# a class that overrides one of them is answered by Typer (cli/base.py's classes override none).
STOCK_METHODS = ("make_context", "parse_args", "make_parser", "get_params", "shell_complete", "resolve_command",
                 "get_command", "list_commands")


def table_source() -> str:
    """The text of _table.py for the app as it is now."""
    from typer.main import get_command

    from its_store.cli.app import app
    from its_store.cli.completion.complete import ROOT_PARAMS
    from its_store.cli.completion.fast import NO_DETECT
    for name in (NO_DETECT, "TERMINAL_WIDTH"):
        if os.environ.get(name):
            raise RuntimeError(f"unset {name}: it changes Typer's root options or help rendering")
    root = get_command(app)
    nodes: dict[tuple[str, ...], dict[str, Any]] = {}
    with root.make_context(PROG, [], resilient_parsing=True) as ctx:
        _describe(root, ctx, (), nodes)
        defaults = {p.name: p.default for p in root.get_params(ctx) if p.name in ROOT_PARAMS}
    helps = {h for node in nodes.values() for _, h in node["commands"].values() if h}
    helps |= {p["help"] for node in nodes.values() for p in node["params"] if p["option"] and p["help"]}
    lines = [TABLE_HEADER + f"ROOT_DEFAULTS = {defaults!r}", "", "COMMANDS = {"]
    for path, node in nodes.items():
        lines.append(f"    {path!r}: {{")
        lines += [f"        {key!r}: {value!r}," for key, value in node.items() if key != "params"]
        lines.append("        'params': [")
        lines += [f"            {param!r}," for param in node["params"]]
        lines += ["        ],", "    },"]
    lines += ["}", "", "HELP = {"]
    lines += [f"    {text!r}: {_rendered(text)!r}," for text in sorted(helps)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _describe(cmd: Any, ctx: Any, path: tuple[str, ...], nodes: dict[tuple[str, ...], dict[str, Any]]) -> None:
    """Record `cmd` (and its subcommands) the way click's completion will meet it."""
    from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
    group = isinstance(cmd, TyperGroup)
    stock = TyperGroup if group else TyperCommand
    params = cmd.get_params(ctx)
    setup = ParserSetup()
    for param in params:
        param.add_to_parser(setup, ctx)
    unusual = (any(getattr(type(cmd), m, None) is not getattr(stock, m, None) for m in STOCK_METHODS)
               or cmd.context_class is not stock.context_class or ctx.token_normalize_func is not None
               or ctx.ignore_unknown_options or getattr(cmd, "chain", False)
               or any(type(p) not in (TyperOption, TyperArgument) for p in params)
               or any(nargs not in (1, -1) for _, nargs in setup.arguments))
    declared = _declarations(cmd)
    node: dict[str, Any] = {
        "group": group, "fallback": unusual, "interspersed": ctx.allow_interspersed_args,
        "prefixes": sorted(setup.prefixes),
        "long": dict(sorted(setup.long.items())),
        "short": dict(sorted(setup.short.items())),
        "help_names": list(ctx.help_option_names),
        "arguments": setup.arguments,
        "commands": {},
        "params": [_param(p, cmd, ctx, declared) for p in params],
    }
    nodes[path] = node
    for name in cmd.list_commands(ctx) if group else ():
        sub = cmd.get_command(ctx, name)
        if sub is None:
            continue
        node["commands"][name] = (sub.hidden, sub.get_short_help_str())
        with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
            _describe(sub, sub_ctx, (*path, name), nodes)


class ParserSetup:
    """Stands in for click's option parser in `param.add_to_parser(parser, ctx)` and records what the
    parser would learn: long and short options as (dest, action, nargs, const), the option prefixes
    (click's parser starts with '-' and '--'), and the arguments as (dest, nargs)."""

    def __init__(self) -> None:
        self.long: dict[str, tuple[str, str, int, Any]] = {}
        self.short: dict[str, tuple[str, str, int, Any]] = {}
        self.prefixes = {"-", "--"}
        self.arguments: list[tuple[str, int]] = []

    def add_option(self, obj: Any, opts: Any, dest: str, action: str = "store", nargs: int = 1,
                   const: Any = None) -> None:
        if const not in (None, True, False):
            raise ValueError(f"option {dest}: const {const!r} is not supported by the table")
        for opt in opts:
            prefix, name = _split_opt(opt)
            if not prefix:
                raise ValueError(f"invalid start character for option ({opt})")
            self.prefixes.add(prefix[0])
            if len(prefix) == 1 and len(name) == 1:
                self.short[opt] = (dest, action, nargs, const)
            else:
                self.long[opt] = (dest, action, nargs, const)
                self.prefixes.add(prefix)

    def add_argument(self, obj: Any, dest: str, nargs: int = 1) -> None:
        self.arguments.append((dest, nargs))


def _split_opt(opt: str) -> tuple[str, str]:
    """('--', 'name') for '--name', ('-', 'n') for '-n', ('', 'x') for 'x' (as click splits options)."""
    first = opt[:1]
    if first.isalnum():
        return "", opt
    if opt[1:2] == first:
        return opt[:2], opt[2:]
    return first, opt[1:]


def _declarations(cmd: Any) -> dict[str, Any]:
    """The typer.Option()/typer.Argument() (or plain default) of each parameter of the command's function."""
    if cmd.callback is None:
        return {}
    from typer.utils import get_params_from_function
    function = inspect.unwrap(cmd.callback)  # Typer wraps it with functools.update_wrapper
    return {name: meta.default for name, meta in get_params_from_function(function).items()}


def _param(param: Any, cmd: Any, ctx: Any, declared: dict[str, Any]) -> dict[str, Any]:
    from typer import completion
    from typer.core import TyperOption

    from its_store.cli.output import _set_json
    quiet = (completion.install_callback, completion.show_callback, _set_json)  # nothing to see while completing
    is_help = param is cmd.get_help_option(ctx)
    acts = param.callback is not None and not is_help and inspect.unwrap(param.callback) not in quiet
    described = {"name": param.name, "option": isinstance(param, TyperOption), "nargs": param.nargs,
                 "complete": _completion_kind(param, ctx, declared, is_help), "fallback": acts}
    if described["option"]:  # the help option's names come from a set: their order is the runtime's
        described.update(opts=sorted(param.opts) if is_help else list(param.opts), help_option=is_help,
                         secondary=list(param.secondary_opts),
                         value=not (param.is_flag or param.count), multiple=param.multiple, hidden=param.hidden,
                         help=param.help)
    return described


def _completion_kind(param: Any, ctx: Any, declared: dict[str, Any], is_help: bool) -> Any:
    """How `param` completes: our live completions ("remote", "model"), ("choice", values, case
    sensitive), ("file",), None (nothing), or "fallback" (something the fast path cannot do)."""
    from its_store.cli.completion.complete import complete_model_ref, complete_remote
    if type(param).shell_complete is not _stock_shell_complete(param):
        return "fallback"
    if param.name not in declared:  # not from our functions: only Typer's own options are expected
        return None if is_help or param.name in COMPLETION_OPTIONS else "fallback"
    info = declared[param.name]
    custom = getattr(info, "autocompletion", None)
    if custom is not None or getattr(info, "shell_complete", None) is not None:
        ours: dict[object, str] = {complete_remote: "remote", complete_model_ref: "model"}
        return ours.get(custom, "fallback")
    offered = param.shell_complete(ctx, "")  # with nothing typed: every choice, or the file marker
    if not offered:
        return None
    if any(item.type == "file" for item in offered):
        return ("file",)
    choices = [item.value for item in offered]
    return ("choice", choices, _case_sensitive(param, ctx, choices))


def _stock_shell_complete(param: Any) -> Any:
    from typer.core import TyperArgument, TyperOption
    return (TyperOption if isinstance(param, TyperOption) else TyperArgument).shell_complete


def _case_sensitive(param: Any, ctx: Any, choices: list[str]) -> bool:
    """Whether the choices match only as typed: asked with one choice in the other case."""
    for choice in choices:
        other = choice.upper() if choice != choice.upper() else choice.lower()
        if other != choice:
            return choice not in [item.value for item in param.shell_complete(ctx, other)]
    return True  # no letters: the same either way


def _rendered(text: str) -> tuple[str, int, str, int]:
    """`text` as ZshComplete and FishComplete show it (rendered by rich), each with the least console
    width that renders it unwrapped."""
    import re

    from its_store.cli.completion.fast import zsh_escape
    return (*_unwrapped(zsh_escape(text)), *_unwrapped(re.sub(r"\s", " ", text)))


def _unwrapped(text: str) -> tuple[str, int]:
    from rich.cells import cell_len
    wide = _render(text, WIDE)
    need = max(1, *(cell_len(line) for line in wide.split("\n")))
    return wide, need if _render(text, need) == wide else NEVER


def _render(text: str, width: int) -> str:
    """typer.rich_utils.rich_render_text (what Typer's completion calls on help texts) on a console
    `width` wide: its console takes the size from COLUMNS and LINES."""
    from typer.rich_utils import rich_render_text
    with patched_environ(COLUMNS=str(width), LINES="25"):
        return rich_render_text(text)


def write_scripts(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in FILES.items():
        path = folder / name
        path.write_text(script(shell, PROG, COMPLETE_VAR) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "completions")
    for path in write_scripts(folder):
        print(path)
    TABLE.write_text(table_source(), encoding="utf-8")
    print(TABLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
