"""Session 32 gaps: the .env file is read only as the file checked (core/env_file.opened_env_file).

- TAB completion's quick config (cli/completion/complete.quick_config) read `./.env` with no owner check:
  another user's `.env`, or one group or others may write, chose the endpoint and keys whose cached names
  TAB offered (the command itself refuses such a file, exit 78). Now the same check: a refused file makes
  TAB offer nothing, silently (the shell line is never given an error).
- The check opened the name and pydantic-settings opened the name again: a file swapped between the two
  (a folder others may write without the sticky bit) was read unchecked. Now the reader is handed the
  checked descriptor's own name. The swap is made at the exact moment of the second open by an audit hook
  (sys.addaudithook, Python's own event for every open), in a child process: no timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import seed_completion_cache

EXE = os.path.join(os.path.dirname(sys.executable), "its-store")
SECRET = "s3cret-of-the-test"
OTHER_UID = 4242  # a user that is not this one (tests run as root: chown is allowed)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "_ITS_STORE"))}
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), **extra}


def _tab(cwd: Path, cache: Path, word: str) -> subprocess.CompletedProcess[str]:
    """The console script answering a completion script's request for the bucket names of `word` in `cwd`."""
    env = _clean_env(MINIO_CACHE_DIR=str(cache), MINIO_SECRET_KEY=SECRET, _ITS_STORE_COMPLETE="names")
    return subprocess.run([EXE, "object", word], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("make_it_foreign", [
    lambda env: os.chown(env, OTHER_UID, OTHER_UID),
    lambda env: os.chmod(env, 0o664),
    lambda env: os.chmod(env, 0o606),
], ids=["another-users", "group-writable", "others-writable"])
def test_a_dotenv_the_command_refuses_does_not_feed_tab(tmp_path: Path, make_it_foreign) -> None:
    """Failed on main (a83dc6e): TAB offered s3://strangers-bucket/, the name cached for the endpoint and
    key the stranger's .env sets. Now nothing, nothing on stderr, exit 0; the same file made ours is read."""
    cache = tmp_path / "cache"
    seed_completion_cache(cache, "127.0.0.1:7", "stranger", SECRET, {"buckets": ["strangers-bucket"]})
    env = tmp_path / ".env"
    env.write_text("MINIO_ENDPOINT=127.0.0.1:7\nMINIO_ACCESS_KEY=stranger\n")
    env.chmod(0o644)
    assert _tab(tmp_path, cache, "s3://str").stdout.split() == ["s3://strangers-bucket/"]  # ours: read
    make_it_foreign(env)
    run = _tab(tmp_path, cache, "s3://str")
    assert (run.returncode, run.stdout.split(), run.stderr) == (0, [], "")


# The child: `its-store config --json` in a folder whose .env is swapped for a stranger's at the moment of
# the second open of the .env (the first is the check's): what an attacker who may write the folder does.
SWAP = r"""
import os, runpy, sys
stranger, seen = sys.argv[1], []
def hook(event, args):
    if event != "open" or len(seen) >= 2 or isinstance(args[0], int) or args[0] is None:
        return
    name = os.fsdecode(args[0])
    if os.path.basename(name) == ".env" or name.startswith(("/proc/self/fd/", "/dev/fd/")):
        seen.append(name)
        if len(seen) == 2:
            os.replace(stranger, ".env")
sys.addaudithook(hook)
sys.argv = ["its-store", "config", "--json"]
runpy.run_module("its_store", run_name="__main__")
"""


def test_a_dotenv_swapped_after_its_check_is_not_read(tmp_path: Path) -> None:
    """Failed on main (a83dc6e): the settings showed the stranger's MINIO_ENDPOINT (127.0.0.1:9), read past
    the check. Now the file checked is the file read: 127.0.0.1:7."""
    (tmp_path / ".env").write_text("MINIO_ENDPOINT=127.0.0.1:7\n")
    (tmp_path / ".env").chmod(0o600)
    stranger = tmp_path / "strangers.env"
    stranger.write_text("MINIO_ENDPOINT=127.0.0.1:9\n")
    os.chown(stranger, OTHER_UID, OTHER_UID)
    run = subprocess.run([sys.executable, "-c", SWAP, str(stranger)], env=_clean_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert not stranger.exists(), "the swap did not happen: the test proves nothing"
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["MINIO_ENDPOINT"] == "127.0.0.1:7"
