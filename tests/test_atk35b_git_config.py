"""`model register` records the git commit of the folder it runs in (atk2, s35): `git status` there ran what
the checkout's own config names, core.fsmonitor and a clean filter (on every file whose stat changed), so a
model folder from elsewhere (an unpacked archive holding .git) ran its code when its-store only meant to read
a commit. registry/gitinfo.py turns core.fsmonitor off and does not ask `git status` when a clean filter is
configured (the dirty flag is then unknown, null); the commit, branch and remote are still recorded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import run_cli_process


@pytest.mark.parametrize("setting", ["core.fsmonitor", "filter.lfsish.clean"])
def test_a_checkouts_config_runs_nothing(env: dict[str, str], tmp_path: Path, setting: str) -> None:
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"onnx-bytes")
    (folder / ".gitattributes").write_text("*.onnx filter=lfsish\n")
    git = ["git", "-C", str(folder), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "model.onnx", ".gitattributes"], check=True)
    subprocess.run([*git, "commit", "-qm", "model"], check=True)
    ran = tmp_path / "ran"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\ntouch {ran}\ncat\n")
    hook.chmod(0o755)
    subprocess.run([*git, "config", setting, str(hook)], check=True)
    (folder / "model.onnx").touch()  # its stat changed: git status would clean it to compare
    done = run_cli_process(["model", "register", "model.onnx", "--name", "det", "--version", "1.0.0", "--json"],
                           env, folder)
    assert done.exit_code == 0, done
    recorded = done.json()["lineage"]["git"]
    assert recorded["commit"] and recorded["branch"], done
    assert not ran.exists(), f"{setting} of the checkout was run"
