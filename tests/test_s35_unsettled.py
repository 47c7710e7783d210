"""Session 35 (lock): an upload whose Complete had no known outcome, which the next run does not resume, is
named by `bucket info` (unsettled_uploads) while the server lists it, and is never aborted.

Its CompleteMultipartUpload may be running on the server, so it is never aborted (transfer/resume.py). The
next upload of the key without --resume used to forget its record silently: the parts stayed, billed and
nameless until the lifecycle rule removed them. Now the journal notes it, and `bucket info` names it as long
as the server lists it; once the server no longer does (completed, or aborted), the note goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faultproxy import FaultProxy, Seen
from faultserver import response

from helpers import run_cli_process, write_file

MiB = 1024 * 1024


class LostComplete:
    """While on: a Complete answered by a gateway, never forwarded (its outcome unknown to the client)."""

    on = True

    def __call__(self, seen: Seen) -> bytes | None:
        if self.on and seen.method == "POST" and "uploadId" in seen.query:
            return response(502, b"<html>bad gateway</html>", content_type="text/html")
        return None


def test_an_unsettled_upload_is_named_by_bucket_info_and_not_aborted(
        s3_server: Any, env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    first = write_file(tmp_path / "a.bin", 11 * MiB, seed=5)
    other = write_file(tmp_path / "b.bin", 6 * MiB, seed=6)
    lose = LostComplete()
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=lose) as proxy:
        env = {**env, "MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}  # one endpoint: one journal
        lost = run_cli_process(["upload", str(first), f"s3://{bucket}/k.bin", "--part-size", "5MiB"], env, tmp_path)
        assert lost.exit_code != 0, lost
        [(key, upload_id)] = service.s3.list_multipart_uploads(bucket)  # kept: its Complete may be running
        lose.on = False
        done = run_cli_process(["upload", str(other), f"s3://{bucket}/k.bin", "--part-size", "5MiB"], env, tmp_path)
        assert done.exit_code == 0, done
        assert (key, upload_id) in service.s3.list_multipart_uploads(bucket), "one that may complete was aborted"
        info = run_cli_process(["bucket", "info", bucket, "--json"], env, tmp_path)
        assert info.exit_code == 0, info
        assert info.json()["unsettled_uploads"] == [{"key": "k.bin", "upload_id": upload_id}]
        assert info.json()["uploads_in_progress"] == 1
        shown = run_cli_process(["bucket", "info", bucket], env, tmp_path)
        assert "unsettled" in shown.stdout and "k.bin" in shown.stdout, shown
        service.s3.abort_multipart(bucket, "k.bin", upload_id)  # by hand, once sure no run completes it
        info = run_cli_process(["bucket", "info", bucket, "--json"], env, tmp_path)
        assert info.json()["unsettled_uploads"] == [] and info.json()["uploads_in_progress"] == 0
    note = Path(env["MINIO_CACHE_DIR"]) / "uploads" / "unsettled"
    assert upload_id not in note.read_text()
