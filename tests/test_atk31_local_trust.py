"""Session 31 attacks on what the local machine hands in: the `.env` file read from the current folder.

`its-store` reads `./.env` of whatever folder it is run in. In a folder others may write (/tmp, a shared
project folder with group write, a sticky upload folder), another user can leave a `.env` there that sets
MINIO_CA_BUNDLE (their CA: TLS to the real endpoint can be intercepted), MINIO_ENDPOINT (when the
environment does not set it: uploads go to their server), MINIO_AUDIT_LOG or MINIO_CACHE_DIR (files
written where they choose, by whoever runs the command, root included). The remotes file already follows
ssh's rule (core/remote_config.check_access: refused, exit 78, when another user owns it or others may
write it); the `.env` file, which can set the very same things, was read without any check.

Each case is one in-process `config --json` (no server request).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import one_line_error


def write_env(folder: Path, mode: int, owner: str | None) -> Path:
    path = folder / ".env"
    path.write_text("MINIO_MAX_WORKERS=3\n")
    os.chmod(path, mode)
    if owner is not None:
        shutil.chown(path, owner, "nogroup")
    return path


@pytest.mark.parametrize(("mode", "owner"), [(0o644, "nobody"), (0o666, None), (0o620, None)],
                         ids=["another-users", "world-writable", "group-writable"])
def test_a_dotenv_others_control_is_refused(cli, tmp_path: Path, mode: int, owner: str | None) -> None:
    """Fails on main (b76b436): exit 0, MINIO_MAX_WORKERS=3 taken from a file another user wrote."""
    write_env(tmp_path, mode, owner)
    run = cli("--json", "config")
    assert run.exit_code == 78, run
    assert run.json()["error"]["code"] == "config_error", run
    run = cli("config")
    assert ".env" in one_line_error(run), run


def test_a_private_dotenv_is_read(cli, tmp_path: Path) -> None:
    """The control: a .env of one's own that nobody else may write is read (passes on main)."""
    write_env(tmp_path, 0o600, None)
    run = cli("--json", "config")
    assert run.exit_code == 0, run
    assert run.json()["MINIO_MAX_WORKERS"] == 3, run
