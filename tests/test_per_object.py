"""The per-object path (issue 22): one request per object, and a batch's records written together, never lost.

Requests are counted on the wire, through tests/faultproxy.py in front of the session's SeaweedFS.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SMALL_THRESHOLD
from tests.faultproxy import FaultProxy, Hold
from tests.helpers import random_bytes, write_file


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


@pytest.fixture
def proxy(s3_server: Any) -> Iterator[FaultProxy]:
    """A recording proxy in front of the real server (point MINIO_ENDPOINT at proxy.endpoint)."""
    with FaultProxy(_port(s3_server.endpoint), record=True) as recording:
        yield recording


def on_objects(proxy: FaultProxy, bucket: str, prefix: str) -> list[str]:
    """The methods of the requests that named an object under bucket/prefix, in order."""
    return [seen.method for seen in proxy.seen if seen.path.startswith(f"/{bucket}/{prefix}")]


def via(proxy: FaultProxy, **more: str) -> dict[str, str]:
    return {"MINIO_ENDPOINT": proxy.endpoint, **more}


# ----------------------------------------------------------------------- one request per object
def test_get_sends_one_get_and_no_head(cli: Any, service: Any, bucket: str, proxy: FaultProxy,
                                       tmp_path: Path) -> None:
    """`get` of a small object: the GET's answer stands for the HEAD (size, ETag, its-sha256, codec, CRC32),
    to a file and to stdout, stored as is or compressed; the content is checked as before."""
    plain, packed = random_bytes(50_000, seed=1), b"frame " * 20_000
    for name, data, codec in (("plain.bin", plain, "none"), ("packed.txt", packed, "zstd")):
        (tmp_path / name).write_bytes(data)
        assert cli("upload", str(tmp_path / name), f"s3://{bucket}/o/{name}", "--compress", codec).exit_code == 0
    for name, data in (("plain.bin", plain), ("packed.txt", packed)):
        proxy.seen.clear()
        run = cli("get", f"s3://{bucket}/o/{name}", str(tmp_path / f"got-{name}"), "--json", extra_env=via(proxy))
        assert run.exit_code == 0 and run.json()["verified"] is True, run
        assert (tmp_path / f"got-{name}").read_bytes() == data
        assert on_objects(proxy, bucket, f"o/{name}") == ["GET"]
        proxy.seen.clear()
        run = cli("get", f"s3://{bucket}/o/{name}", "-", extra_env=via(proxy))
        assert run.exit_code == 0 and run.stdout_bytes == data, run
        assert on_objects(proxy, bucket, f"o/{name}") == ["GET"]


def test_get_of_a_large_object_takes_no_head(cli: Any, service: Any, bucket: str, proxy: FaultProxy,
                                             tmp_path: Path) -> None:
    """At MINIO_MULTIPART_THRESHOLD or more the GET's answer is closed unread and the object comes in
    parallel ranges with the head it gave: no HEAD, as many requests as HEAD + ranges were."""
    data = random_bytes(SMALL_THRESHOLD + 1_000_000, seed=3)
    (tmp_path / "big.bin").write_bytes(data)
    parts = {"MINIO_PART_SIZE": "5MiB"}  # two parts, and two ranges
    assert cli("upload", str(tmp_path / "big.bin"), f"s3://{bucket}/big.bin", extra_env=parts).exit_code == 0
    proxy.seen.clear()
    run = cli("get", f"s3://{bucket}/big.bin", str(tmp_path / "back.bin"), "--json", extra_env=via(proxy, **parts))
    assert run.exit_code == 0 and run.json()["verified"] is True, run
    assert (tmp_path / "back.bin").read_bytes() == data
    methods = on_objects(proxy, bucket, "big.bin")
    assert "HEAD" not in methods and methods.count("GET") == 3, methods  # the whole GET, then 2 ranges


def test_get_recursive_and_sync_send_one_get_per_object(cli: Any, service: Any, bucket: str, proxy: FaultProxy,
                                                       tmp_path: Path) -> None:
    """`get -r` and `sync s3 -> local`: one GET per object, no HEAD (sync sent a HEAD, then open_head
    another, then the GET); what sync learnt from the GET is kept, so an unchanged rerun sends nothing."""
    src = tmp_path / "src"
    for i in range(6):
        write_file(src / f"f{i}.jpg", 10_000 + i, seed=i)
    assert cli("sync", str(src), f"s3://{bucket}/s/").exit_code == 0
    proxy.seen.clear()
    assert cli("get", "-r", f"s3://{bucket}/s/", str(tmp_path / "got"), extra_env=via(proxy)).exit_code == 0
    assert on_objects(proxy, bucket, "s/") == ["GET"] * 6
    proxy.seen.clear()
    run = cli("sync", f"s3://{bucket}/s/", str(tmp_path / "back"), "--json", extra_env=via(proxy))
    assert run.exit_code == 0 and len(run.json()["copied"]) == 6, run
    assert on_objects(proxy, bucket, "s/") == ["GET"] * 6
    for i in range(6):
        assert (tmp_path / "back" / f"f{i}.jpg").read_bytes() == (src / f"f{i}.jpg").read_bytes()
        assert (tmp_path / "back" / f"f{i}.jpg").stat().st_mtime_ns == (src / f"f{i}.jpg").stat().st_mtime_ns
    proxy.seen.clear()
    again = cli("sync", f"s3://{bucket}/s/", str(tmp_path / "back"), "--json", extra_env=via(proxy))
    assert again.exit_code == 0 and again.json()["copied"] == [] and on_objects(proxy, bucket, "s/") == []


def test_batches_keep_16_objects_in_flight_unless_told(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Small objects wait on the server, not on the client's CPU: a batch (upload -r, get -r, sync) keeps 16 in
    flight by default; -w (workers=) or MINIO_MAX_WORKERS set by the user decides when given."""
    from its_store import StorageService, load_settings
    for workers, value, expected in ((None, None, 16), (3, None, 3), (None, "4", 4), (5, "4", 5)):
        if value is None:
            monkeypatch.delenv("MINIO_MAX_WORKERS", raising=False)
        else:
            monkeypatch.setenv("MINIO_MAX_WORKERS", value)
        with StorageService(load_settings(), workers=workers) as svc:
            assert svc.ctx.batch_workers == expected, (workers, value)


# ------------------------------------------------------------------ a batch's records, together
def _uploads(log: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [line for line in lines if line["operation"] == "upload"]


def test_a_batch_writes_its_audit_lines_together_one_per_object(service: Any, bucket: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`upload -r` of 300 files: 300 audit lines, each with its file's SHA-256, in a few write() calls
    (one open-write-close per line cost a fifth of a frame's upload); stats count all 300 once."""
    from its_store.state import audit
    writes: list[int] = []
    real = audit.AuditLog._append
    ours = Path(service.ctx.settings.audit_log)  # the patch is process-wide: not another service's audit log

    def counted(self: Any, data: bytes) -> None:
        if self.path == ours:
            writes.append(data.count(b"\n"))
        real(self, data)

    monkeypatch.setattr(audit.AuditLog, "_append", counted)
    monkeypatch.setattr(audit.AuditBuffer, "MAX_SECONDS", 3600.0)  # flushed by count, size and the end only
    src = tmp_path / "src"
    for i in range(300):
        write_file(src / f"f{i:03d}.jpg", 200 + i, seed=i)
    result = service.batch().upload_directory(src, bucket, "a/", workers=4)
    assert result.succeeded == 300 and not result.errors
    lines = _uploads(Path(service.ctx.settings.audit_log))
    assert sorted(line["key"] for line in lines) == [f"a/f{i:03d}.jpg" for i in range(300)]
    for line in lines:
        data = (src / line["key"][2:]).read_bytes()
        assert line["result"] == "ok" and line["sha256"] == hashlib.sha256(data).hexdigest()
        assert line["size"] == len(data)
    assert sum(writes) == len(lines) and len(writes) <= 4, writes
    counter = service.ctx.stats.operations["upload"]
    assert counter.count == 300 and counter.bytes == sum(200 + i for i in range(300))


def test_sigterm_mid_batch_loses_no_audit_line(env: dict[str, str], service: Any, bucket: str, s3_server: Any,
                                               tmp_path: Path) -> None:
    """SIGTERM while `upload -r` runs: the uploads in flight finish, nothing new starts, exit 143, and
    every object stored has its audit line (the buffered lines are written before the exit)."""
    src = tmp_path / "src"
    for i in range(60):
        write_file(src / f"f{i:02d}.jpg", 5_000 + i, seed=i)
    hold = Hold(12)  # the 12th PUT goes on; the rest wait until the signal was sent: it comes midway
    proxy = FaultProxy(_port(s3_server.endpoint), answer=hold).start()
    try:
        run_env = {**os.environ, **env, "MINIO_ENDPOINT": proxy.endpoint}
        proc = subprocess.Popen([sys.executable, "-m", "its_store", "upload", str(src), f"s3://{bucket}/t/", "-r",
                                 "-w", "2"], env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=tmp_path)
        hold.wait()
        os.kill(proc.pid, signal.SIGTERM)
        hold.release()
        _, err = proc.communicate(timeout=120)
    finally:
        hold.release()
        proxy.stop(wait=True)
    assert proc.returncode == 128 + signal.SIGTERM and b"Traceback" not in err, err
    stored = {entry.key for entry in service.s3.list_objects(bucket, "t/")}
    assert 12 <= len(stored) < 60
    lines = _uploads(Path(env["MINIO_AUDIT_LOG"]))
    assert sorted(line["key"] for line in lines if line["result"] == "ok") == sorted(stored)
