"""The shell side of completion: the scripts in completions/ and how a completion request is read.

zsh and fish use Typer's scripts unchanged. bash gets its own, because Typer's breaks on s3:// refs:
bash splits the word being completed at ':' (COMP_WORDBREAKS), so `s3://its-` reaches the program as
three words. Our script also passes COMP_LINE/COMP_POINT (the line as typed), from which we read the
whole word, and we answer relative to bash's current word. It also keeps bash from adding a space
after a lone `s3://bucket/` answer, so that the key can be typed straight on.

`install()` makes Typer use this for `_ITS_STORE_COMPLETE=source_bash|complete_bash`, and for
`--show-completion` / `--install-completion` (which read Typer's script table, not the class registry).
tests/test_completion.py fails loudly if a Typer upgrade moves either hook.

`python -m its_store.cli.shells DIR` writes the three scripts (what `make completions` runs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from typer import _completion_shared
from typer._click.shell_completion import CompletionItem, add_completion_class, get_completion_class, split_arg_string
from typer._completion_classes import BashComplete

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
        point = os.environ.get("COMP_POINT", "")
        if point.isdigit():
            line = line[:int(point)]
        words = split_arg_string(line)
        if not words:
            return [], ""
        if line[-1:].isspace():
            return words[1:], ""
        return words[1:-1], words[-1]

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        current = _bash_current_word()
        return "\n".join(relative_to_bash_word(item.value, incomplete, current)
                         for item in self.get_completions(args, incomplete))

    def format_completion(self, item: CompletionItem) -> str:
        return item.value


def _bash_current_word() -> str | None:
    """The word bash will replace: COMP_WORDS[COMP_CWORD], after bash's own split at ':' and '='."""
    try:
        words = split_arg_string(os.environ["COMP_WORDS"])
        index = int(os.environ["COMP_CWORD"])
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


def install() -> None:
    """Use our bash script and reader for every completion entry point of Typer. Idempotent."""
    add_completion_class(ItsBashComplete, "bash")
    _completion_shared._completion_scripts["bash"] = BASH_SCRIPT


def script(shell: str) -> str:
    """The completion script for `shell`, exactly as `_ITS_STORE_COMPLETE=source_<shell> its-store` prints it."""
    from typer.main import get_command

    from .app import app
    command = get_command(app)
    install()
    cls = get_completion_class(shell)
    if cls is None:
        raise ValueError(f"unsupported shell {shell!r}")
    return cls(command, {}, PROG, COMPLETE_VAR).source().strip() + "\n"


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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
