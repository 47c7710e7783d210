"""Shell completion answered from a generated table, without importing Typer, click, rich or pydantic.

Every TAB runs `its-store` with _ITS_STORE_COMPLETE=complete_<shell>. Through Typer that costs the
whole app (~240 ms). Here the command tree comes from `_table.py`, which `make completions`
generates from the real app, and the request is resolved the way click's shell_completion does it:
the same option parser in resilient mode (completion/parse.py), the same choice of what to complete
(subcommands, option names, an option's value, the first open argument), the same output per shell.
Live values (buckets, keys, model refs) come from completion/complete.py, as on the Typer path.

What this module cannot answer byte for byte like Typer raises Fallback, and the caller runs the Typer
app instead: other instructions or shells, a command or parameter the table marks `fallback` (custom
classes or completions, a callback that acts when its option is given, e.g. --version), help text that
rich would wrap at this terminal width, a stdout that is not UTF-8, Windows.
tests/test_completion_fast.py compares both paths on many command lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from its_store.cli.completion.parse import Parser

SHELLS = ("bash", "zsh", "fish")
NO_DETECT = "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"  # changes Typer's own root options
Item = tuple[str, str | None]  # one suggestion: value, help


class Fallback(Exception):
    """This request must be answered by the Typer app."""


# ------------------------------------------------------------------------------------ entry point
def main() -> int | None:
    """Answer this process's completion request on stdout and return the exit code.

    None when there is no request or Typer must answer it; then nothing has been written.
    """
    instruction = os.environ.get(complete_var())
    if not instruction or not _stdout_is_utf8():
        return None
    try:
        text, code = respond(instruction, os.environ, sys.stdout.isatty())
    except Exception:  # noqa: BLE001 - Fallback, or a bug here: Typer answers instead
        return None
    if text is not None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError:  # the shell went away: exit 1 as Typer does, and nothing left to flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    return code


def program_name() -> str:
    """The program name as click detects it when none is given: `its-store`, or `python -m its_store`."""
    main_module = sys.modules.get("__main__")
    path = sys.argv[0] if sys.argv else ""
    package = getattr(main_module, "__package__", None)
    if package in (None, ""):
        return os.path.basename(path)
    name = os.path.splitext(os.path.basename(path))[0]
    module = package if name == "__main__" else f"{package}.{name}"
    return f"python -m {module.lstrip('.')}"


def complete_var(prog_name: str | None = None) -> str:
    """The variable Typer reads for `prog_name` (default: the detected one): `_ITS_STORE_COMPLETE`."""
    return f"_{prog_name or program_name()}_COMPLETE".replace("-", "_").upper()


def _stdout_is_utf8() -> bool:
    """click writes to sys.stdout as is only when it is not misconfigured; we answer for UTF-8 only."""
    import codecs
    try:
        return codecs.lookup(sys.stdout.encoding).name == "utf-8"
    except (AttributeError, LookupError, TypeError):
        return False


def respond(instruction: str, environ: Mapping[str, str], isatty: bool) -> tuple[str | None, int]:
    """(what Typer would print, or None for no output; its exit code) for `<instruction>` = complete_<shell>."""
    action, _, shell = instruction.partition("_")
    if action != "complete" or shell not in SHELLS or os.name == "nt" or environ.get(NO_DETECT):
        raise Fallback
    from its_store.cli.completion import _table as table
    if shell == "bash":
        line = environ.get("COMP_LINE")
        if line is None:  # an old script that passes COMP_WORDS only
            raise Fallback
        args, incomplete = bash_completion_args(line, environ.get("COMP_POINT", ""))
    else:
        args, incomplete = typer_completion_args(environ.get("_TYPER_COMPLETE_ARGS", ""))
    items = _complete(table, args, incomplete)
    if shell == "bash":
        current = bash_current_word(environ)
        text = "\n".join(relative_to_bash_word(value, incomplete, current) for value, _ in items)
    elif shell == "zsh":
        helps = _Helps(table.HELP, environ)
        shown = [f'"{zsh_escape(v)}":"{helps.get(h, 0)}"' if h else f'"{zsh_escape(v)}"' for v, h in items]
        text = "_arguments '*: :((" + "\n".join(shown) + "))'" if shown else "_files"
    else:
        helps = _Helps(table.HELP, environ)
        shown = [f"{v}\t{helps.get(h, 1)}" if h else v for v, h in items]
        fish_action = environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if fish_action == "is-args":
            return None, 0 if shown else 1
        text = "\n".join(shown) if fish_action == "get-args" else ""
    text += "\n"
    return (text if isatty else strip_ansi(text)), 0


# ----------------------------------------------------------------------------- what to complete
def _complete(table: Any, args: list[str], incomplete: str) -> list[Item]:
    """click's get_completions: the context of the words typed, then the object that completes."""
    node, values, prefixes, root = _resolve_context(table.COMMANDS, args)
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete[:1] in prefixes:
        name, _, incomplete = incomplete.partition("=")
        args.append(name)
    if "--" not in args and incomplete[:1] in prefixes:
        return _command_items(node, values, incomplete)
    for param in node["params"]:
        if param["option"] and param["value"] and _last_option(args, param["nargs"], prefixes) in param["opts"]:
            return _param_items(param, incomplete, table.ROOT_DEFAULTS, root)
    for param in node["params"]:
        if not param["option"] and (param["nargs"] == -1 or values.get(param["name"]) is None):
            return _param_items(param, incomplete, table.ROOT_DEFAULTS, root)
    return _command_items(node, values, incomplete)


def _resolve_context(commands: dict[tuple[str, ...], Any], args: list[str]
                     ) -> tuple[Any, dict[str, Any], set[str], dict[str, Any]]:
    """(deepest command, its parsed values, option prefixes so far, the root's parsed values)."""
    node = commands[()]
    values, rest = _parse(node, list(args))
    root, prefixes = values, set(node["prefixes"])
    path: tuple[str, ...] = ()
    while rest and node["group"] and rest[0] in node["commands"]:
        path = (*path, rest[0])
        node = commands[path]
        values, rest = _parse(node, rest[1:])
        prefixes |= set(node["prefixes"])
    return node, values, prefixes, root


def _last_option(args: list[str], nargs: int, prefixes: set[str]) -> str | None:
    """The option word among the last `nargs` words, if any (click's _is_incomplete_option)."""
    for index, arg in enumerate(reversed(args)):
        if index + 1 > nargs:
            break
        if arg[:1] in prefixes:
            return arg
    return None


def _command_items(node: Any, values: dict[str, Any], incomplete: str) -> list[Item]:
    """Subcommands (groups), then option names not given yet when the word starts like an option."""
    items: list[Item] = [(name, short_help) for name, (hidden, short_help) in node["commands"].items()
                         if name.startswith(incomplete) and not hidden]
    if incomplete and not incomplete[0].isalnum():
        for param in node["params"]:
            if not param["option"] or param["hidden"]:
                continue
            if param["multiple"] or values.get(param["name"]) is None:
                items += [(name, param["help"]) for name in _names(node, param) if name.startswith(incomplete)]
    return items


def _names(node: Any, param: Any) -> list[str]:
    """An option's names in click's order; the help option's come from a set, as in click's
    get_help_option_names (list(set(...)) in this process: Typer orders them the same way here)."""
    if param["help_option"]:
        return [name for name in set(node["help_names"]) if name in param["opts"]]
    return [*param["opts"], *param["secondary"]]


def _param_items(param: Any, incomplete: str, defaults: dict[str, Any], root: dict[str, Any]) -> list[Item]:
    """A parameter's values: live ones from completion/complete.py, choices, or the word itself for files."""
    kind = param["complete"]
    if kind is None:
        return []
    if kind in ("remote", "model"):
        from its_store.cli.completion.complete import suggest_model_ref, suggest_remote
        params = {name: default if root.get(name) is None else root[name] for name, default in defaults.items()}
        suggest = suggest_remote if kind == "remote" else suggest_model_ref
        return [(value, None) for value in suggest(params, incomplete) if value.startswith(incomplete)]
    if kind[0] == "choice":
        _, choices, case_sensitive = kind
        if case_sensitive:
            return [(c, None) for c in choices if c.startswith(incomplete)]
        return [(c, None) for c in choices if c.lower().startswith(incomplete.lower())]
    if kind[0] == "file":
        return [(incomplete, None)]
    raise Fallback  # "fallback": a completion we do not know


# -------------------------------------------------------------------------------------- parsing
def _parse(node: Any, args: list[str]) -> tuple[dict[str, Any], list[str]]:
    """click's Command.parse_args with resilient parsing: (values by parameter name, leftover words)."""
    if node["fallback"]:
        raise Fallback
    values, rest = Parser(node, args).parse()
    if any(p["fallback"] and values.get(p["name"]) is not None for p in node["params"]):
        raise Fallback  # a callback that acts when given (click runs it even while completing)
    return values, rest


# ------------------------------------------------------------------------------ shell specifics
def split_arg_string(string: str) -> list[str]:
    """click's split_arg_string: shlex words, keeping an unterminated last one as typed."""
    import shlex
    lex = shlex.shlex(string, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out = []
    try:
        for token in lex:
            out.append(token)
    except ValueError:
        out.append(lex.token)
    return out


def typer_completion_args(line: str) -> tuple[list[str], str]:
    """Typer's zsh/fish reading of _TYPER_COMPLETE_ARGS: (complete words, word being completed)."""
    args = split_arg_string(line)[1:]
    if args and not line.endswith(" "):
        return args[:-1], args[-1]
    return args, ""


def bash_completion_args(line: str, point: str) -> tuple[list[str], str]:
    """Our bash reading of COMP_LINE up to COMP_POINT: ':' and '=' do not split words (completion/shells.py)."""
    if _digits(point):
        line = line[:int(point)]
    words = split_arg_string(line)
    if not words:
        return [], ""
    if line[-1:].isspace():
        return words[1:], ""
    return words[1:-1], words[-1]


def _digits(text: str) -> bool:
    """core/units.is_uint without its imports (a TAB pays for each): "²".isdigit() is true, int() refuses it."""
    return 0 < len(text) <= 9 and text.isascii() and text.isdigit()


def bash_current_word(environ: Mapping[str, str]) -> str | None:
    """The word bash will replace: COMP_WORDS[COMP_CWORD], after bash's own split at ':' and '='."""
    try:
        words = split_arg_string(environ["COMP_WORDS"])
        index = int(environ["COMP_CWORD"])
    except (KeyError, ValueError):
        return None
    return words[index] if 0 <= index < len(words) else ""


def relative_to_bash_word(value: str, typed: str, current: str | None) -> str:
    """The reply that, put in place of bash's current word, leaves `value` on the line.

    `typed` is the whole word as typed (`s3://its-`), `current` its tail after bash's last word break
    (`//its-`). `value` completes `typed` itself, or for `--opt=VAL` only the part after '='.
    """
    if current is None or current == typed or not typed.endswith(current):
        return value
    base = typed if value.startswith(typed) else typed.partition("=")[2] if "=" in typed else ""
    if len(current) <= len(base):
        return value[len(base) - len(current):]
    return current[:len(current) - len(base)] + value


def zsh_escape(text: str) -> str:
    """Typer's ZshComplete escaping of values and help inside `_arguments '*: :((...))'`."""
    return (text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`")
            .replace(":", r"\\:"))


def strip_ansi(text: str) -> str:
    """click.echo drops ANSI sequences when stdout is not a terminal."""
    if "\033" not in text:
        return text
    import re
    return re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", text)


class _Helps:
    """Help texts as Typer's rich console renders them (pre-rendered in the table, see generate.py).

    The table holds each text rendered without wrapping and the least width that renders it so; at a
    narrower console rich would wrap it, and we fall back.
    """

    def __init__(self, rendered: dict[str, tuple[str, int, str, int]], environ: Mapping[str, str]) -> None:
        self.rendered = rendered
        self.environ = environ
        self.width: int | None = None

    def get(self, text: str, shell: int) -> str:
        """`text` rendered for zsh (shell 0: escaped first) or fish (shell 1: whitespace as spaces)."""
        entry = self.rendered.get(text)
        if entry is None:
            raise Fallback
        if self.width is None:
            self.width = console_width(self.environ)
        out, need = (entry[0], entry[1]) if shell == 0 else (entry[2], entry[3])
        if need > self.width:
            raise Fallback
        return out


def console_width(environ: Mapping[str, str]) -> int:
    """The width of typer.rich_utils' console (TERMINAL_WIDTH, COLUMNS, the terminal, 80), or less.

    rich answers 80 for a dumb terminal it writes to; taking the smaller is safe either way.
    """
    fixed = environ.get("TERMINAL_WIDTH")
    if fixed:
        if not _digits(fixed):
            raise Fallback  # Typer itself fails on it
        width = int(fixed)
    elif _digits(environ.get("COLUMNS", "")):
        width = int(environ["COLUMNS"])
    else:
        width = 0
        for fd in (0, 1, 2):
            try:
                width = os.get_terminal_size(fd).columns
                break
            except (AttributeError, ValueError, OSError):
                continue
        width = width or 80
    if environ.get("TERM", "").lower() in ("dumb", "unknown"):
        width = min(width, 80)
    return width
