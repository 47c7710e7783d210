"""The per-file shortcuts of a batch download (get -r, issue 22) against the general code they stand for:
a TreeFile's path is built once (TreeFile.path, cached) and LocalTree.write builds the file's Path only for
a message. The names, the refusals and the messages must be those of LocalTree.path / local_name_problem,
for every name a hostile listing could give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.core.files import atomic_target, pwrite_all
from its_store.core.localtree import LinkInPathError, LocalTree
from its_store.core.refs import UnsafeKeyError, local_name_problem

ACCEPTED = ["a.jpg", "cam/ünï/cödé.jpg", " lead", "trail ", "-dash", "~/x", "$HOME/x", "a:b", "*?", "'\"",
            "日本/語.jpg", "x/.hidden", "...", "..a", "a..", "%2e%2e/x", "deep/" * 20 + "z"]
REFUSED = ["", "..", "a/../b", "/abs", "./a", "a//b", "a\\b", "a\x00b", "a\tb", "a\u202eb", "x" * 256,
           "caf\udce9"]


@pytest.mark.parametrize("root", ["dst", "dst/", "./dst", "a b/dst", "dst//x", "."])
def test_a_tree_files_path_is_the_trees_path(tmp_path: Path, root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative roots as a user types them
    with LocalTree(root, create=True) as tree:
        for rel in ACCEPTED:
            got = tree.file(rel)
            assert got.path == tree.path(rel) == Path(tree.text(rel)) and got.path is got.path
            assert str(got) == str(tree.path(rel))
        for rel in REFUSED:
            with pytest.raises(UnsafeKeyError) as caught:
                tree.file(rel)
            assert caught.value.reason == local_name_problem(rel) is not None


def test_write_errors_name_the_files_path(tmp_path: Path) -> None:
    """The messages a write gives name root/rel as LocalTree.path() spells it (built only then)."""
    root, outside = tmp_path / "r oot", tmp_path / "outside"
    (root / "cam" / "d.jpg").mkdir(parents=True)
    outside.mkdir()
    os.symlink(outside, root / "lnk")
    with LocalTree(str(root) + "/", create=True) as tree:
        for rel, kind in (("cam/d.jpg", E.ConflictError), ("lnk/e.jpg", LinkInPathError)):
            with pytest.raises(kind) as caught, atomic_target(tree.file(rel)) as fd:
                pwrite_all(fd, b"x", 0)
            assert str(tree.path(rel)) in caught.value.message
    assert os.listdir(outside) == [] and os.listdir(root / "cam") == ["d.jpg"]  # no temp file left


FROZEN = ("import atexit, gc, sys\n"
          "atexit.register(lambda: sys.stderr.write(f'frozen={gc.get_freeze_count()}\\n'))\n"
          "sys.argv = ['its-store', 'config']\n"
          "from its_store.__main__ import main\n"
          "main()\n")


@pytest.mark.usefixtures("unfrozen_heap")
def test_the_its_store_process_freezes_its_start_up_heap_a_cli_runner_does_not(cli) -> None:
    """cli/base.ItsCommand: gc.freeze() before the command, in the process __main__ starts only (its heap
    lives until it exits); an in-process caller's heap (CliRunner, a library user) is never frozen."""
    import gc
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    done = subprocess.run([sys.executable, "-c", FROZEN], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stderr.rsplit("frozen=", 1)[1]) > 10_000
    before = gc.get_freeze_count()
    assert cli("config").exit_code == 0
    assert gc.get_freeze_count() == before
