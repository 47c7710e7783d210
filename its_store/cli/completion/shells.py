"""The shell side of completion on the Typer path: our bash script, and bash requests read as it sends them.

zsh and fish use Typer's scripts unchanged. bash gets its own, because Typer's breaks on s3:// refs:
bash splits the word being completed at ':' (COMP_WORDBREAKS), so `s3://its-` reaches the program as
three words. Our script also passes COMP_LINE/COMP_POINT (the line as typed), from which we read the
whole word, and we answer relative to bash's current word. It also keeps bash from adding a space
after a lone `s3://bucket/` answer, so that the key can be typed straight on.

Most requests are answered by completion/fast.py, without Typer. The rest reach the Typer app, whose root
group (cli/app.py, ItsGroup) hands bash requests to bash() and the completion options to show_or_install().
Only public Typer API is used, and the completion protocol Typer documents in its own scripts:
- `_ITS_STORE_COMPLETE=source_bash` prints our script;
- `complete_bash` with COMP_LINE: the typed words go to Typer's own bash completion as its script
  sends them (COMP_WORDS, COMP_CWORD, one word each), and each answer is made relative to bash's word;
- `--show-completion` / `--install-completion`: Typer prints or installs its script for the shell it
  detects; where that is its bash script, ours takes its place.

The scripts in completions/ and the command table of the fast path are written by completion/generate.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from typing import Any

from its_store.cli.completion.fast import bash_completion_args, bash_current_word, relative_to_bash_word

PROG = "its-store"
COMPLETE_VAR = "_ITS_STORE_COMPLETE"
COMPLETION_OPTIONS = ("install_completion", "show_completion")  # Typer's root options (add_completion=True)

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


def script(shell: str, prog_name: str = PROG, complete_var: str = COMPLETE_VAR) -> str:
    """The completion script for `shell` (no final newline): ours for bash, Typer's for the others."""
    if shell == "bash":
        func = "_" + re.sub(r"[^a-zA-Z0-9_]", "", prog_name.replace("-", "_")) + "_completion"
        return (BASH_SCRIPT % {"complete_func": func, "prog_name": prog_name,
                               "autocomplete_var": complete_var}).strip()
    from typer.completion import get_completion_script
    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)


# ------------------------------------------------------------------------- _ITS_STORE_COMPLETE=..._bash
def bash(run: Callable[[], Any], prog_name: str, complete_var: str) -> Any:
    """Answer this process's `source_bash` or `complete_bash` request; `run` runs the Typer app."""
    if os.environ.get(complete_var) == "source_bash":
        sys.stdout.write(script("bash", prog_name, complete_var) + "\n")
        return 0
    line = os.environ.get("COMP_LINE")
    if line is None:  # an older script that passes COMP_WORDS only: Typer reads it as it is
        return run()
    args, typed = bash_completion_args(line, os.environ.get("COMP_POINT", ""))
    current = bash_current_word(os.environ)
    answers = io.StringIO()
    try:
        with patched_environ(COMP_WORDS=shlex.join([prog_name, *args, typed]), COMP_CWORD=str(len(args) + 1)), \
                contextlib.redirect_stdout(answers):
            return run()
    finally:
        sys.stdout.write(relative_answers(answers.getvalue(), typed, current))


def relative_answers(text: str, typed: str, current: str | None) -> str:
    """Typer's bash answer (one value a line) with each value relative to bash's current word."""
    if text in ("", "\n"):  # nothing to offer (or one empty value, which needs no change)
        return text
    values = text.removesuffix("\n").split("\n")
    return "\n".join(relative_to_bash_word(value, typed, current) for value in values) + "\n"


@contextlib.contextmanager
def patched_environ(**values: str) -> Iterator[None]:
    """os.environ with `values`, restored afterwards (CliRunner shares the process environment)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -------------------------------------------------------------- --show-completion, --install-completion
def show_or_install(ctx: Any, param: Any, value: Any, typer_callback: Callable[..., Any]) -> Any:
    """Typer's callback of --show-completion or --install-completion, with our script in place of its
    bash script. Typer detects the shell (or takes the one given), prints or installs its script, exits."""
    if not value or ctx.resilient_parsing:
        return typer_callback(ctx, param, value)
    import typer
    from typer.completion import get_completion_script, install
    prog_name = ctx.find_root().info_name
    complete_var = f"_{prog_name}_COMPLETE".replace("-", "_").upper()
    if param.name == "install_completion":
        shell, path = install(shell=value if isinstance(value, str) else None, prog_name=prog_name,
                              complete_var=complete_var)
        if shell == "bash":
            path.write_text(script("bash", prog_name, complete_var), encoding="utf-8")
        typer.secho(f"{shell} completion installed in {path}", fg="green")  # Typer's words
        typer.echo("Completion will take effect once you restart the terminal")
        raise typer.Exit(0)
    stock_bash = get_completion_script(prog_name=prog_name, complete_var=complete_var, shell="bash")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            return typer_callback(ctx, param, value)
    finally:
        text = printed.getvalue()
        sys.stdout.write(script("bash", prog_name, complete_var) + "\n" if text.strip() == stock_bash else text)
