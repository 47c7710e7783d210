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


# -- an SSE-C key is never sent in clear ------------------------------------------------------------------
FAR = "192.0.2.1:9"  # TEST-NET-1 (RFC 5737): never routed; a connection attempt would time out (exit 69)


@pytest.fixture
def far(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Path]:
    """The CLI on a plain-http endpoint that is not this machine, and a key file. A request would need a
    connection there: refused first, the command says so (exit 78), never "unavailable" (exit 69)."""
    key = tmp_path / "sse-c.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    env = {"MINIO_ENDPOINT": f"http://{FAR}", "MINIO_ACCESS_KEY": "fakeaccess", "MINIO_SECRET_KEY": "fake-secret-0123",
           "MINIO_CONNECT_TIMEOUT": "0.5", "MINIO_READ_TIMEOUT": "0.5"}
    return _cli(env, tmp_path, monkeypatch), key


CLEAR = "its-store: error: SSE-C needs an https endpoint: the key would travel in clear"


@pytest.mark.parametrize("command", ["upload", "get", "stat", "verify"])
def test_an_sse_c_key_is_refused_over_plain_http(far: tuple[Any, Path], tmp_path: Path, command: str) -> None:
    cli, key = far
    src = tmp_path / "f.bin"
    src.write_bytes(b"frame")
    args = {"upload": ["upload", "--sse-c-key-file", str(key), str(src), f"s3://{BUCKET}/f.bin"],
            "get": ["get", "--sse-c-key-file", str(key), f"s3://{BUCKET}/f.bin", str(tmp_path / "out.bin")],
            "stat": ["stat", "--sse-c-key-file", str(key), f"s3://{BUCKET}/f.bin"],
            "verify": ["verify", f"s3://{BUCKET}/f.bin"]}[command]
    extra = {"MINIO_SSE_C_KEY_FILE": str(key)} if command == "verify" else None
    run = cli(*args, extra_env=extra)
    assert run.exit_code == 78, run
    one_line_error(run)
    assert run.stderr.startswith(CLEAR), run
    assert not (tmp_path / "out.bin").exists()


def test_the_library_refuses_an_sse_c_key_over_plain_http(tmp_path: Path) -> None:
    from its_store.core.errors import ConfigError
    from its_store.core.models import UploadRequest
    from its_store.core.settings import Settings
    from its_store.service.storage import StorageService
    settings = Settings(endpoint=f"http://{FAR}", access_key="fakeaccess", secret_key="fake-secret-0123",
                        connect_timeout=0.5, read_timeout=0.5, max_retries=0, cache_dir=tmp_path / "c",
                        audit_log=tmp_path / "a.log")
    with pytest.raises(ConfigError, match="SSE-C needs an https endpoint"):
        StorageService(settings).upload_object(UploadRequest(bucket=BUCKET, key="f.bin", data=b"frame",
                                                             sse_c_key=os.urandom(32)))


@pytest.mark.parametrize("netloc", ["127.0.0.1:9000", "127.8.9.10", "[::1]:9000", "localhost:9000", "LOCALHOST",
                                    "[::ffff:127.0.0.1]:9000", "[::ffff:7f00:1]"])
def test_loopback_endpoints_may_carry_a_key(netloc: str) -> None:
    from its_store.core.netloc import is_loopback
    assert is_loopback(netloc)


@pytest.mark.parametrize("netloc", ["192.0.2.1:9", "10.0.0.1", "[2001:db8::1]:9000", "localhost.example.com",
                                    "minio:9000", "128.0.0.1", "[::ffff:10.0.0.1]:9000"])
def test_other_endpoints_are_not_loopback(netloc: str) -> None:
    from its_store.core.netloc import is_loopback
    assert not is_loopback(netloc)


# -- a second set-aside keeps the first ---------------------------------------------------------------
def test_a_second_damaged_journal_keeps_the_first_set_aside(tmp_path: Path) -> None:
    """Before: journal.db.unusable of the first damage was replaced by the second's (os.replace)."""
    from its_store.sync.watch_journal import Journal
    folder = tmp_path / "j"
    for damage in (b"first damage " * 100, b"second damage " * 100):
        journal = Journal(folder)
        journal.open()
        journal.close()
        journal.path.write_bytes(damage)
        again = Journal(folder)
        again.open()
        again.close()
    assert (folder / "journal.db.unusable").read_bytes().startswith(b"first damage")
    assert (folder / "journal.db.unusable.1").read_bytes().startswith(b"second damage")


# -- CopyObject answered 200 with an <Error> document -------------------------------------------------
@pytest.fixture
def copy_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], Any]]:
    """A fake whose CopyObject answers 200 and then the <Error> document of state["code"]."""
    from fakes3 import s3_call
    from faultserver import FakeObject
    state: dict[str, Any] = {"code": "AccessDenied", "copies": 0}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if s3_call(req) != "CopyObject":
            return False
        conn.read_body(req)
        state["copies"] += 1
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{state["code"]}</Code>'
                "<Message>the copy failed after the answer began</Message></Error>")
        conn.send(response(200, body.encode(), content_type=XML))
        return True

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "src.bin", FakeObject(b"frame" * 20))
        env = ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env()
        cli = _cli(env, tmp_path, monkeypatch)
        monkeypatch.setenv("MINIO_MAX_RETRIES", "2")
        yield state, cli


@pytest.mark.parametrize(("code", "exit_code", "copies"), [("AccessDenied", 6, 1), ("InternalError", 69, 3)])
def test_a_copy_answered_200_with_an_error_is_that_error(copy_fails: tuple[dict[str, Any], Any], code: str,
                                                        exit_code: int, copies: int) -> None:
    """Before: "the server's answer to CopyObject ... is not valid S3: element <ETag> is missing", exit 1, for
    any code. Now the server's own error; a retryable one asked again as a 5xx answer is (2 retries: 3)."""
    state, cli = copy_fails
    state["code"] = code
    run = cli("--retries", "2", "mv", f"s3://{BUCKET}/src.bin", f"s3://{BUCKET}/dst.bin")
    assert run.exit_code == exit_code, run
    one_line_error(run)
    assert code in run.stderr and "ETag" not in run.stderr, run
    assert state["copies"] == copies, state
