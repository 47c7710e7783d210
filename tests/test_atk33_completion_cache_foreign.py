"""atk33: the completion cache is state others may write, and is still trusted.

Session 32 made state that another user may write untrusted (ssh's rule, core/private_dirs.foreign_reason):
the metadata cache in a cache folder others may write is not opened at all, its values carry an HMAC. TAB
completion's own cache, `<MINIO_CACHE_DIR>/completion.json`, in the same folder, is read with neither check
(cli/completion/complete.CompletionCache._load): whoever may write the folder (mode 0777, no sticky bit)
decides which bucket names TAB offers for this account (its keys, endpoint|identity, are in the file for
anyone who reads it). Fails now: TAB offers the planted name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import seed_completion_cache

EXE = os.path.join(os.path.dirname(sys.executable), "its-store")
SECRET = "s3cret-of-the-test"


def test_tab_does_not_answer_from_a_cache_folder_others_may_write(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    seed_completion_cache(cache, "127.0.0.1:7", "someone", SECRET, {"buckets": ["planted-bucket"]})
    cache.chmod(0o777)  # others may write it: the metadata cache refuses this folder (ForeignStateError)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "_ITS_STORE"))}
    env.update({"MINIO_CACHE_DIR": str(cache), "MINIO_SECRET_KEY": SECRET, "_ITS_STORE_COMPLETE": "names",
                "MINIO_ENDPOINT": "127.0.0.1:7", "MINIO_ACCESS_KEY": "someone", "MINIO_CONNECT_TIMEOUT": "0.5"})
    run = subprocess.run([EXE, "object", "s3://pla"], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run
    assert "planted-bucket" not in run.stdout, run
