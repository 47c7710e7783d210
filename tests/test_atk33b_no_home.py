"""Session 33, attacker 2: a user with no home folder (no HOME, no passwd entry).

A container started with a numeric user the image does not know (`docker run --user 10001`, a Kubernetes
`runAsUser`, `setpriv --reuid`) under a supervisor that sets no HOME: Python cannot tell a home folder, and
every command, `ls` and `config` included, ended with "unexpected RuntimeError: Could not determine home
directory ... report it" (exit 1), even with MINIO_CACHE_DIR and MINIO_AUDIT_LOG naming where the state goes.
Expected: with those two set the command works; without them, one line saying what to set (exit 78).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import DEADLINE, ROOT

UID = 54321  # no passwd entry on any test machine


def _run_as_stranger(args: list[str], env: dict[str, str], cwd: Path, **state: str) -> subprocess.CompletedProcess[str]:
    """`python -m its_store ARGS` as UID, with PATH, the server's settings and `state` as its whole environment."""
    clean = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT),
             **{k: v for k, v in env.items() if k.startswith("MINIO_") and k not in ("MINIO_CACHE_DIR",
                                                                                  "MINIO_AUDIT_LOG")},
             **state}
    return subprocess.run(["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups",
                           sys.executable, "-m", "its_store", *args], env=clean, cwd=cwd, capture_output=True,
                          text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def stranger_folder() -> Iterator[Path]:
    """A folder of UID's own that UID can reach (pytest's tmp_path is below a folder only root may enter)."""
    folder = Path(tempfile.mkdtemp(prefix="its-atk33b-"))
    folder.chmod(0o755)
    os.chown(folder, UID, UID)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_state_folders_named_make_a_home_unnecessary(env: dict[str, str], service, bucket: str,
                                                     stranger_folder: Path) -> None:
    """Fails on main (6f7ffca): exit 1, "unexpected RuntimeError: Could not determine home directory"."""
    service.s3.put(bucket, "frame.jpg", b"jpeg", {})
    done = _run_as_stranger(["ls", f"s3://{bucket}/"], env, stranger_folder,
                            MINIO_CACHE_DIR=str(stranger_folder / "cache"),
                            MINIO_AUDIT_LOG=str(stranger_folder / "state" / "audit.log"))
    assert done.returncode == 0, done
    assert "frame.jpg" in done.stdout, done
    assert "unexpected" not in done.stderr, done


def test_no_home_and_no_state_folders_is_one_config_line(env: dict[str, str], bucket: str,
                                                         stranger_folder: Path) -> None:
    """Fails on main (6f7ffca): exit 1, "unexpected RuntimeError ... report it". Expected: exit 78, one line
    naming HOME and MINIO_CACHE_DIR."""
    done = _run_as_stranger(["ls", f"s3://{bucket}/"], env, stranger_folder)
    assert done.returncode == 78, done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: "), done
    assert "HOME" in lines[0] and "MINIO_CACHE_DIR" in lines[0], done


def test_remotes_without_a_home_is_one_config_line(env: dict[str, str], stranger_folder: Path) -> None:
    """Fails on main (6f7ffca): `remote ls` with the state folders named, no HOME and no XDG_CONFIG_HOME:
    "unexpected RuntimeError ... report it", exit 1. Expected: exit 78, one line naming what to set."""
    done = _run_as_stranger(["remote", "ls"], env, stranger_folder, MINIO_CACHE_DIR=str(stranger_folder / "cache"),
                            MINIO_AUDIT_LOG=str(stranger_folder / "state" / "audit.log"))
    assert done.returncode == 78, done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "XDG_CONFIG_HOME" in lines[0], done
