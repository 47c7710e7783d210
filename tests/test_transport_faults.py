"""Transport faults, each reproduced on loopback: a recording / tampering / lossy proxy in front of the real
SeaweedFS (tests/faultproxy.py), or a fake S3 server that sends exactly the bytes a fault needs
(tests/faultserver.py). One test (or a few) per fault; the numbers follow the list of faults the transport
was rewritten against: signed payloads (1), early answers (2), interim answers (3), chunked HEADs (4), slow
links (5), checksum types (6), proxies and CAs (7), header values (8), misleading errors (9), POSTs and lost
answers (10), and retry logging. No test measures time: timeouts come from the settings only."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import itertools
import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import (
    FakeObject,
    FaultServer,
    composite_crc32_b64,
    crc32_b64,
    multipart_etag,
    response,
    s3_error,
)

from its_store.core import errors as E
from its_store.testing.devserver import self_signed_certificate

from conftest import SMALL_THRESHOLD as T
from conftest import one_line_error
from helpers import random_bytes, write_file

_AMBIENT = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
            "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
BUCKET = "fake-bkt"  # the bucket every fake server has
HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
            b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
HTML_504 = HTML_502.replace(b"502 Bad Gateway", b"504 Gateway Time-out")


@pytest.fixture(autouse=True)
def _no_ambient_network_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy or CA variable of the machine running the tests must not change what they see."""
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
        monkeypatch.delenv("MINIO_" + name, raising=False)


@pytest.fixture
def proxy(s3_server):
    """proxy(**faults): a FaultProxy in front of the session's SeaweedFS, stopped after the test."""
    made: list[FaultProxy] = []

    def make(**faults) -> FaultProxy:
        made.append(FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **faults).start())
        return made[-1]

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def fake():
    """fake(handler, buckets=...): a FaultServer, stopped after the test."""
    made: list[FaultServer] = []

    def make(handler=None, buckets: tuple[str, ...] = (BUCKET,)) -> FaultServer:
        made.append(FaultServer(handler, buckets=buckets).start())
        return made[-1]

    yield make
    for one in made:
        one.stop()


def _at(server: FaultServer | FaultProxy, **more: str) -> dict[str, str]:
    return {"MINIO_ENDPOINT": server.endpoint, **more}


def _once(predicate: Callable[[Seen], bool]) -> Callable[[Seen], bool]:
    """True for the first request that matches `predicate`, then never again."""
    fired = []

    def hook(seen: Seen) -> bool:
        if not fired and predicate(seen):
            fired.append(seen)
            return True
        return False

    return hook


def _error_doc(run) -> dict[str, str]:
    doc = run.json()
    assert set(doc) == {"error"} and set(doc["error"]) == {"code", "message", "hint"}, run
    return doc["error"]


def _absent(service, bucket: str, key: str) -> None:
    with pytest.raises(E.ObjectNotFoundError):
        service.s3.stat(bucket, key)


# -- 1. payloads are signed over plain HTTP; a changed byte is refused --------------------------------
def test_plain_http_payloads_are_signed_with_their_sha256(cli, service, bucket, proxy, tmp_path: Path):
    spy = proxy(record=True)
    small = write_file(tmp_path / "small.bin", 200_000, seed=1)
    big = write_file(tmp_path / "big.bin", T + 123_457, seed=2)
    assert cli("upload", str(small), f"s3://{bucket}/small.bin", "--compress", "none",
               extra_env=_at(spy)).exit_code == 0
    run = cli("upload", str(big), f"s3://{bucket}/big.bin", "--compress", "none", "--part-size", "5MiB", "--json",
              extra_env=_at(spy))
    assert run.exit_code == 0, run
    assert run.json()["multipart"] is True and run.json()["parts"] == 2
    puts = spy.requests_to("PUT")
    parts = [s for s in puts if "partNumber" in s.query]
    assert len(parts) == 2 and len(puts) >= 3, puts
    assert sum(s.body_length for s in puts) >= small.stat().st_size + big.stat().st_size
    for seen in puts:
        assert seen.headers.get("x-amz-content-sha256") == seen.body_sha256, (seen.target, seen.headers)
    assert cli("get", f"s3://{bucket}/big.bin", "back.bin").exit_code == 0  # stored as sent
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()


@pytest.mark.parametrize("multipart", [False, True], ids=["put", "part"])
def test_a_body_changed_on_the_way_is_refused(cli, service, bucket, proxy, tmp_path: Path, multipart):
    size = T + 4321 if multipart else 150_000
    src = write_file(tmp_path / "f.bin", size, seed=3)
    mitm = proxy(record=True, flip=lambda s: s.method == "PUT" and (not multipart or "partNumber" in s.query))
    run = cli("--json", "upload", str(src), f"s3://{bucket}/f.bin", "--compress", "none", "--part-size", "5MiB",
              extra_env=_at(mitm, MINIO_MAX_RETRIES="2"))
    assert mitm.counters.flipped >= 1
    # SeaweedFS 4.48 answers 400 BadDigest from its check of the signed x-amz-checksum-crc32; it does not
    # compare x-amz-content-sha256 with the body itself (MinIO and AWS answer XAmzContentSHA256Mismatch,
    # mapped to the same integrity_error, exit 4)
    assert run.exit_code == E.EXIT_INTEGRITY, run
    assert _error_doc(run)["code"] == "integrity_error"
    _absent(service, bucket, "f.bin")


# -- 2. an early 403 to a large PUT whose body the server never read --------------------------------------
def _early_403(server: FaultServer, req, conn) -> bool:
    if req.method == "PUT" and req.key:
        conn.send(s3_error(403, "AccessDenied", "Access Denied.", req.path, headers={"Connection": "close"}))
        conn.close()  # the body is never read: closing with it unread resets the connection
        return True
    return False


def test_early_access_denied_to_a_large_put(cli, fake, tmp_path: Path):
    server = fake(_early_403)
    src = write_file(tmp_path / "big.bin", T - 1024, seed=4)  # one PUT, larger than the socket buffers
    args = ("upload", str(src), "s3://fake-bkt/big.bin", "--compress", "none")
    run = cli(*args, extra_env=_at(server, MINIO_MAX_RETRIES="2"))
    assert run.exit_code == E.EXIT_ACCESS, run
    assert "access denied" in one_line_error(run)
    before = len(server.seen("PUT"))
    run = cli("--retries", "0", *args, extra_env=_at(server))
    assert run.exit_code == E.EXIT_ACCESS, run
    assert len(server.seen("PUT")) - before == 1


# -- 3. an interim 102 Processing before the final answer ----------------------------------------------
def test_interim_102_then_access_denied(cli, fake, tmp_path: Path):
    def interim(server: FaultServer, req, conn) -> bool:
        if req.method == "PUT" and req.key:
            conn.read_body(req)
            conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")
            conn.send(s3_error(403, "AccessDenied", "Access Denied.", req.path))
            return True
        return False

    server = fake(interim)
    src = write_file(tmp_path / "f.bin", 10_000, seed=5)
    run = cli("upload", str(src), "s3://fake-bkt/f.bin", "--compress", "none", extra_env=_at(server))
    assert run.exit_code == E.EXIT_ACCESS, run
    assert "access denied" in one_line_error(run)
    run = cli("--json", "upload", str(src), "s3://fake-bkt/f.bin", "--compress", "none", extra_env=_at(server))
    assert run.exit_code == E.EXIT_ACCESS and _error_doc(run)["code"] == "access_denied", run


# -- 4. a HEAD answered as chunked, without a body ---------------------------------------------------------
def test_chunked_head_answers_promptly(cli, fake):
    data = random_bytes(54_321, seed=6)

    def chunked_head(server: FaultServer, req, conn) -> bool:
        if req.method == "HEAD" and req.key == "k":
            conn.send(response(200, headers={
                "ETag": f'"{hashlib.md5(data).hexdigest()}"', "Content-Type": "application/octet-stream",
                "Last-Modified": email.utils.formatdate(usegmt=True), "Content-Length": str(len(data)),
                "Transfer-Encoding": "chunked"}, head=True))
            return True
        return False

    server = fake(chunked_head)
    server.put_object(BUCKET, "k", FakeObject(data))
    run = cli("--json", "stat", "s3://fake-bkt/k", extra_env=_at(server, MINIO_READ_TIMEOUT="3", MINIO_MAX_RETRIES="0"))
    assert run.exit_code == 0, run  # a client waiting for a chunked body would time out: exit 69
    assert run.json()["size"] == len(data)


# -- 5. a slow link: every pause shorter than the read timeout, the whole body longer ------------------
def test_slow_link_downloads_complete(cli, fake, tmp_path: Path):
    server = fake()
    objects = {f"slow/f{i}.bin": random_bytes(24_000, seed=70 + i) for i in range(2)}
    # 48 pieces 0.05 s apart: each body takes at least 2.4 s, longer than MINIO_READ_TIMEOUT=2, while
    # each pause leaves a loaded machine almost 2 s to spare
    for key, data in objects.items():
        server.put_object(BUCKET, key, FakeObject(data, pace=(500, 0.05)))
    slow = _at(server, MINIO_READ_TIMEOUT="2", MINIO_MAX_RETRIES="0")
    run = cli("get", "s3://fake-bkt/slow/", "dl", "-r", extra_env=slow)
    assert run.exit_code == 0, run
    for key, data in objects.items():
        assert (tmp_path / "dl" / key.rsplit("/", 1)[1]).read_bytes() == data
    run = cli("get", "s3://fake-bkt/slow/f1.bin", "one.bin", extra_env=slow)
    assert run.exit_code == 0, run
    assert (tmp_path / "one.bin").read_bytes() == objects["slow/f1.bin"]


# -- 6. CRC32 of a multipart object: COMPOSITE without -N, FULL_OBJECT ---------------------------------------
SIZES = {"small": 300_000, "ranged": T + 1_000_000}


def _multipart_object(size: int, crc: str, kind: str) -> FakeObject:
    data = random_bytes(size, seed=8)
    part = 2 * size // 5  # parts 2/5, 2/5, 1/5: not size/3, so no part size can be guessed from the ETag
    return FakeObject(data, etag=multipart_etag(data, part),
                      headers={"x-amz-checksum-crc32": crc, "x-amz-checksum-type": kind})


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_composite_crc32_without_suffix_is_not_a_false_mismatch(cli, fake, tmp_path: Path, size):
    data = random_bytes(size, seed=8)
    server = fake()
    server.put_object(BUCKET, "mp.bin", _multipart_object(size, composite_crc32_b64(data, 2 * size // 5), "COMPOSITE"))
    assert server.objects[BUCKET, "mp.bin"].etag.endswith("-3")
    run = cli("--json", "get", "s3://fake-bkt/mp.bin", "mp.bin", extra_env=_at(server, MINIO_PART_SIZE="5MiB"))
    assert run.exit_code == 0, run
    assert (tmp_path / "mp.bin").read_bytes() == data
    assert run.json()["verified"] is False  # nothing it could check: it must not claim a check


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_full_object_crc32_is_verified(cli, fake, tmp_path: Path, size):
    data = random_bytes(size, seed=8)
    server = fake()
    server.put_object(BUCKET, "good.bin", _multipart_object(size, crc32_b64(data), "FULL_OBJECT"))
    server.put_object(BUCKET, "bad.bin", _multipart_object(size, crc32_b64(data + b"!"), "FULL_OBJECT"))
    at = _at(server, MINIO_PART_SIZE="5MiB", MINIO_MAX_RETRIES="0")
    run = cli("--json", "get", "s3://fake-bkt/good.bin", "good.bin", extra_env=at)
    assert run.exit_code == 0, run
    assert run.json()["verified"] is True
    assert (tmp_path / "good.bin").read_bytes() == data
    run = cli("--json", "get", "s3://fake-bkt/bad.bin", "bad.bin", extra_env=at)
    assert run.exit_code == E.EXIT_INTEGRITY, run
    assert _error_doc(run)["code"] == "integrity_error"
    assert not (tmp_path / "bad.bin").exists()
    assert not [p for p in tmp_path.iterdir() if p.name not in ("good.bin",)]  # no temp file left


# -- 7. proxies (HTTP_PROXY, NO_PROXY) and CAs (SSL_CERT_FILE, MINIO_CA_BUNDLE) ---------------------------------
@pytest.mark.parametrize("name", ["HTTP_PROXY", "http_proxy"])
def test_http_proxy_is_used_for_the_endpoint(cli, bucket, proxy, tmp_path: Path, name):
    forward = proxy(record=True)
    (tmp_path / "f.bin").write_bytes(b"via the proxy")
    via = {name: f"http://{forward.endpoint}"}
    assert cli("upload", "f.bin", f"s3://{bucket}/f.bin", extra_env=via).exit_code == 0
    run = cli("get", f"s3://{bucket}/f.bin", "-", extra_env=via)
    assert run.exit_code == 0 and run.stdout_bytes == b"via the proxy", run
    assert forward.seen and forward.counters.proxied == len(forward.seen)  # every request in absolute form
    endpoint = cli("--json", "config").json()["MINIO_ENDPOINT"]
    assert all(s.target.startswith(f"http://{endpoint}/") for s in forward.seen), forward.seen


def test_a_named_endpoint_through_the_proxy(cli, s3_server, bucket, proxy):
    """The proxy resolves the endpoint's name, the client never does; NO_PROXY matches whole labels only."""
    forward = proxy(record=True)
    port = s3_server.endpoint.rsplit(":", 1)[1]
    named = {"MINIO_ENDPOINT": f"s3.cams.example:{port}", "HTTP_PROXY": f"http://{forward.endpoint}",
             "NO_PROXY": "other.example,ams.example,s3.cams"}
    run = cli("ls", f"s3://{bucket}", extra_env=named)
    assert run.exit_code == 0, run
    assert forward.seen and all(s.target.startswith(f"http://s3.cams.example:{port}/") for s in forward.seen)


@pytest.mark.parametrize(("host", "no_proxy"), [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.1", "example.com, 127.0.0.1"), ("127.0.0.1", "127.0.0.0/8"),
    ("localhost", "localhost"), ("localhost", ".localhost"), ("localhost", "*")])
@pytest.mark.parametrize("case", ["upper", "lower"])
def test_no_proxy_bypasses_the_proxy(cli, s3_server, bucket, proxy, host, no_proxy, case):
    forward = proxy(record=True)
    port = s3_server.endpoint.rsplit(":", 1)[1]
    names = ("HTTP_PROXY", "NO_PROXY") if case == "upper" else ("http_proxy", "no_proxy")
    run = cli("ls", f"s3://{bucket}", extra_env={"MINIO_ENDPOINT": f"{host}:{port}",
                                                names[0]: f"http://{forward.endpoint}", names[1]: no_proxy})
    assert run.exit_code == 0, run
    assert forward.seen == []


@pytest.mark.parametrize(("no_proxy", "bypassed"), [
    ("cams.example", True), (".cams.example", True), ("s3.cams.example", True), ("other.example,cams.example", True),
    ("ams.example", False), ("other.example", False), ("", False)])
def test_config_shows_the_proxy_in_use(cli, no_proxy, bypassed):
    """Which proxy a request to a named endpoint would take (a domain suffix in NO_PROXY), without a request."""
    run = cli("--json", "config", extra_env={"MINIO_ENDPOINT": "s3.cams.example:9000",
                                             "HTTP_PROXY": "http://127.0.0.1:3128", "NO_PROXY": no_proxy})
    assert run.exit_code == 0, run
    assert run.json()["proxy"] == (None if bypassed else "http://127.0.0.1:3128")


def test_proxy_password_is_masked(cli, bucket, proxy):
    forward = proxy(record=True)
    secret = "Pr0xy-Pass-8472"
    url = f"http://its:{secret}@{forward.endpoint}"
    run = cli("--json", "config", extra_env={"HTTP_PROXY": url})
    assert run.exit_code == 0, run
    assert secret not in run.stdout + run.stderr
    assert run.json()["proxy"] == f"http://its:********@{forward.endpoint}"
    assert secret not in cli("config", extra_env={"HTTP_PROXY": url}).stdout
    for flags in ((), ("-v",), ("--debug",)):
        run = cli(*flags, "ls", f"s3://{bucket}", extra_env={"HTTP_PROXY": url})
        assert run.exit_code == 0, run
        assert secret not in run.stdout + run.stderr
    auth = "Basic " + base64.b64encode(f"its:{secret}".encode()).decode()
    assert forward.seen and all(s.headers.get("proxy-authorization") == auth for s in forward.seen)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls-proxy"))


@pytest.fixture
def tls_proxy(proxy, tls_files) -> FaultProxy:
    """A TLS-terminating proxy with a self-signed certificate in front of the plain-HTTP SeaweedFS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return proxy(tls=context, record=True)


@pytest.mark.parametrize("trust", ["SSL_CERT_FILE", "MINIO_CA_BUNDLE"])
def test_tls_through_a_private_certificate(cli, bucket, tls_proxy, tls_files, trust):
    run = cli("ls", f"s3://{bucket}", extra_env=_at(tls_proxy, MINIO_SECURE="true", **{trust: str(tls_files[0])}))
    assert run.exit_code == 0, run
    assert tls_proxy.seen


def test_tls_untrusted_certificate_gives_a_hint(cli, bucket, tls_proxy):
    run = cli("ls", f"s3://{bucket}", extra_env=_at(tls_proxy, MINIO_SECURE="true", MINIO_MAX_RETRIES="0"))
    assert run.exit_code == E.EXIT_UNAVAILABLE, run
    line = one_line_error(run)
    assert "TLS" in line and "MINIO_CA_BUNDLE" in line, line
    assert tls_proxy.seen == []  # nothing was sent over a connection it could not trust


# -- 8. a header value that HTTP cannot carry -------------------------------------------------------------------
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_non_ascii_content_type_is_refused_before_any_request(cli, fake, tmp_path: Path, as_json):
    server = fake()
    (tmp_path / "f.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    run = cli(*(["--json"] if as_json else []), "upload", "f.jpg", "s3://fake-bkt/f.jpg",
              "--content-type", "image/jpégé", extra_env=_at(server))
    assert run.exit_code == E.EXIT_USAGE, run
    message = _error_doc(run)["message"] if as_json else one_line_error(run)
    assert "content" in message.lower() and ("ascii" in message.lower() or "jpégé" in message), message
    assert "access denied" not in message.lower()
    assert server.requests == []


# -- 9. errors that would mislead without their details --------------------------------------------------------
def test_clock_skew_names_the_offset(cli, fake):
    def skewed(server: FaultServer, req, conn) -> bool:
        conn.read_body(req)
        conn.send(s3_error(403, "RequestTimeTooSkewed",
                           "The difference between the request time and the server's time is too large.",
                           req.path, head=req.method == "HEAD",
                           headers={"Date": email.utils.formatdate(time.time() + 900, usegmt=True)}))
        return True

    server = fake(skewed)
    run = cli("--retries", "0", "ls", "s3://fake-bkt/", extra_env=_at(server))
    assert run.exit_code not in (0, E.EXIT_UNAVAILABLE), run
    line = one_line_error(run)
    assert any(880 <= int(n) <= 920 for n in re.findall(r"\d+", line)), line
    assert "clock" in line.lower(), line


@pytest.mark.parametrize("command", ["ls", "stat"])
def test_permanent_redirect_names_the_region(cli, fake, command):
    def moved(server: FaultServer, req, conn) -> bool:
        conn.read_body(req)
        conn.send(s3_error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed "
                           "using the specified endpoint.", req.path, head=req.method == "HEAD",
                           headers={"x-amz-bucket-region": "eu-west-1"},
                           extra="<Endpoint>fake-bkt.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>fake-bkt</Bucket>"))
        return True

    server = fake(moved)
    target = "s3://fake-bkt/" if command == "ls" else "s3://fake-bkt/k.bin"
    run = cli("--retries", "0", command, target, extra_env=_at(server))
    assert run.exit_code != 0, run
    line = one_line_error(run)
    assert "eu-west-1" in line and "MINIO_REGION" in line, line
    doc = _error_doc(cli("--json", "--retries", "0", command, target, extra_env=_at(server)))
    assert "eu-west-1" in doc["message"] and "MINIO_REGION" in (doc["hint"] or ""), doc


def _html(status: int, page: bytes) -> Callable[[Seen], bytes]:
    def answer(seen: Seen) -> bytes:
        return response(status, page, content_type="text/html", head=seen.method == "HEAD")
    return answer


def test_html_502_from_a_proxy_is_named(cli, bucket, proxy):
    gateway = proxy(answer=_html(502, HTML_502))
    run = cli("--retries", "0", "ls", f"s3://{bucket}/", extra_env=_at(gateway))
    assert run.exit_code == E.EXIT_UNAVAILABLE, run
    line = one_line_error(run)
    assert "502" in line and "HTML" in line and ("proxy" in line or "gateway" in line), line
    assert "S3 API port" not in line


# -- 10. POSTs are not re-sent; answers lost on the way back ---------------------------------------------------
@pytest.mark.parametrize(("step", "status"), [("create", 502), ("create", 504), ("complete", 502),
                                               ("complete", 504)])
def test_post_answered_by_a_gateway_error_is_not_resent(cli, service, bucket, proxy, tmp_path: Path, step, status):
    def is_step(seen: Seen) -> bool:
        return seen.method == "POST" and ("uploads" in seen.query if step == "create" else "uploadId" in seen.query)

    gateway = proxy(record=True, answer=lambda s: _html(status, HTML_502 if status == 502 else HTML_504)(s)
                    if is_step(s) else None)
    src = write_file(tmp_path / "big.bin", T + 1000, seed=10)
    run = cli("upload", str(src), f"s3://{bucket}/big.bin", "--compress", "none", "--part-size", "5MiB",
              extra_env=_at(gateway, MINIO_MAX_RETRIES="3"))
    assert run.exit_code == E.EXIT_UNAVAILABLE, run
    if step == "create":
        assert len(gateway.requests_to("POST", is_step)) == 1
    else:  # sent once more only after a ListParts found the upload still open (s3/multipart._settled), never blindly
        asked = [s.method for s in gateway.seen if "uploadId" in s.query and s.method in ("POST", "GET")]
        assert asked == ["POST", "GET", "POST", "GET"], asked
    _absent(service, bucket, "big.bin")


@pytest.mark.parametrize("resume", [False, True], ids=["anew", "resume"])
def test_a_complete_answered_by_a_gateway_error_is_never_aborted(cli, bucket, proxy, tmp_path: Path, resume):
    """A 504 from a gateway does not say whether the Complete reached the server, which may still be
    completing it: an abort then could delete the data of the completed object (SeaweedFS removes the
    upload's chunks: resume.UploadJournal.completing). Its journal record stays, marked; the next upload
    of the key forgets it without an abort and stores the object, or with --resume completes that upload
    (no part sent again)."""
    from its_store import StorageService, load_settings

    def complete(seen: Seen) -> bool:
        return seen.method == "POST" and "uploadId" in seen.query

    failing = [True]
    gateway = proxy(record=True, answer=lambda s: _html(504, HTML_504)(s) if failing[0] and complete(s) else None)
    src = write_file(tmp_path / "big.bin", T + 1000, seed=13)
    args = ("upload", str(src), f"s3://{bucket}/big.bin", "--compress", "none", "--part-size", "5MiB")
    run = cli(*args, extra_env=_at(gateway, MINIO_MAX_RETRIES="3"))
    assert run.exit_code == E.EXIT_UNAVAILABLE, run
    journal = StorageService(load_settings(endpoint=gateway.endpoint)).journal()
    record = journal.load(bucket, "big.bin")
    assert record is not None and record.get("completing") is True
    failing[0] = False
    before = len(gateway.requests_to("PUT"))
    assert cli(*args, *(["--resume"] if resume else []), extra_env=_at(gateway, MINIO_MAX_RETRIES="3")).exit_code == 0
    assert not gateway.requests_to("DELETE", lambda seen: seen.query.get("uploadId") == record["upload_id"])
    assert (len(gateway.requests_to("PUT")) == before) == resume
    assert journal.load(bucket, "big.bin") is None
    assert cli("get", f"s3://{bucket}/big.bin", "-").stdout_bytes == src.read_bytes()


def test_lost_complete_answer_ends_in_success(cli, service, bucket, proxy, tmp_path: Path):
    def complete(seen: Seen) -> bool:
        return seen.method == "POST" and "uploadId" in seen.query

    lossy = proxy(record=True, lose_answer=_once(complete))
    src = write_file(tmp_path / "big.bin", 2 * T + 777, seed=11)
    run = cli("--json", "upload", str(src), f"s3://{bucket}/big.bin", "--compress", "none", "--part-size", "5MiB",
              extra_env=_at(lossy, MINIO_MAX_RETRIES="3"))
    assert run.exit_code == 0, run
    assert lossy.counters.lost == 1
    assert run.json()["etag"] == multipart_etag(src.read_bytes(), T)
    assert len(lossy.requests_to("POST", complete)) == 1  # checked, not sent again
    assert service.s3.stat(bucket, "big.bin").size == src.stat().st_size
    assert cli("get", f"s3://{bucket}/big.bin", "back.bin").exit_code == 0
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []


def _conditional(seen: Seen) -> bool:
    return seen.method == "PUT" and "if-none-match" in seen.headers


def test_lost_answer_to_a_conditional_put_is_no_false_conflict(env, service, bucket, proxy, cli):
    from its_store import StorageService, load_settings
    lossy = proxy(record=True, lose_answer=_once(_conditional))
    through = StorageService(load_settings(endpoint=lossy.endpoint, max_retries=3))
    data = b'{"write": "once"}'
    etag = through.s3.put_if_absent(bucket, "once.json", data, {"Content-Type": "application/json"})
    assert lossy.counters.lost == 1
    assert etag.strip('"') == hashlib.md5(data).hexdigest()
    assert len(lossy.requests_to("PUT", _conditional)) == 1
    assert cli("get", f"s3://{bucket}/once.json", "-").stdout_bytes == data
    with pytest.raises(E.AlreadyExistsError):  # a real existing object still is a conflict
        service.s3.put_if_absent(bucket, "once.json", b"{}", {"Content-Type": "application/json"})
    assert cli("get", f"s3://{bucket}/once.json", "-").stdout_bytes == data


def test_model_register_survives_a_lost_manifest_answer(cli, proxy, tmp_path: Path):
    # not the conditional-write probe's PUTs (tests/test_conditional_writes.py loses one of those)
    lossy = proxy(record=True, lose_answer=_once(lambda seen: _conditional(seen) and ".probe-" not in seen.path))
    weights = write_file(tmp_path / "w.pt", 30_000, seed=12)
    args = ("model", "register", str(weights), "--name", "lossy_model", "--version", "1.0.0")
    run = cli(*args, extra_env=_at(lossy, MINIO_MAX_RETRIES="3"))
    assert run.exit_code == 0, run
    assert lossy.counters.lost == 1
    again = cli(*args)
    assert again.exit_code == E.EXIT_CONFLICT, again
    assert "already" in one_line_error(again)
    assert cli("model", "show", "lossy_model@1.0.0").exit_code == 0


# -- retries are logged with -v ----------------------------------------------------------------------------------
def test_verbose_logs_each_retry(cli, env, bucket, proxy, tmp_path: Path):
    """Run as a process of its own: `-v` sends log records to the stderr the process started with."""
    count = itertools.count()

    def slow_down(seen: Seen) -> bytes | None:
        if next(count) >= 2:
            return None
        return s3_error(503, "SlowDown", "Please reduce your request rate.", seen.path, head=seen.method == "HEAD")

    busy = proxy(answer=slow_down)
    (tmp_path / "f.bin").write_bytes(b"retry me" * 100)
    done = subprocess.run([sys.executable, "-m", "its_store", "-v", "--retries", "3", "upload", "f.bin",
                           f"s3://{bucket}/f.bin"], env={**os.environ, "MINIO_ENDPOINT": busy.endpoint},
                          cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and env["MINIO_SECRET_KEY"] not in done.stderr + done.stdout
    assert busy.counters.answered == 2
    retries = [line for line in done.stderr.splitlines() if "retr" in line.lower()]
    assert len(retries) >= 2, done.stderr
    assert cli("get", f"s3://{bucket}/f.bin", "-").stdout_bytes == b"retry me" * 100


def test_verbose_retry_lines_reach_the_stderr_of_each_run(cli, bucket, proxy, tmp_path: Path):
    """In-process runs (CliRunner swaps stderr per run): `-v` lines go to the current run's stderr, and a
    run without `-v` prints none."""
    count = itertools.count()

    def slow_down(seen: Seen) -> bytes | None:
        if next(count) % 3 == 2:
            return None
        return s3_error(503, "SlowDown", "Please reduce your request rate.", seen.path, head=seen.method == "HEAD")

    busy = proxy(answer=slow_down)
    (tmp_path / "f.bin").write_bytes(b"again" * 100)
    via = {"MINIO_ENDPOINT": busy.endpoint}
    loud = cli("-v", "--retries", "3", "upload", "f.bin", f"s3://{bucket}/a.bin", extra_env=via)
    assert loud.exit_code == 0, loud
    assert [line for line in loud.stderr.splitlines() if "its_store.s3: retry" in line], loud
    quiet = cli("--retries", "3", "upload", "f.bin", f"s3://{bucket}/b.bin", extra_env=via)
    assert quiet.exit_code == 0 and "retry" not in quiet.stderr, quiet
