"""`model register` leaves the dirty flag unknown when the checkout's own config names a command `git status`
would run (atk2, s35). It read every config scope: `git lfs install` puts `filter.lfs.clean` in ~/.gitconfig,
so every model of a user with git-lfs (common on ML teams) was registered with `"dirty": null` (lrb, s35). The
user's own global and system config is theirs, not the folder's: only the checkout's scopes (local, worktree,
and what they include) make the flag unknown."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from its_store.registry.gitinfo import git_info


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.email=a@b", "-c", "user.name=a", *args], check=True,
                   capture_output=True)


def _changed_checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "model"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "model.onnx").write_bytes(b"onnx-bytes")
    _git(repo, "add", "model.onnx")
    _git(repo, "commit", "-qm", "model")
    (repo / "model.onnx").write_bytes(b"onnx-bytes, trained more")
    return repo


def test_a_global_git_lfs_filter_leaves_the_dirty_flag_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    _git(home, "config", "--global", "filter.lfs.clean", "git-lfs clean -- %f")
    repo = _changed_checkout(tmp_path)
    info = git_info(repo)
    assert info is not None and info["dirty"] is True, info


def test_a_filter_the_checkout_includes_still_leaves_it_unknown(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = _changed_checkout(tmp_path)
    ran = tmp_path / "ran"
    (repo / "evil.cfg").write_text(f'[filter "x"]\n\tclean = touch {ran}\n')
    _git(repo, "config", "include.path", str(repo / "evil.cfg"))
    (repo / ".gitattributes").write_text("*.onnx filter=x\n")
    info = git_info(repo)
    assert info is not None and info["dirty"] is None, info
    assert not ran.exists()
