"""its_store.s3.wire (the lean S3 HTTP client) against the real server: SigV4 of awkward keys and
queries, chunked answers and connections closed between requests (through the loopback fault
proxy), endpoints that are not S3, and header injection."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from faultproxy import FaultProxy

from its_store.core import errors as E
from its_store.core.settings import load_settings
from its_store.s3.client import S3Client
from its_store.s3.http1 import Headers, http_date
from its_store.s3.sigv4 import Signer

from conftest import one_line_error
from helpers import random_bytes

AWKWARD = ["a b/c+d=e&f.jpg", "ünï/cödé €.bin", "x/~tilde/!$'()*,;@.txt", "percent%2Fnot-a-slash",
           "deep/" * 12 + "k", "q?uery#frag", "cam 01/2026-11-24T10:00:00Z.jpg"]


def _client(endpoint: str | None = None, **kw) -> S3Client:
    return S3Client(load_settings(**({"endpoint": endpoint} if endpoint else {}), **kw))


@pytest.fixture
def proxy(s3_server):
    proxies: list[FaultProxy] = []

    def make(**options) -> FaultProxy:
        p = FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **options).start()
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.stop()


def test_awkward_keys_sign_and_round_trip(bucket):
    """Keys and list prefixes with spaces, '+', '=', '&', '%', '?', '#', non-ASCII: the server checks
    every signature, so a wrong canonical encoding fails here."""
    s3 = _client()
    bodies = {key: random_bytes(100 + i * 70_001, seed=i) for i, key in enumerate(AWKWARD)}
    for key, body in bodies.items():
        s3.put(bucket, key, body, {"Content-Type": "application/octet-stream"})
    for key, body in bodies.items():
        assert s3.stat(bucket, key).size == len(body)
        resp = s3.get(bucket, key)
        assert resp.read() == body
        part = s3.get(bucket, key, offset=1, length=50)
        assert part.read() == body[1:51]
        assert [e.key for e in s3.list_fast(bucket, key)] == [key]
    assert sorted(e.key for e in s3.list_fast(bucket)) == sorted(bodies)
    for key in bodies:
        s3.remove(bucket, key)
    assert list(s3.list_fast(bucket)) == []


def test_chunked_answers_are_read_whole(bucket, proxy, tmp_path: Path):
    """A reverse proxy may re-frame answers as chunked (with extensions and trailers): listings,
    object bodies, ranged reads and error documents all come through intact."""
    direct = _client()
    keys = [f"cam/{i:04d}.jpg" for i in range(1200)]  # two listing pages
    for key in keys[:3]:
        direct.put(bucket, key, random_bytes(300_000, seed=len(key)), {"Content-Type": "image/jpeg"})
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: direct.put(bucket, k, b"x", {"Content-Type": "image/jpeg"}), keys[3:]))
    via = _client(proxy(rechunk=True).endpoint)
    assert [e.key for e in via.list_fast(bucket, "cam/")] == keys
    body = random_bytes(300_000, seed=len(keys[0]))
    assert via.get(bucket, keys[0]).read() == body
    assert via.get(bucket, keys[0], offset=70_000, length=100_000).read() == body[70_000:170_000]
    buf = bytearray(8192)
    resp, got = via.get(bucket, keys[0]), bytearray()
    while n := resp.readinto(buf):
        got += buf[:n]
    assert bytes(got) == body
    with pytest.raises(E.ObjectNotFoundError):
        via.get(bucket, "cam/missing.jpg")
    from its_store.transfer.engine import ObjectHead, download_to_file
    head = ObjectHead(bucket=bucket, key=keys[0], size=len(body), etag=via.stat(bucket, keys[0]).etag)
    assert download_to_file(via, head, tmp_path / "f.jpg", threshold=1 << 30, part_size=None, workers=2)
    assert (tmp_path / "f.jpg").read_bytes() == body


def test_connections_closed_between_requests(bucket, proxy):
    """A server (or a load balancer) that drops kept-alive connections without saying so: every
    request still succeeds once, on a fresh connection, including POSTs that must not be repeated."""
    p = proxy(close_after_response=True)
    s3 = _client(p.endpoint)
    for i in range(15):
        s3.put(bucket, f"k{i}", random_bytes(70_000, seed=i), {"Content-Type": "application/octet-stream"})
        assert s3.get(bucket, f"k{i}").read() == random_bytes(70_000, seed=i)
        assert s3.stat(bucket, f"k{i}").size == 70_000
    upload = s3.create_multipart(bucket, "mp", {"Content-Type": "application/octet-stream"})
    etags = [s3.upload_part(bucket, "mp", upload, n, random_bytes(5 << 20, seed=n)) for n in (1, 2)]
    s3.complete_multipart(bucket, "mp", upload, etags)
    assert s3.stat(bucket, "mp").size == 10 << 20
    assert p.counters.closed_idle >= 49
    assert p.counters.methods["POST"] == 2  # create + complete, each sent once


def test_a_stalled_server_times_out(cli, proxy, bucket):
    """MINIO_READ_TIMEOUT holds on plain-HTTP sockets too (kernel SO_RCVTIMEO): a server that
    stops answering costs (retries + 1) x the timeout, then exit 69 with one line."""
    p = proxy(stall_seconds=5)
    run = cli("stat", f"s3://{bucket}/k", extra_env={
        "MINIO_ENDPOINT": p.endpoint, "MINIO_READ_TIMEOUT": "0.4", "MINIO_MAX_RETRIES": "1"})
    assert run.exit_code == 69, run
    assert "cannot reach the endpoint: timed out" in one_line_error(run), run
    assert p.counters.requests == 2  # the first try and one retry


def _fake_server(answer: bytes) -> tuple[socket.socket, str]:
    """A loopback TCP service that writes `answer` to every connection (an SSH banner, HTML...)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            try:
                conn.recv(65536)
                conn.sendall(answer)
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return sock, f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("answer", [
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n<html>not here</html>\n",
], ids=["ssh", "html-404"])
def test_not_an_s3_endpoint(env, answer):
    sock, endpoint = _fake_server(answer)
    try:
        with pytest.raises(E.ServiceUnavailableError, match="did not answer like an S3 server"):
            _client(endpoint, max_retries=0).get("b", "k")
    finally:
        sock.close()


def test_line_breaks_in_header_values_are_refused(bucket):
    with pytest.raises(E.InvalidInputError, match="line breaks"):
        _client().put(bucket, "k", b"x", {"Content-Type": "image/jpeg\r\nX-Amz-Acl: public-read"})


def test_small_parts_of_the_wire():
    headers = Headers({"etag": '"abc"', "content-length": "3"})
    assert headers["ETag"] == '"abc"' and headers.get("Content-Length") == "3" and "ETAG" in headers
    assert http_date("Tue, 24 Nov 2026 10:00:01 GMT").isoformat() == "2026-11-24T10:00:01+00:00"
    assert http_date("yesterday") is None
    assert "s3cr3t" not in repr(Signer("AK", "s3cr3t", "us-east-1"))
