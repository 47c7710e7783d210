"""An upload left alone whose owner claimed its Complete, then died, is never aborted as an orphan.

B leaves A's live upload alone and keeps its record aside (transfer/resume_owners.leave); a later run that finds
A dead aborts that upload (tests/test_resume_stale_owner.py) -- unless A had claimed it for its Complete
(completing()): then the Complete may have been sent, and an abort landing while SeaweedFS completes deletes the
completed object's chunks (transfer/resume.py). Such an upload is noted unsettled instead (`bucket info` shows it
while the server lists it), as an unknown Complete of a record is. A is a real process, killed with SIGKILL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import ROOT

MiB = 1024 * 1024

CHILD = """
import sys
from pathlib import Path
from its_store import StorageService, load_settings
from its_store.transfer.resume import UploadJournal
folder, bucket, key, upload_id = sys.argv[1:5]
journal = UploadJournal(Path(folder), "left-alone-endpoint")
journal.own(upload_id)
journal.save(bucket, key, {"source": "a", "upload_id": upload_id})
print("owned", flush=True)
sys.stdin.readline()  # B has left it alone
print("completing" if journal.completing(bucket, key, upload_id) else "refused", flush=True)
sys.stdin.readline()  # killed before this
"""


def test_a_dead_owner_that_claimed_its_complete_is_not_aborted(service: Any, bucket: str, tmp_path: Path) -> None:
    from its_store.transfer.resume import UploadJournal
    folder = tmp_path / "uploads"
    folder.mkdir()
    upload_id = service.s3.create_multipart(bucket, "k.bin", {})
    service.s3.upload_part(bucket, "k.bin", upload_id, 1, b"x" * (5 * MiB))
    a = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), bucket, "k.bin", upload_id],
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        assert a.stdout is not None and a.stdin is not None
        assert a.stdout.readline().strip() == "owned"
        b = UploadJournal(folder, "left-alone-endpoint")  # another run: a new source for the key (not resumable)
        assert b.resumable(service.s3, bucket, "k.bin", {"source": "b"}) == (None, {})  # A's left alone
        a.stdin.write("go\n")
        a.stdin.flush()
        assert a.stdout.readline().strip() == "completing"
    finally:
        a.kill()  # SIGKILL: its Complete may have been sent
        a.wait()
    try:
        c = UploadJournal(folder, "left-alone-endpoint")  # the next run: finds A dead
        assert c.resumable(service.s3, bucket, "other.bin", {"source": "c"}) == (None, {})
        listed = [u for _, u in service.s3.list_multipart_uploads(bucket, "k.bin")]
        assert upload_id in listed, "an upload whose Complete may have been sent was aborted"
        assert c.unsettled(bucket, set(listed)) == [("k.bin", upload_id)]
    finally:
        service.s3.abort_multipart(bucket, "k.bin", upload_id)
