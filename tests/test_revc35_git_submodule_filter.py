"""`model register` reads the git commit of its folder without running what a checkout's config names (atk2,
s35: core.fsmonitor off, no `git status` under a clean filter). A submodule's own config was not looked at:
`git status` recursed into the submodule and ran its clean filter (revc, s35). Submodules are now left out of
the status (--ignore-submodules=all): the dirty flag is the checkout's own files'."""

from __future__ import annotations

import subprocess
from pathlib import Path

from its_store.registry.gitinfo import git_info


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.email=a@b", "-c", "user.name=a",
                    "-c", "protocol.file.allow=always", *args], check=True, capture_output=True)


def test_a_submodules_clean_filter_is_not_run(tmp_path: Path) -> None:
    sub, top = tmp_path / "sub", tmp_path / "top"
    for folder in (sub, top):
        folder.mkdir()
        _git(folder, "init", "-q")
    (sub / ".gitattributes").write_text("*.bin filter=lfsish\n")
    (sub / "weights.bin").write_bytes(b"weights")
    _git(sub, "add", ".")
    _git(sub, "commit", "-qm", "weights")
    (top / "model.onnx").write_bytes(b"onnx-bytes")
    _git(top, "add", "model.onnx")
    _git(top, "submodule", "add", "-q", str(sub), "sub")
    _git(top, "commit", "-qm", "model")
    ran = tmp_path / "ran"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\ntouch {ran}\ncat\n")
    hook.chmod(0o755)
    _git(top / "sub", "config", "filter.lfsish.clean", str(hook))  # the submodule's own config
    (top / "sub" / "weights.bin").touch()  # its stat changed: a status of the submodule would clean it
    info = git_info(top)
    assert info is not None and info["commit"] and info["branch"], info
    assert not ran.exists(), "the submodule's clean filter was run"
    (top / "model.onnx").write_bytes(b"changed")  # the checkout's own files still make it dirty
    assert git_info(top)["dirty"] is True  # type: ignore[index]
    assert not ran.exists()
