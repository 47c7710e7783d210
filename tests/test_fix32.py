"""Session 32 fixes beyond the attacker's own tests: ListMultipartUploads read past its first page (and its
pages held to the endless-listing rule), SSE-C refused over plain HTTP to a non-loopback endpoint."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import XML, Conn, FaultServer, Request, response

from conftest import ServerInfo, cli_runner, one_line_error

BUCKET = "fix32-b"


def _cli(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
        monkeypatch.delenv(name)
    env = {**env, "MINIO_MAX_RETRIES": "0", "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"),
           "MINIO_AUDIT_LOG": str(tmp_path / "state" / "a.log")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return cli_runner(env)


def _uploads_page(uploads: list[str], next_key: str | None) -> bytes:
    items = "".join(f"<Upload><Key>{k}</Key><UploadId>id-{k}</UploadId></Upload>" for k in uploads)
    more = "<IsTruncated>false</IsTruncated>"
    if next_key:
        more = (f"<IsTruncated>true</IsTruncated><NextKeyMarker>{next_key}</NextKeyMarker>"
                f"<NextUploadIdMarker>id-{next_key}</NextUploadIdMarker>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>{BUCKET}</Bucket>{more}{items}'
            "</ListMultipartUploadsResult>").encode()


@pytest.fixture
def paged_uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], Any]]:
    """A fake whose ListMultipartUploads answers two pages (a.., then c) or, with state["cycle"], the first
    page again and again."""
    state: dict[str, Any] = {"cycle": False, "lists": 0}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method != "GET" or req.key or "uploads" not in req.query:
            return False
        state["lists"] += 1
        if state["lists"] > 20:  # a run that keeps asking: the fake stops it (else the test would hang)
            conn.send(response(400, b"", content_type=XML))
            return True
        later = req.query.get("key-marker") == "b" and not state["cycle"]
        body = _uploads_page(["c"], None) if later else _uploads_page(["a", "b"], "b")
        conn.send(response(200, body, content_type=XML))
        return True

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        env = ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env()
        yield state, _cli(env, tmp_path, monkeypatch)


def test_every_page_of_the_unfinished_uploads_is_read(paged_uploads: tuple[dict[str, Any], Any]) -> None:
    """Before: only the first page (the first 1,000 uploads) was read: `bucket info` said 2 of 3."""
    _, cli = paged_uploads
    run = cli("--json", "bucket", "info", f"s3://{BUCKET}")
    assert run.exit_code == 0, run
    assert run.json()["uploads_in_progress"] == 3, run


def test_unfinished_uploads_that_page_in_a_cycle_end(paged_uploads: tuple[dict[str, Any], Any]) -> None:
    """A server repeating its markers is the endless-listing error (exit 69) after one page or two."""
    state, cli = paged_uploads
    state["cycle"] = True
    run = cli("bucket", "rm", f"s3://{BUCKET}")
    assert state["lists"] <= 3, run
    assert run.exit_code == 69, run
    one_line_error(run)


# -- no worker thread can start at all ------------------------------------------------------------------
UID = 54321  # a uid no process of this machine runs as: RLIMIT_NPROC counts that uid's threads only


def test_no_worker_thread_at_all_is_one_line_naming_workers(tmp_path: Path) -> None:
    """Under a limit of one thread (the main one), a batch ends as one error line suggesting fewer --workers,
    exit 1 (before: "unexpected RuntimeError: can't start new thread ... report it")."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from faultserver import FakeObject

    from helpers import DEADLINE, ROOT
    work = Path(tempfile.mkdtemp(prefix="fix32-"))
    os.chmod(work, 0o755)
    os.chown(work, UID, UID)
    try:
        with FaultServer(buckets=(BUCKET,)) as server:
            server.put_object(BUCKET, "p/a.bin", FakeObject(b"a" * 100))
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("MINIO_")},
                   **ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(), "PYTHONPATH": str(ROOT),
                   "MINIO_MAX_RETRIES": "0", "MINIO_CACHE_DIR": str(work / "c"), "MINIO_AUDIT_LOG": str(work / "a.log")}
            limited = ["prlimit", "--nproc=1", "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"]
            proc = subprocess.run([*limited, sys.executable, "-m", "its_store", "get", "-r", f"s3://{BUCKET}/p/",
                                   str(work / "out") + "/"], env=env, cwd=work, capture_output=True,
                                  timeout=DEADLINE, stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    err = proc.stderr.decode()
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 1, err
    assert len(lines) == 1 and lines[0].startswith("its-store: error: cannot start a worker thread"), err
    assert "--workers" in lines[0] and "unexpected" not in err, err
