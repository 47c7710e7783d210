"""The CLI reference in markdown, generated from the app itself (cli/clitree.py reads what --help prints):

    python -m its_store.cli.reference [FOLDER]   (default docs/reference/cli; `make reference` also
                                                 writes the man pages)

One page per top-level command group (`bucket.md`, `model.md`, ...) and per command module for the
top-level commands (`objects.md`: upload, get, ls, rm, stat, presign), and `index.md` with the global
options and a link to every page and command. Each command: usage, description, its arguments and options
with type, default and env var, and its examples. tests/test_cli_reference.py fails when the committed pages
and the app disagree; help texts are escaped for markdown here, so they may hold any character.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from its_store.cli.clitree import Command, Param, by_page, read_tree

GENERATED = ("<!-- Generated from the app by `python -m its_store.cli.reference docs/reference/cli` "
             "(make reference): do not edit. -->")
_OPTION_WORD = re.compile(r"(?<![\w`-])(--?[A-Za-z][\w-]*)")
_ALWAYS = str.maketrans({c: "\\" + c for c in "\\`*_[]{}|"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"})
_LINE_START = re.compile(r"^(\s*)([#+=:-]|\d+[.)])")


def escape(text: str) -> str:
    """Markdown for one line of plain text: every character shows as itself, in a paragraph or a table
    cell (inline markup, HTML and `|` escaped; a leading `#`, `-`, `+`, `1.` or `:` cannot start a block)."""
    return _block_safe(text.translate(_ALWAYS))


def prose(text: str) -> str:
    """A help text for a paragraph or cell: escaped, with option names (`--json`, `-r`) as code."""
    pieces = _OPTION_WORD.split(text)
    inline = "".join(f"`{piece}`" if i % 2 else piece.translate(_ALWAYS) for i, piece in enumerate(pieces))
    return _block_safe(inline.strip())


def _block_safe(line: str) -> str:
    """`line` with the character that would start a heading, list, quote or definition as an entity."""
    match = _LINE_START.match(line)
    if not match:
        return line
    mark = match.group(2)
    return f"{match.group(1)}{mark[:-1]}&#{ord(mark[-1])};{line[match.end():]}"


def code(text: str) -> str:
    """An inline code span that holds `text` whatever backticks it has."""
    if not text:
        return ""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(body: str, lang: str = "text") -> list[str]:
    """A fenced code block longer than any backtick run inside it."""
    ticks = "`" * max(3, max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    return [f"{ticks}{lang}", body, ticks, ""]


def slug(title: str) -> str:
    """The anchor Python-Markdown's toc extension gives a heading (its default slugify)."""
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", title).strip().lower())


def page_title(key: str, commands: list[Command]) -> str:
    """`its-store bucket` for a group's page; `its-store upload, get, ...` for a module's commands."""
    if len(commands) == 1:
        return commands[0].name
    return "its-store " + ", ".join(c.path[-1] for c in commands)


def render_page(key: str, commands: list[Command]) -> str:
    """One page: its commands (and each group's subcommands), each as a `##` section."""
    lines = [f"# {escape(page_title(key, commands))}", "", GENERATED, ""]
    if len(commands) > 1:
        lines += command_table(commands)
    for top in commands:
        for cmd in top.walk():
            lines += section(cmd, heading=not (len(commands) == 1 and cmd is top))
    return "\n".join(lines).rstrip("\n") + "\n"


def command_table(commands: list[Command] | tuple[Command, ...], page: str = "") -> list[str]:
    rows = [f"| [{code(c.name)}]({page}#{slug(c.name)}) | {prose(c.short)} |" for c in commands]
    return ["| Command | Description |", "| --- | --- |", *rows, ""]


def section(cmd: Command, *, heading: bool = True, subcommands: bool = True) -> list[str]:
    """A command's usage, description, subcommands, arguments, options and examples."""
    lines = [f"## {escape(cmd.name)}", ""] if heading else []
    lines += fence(cmd.usage)
    lines += paragraphs(cmd.paragraphs)
    if cmd.subcommands and subcommands:
        lines += ["**Commands**", "", *command_table(cmd.subcommands)]
    for kind, title in (("argument", "Arguments"), ("option", "Options")):
        params = [p for p in cmd.params if p.kind == kind]
        if params:
            lines += [f"**{title}**", "", *param_table(params, title[:-1])]
    lines += paragraphs(cmd.notes)
    if cmd.examples:
        lines += ["**Example**" if len(cmd.examples) == 1 else "**Examples**", ""]
        lines += fence("\n".join(f"$ {example}" for example in cmd.examples), "console")
    return lines


def paragraphs(texts: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    for text in texts:
        lines += fence(text[1:]) if text.startswith("\b") else [prose(text), ""]
    return lines


def param_table(params: list[Param], label: str) -> list[str]:
    """| Option | Type | Default | (Env var |) Description |: the env var column only when one has one."""
    with_env = any(p.envvar for p in params)
    head = [label, "Type", "Default", *(["Env var"] if with_env else []), "Description"]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for p in params:
        names = " / ".join(", ".join(code(n) for n in group) for group in (p.names, p.secondary) if group)
        type_ = " ".join(filter(None, (code(p.type), code(p.constraint))))
        default = "required" if p.required and not p.default else code(p.default)
        env = [", ".join(code(v) for v in p.envvar)] if with_env else []
        rows.append("| " + " | ".join([names, type_, default, *env, prose(p.help)]) + " |")
    return [*rows, ""]


def render_index(tree: Command, pages: dict[str, list[Command]]) -> str:
    """The reference's front page: the root command, its global options, and every page and command."""
    lines = ["# CLI reference", "", GENERATED, ""]
    lines += ["Generated from the app: what `--help` says, on one page per command group. The global options "
              "below go before the command (`its-store --json ls`), each command's own options after it.", ""]
    lines += ["| Page | Commands |", "| --- | --- |"]
    for key, commands in pages.items():
        names = ", ".join(f"[{code(c.name)}]({key}.md#{slug(c.name)})" for top in commands for c in top.walk())
        lines.append(f"| [{escape(page_title(key, commands))}]({key}.md) | {names} |")
    lines.append("")
    lines += ["## its-store", ""]
    lines += section(tree, heading=False, subcommands=False)  # the table above lists them
    return "\n".join(lines).rstrip("\n") + "\n"


def generate(tree: Command | None = None) -> dict[str, str]:
    """{file name: markdown} of every page, index.md included."""
    tree = read_tree() if tree is None else tree
    pages = by_page(tree)
    files = {f"{key}.md": render_page(key, commands) for key, commands in pages.items()}
    files["index.md"] = render_index(tree, pages)
    return files


def write(folder: Path, files: dict[str, str], pattern: str) -> list[str]:
    """Write `files` into `folder`, remove the files matching `pattern` that are not among them (a command
    gone takes its page with it), and return the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(pattern):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return sorted(files)


def main(argv: list[str] | None = None) -> None:
    from its_store.cli import output as out
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "docs/reference/cli")
    out.lines([f"{len(write(folder, generate(), '*.md'))} pages in {folder}"])


if __name__ == "__main__":
    main()
