"""The shell side of completion: the scripts in completions/ and how a completion request is read.

zsh and fish use Typer's scripts unchanged. bash gets its own, because Typer's breaks on s3:// refs:
bash splits the word being completed at ':' (COMP_WORDBREAKS), so `s3://its-` reaches the program as
three words. Our script also passes COMP_LINE/COMP_POINT (the line as typed), from which we read the
whole word, and we answer relative to bash's current word. It also keeps bash from adding a space
after a lone `s3://bucket/` answer, so that the key can be typed straight on.

`install()` makes Typer use this for `_ITS_STORE_COMPLETE=source_bash|complete_bash`, and for
`--show-completion` / `--install-completion` (which read Typer's script table, not the class registry).
tests/test_completion.py fails loudly if a Typer upgrade moves either hook.

Most completion requests are answered by cli/fastcomplete.py, without Typer, from a table of the commands
and options (the rest by Typer and ItsBashComplete); table_source() generates that table (`_table.py`)
from the real Typer app.

`python -m its_store.cli.completion.shells DIR` writes the three scripts to DIR and the table beside this module
(what `make completions` runs).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from typer import _completion_shared
from typer._click.shell_completion import CompletionItem, add_completion_class, get_completion_class
from typer._completion_classes import BashComplete

from its_store.cli.completion.fast import bash_completion_args, bash_current_word, relative_to_bash_word

PROG = "its-store"
COMPLETE_VAR = "_ITS_STORE_COMPLETE"
# shell -> file name under completions/ (zsh wants `_its-store` in a folder of $fpath)
FILES = {"bash": "its-store.bash", "zsh": "_its-store", "fish": "its-store.fish"}

BASH_SCRIPT = r"""
# bash completion for %(prog_name)s (generated: make completions)
%(complete_func)s() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \
                   COMP_LINE="$COMP_LINE" COMP_POINT="$COMP_POINT" \
                   %(autocomplete_var)s=complete_bash "$1" 2>/dev/null ) )
    # one answer ending in '/' (s3://bucket/, a key prefix): no space, the user goes on typing
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""


class ItsBashComplete(BashComplete):
    """Typer's bash completion, reading the typed line (COMP_LINE) so that ':' does not split words."""

    source_template = BASH_SCRIPT

    def get_completion_args(self) -> tuple[list[str], str]:
        line = os.environ.get("COMP_LINE")
        if line is None:  # an older script that passes COMP_WORDS only
            return super().get_completion_args()
        return bash_completion_args(line, os.environ.get("COMP_POINT", ""))

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        current = bash_current_word(os.environ)
        return "\n".join(relative_to_bash_word(item.value, incomplete, current)
                         for item in self.get_completions(args, incomplete))

    def format_completion(self, item: CompletionItem) -> str:
        return item.value


def install() -> None:
    """Use our bash script and reader for every completion entry point of Typer. Idempotent."""
    add_completion_class(ItsBashComplete, "bash")
    _completion_shared._completion_scripts["bash"] = BASH_SCRIPT


def script(shell: str) -> str:
    """The completion script for `shell`, exactly as `_ITS_STORE_COMPLETE=source_<shell> its-store` prints it."""
    from typer.main import get_command

    from its_store.cli.app import app
    command = get_command(app)
    install()
    cls = get_completion_class(shell)
    if cls is None:
        raise ValueError(f"unsupported shell {shell!r}")
    return cls(command, {}, PROG, COMPLETE_VAR).source().strip() + "\n"


# ------------------------------------------------------------------- the table of fastcomplete.py
TABLE = Path(__file__).with_name("_table.py")
WIDE = 10_000  # a console width at which no help text wraps
NEVER = sys.maxsize  # "needs a wider console than any": always answered by Typer
TABLE_HEADER = '''"""The command table of cli/fastcomplete.py, GENERATED from the Typer app by `make completions`.

Do not edit: tests/test_completion_fast.py fails when it is not current. COMMANDS maps a command path to
what click's completion reads of it: the option parser's setup (long, short, prefixes, interspersed,
arguments), the parameters in order (how each completes; `fallback`: Typer must answer), the
subcommands with their short help. HELP maps a help text to (zsh rendering, least console width, fish
rendering, least console width).
"""
# ruff: noqa: E501

'''
STOCK_METHODS = ("make_context", "parse_args", "make_parser", "get_params", "shell_complete", "resolve_command",
                 "_click_resolve_command", "get_command", "list_commands")


def table_source() -> str:
    """The text of _table.py for the app as it is now."""
    from typer.main import get_command

    from its_store.cli.app import app
    from its_store.cli.completion.complete import ROOT_PARAMS
    from its_store.cli.completion.fast import NO_DETECT
    if os.environ.get(NO_DETECT):
        raise RuntimeError(f"unset {NO_DETECT}: it changes Typer's root options")
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
    from typer._click.core import Context
    from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
    group = isinstance(cmd, TyperGroup)
    parser = cmd.make_parser(ctx)
    params = cmd.get_params(ctx)
    stock = TyperGroup if group else TyperCommand
    unusual = (any(getattr(type(cmd), m, None) is not getattr(stock, m, None) for m in STOCK_METHODS)
               or cmd.context_class is not Context or ctx.token_normalize_func is not None
               or parser.ignore_unknown_options or getattr(cmd, "chain", False)
               or any(not isinstance(p, TyperOption | TyperArgument) for p in params)
               or any(a.nargs not in (1, -1) for a in parser._args))
    node: dict[str, Any] = {
        "group": group, "fallback": unusual, "interspersed": parser.allow_interspersed_args,
        "prefixes": sorted(parser._opt_prefixes),
        "long": {name: _spec(opt) for name, opt in sorted(parser._long_opt.items())},
        "short": {name: _spec(opt) for name, opt in sorted(parser._short_opt.items())},
        "help_names": list(ctx.help_option_names),
        "arguments": [(a.dest, a.nargs) for a in parser._args],
        "commands": {},
        "params": [_param(p, cmd, ctx) for p in params],
    }
    nodes[path] = node
    for name in cmd.list_commands(ctx) if group else ():
        sub = cmd.get_command(ctx, name)
        if sub is None:
            continue
        node["commands"][name] = (sub.hidden, sub.get_short_help_str())
        with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
            _describe(sub, sub_ctx, (*path, name), nodes)


def _spec(opt: Any) -> tuple[str, str, int, Any]:
    if opt.const not in (None, True, False):
        raise ValueError(f"option {opt.dest}: const {opt.const!r} is not supported by the table")
    return (opt.dest, opt.action, opt.nargs, opt.const)


def _param(param: Any, cmd: Any, ctx: Any) -> dict[str, Any]:
    from typer import completion
    from typer.core import TyperOption

    from its_store.cli.output import _set_json
    quiet = (completion.install_callback, completion.show_callback, _set_json)  # nothing to see while completing
    is_help = param is cmd.get_help_option(ctx)
    acts = param.callback is not None and not is_help and not any(f in quiet for f in _wrapped(param.callback))
    described = {"name": param.name, "option": isinstance(param, TyperOption), "nargs": param.nargs,
                 "complete": _completion_kind(param), "fallback": acts}
    if described["option"]:  # the help option's names come from a set: their order is the runtime's
        described.update(opts=sorted(param.opts) if is_help else list(param.opts), help_option=is_help,
                         secondary=list(param.secondary_opts),
                         value=not (param.is_flag or param.count), multiple=param.multiple, hidden=param.hidden,
                         help=param.help)
    return described


def _completion_kind(param: Any) -> Any:
    """What _TyperParameter.shell_complete does for `param`: our callbacks, choices, files, nothing."""
    from typer._param_types import choice_as_str
    from typer.core import _TyperParameter

    from its_store.cli.completion.complete import complete_model_ref, complete_remote
    if type(param).shell_complete is not _TyperParameter.shell_complete:
        return "fallback"
    if param._custom_shell_complete is not None:
        known = {complete_remote: "remote", complete_model_ref: "model"}
        return next((known[f] for f in _wrapped(param._custom_shell_complete) if f in known), "fallback")
    desc = param.type_descriptor
    if desc.is_choice and desc.choices is not None:
        return ("choice", [choice_as_str(c) for c in desc.choices], desc.case_sensitive)
    return ("file",) if desc.is_file else None


def _wrapped(fn: Any) -> list[Any]:
    """`fn` and the functions its closures hold, recursively (Typer wraps autocompletion= twice)."""
    found: list[Any] = []
    todo = [fn]
    while todo:
        f = todo.pop()
        if not callable(f) or any(f is g for g in found):
            continue
        found.append(f)
        for cell in getattr(f, "__closure__", None) or ():
            with contextlib.suppress(ValueError):  # an empty cell
                todo.append(cell.cell_contents)
    return found


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
    """typer.rich_utils.rich_render_text (what Typer's _sanitize_help_text calls) on a console of `width`."""
    from typer import rich_utils
    console = rich_utils._get_rich_console()
    console.size = (width, 25)
    return "".join(segment.text for segment in console.render(text)).rstrip("\n")


def write_scripts(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in FILES.items():
        path = folder / name
        path.write_text(script(shell), encoding="utf-8")
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
