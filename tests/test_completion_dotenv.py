"""Completion reads .env with python-dotenv, as Settings reads it (no server: the answer comes from the
completion cache, filed for the endpoint and access key the .env names; nothing listens there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import seed_completion_cache

EXE = os.path.join(os.path.dirname(sys.executable), "its-store")
SECRET = "s3cret-of-the-test"


def _tab(cwd: Path, cache: Path, word: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """The console script answering a completion script's request for the bucket names of `word`, run in
    `cwd` (cli/completion/complete.py: `_ITS_STORE_COMPLETE=names its-store object WORD`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "_ITS_STORE"))}
    env.update({"MINIO_CACHE_DIR": str(cache), "MINIO_SECRET_KEY": SECRET, "_ITS_STORE_COMPLETE": "names", **extra})
    return subprocess.run([EXE, "object", word], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_dotenv_syntax_is_read_as_settings_read_it_and_the_environment_wins(tmp_path: Path):
    cache = tmp_path / "cache"
    seed_completion_cache(cache, "127.0.0.1:7", "from-dotenv", SECRET, {"buckets": ["dotenv-bucket"]})
    seed_completion_cache(cache, "127.0.0.1:5", "from-dotenv", SECRET, {"buckets": ["environment-bucket"]})
    (tmp_path / ".env").write_text(
        "# the endpoint, with a comment after it\n"
        "MINIO_ENDPOINT=127.0.0.1:7  # the lab's server\n"
        "this line is not a setting\n"
        "export minio_access_key='from-dotenv'\n")
    run = _tab(tmp_path, cache, "s3://dot")
    assert (run.returncode, run.stdout.split(), run.stderr) == (0, ["s3://dotenv-bucket/"], "")
    run = _tab(tmp_path, cache, "s3://env", MINIO_ENDPOINT="127.0.0.1:5")  # env over .env
    assert (run.returncode, run.stdout.split(), run.stderr) == (0, ["s3://environment-bucket/"], "")


def test_a_fifo_named_dotenv_never_blocks_a_tab(tmp_path: Path):
    cache = tmp_path / "cache"
    seed_completion_cache(cache, "127.0.0.1:7", "someone", SECRET, {"buckets": ["fifo-bucket"]})
    os.mkfifo(tmp_path / ".env")
    run = _tab(tmp_path, cache, "s3://fi", MINIO_ENDPOINT="127.0.0.1:7", MINIO_ACCESS_KEY="someone")
    assert (run.returncode, run.stdout.split(), run.stderr) == (0, [], "")  # refused as Settings refuses it
