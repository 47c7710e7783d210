"""The bash, zsh and fish completion scripts, generated from the app; installing them.

`its-store completion show SHELL` prints one (`make completions` writes all three to completions/),
`its-store completion install SHELL` installs one; --show-completion and --install-completion, for the shell
they run in.

A script completes commands, options, option values and choices by itself, from tables written into it here,
so a TAB on them starts no process. Only for the names of a KIND (buckets and keys, model refs, remotes:
cli/completion/complete.py KINDS) does it run `_ITS_STORE_COMPLETE=names its-store KIND WORD [GLOBAL OPTION...]`.

The tables come from walking the click command tree with click's public API only (list_commands,
get_command, get_params, each parameter's opts, nargs, is_flag and shell_complete). What a parameter completes
is asked of the parameter itself: shell_complete() with nothing typed answers the choices, a directory marker,
or, for our callbacks, their KIND (complete.PROBE in the context's meta). The shell code (bash.sh, zsh.zsh,
fish.fish beside this module) walks the words typed the way click parses them: options anywhere (a value
option takes the next word unless written `--opt=value`), `--` ends the options, a group's first free word
is a subcommand.

Node tables, one entry per command path (node 0 is `its-store`):
- commands: the subcommands of a group, each with its node id and short help;
- options: every option name, with how its value completes (None for a flag) and the option's help;
- arguments: how each positional argument completes; `rest`: any further one (an argument with nargs=-1).
A completion spec is "" (nothing known: the shell's own file completion), "@dir" (directories),
"=A B C" (these choices) or ":KIND" (names from complete.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROG = "its-store"
SHELLS = ("bash", "zsh", "fish")
FILES = {"bash": "its-store.bash", "zsh": "_its-store", "fish": "its-store.fish"}  # names under completions/
TEMPLATES = {"bash": "bash.sh", "zsh": "zsh.zsh", "fish": "fish.fish"}


@dataclass
class Node:
    """One command path, as the scripts read it (see the module docstring)."""

    id: int
    path: tuple[str, ...]
    commands: list[tuple[str, int, str]] = field(default_factory=list)   # (name, node id, short help)
    options: list[tuple[str, str | None, str]] = field(default_factory=list)  # (name, value spec | None, help)
    arguments: list[str] = field(default_factory=list)                   # spec of each positional argument
    rest: str | None = None                                              # spec of any further argument


def tree(root: Any, prog: str = PROG) -> list[Node]:
    """The command tree of `root` (the app's click group: importing every command), node 0 first."""
    nodes: list[Node] = []
    with root.make_context(prog, [], resilient_parsing=True) as ctx:
        _walk(root, ctx, (), nodes)
    return nodes


def _walk(cmd: Any, ctx: Any, path: tuple[str, ...], nodes: list[Node]) -> int:
    from its_store.cli.completion.complete import PROBE
    node = Node(len(nodes), path)
    nodes.append(node)
    ctx.meta[PROBE] = True  # our callbacks answer their KIND (complete.callback)
    help_option = cmd.get_help_option(ctx)
    for param in cmd.get_params(ctx):
        if param.param_type_name == "option" and not param.hidden:
            takes_value = not (param.is_flag or param.count)
            spec = _spec(param, ctx) if takes_value else None
            names = sorted(param.opts) if param is help_option else param.opts  # click keeps those in a set
            node.options += [(name, spec, _one_line(param.help or "")) for name in [*names, *param.secondary_opts]]
        elif param.param_type_name == "argument":
            if param.nargs == -1:
                node.rest = _spec(param, ctx)
                break  # the words after a greedy argument are its own, as far as a shell can tell
            node.arguments += [_spec(param, ctx)] * param.nargs
    for name in cmd.list_commands(ctx) if hasattr(cmd, "list_commands") else ():
        sub = cmd.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
            child = _walk(sub, sub_ctx, (*path, name), nodes)
        node.commands.append((name, child, _one_line(sub.get_short_help_str(limit=1000))))
    return node.id


def _spec(param: Any, ctx: Any) -> str:
    """How the value of `param` completes, asked of the parameter itself with nothing typed."""
    from its_store.cli.completion.complete import PROBE
    items = param.shell_complete(ctx, "")
    values = [str(item.value) for item in items]
    if len(values) == 1 and values[0].startswith(PROBE):
        return ":" + values[0][len(PROBE):]
    if any(item.type == "dir" for item in items):
        return "@dir"
    if any(item.type != "plain" for item in items) or not values:
        return ""  # files, or nothing known
    for value in values:
        if not re.fullmatch(r"[\w.@%+:,-]+", value):
            raise ValueError(f"choice {value!r} of {param.name}: a script cannot offer it as one plain word")
    return "=" + " ".join(values)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------- the scripts
def script(shell: str, nodes: list[Node]) -> str:
    """The completion script for `shell`, for the command tree `nodes` (no final newline)."""
    if shell not in SHELLS:
        raise ValueError(f"no completion script for {shell!r}")
    template = (Path(__file__).parent / TEMPLATES[shell]).read_text(encoding="utf-8")
    tables = {"bash": _bash_tables, "zsh": _zsh_tables, "fish": _fish_tables}[shell](nodes)
    return template.replace("# @TABLES@\n", tables).strip()


def _bash_tables(nodes: list[Node]) -> str:
    """Associative arrays: _its_store_cmds[ID] names, _its_store_kid[ID|NAME] node, _its_store_opts[ID] names,
    _its_store_val[ID|OPTION] value spec, _its_store_arg[ID|N] (and [ID|*]) argument spec."""
    cmds, kids, opts, vals, args = [], [], [], [], []
    for node in nodes:
        if node.commands:
            cmds.append(f"[{node.id}]={_sh(' '.join(name for name, _, _ in node.commands))}")
            kids += [f"[{node.id}|{name}]={child}" for name, child, _ in node.commands]
        opts.append(f"[{node.id}]={_sh(' '.join(name for name, _, _ in node.options))}")
        vals += [f"[{node.id}|{name}]={_sh(spec)}" for name, spec, _ in node.options if spec is not None]
        args += [f"[{node.id}|{index}]={_sh(spec)}" for index, spec in enumerate(node.arguments)]
        args += [f"[{node.id}|*]={_sh(node.rest)}"] if node.rest is not None else []
    return "".join(f"declare -gA {name}=(\n" + "".join(f"    {item}\n" for item in items) + ")\n"
                   for name, items in (("_its_store_cmds", cmds), ("_its_store_kid", kids), ("_its_store_opts", opts),
                                       ("_its_store_val", vals), ("_its_store_arg", args)))


def _zsh_tables(nodes: list[Node]) -> str:
    """As bash's, with the help texts: _its_store_cmdh[ID] and _its_store_opth[ID] hold `name:help` lines for
    _describe."""
    cmds, cmdh, kids, opts, opth, vals, args = [], [], [], [], [], [], []
    for node in nodes:
        if node.commands:
            cmds.append(f"{node.id} {_sh(' '.join(name for name, _, _ in node.commands))}")
            cmdh.append(f"{node.id} {_dollar(_describe(node.commands))}")
            kids += [f"{_sh(f'{node.id}|{name}')} {child}" for name, child, _ in node.commands]
        opts.append(f"{node.id} {_sh(' '.join(name for name, _, _ in node.options))}")
        opth.append(f"{node.id} {_dollar(_describe(node.options))}")
        vals += [f"{_sh(f'{node.id}|{name}')} {_sh(spec)}" for name, spec, _ in node.options if spec is not None]
        args += [f"{_sh(f'{node.id}|{index}')} {_sh(spec)}" for index, spec in enumerate(node.arguments)]
        args += [f"{_sh(f'{node.id}|*')} {_sh(node.rest)}"] if node.rest is not None else []
    names = ("_its_store_cmds", "_its_store_cmdh", "_its_store_kid", "_its_store_opts", "_its_store_opth",
             "_its_store_val", "_its_store_arg")
    out = f"typeset -gA {' '.join(names)}\n"
    for name, items in zip(names, (cmds, cmdh, kids, opts, opth, vals, args), strict=True):
        out += f"{name}=(\n" + "".join(f"    {item}\n" for item in items) + ")\n"
    return out


def _describe(rows: list[tuple[str, Any, str]]) -> str:
    return "\n".join(f"{name.replace(':', chr(92) + ':')}:{text}" if text else name for name, _, text in rows)


def _fish_tables(nodes: list[Node]) -> str:
    """Lists per node N (fish has no associative arrays): __its_store_N_cmds and _kids (the subcommands and their
    nodes), _opts and _optv (the option names and how each one's value completes, `!` for a flag), _cmdd and
    _optd (`name<TAB>help`, as fish shows them), _args, and _rest when there is a greedy argument."""
    lines = []
    for node in nodes:
        prefix = f"set -g __its_store_{node.id}"
        if node.commands:
            lines.append(f"{prefix}_cmds {_words(name for name, _, _ in node.commands)}")
            lines.append(f"{prefix}_kids {' '.join(str(child) for _, child, _ in node.commands)}")
            lines.append(f"{prefix}_cmdd {_described(node.commands)}")
        lines.append(f"{prefix}_opts {_words(name for name, _, _ in node.options)}")
        lines.append(f"{prefix}_optv {_words('!' if spec is None else spec for _, spec, _ in node.options)}")
        lines.append(f"{prefix}_optd {_described(node.options)}")
        lines.append(f"{prefix}_args {_words(node.arguments)}".rstrip())
        if node.rest is not None:
            lines.append(f"{prefix}_rest {_fish(node.rest)}")
    return "\n".join(lines) + "\n"


def _described(rows: list[tuple[str, Any, str]]) -> str:
    """fish words `'name'\\t'help'` (a tab between: fish shows the help beside the candidate)."""
    return " ".join(f"{_fish(name)}\\t{_fish(text)}" if text else _fish(name) for name, _, text in rows)


def _sh(text: str) -> str:
    """`text` as one bash or zsh word (single quotes; a quote inside as '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"


def _fish(text: str) -> str:
    """`text` as one fish word (single quotes; fish reads \\' and \\\\ inside them)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _dollar(text: str) -> str:
    """`text` (with newlines) as one zsh word: $'...'."""
    return "$'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def _words(texts: Any) -> str:
    """fish words."""
    return " ".join(_fish(text) for text in texts)


# ------------------------------------------------------------------------ show, install, write
def detect_shell() -> str:
    """The shell this process runs in (shellingham, as Typer detects it; else $SHELL), one of SHELLS."""
    name = ""
    try:
        import shellingham  # type: ignore[import-untyped]  # Typer's dependency; untyped
        name = shellingham.detect_shell()[0]
    except Exception:  # noqa: BLE001 - ShellDetectionFailure, or no /proc: $SHELL then
        name = os.path.basename(os.environ.get("SHELL", ""))
    if name not in SHELLS:
        from its_store.core.errors import InvalidInputError
        raise InvalidInputError(f"cannot tell which shell this is ({name or 'unknown'})",
                                hint="name it: its-store completion show bash|zsh|fish")
    return name


def install(shell: str, nodes: list[Node], home: Path | None = None) -> Path:
    """Write the script where `shell` loads it (the places Typer's --install-completion used, so that ours
    replaces a script it installed) and return that path. bash: ~/.bash_completions/its-store.sh, sourced
    from ~/.bashrc; zsh: ~/.zfunc/_its-store, with ~/.zfunc on fpath in ~/.zshrc; fish: its completions folder."""
    home = Path.home() if home is None else home
    text = script(shell, nodes) + "\n"
    if shell == "bash":
        path = home / ".bash_completions" / f"{PROG}.sh"
        _add_line(home / ".bashrc", f"source '{path}'")
    elif shell == "zsh":
        path = home / ".zfunc" / f"_{PROG}"
        _add_line(home / ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit")
    else:
        path = home / ".config" / "fish" / "completions" / f"{PROG}.fish"
    from its_store.core.files import write_atomic
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, 0o644)
    return path


def _add_line(rc: Path, line: str) -> None:
    """Append `line` to the shell's rc file unless it is there already (appended in place: the file keeps its
    mode, and a symlinked dotfile stays a symlink)."""
    text = rc.read_text(encoding="utf-8") if rc.is_file() else ""
    if line not in text.splitlines():
        with rc.open("a", encoding="utf-8") as stream:
            stream.write(f"{'' if text.endswith(chr(10)) or not text else chr(10)}{line}\n")
