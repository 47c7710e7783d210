"""Session 35 (lock): two its-store processes uploading the same key, one journal folder, one server.

On SeaweedFS an abort that lands while a CompleteMultipartUpload runs deletes the data the completed object
is built from (weed/s3api/filer_multipart.go). Each process used to judge a journal record it had read
earlier: B could decide to abort A's upload while A, unaware, sent its Complete. Now both decide under the
journal's one lock (transfer/resume.py: _deciding), so an abort is never sent for an upload another process
claimed for its Complete, and a process never sends Complete for an upload whose abort another decided.

Both processes reach SeaweedFS through one fault proxy (one endpoint: one journal record per key), which
holds the request that marks the moment: A's part 2 (A is provably between its record and its Complete),
B's abort of A's upload, or A's Complete.

Since fix2 (s35) a run holds its upload's owner lock while it sends it (resume.py): B leaves a live A's upload
alone (it used to abort it: A then stopped with exit 130, an error caused by B) and aborts only the upload of a
run that died.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Hold, Holds, Seen

from helpers import DEADLINE, ROOT, object_bytes, run_cli_process, write_file

MiB = 1024 * 1024


def _wait(hold: Hold, what: str, running: Any) -> None:
    """Until `hold` holds a request (it is the test's sync point), failing at once if the process ended."""
    deadline = time.monotonic() + DEADLINE  # a safety net against a hang, never a timing assertion
    while not hold.picked:
        assert not running.done(), f"the process ended before {what}: {running.result()!r}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.05)  # the pace of the poll: the condition decides


def _record(env: dict[str, str]) -> dict[str, Any]:
    """The one upload journal record of the test's cache folder."""
    found = list((Path(env["MINIO_CACHE_DIR"]) / "uploads").glob("*.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text())


def _setup(env: dict[str, str], tmp_path: Path, proxy: FaultProxy) -> tuple[dict[str, str], Path, Path]:
    through = {**env, "MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}
    return through, write_file(tmp_path / "a.bin", 11 * MiB, seed=1), write_file(tmp_path / "b.bin", 6 * MiB, seed=2)


def test_a_live_upload_is_left_alone_by_another_process(
        s3_server: Any, env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    """A (--resume) holds its upload's part 2 in the proxy, alive, holding its owner lock; B uploads another
    file to the key. B used to abort A's upload (A then stopped with an error caused by B, exit 130): now B
    leaves it alone and stores its own object. Let go, A completes too (its object the newest version); no
    abort of A's upload is sent, no upload and no owner file is left."""
    holds = Holds()
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=holds, record=True) as proxy:
        through, a_file, b_file = _setup(env, tmp_path, proxy)
        first: list[str] = []  # A's upload: the first one whose part 2 is seen (B's part 2 goes on)
        a_part = holds.add(lambda s: s.query.get("partNumber") == "2" and s.query["uploadId"] == (
            first or first.append(s.query["uploadId"]) or first)[0], "PUT")
        with ThreadPoolExecutor(1) as pool:
            a_run = pool.submit(run_cli_process, ["upload", str(a_file), f"s3://{bucket}/k.bin", "--resume",
                                                  "--part-size", "5MiB"], through, tmp_path)
            _wait(a_part, "A's part 2", a_run)
            a_upload = _record(through)["upload_id"]
            b_done = run_cli_process(["upload", str(b_file), f"s3://{bucket}/k.bin", "--part-size", "5MiB",
                                      "--json"], through, tmp_path)
            b_stored = object_bytes(service, bucket, "k.bin")
            a_part.release()
            a_done = a_run.result()
        aborts = proxy.requests_to("DELETE", lambda s: s.query.get("uploadId") == a_upload)
    assert aborts == [], "B aborted the upload A was still sending"
    assert b_done.exit_code == 0 and b_stored == b_file.read_bytes(), b_done
    assert a_done.exit_code == 0, a_done
    assert object_bytes(service, bucket, "k.bin") == a_file.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []
    assert list((Path(env["MINIO_CACHE_DIR"]) / "uploads").glob("*")) in ([], [Path(env["MINIO_CACHE_DIR"]) /
                                                                                "uploads" / ".lock"])


def test_the_upload_of_a_run_that_died_is_aborted_by_the_next_one(
        s3_server: Any, env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    """A is killed (SIGKILL) while its part 2 is held: its owner file stays, but its lock died with it. B's
    upload of the key judges A's upload not alive: aborts it (the orphan's parts go), removes the stale file."""
    holds = Holds()
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=holds, record=True) as proxy:
        through, a_file, b_file = _setup(env, tmp_path, proxy)
        a_part = holds.add(lambda s: s.query.get("partNumber") == "2", "PUT")
        full = {**os.environ, **through, "PYTHONPATH": str(ROOT)}
        a_proc = subprocess.Popen([sys.executable, "-m", "its_store", "upload", str(a_file),
                                   f"s3://{bucket}/k.bin", "--part-size", "5MiB"], env=full, cwd=tmp_path,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + DEADLINE  # a safety net against a hang, never a timing assertion
            while not a_part.picked:
                assert a_proc.poll() is None and time.monotonic() < deadline, "A never sent its part 2"
                time.sleep(0.05)
        finally:
            a_proc.kill()
            a_proc.wait()
        a_upload = _record(through)["upload_id"]
        stale = list((Path(env["MINIO_CACHE_DIR"]) / "uploads").glob("*.owner"))
        a_part.release()
        b_done = run_cli_process(["upload", str(b_file), f"s3://{bucket}/k.bin", "--json"], through, tmp_path)
        aborts = proxy.requests_to("DELETE", lambda s: s.query.get("uploadId") == a_upload)
    assert len(stale) == 1, "the run that died left no owner file: the test proves nothing"
    assert b_done.exit_code == 0, b_done
    assert len(aborts) == 1, "the orphan of a run that died was not aborted"
    assert not stale[0].exists()
    assert object_bytes(service, bucket, "k.bin") == b_file.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []


def test_a_complete_in_flight_is_not_aborted_by_another_process(
        s3_server: Any, env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    """A's Complete is held in the proxy (in flight) while B uploads another file to the key and decides: B
    sends no abort of A's upload. Released, A's Complete makes A's object whole (the newest version)."""
    holds = Holds()
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=holds, record=True) as proxy:
        through, a_file, b_file = _setup(env, tmp_path, proxy)
        first: list[str] = []  # A's upload: the first Complete seen (B's comes after A's is held)
        complete = holds.add(lambda s: "uploadId" in s.query and s.query["uploadId"] == (
            first or first.append(s.query["uploadId"]) or first)[0], "POST")
        with ThreadPoolExecutor(2) as pool:
            a_run = pool.submit(run_cli_process, ["upload", str(a_file), f"s3://{bucket}/k.bin", "--resume",
                                                  "--part-size", "5MiB", "--json"], through, tmp_path)
            _wait(complete, "A's Complete", a_run)
            a_upload = complete.picked[0].query["uploadId"]
            b_done = run_cli_process(["upload", str(b_file), f"s3://{bucket}/k.bin", "--json"], through, tmp_path)
            aborts = proxy.requests_to("DELETE", lambda s: s.query.get("uploadId") == a_upload)
            complete.release()
            a_done = a_run.result()
    assert aborts == [], "B aborted the upload A was completing"
    assert b_done.exit_code == 0 and a_done.exit_code == 0, (a_done, b_done)
    assert object_bytes(service, bucket, "k.bin") == a_file.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []


def test_a_refused_complete_is_not_aborted_while_another_run_completes_the_same_upload(
        s3_server: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """Two runs (two journals on one folder, as two processes) resume the same interrupted upload. A's
    Complete is held in flight; B's is refused by the server (400 InvalidPart). B must not abort the upload
    after its refusal, as it did before (its own upload, it thought): A is completing it. Released, A's
    Complete makes the object whole. (Since A's owner lock, B does not even resume A's upload: it makes its own,
    and aborts that one after its refusal.)"""
    from faultserver import response

    from its_store import StorageService, load_settings
    from its_store.core import errors as E
    from its_store.transfer.resume import UploadJournal
    from its_store.transfer.upload import upload_file
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=3)
    holds, completes = Holds(), []
    first = holds.add(lambda s: "uploadId" in s.query and not completes and not completes.append(s), "POST")
    fail = {"part": True}
    invalid = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidPart</Code><Message>One or more of '
               b"the specified parts could not be found.</Message></Error>")

    def answer(seen: Seen) -> bytes | None:
        if fail["part"] and seen.method == "PUT" and seen.query.get("partNumber") == "2":
            return response(503, b"<html>down</html>", content_type="text/html")
        if seen.method == "POST" and "uploadId" in seen.query and completes and completes[0] is not seen:
            return response(400, invalid, content_type="application/xml")  # B's Complete, refused
        return holds(seen)

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer, record=True) as proxy:
        via = StorageService(load_settings(endpoint=proxy.endpoint, access_key=s3_server.access_key,
                                           secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "state", max_retries=0))
        runs = [UploadJournal(tmp_path / "state" / "uploads", "s35-endpoint") for _ in range(3)]

        def upload(journal: UploadJournal) -> Any:
            return upload_file(via.s3, bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=5 * MiB,
                               workers=1, journal=journal, resume=True)
        try:
            with pytest.raises(E.ServiceUnavailableError):  # part 2 refused: the parts kept for --resume
                upload(runs[0])
            fail["part"] = False
            with ThreadPoolExecutor(1) as pool:
                a_run = pool.submit(upload, runs[1])
                _wait(first, "A's Complete", a_run)
                with pytest.raises(E.ItsStoreError):  # B's Complete refused
                    upload(runs[2])
                aborts = proxy.requests_to("DELETE", lambda s: s.query.get("uploadId") == completes[0].query[
                    "uploadId"])  # B's own upload (A's is left alone: A's owner lock), refused, B aborts
                first.release()
                a_done = a_run.result()
        finally:
            via.close()
    assert aborts == [], "B aborted the upload A was completing"
    assert a_done.parts == 3 and object_bytes(service, bucket, "clip.mp4") == src.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []
