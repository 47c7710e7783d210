"""Man pages generated from the app (the same walk as the markdown reference, cli/clitree.py):

    python -m its_store.cli.manpages [FOLDER]    (default its_store/man/man1; or `make reference`)

`its-store.1`, and one page per command and group, named as git names its own: `its-store-ls.1`,
`its-store-bucket.1`, `its-store-bucket-create.1`. They ship in the package (its_store/man/man1/) and the
wheel puts them in share/man/man1 (pyproject.toml data-files), so `man its-store-ls` finds them in a venv
whose share/man is on MANPATH (`man -l` reads one anywhere). tests/test_cli_reference.py fails when the
committed pages and the app disagree and renders some with `groff -ww`. Texts are escaped for roff here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from its_store.cli.clitree import PROG, Command, Param, read_tree
from its_store.cli.reference import write

MANUAL = "its-store manual"


def escape(text: str) -> str:
    """One roff text line showing `text` as itself: backslashes as `\\e`, every `-` a minus `\\-` (an option
    copied from the page works), non-ASCII as `\\[uXXXX]`, and a leading `.` or `'` not a request."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\e")
        elif char == "-":
            out.append("\\-")
        elif ord(char) > 126 or (ord(char) < 32 and char != "\t"):
            out.append(f"\\[u{ord(char):04X}]" if ord(char) > 126 else " ")
        else:
            out.append(char)
    line = "".join(out)
    return "\\&" + line if line.startswith((".", "'")) else line


def bold(text: str) -> str:
    return f"\\fB{escape(text)}\\fR"


def page_name(cmd: Command) -> str:
    """`its-store-bucket-create` for `its-store bucket create`."""
    return "-".join(cmd.path)


def render(cmd: Command, parent: Command | None = None) -> str:
    """The man page of one command (or group, or the root)."""
    name = page_name(cmd)
    usage = cmd.usage.removeprefix("Usage: ").removeprefix(cmd.name).strip()
    lines = [f'.TH "{escape(name.upper())}" "1" "" "{escape(PROG)}" "{escape(MANUAL)}"',
             ".nh", ".ad l",  # no hyphens in option names and keys, no stretched spaces
             ".SH NAME", f"{escape(name)} \\- {escape(cmd.short)}",
             ".SH SYNOPSIS", f"{bold(cmd.name)} {escape(usage)}".rstrip()]
    if cmd.paragraphs:
        lines += [".SH DESCRIPTION", *paragraphs(cmd.paragraphs)]
    if cmd.subcommands:
        lines.append(".SH COMMANDS")
        for sub in cmd.subcommands:
            lines += [".TP", bold(sub.path[-1]), escape(sub.short),
                      f"See \\fB{escape(page_name(sub))}\\fR(1)."]
    for kind, title in (("argument", "ARGUMENTS"), ("option", "OPTIONS")):
        params = [p for p in cmd.params if p.kind == kind]
        if params:
            lines.append(f".SH {title}")
            for param in params:
                lines += [".TP", param_tag(param), *param_text(param)]
    if cmd.notes:
        lines += [".SH NOTES", *paragraphs(cmd.notes)]
    if cmd.examples:
        lines += [".SH EXAMPLES" if len(cmd.examples) > 1 else ".SH EXAMPLE", ".PP", ".nf", ".RS 4"]
        lines += [escape(example) for example in cmd.examples]
        lines += [".RE", ".fi"]
    if parent is None:
        lines += [".SH EXIT STATUS", *exit_status()]
    see = ([parent] if parent else []) + list(cmd.subcommands)
    if see:
        lines += [".SH SEE ALSO", ", ".join(f"\\fB{escape(page_name(c))}\\fR(1)" for c in see)]
    return "\n".join(lines) + "\n"


def exit_status() -> list[str]:
    """The exit codes every command shares (core/errors.EXIT_CODES), on the root page."""
    from its_store.core.errors import EXIT_CODES
    lines: list[str] = []
    for code, meaning in EXIT_CODES:
        lines += [".TP", bold(str(code)), escape(meaning)]
    return lines


def paragraphs(texts: tuple[str, ...]) -> list[str]:
    """`.PP` paragraphs; a `\\b` one (click's keep-the-lines mark) unfilled."""
    lines: list[str] = []
    for text in texts:
        if text.startswith("\b"):
            lines += [".PP", ".nf", *(escape(line) for line in text[1:].splitlines()), ".fi"]
        else:
            lines += [".PP", escape(text)]
    return lines


def param_tag(param: Param) -> str:
    """`\\fB\\-t\\fR, \\fB\\-\\-type\\fR <type>` (an argument's name in italics)."""
    if param.kind == "argument":
        names = ", ".join(f"\\fI{escape(n)}\\fR" for n in param.names)
    else:
        names = " / ".join(", ".join(bold(n) for n in group) for group in (param.names, param.secondary) if group)
    return f"{names} {escape(param.type)}".rstrip()


def param_text(param: Param) -> list[str]:
    """The help, then `[default: X; range; env var: Y; required]` as --help writes them."""
    notes = "; ".join(filter(None, (f"default: {param.default}" if param.default else "", param.constraint,
                                    f"env var: {', '.join(param.envvar)}" if param.envvar else "",
                                    "required" if param.required and not param.default else "")))
    text = " ".join(filter(None, (param.help, f"[{notes}]" if notes else "")))
    return [escape(text)] if text else []


def generate(tree: Command | None = None) -> dict[str, str]:
    """{file name: roff} of every page."""
    tree = read_tree() if tree is None else tree
    files: dict[str, str] = {}

    def add(cmd: Command, parent: Command | None) -> None:
        files[f"{page_name(cmd)}.1"] = render(cmd, parent)
        for sub in cmd.subcommands:
            add(sub, cmd)
    add(tree, None)
    return files


def main(argv: list[str] | None = None) -> None:
    from its_store.cli import output as out
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "its_store/man/man1")
    out.lines([f"{len(write(folder, generate(), f'{PROG}*.1'))} man pages in {folder}"])


if __name__ == "__main__":
    main()
