"""Session 33, attacker 2: the environment of the programs its-store starts holds no secret of its own.

`model register` runs `git` in the folder it registers from (commit, branch, dirty, remote) and `model pull
--variant auto` runs `nvidia-smi` and `dpkg-query`. They were started with the whole environment, so
MINIO_SECRET_KEY, MINIO_SSE_C_KEY, the webhook secret, a Redis URL with its password and the remotes' secret
keys reached them, and everything they start in turn: a checkout's `core.fsmonitor` (any program, run by
`git status`), a hook, a wrapper on PATH. The promise is "secrets never in output, logs or argv": the
environment of a child is its next door (/proc/PID/environ, `ps e`, a crash report).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers import run_cli_process

SECRETS = {"MINIO_SSE_C_KEY": "c3NlLWMta2V5LW9mLTMyLWJ5dGVzLXNlY3JldC0wMTI=",
           "MINIO_MODEL_WEBHOOK_SECRET": "hook-secret-atk33b",
           "MINIO_REDIS_URL": "redis://:redis-pass-atk33b@127.0.0.1:9/0",
           "ITS_STORE_REMOTE_CENTRAL_SECRET_KEY": "remote-secret-atk33b"}


def _recorder(path: Path, record: Path) -> Path:
    """An executable that writes its environment to `record` (a hook as a checkout may hold one)."""
    path.write_text(f"#!/bin/sh\nenv > {record}\nexit 1\n")
    path.chmod(0o755)
    return path


def _leaked(record: Path, env: dict[str, str]) -> list[str]:
    """The names of the secrets whose values the child saw (names only: a test's output shows no secret)."""
    seen = record.read_text()
    values = {"MINIO_SECRET_KEY": env["MINIO_SECRET_KEY"], "redis password": "redis-pass-atk33b", **SECRETS}
    return sorted(name for name, value in values.items() if value in seen)


def test_git_run_by_model_register_gets_no_secret(env: dict[str, str], tmp_path: Path) -> None:
    """Fails on main (6f7ffca): the `git` that `model register` starts (here a wrapper first on PATH, that
    records its environment and runs the real git) sees MINIO_SECRET_KEY and every other secret variable in
    its environment. Expected: none of them; the registration itself is unchanged (exit 0, git's commit
    recorded). (The checkout's core.fsmonitor, the first way this test looked, is no longer run at all: s35,
    tests/test_atk35b_git_config.py.)"""
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"onnx-bytes")
    git = ["git", "-C", str(folder), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "model.onnx"], check=True)
    subprocess.run([*git, "commit", "-qm", "model"], check=True)
    record = tmp_path / "git-child-env.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = shutil.which("git")
    (bin_dir / "git").write_text(f"#!/bin/sh\nenv > {record}\nexec {real} \"$@\"\n")
    (bin_dir / "git").chmod(0o755)
    done = run_cli_process(["model", "register", "model.onnx", "--name", "leak", "--version", "1.0.0", "--json"],
                           {**env, **{k: v for k, v in SECRETS.items() if k != "MINIO_SSE_C_KEY"},
                            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, folder)
    assert done.exit_code == 0, done
    assert done.json()["lineage"]["git"]["commit"], done  # git still ran, and answered
    assert record.exists(), "its-store did not run git: the test saw nothing"
    assert _leaked(record, env) == [], f"secrets in the environment of git: {_leaked(record, env)}"


def test_nvidia_smi_run_by_model_pull_gets_no_secret(env: dict[str, str], tmp_path: Path) -> None:
    """Fails on main (6f7ffca): `model pull --variant auto` starts `nvidia-smi` (the first on PATH) with
    MINIO_SECRET_KEY, the SSE-C key and the rest in its environment. Expected: none of them, and the pull
    still answers (no variant fits: exit 3, nothing written)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "nvidia-env.txt"
    _recorder(bin_dir / "nvidia-smi", record)
    (tmp_path / "m.onnx").write_bytes(b"onnx")
    registered = run_cli_process(["model", "register", "m.onnx", "--name", "gpu", "--version", "1.0.0", "--no-git"],
                                 env, tmp_path)
    assert registered.exit_code == 0, registered
    pulled = run_cli_process(["model", "pull", "gpu@1.0.0", str(tmp_path / "out"), "--variant", "auto"],
                             {**env, **SECRETS, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, tmp_path)
    assert "Traceback" not in pulled.stderr, pulled
    assert record.exists(), "nvidia-smi was not run: the test saw nothing"
    assert _leaked(record, env) == [], f"secrets in the environment of nvidia-smi: {_leaked(record, env)}"
