"""An owner file (transfer/resume.py: `uploads/<hash>.owner`, locked by the run sending
that multipart upload) that no journal record names was never removed once its run died: only a record's
upload is judged again (the next upload of its key). Such a file is left by a kill -9 between the owner lock's
take and the record's save, or, as here, by a run whose record another run forgot while it was alive (B
uploading the same key leaves A's live upload alone and forgets its record), killed afterwards. Now the next
run that takes the journal's decision lock (any multipart upload) sweeps it; an owner file another process
holds locked is kept. And A's upload itself, whose parts stayed on the server, is aborted by that
run (B kept A's record aside as it left it alone: transfer/resume_owners.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy, Holds

from helpers import DEADLINE, ROOT, object_bytes, run_cli_process, write_file

MiB = 1024 * 1024


def test_the_next_upload_sweeps_an_owner_file_no_record_names(
        s3_server: Any, env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    from its_store.core.files import take_lock
    from its_store.transfer.resume_owners import owner_name
    uploads = Path(env["MINIO_CACHE_DIR"]) / "uploads"
    holds = Holds()
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=holds, record=True) as proxy:
        through = {**env, "MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}
        a_file, b_file = write_file(tmp_path / "a.bin", 11 * MiB, seed=1), write_file(tmp_path / "b.bin", 6 * MiB, 2)
        first: list[str] = []  # A's upload: the first one whose part 2 is seen (B's goes on)
        a_part = holds.add(lambda s: s.query.get("partNumber") == "2" and s.query["uploadId"] == (
            first or first.append(s.query["uploadId"]) or first)[0], "PUT")
        a_proc = subprocess.Popen([sys.executable, "-m", "its_store", "upload", str(a_file), f"s3://{bucket}/k.bin",
                                   "--part-size", "5MiB"], env={**os.environ, **through, "PYTHONPATH": str(ROOT)},
                                  cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + DEADLINE  # a safety net against a hang, never a timing assertion
            while not a_part.picked:
                assert a_proc.poll() is None and time.monotonic() < deadline, "A never sent its part 2"
                time.sleep(0.05)  # the pace of the poll: the condition decides
            # A alive, its owner lock held: B leaves its upload alone, forgets its record, stores its own object
            b_done = run_cli_process(["upload", str(b_file), f"s3://{bucket}/k.bin", "--part-size", "5MiB"],
                                     through, tmp_path)
        finally:
            a_proc.kill()  # kill -9: A's owner file stays, its lock died with it
            a_proc.wait()
            a_part.release()
        assert b_done.exit_code == 0 and object_bytes(service, bucket, "k.bin") == b_file.read_bytes(), b_done
        stale = uploads / owner_name(first[0])
        records = [json.loads(p.read_text()) for p in uploads.glob("*.json")]
        assert stale.exists() and all(r["upload_id"] != first[0] for r in records), (list(uploads.iterdir()), records)
        live = uploads / owner_name("an upload another process sends")
        release = take_lock(live)  # held by this (test) process: another run's, alive
        try:
            c_done = run_cli_process(["upload", str(b_file), f"s3://{bucket}/c.bin", "--part-size", "5MiB"],
                                     through, tmp_path)
            assert c_done.exit_code == 0, c_done
            assert not stale.exists(), list(uploads.iterdir())
            assert live.exists()
        finally:
            release()
        # B kept A's record aside (`<hash>.left`); C found A dead and aborted its upload: no orphan parts
        # (they were left to a lifecycle rule); nothing of the kind is left in the journal
        left = [u for k, u in service.s3.list_multipart_uploads(bucket, "k.bin") if u == first[0]]
        if left:
            service.s3.abort_multipart(bucket, "k.bin", first[0])
        assert not left, "A's upload was left on the server with its parts"
        assert list(uploads.glob("*.left")) == [], list(uploads.iterdir())


def _journal_with_owners(folder: Path, recorded: str) -> Path:
    """A journal folder with a record naming the upload `recorded`, and that upload's owner file (no lock held)."""
    from its_store.transfer.resume_owners import owner_name
    folder.mkdir()
    (folder / "0123abcd.json").write_text(json.dumps({"upload_id": recorded, "bucket": "b", "key": "k"}))
    (folder / owner_name(recorded)).touch()
    return folder


def test_the_sweep_keeps_the_owner_file_a_record_names(tmp_path: Path) -> None:
    """An owner file whose lock nobody holds but whose upload a journal record names is the record's, judged
    when its key is uploaded again: the sweep removes only the owner files no record names."""
    from its_store.transfer.resume_owners import owner_name, sweep
    journal = _journal_with_owners(tmp_path / "uploads", "recorded-upload")
    (journal / owner_name("forgotten-upload")).touch()
    assert sweep(journal, set()) == 1
    assert sorted(p.name for p in journal.glob("*.owner")) == [owner_name("recorded-upload")]


def test_the_sweep_keeps_this_runs_own_owner_files(tmp_path: Path) -> None:
    """The sweeping run's own owner files (`ours`) are never removed, even one no record names yet (the run
    owns the upload before its record is saved) and whose lock it could take."""
    from its_store.transfer.resume_owners import owner_name, sweep
    journal = _journal_with_owners(tmp_path / "uploads", "recorded-upload")
    mine = owner_name("this run's upload, not recorded yet")
    (journal / mine).touch()
    (journal / owner_name("forgotten-upload")).touch()
    assert sweep(journal, {mine}) == 1
    assert sorted(p.name for p in journal.glob("*.owner")) == sorted([owner_name("recorded-upload"), mine])
