"""Empty local paths in the CLI's Path parameters (session 36, after atk36's fix of upload and get): Typer
turns '' (an unset "$VAR") into Path(''), the current folder, before our code sees it, so `model register ""`
registered the folder the command ran in, `model pull NAME ""` wrote into it, and `--sse-c-key-file ""`,
`--metrics-file ""`, `--config ""`... named it. Now every Path parameter refuses '' as it is parsed (exit 2,
one line, as upload and get refuse it). The parameters are found in the app itself (cli/clitree), so a
Path parameter added later without the check fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store.cli.clitree import read_tree

from conftest import one_line_error


def path_parameters() -> list[tuple[str, ...]]:
    """A command line for each Path parameter of the app, giving it '' (each argument before it: 'x')."""
    lines = []
    for command in read_tree().walk():
        arguments = [p for p in command.params if p.kind == "argument"]
        for param in command.params:
            if param.type != "<path>":
                continue
            if param.kind == "option":
                lines.append((*command.path[1:], param.names[-1], ""))
            else:
                before = ["x@1.0.0"] * arguments.index(param)
                lines.append((*command.path[1:], *before, ""))
    return lines


LINES = path_parameters()


def test_the_app_has_the_path_parameters_this_test_knows_of() -> None:
    assert ("model", "register", "") in LINES and ("model", "pull", "x@1.0.0", "") in LINES
    assert ("sync", "--metrics-file", "") in LINES and len(LINES) >= 19, LINES


@pytest.mark.parametrize("argv", LINES, ids=[" ".join(a for a in line if a) for line in LINES])
def test_an_empty_path_is_refused_as_it_is_parsed(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  argv: tuple[str, ...]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "id_ed25519").write_bytes(b"private key")
    monkeypatch.chdir(home)
    run = cli(*argv)
    assert run.exit_code == 2, run
    assert "empty path" in one_line_error(run), run
    assert sorted(p.name for p in home.iterdir()) == ["id_ed25519"], "written into the current folder"
