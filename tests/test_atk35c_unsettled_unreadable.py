"""Session 35 (atk3): `bucket info` when the cache folder is another user's.

The unsettled-uploads note (transfer/resume.UploadJournal.unsettled) asked whether uploads/unsettled exists
with Path.exists(), which raises on a folder the user may not enter: `bucket info` run by another user (HOME
elsewhere, MINIO_CACHE_DIR shared and 0700) failed whole, exit 1 local_io_error, for a note it only reads.
Now a note that cannot be read is none (unsettled_uploads empty) and the rest of the answer is given.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers import run_cli_process

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def test_bucket_info_by_another_user_of_the_cache(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "uploads").mkdir(parents=True)
    (cache / "uploads" / "unsettled").write_text("[]")
    os.chmod(cache, 0o700)  # root's
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    done = run_cli_process(["bucket", "info", bucket, "--json"], {**env, "MINIO_CACHE_DIR": str(cache),
                                                                   "HOME": str(home)}, home, prefix=NOBODY)
    assert done.exit_code == 0 and "Traceback" not in done.stderr, done
    assert done.json()["unsettled_uploads"] == []
