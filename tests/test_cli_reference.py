"""The committed CLI reference (docs/reference/cli/) and man pages (its_store/man/man1/) are the ones the app
generates (issue 24), and help texts of any shape come out of both as themselves.

A help text, an option or a command changed without `make reference` fails here with the diff to commit.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import markdown
import typer

from its_store.cli import clitree, manpages, reference
from its_store.cli.base import add_commands, new_group

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "reference" / "cli"
MAN = ROOT / "its_store" / "man" / "man1"
GROFF = shutil.which("groff") or "groff"  # `make test` installs groff-base


def _drift(folder: Path, generated: dict[str, str], pattern: str, what: str) -> str:
    """'' when `folder` holds exactly `generated`; else which files differ, with the first lines of a diff."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in folder.glob(pattern)}
    problems = []
    if sorted(committed) != sorted(generated):
        problems.append(f"files missing: {sorted(set(generated) - set(committed))}, "
                        f"not generated: {sorted(set(committed) - set(generated))}")
    for name in sorted(set(committed) & set(generated)):
        if committed[name] != generated[name]:
            diff = difflib.unified_diff(committed[name].splitlines(), generated[name].splitlines(),
                                        f"committed/{name}", f"generated/{name}", lineterm="", n=1)
            problems.append("\n".join(list(diff)[:12]))
    if not problems:
        return ""
    return f"the committed {what} and the app disagree; run `make reference` and commit:\n" + "\n".join(problems)


def test_committed_reference_pages_are_the_generated_ones(tmp_path: Path) -> None:
    tree = clitree.read_tree()
    written = reference.write(tmp_path, reference.generate(tree), "*.md")  # as `make reference` does
    generated = {name: (tmp_path / name).read_text(encoding="utf-8") for name in written}
    problem = _drift(DOCS, generated, "*.md", "CLI reference pages (docs/reference/cli)")
    assert not problem, problem
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert all(f"]({name})" in index for name in generated if name != "index.md")  # every page linked


def test_committed_man_pages_are_the_generated_ones() -> None:
    tree = clitree.read_tree()
    pages = manpages.generate(tree)
    problem = _drift(MAN, pages, "its-store*.1", "man pages (its_store/man/man1)")
    assert not problem, problem
    assert len(pages) == len(tree.walk())  # one per command and group, the root included


def test_the_walk_needs_only_list_commands_and_get_command() -> None:
    """A lazy root group (issue 24: the command modules imported only when asked for) has no `commands`
    dict filled in: the reference comes out the same through list_commands/get_command alone."""
    import copy
    eager = clitree.root_command()
    names = eager.list_commands(typer.Context(eager))
    asked: list[str] = []

    def get_command(self: object, ctx: object, name: str) -> object:
        asked.append(name)
        return eager.get_command(ctx, name)
    lazy = copy.copy(eager)
    lazy.__class__ = type("LazyGroup", (type(eager),), {"list_commands": lambda self, ctx: list(names),
                                                         "get_command": get_command})
    lazy.commands = {}
    assert reference.generate(clitree.read_tree(lazy)) == reference.generate(clitree.read_tree(eager))
    assert asked == names


def test_committed_man_pages_render_without_warnings() -> None:
    pages = sorted(MAN.glob("its-store*.1"))
    done = subprocess.run([GROFF, "-ww", "-z", "-man", *map(str, pages)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    text = _roff_text(MAN / "its-store-bucket-create.1")
    assert "--preset <video|logs|models|evidence>" in text and "its-store bucket create s3://" in text


# Help texts a markdown or roff writer gets wrong when it pastes them: markup, HTML, table pipes, roff
# requests at the start of a line, backslashes, a block-starting character at the start of a paragraph.
INLINE = r"""back\slash \n a|b <b>x</b> &amp; *star* _u_ `tick` [link](x) 'q' "dq" 1/2 --flag-x {#id}"""
STARTS = (".dot starts", "'quote starts", "# hash starts", "- dash starts", "+ plus starts", "1. one starts",
          ": colon starts", "> quote starts", r"\fB not bold")


def _nasty_tree() -> clitree.Command:
    app = typer.Typer(rich_markup_mode=None)  # as the real app: plain help, text as written
    group = new_group(help="The group.")
    app.add_typer(group, name="grp")

    def odd(value: str = typer.Option("a|b", "--value", help=INLINE)) -> None:
        pass
    odd.__doc__ = "\n\n".join((INLINE, *STARTS)) + "\n\nExample: its-store grp odd"
    add_commands(group, odd)
    return clitree.read_tree(typer.main.get_command(app))


class _Blocks(HTMLParser):
    """The text of each <p> and <td>, and the names of the other block tags met."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.tags: set[str] = set()
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in ("p", "td"):
            self._open = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "td") and self._open is not None:
            self.texts.append("".join(self._open))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


def test_markdown_shows_any_help_text_as_itself() -> None:
    page = reference.render_page("grp", [_nasty_tree().subcommands[0]])
    rendered = markdown.markdown(page, extensions=["tables", "toc", "fenced_code", "attr_list", "def_list",
                                                   "md_in_html", "admonition", "abbr", "footnotes"])
    blocks = _Blocks()
    blocks.feed(rendered)
    texts = blocks.texts  # HTMLParser has turned the character references back into characters
    for text in (INLINE, *STARTS):
        assert text in texts, (text, texts)
    assert INLINE in texts  # also the option's cell: the `|` did not split the row
    assert not blocks.tags & {"ul", "ol", "blockquote", "dl", "b", "em"}, blocks.tags  # no list, quote, markup
    assert rendered.count("<h1") == 1 and rendered.count("<h2") == 1  # the page's and the command's only


def _roff_text(path: Path) -> str:
    """The page as `man` shows it, plain text in one line per paragraph's words."""
    done = subprocess.run([GROFF, "-ww", "-man", "-Tascii", "-P-cbou", str(path)], capture_output=True,
                          text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return " ".join(done.stdout.split())


def test_man_page_shows_any_help_text_as_itself(tmp_path: Path) -> None:
    odd = _nasty_tree().subcommands[0].subcommands[0]
    page = tmp_path / "odd.1"
    page.write_text(manpages.render(odd), encoding="utf-8")
    text = _roff_text(page)
    for piece in (INLINE, *STARTS):
        assert " ".join(piece.split()) in text, piece
    assert f"--value <str> {INLINE} [default: a|b]" in text


def test_man_escape_rules() -> None:
    assert manpages.escape(r".TH \x -y") == r"\&.TH \ex \-y"
    assert manpages.escape("'br") == r"\&'br"
    assert manpages.escape("caf\u00e9") == r"caf\[u00E9]"
    assert reference.escape("- a|b <x>") == r"&#45; a\|b &lt;x&gt;"
