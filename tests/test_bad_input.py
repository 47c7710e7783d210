"""Bad input, table-driven: every case gives one line on stderr (or one JSON error), the documented
exit code, no traceback, and nothing written locally or changed in the bucket."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from its_store.core import errors as E

from conftest import one_line_error

B = "{bucket}"  # replaced by the test's bucket
LONG_KEY = "k" * 1025
USAGE, NOT_FOUND, CONFIG, UNAVAILABLE, ACCESS = (E.EXIT_USAGE, E.EXIT_NOT_FOUND, E.EXIT_CONFIG,
                                                 E.EXIT_UNAVAILABLE, E.EXIT_ACCESS)

# (id, argv, extra env, expected exit code)
CASES: list[tuple[str, list[str], dict[str, str], int]] = [
    # references, bucket names and keys
    ("bucket-uppercase", ["ls", "s3://BadBucket"], {}, USAGE),
    ("bucket-underscore", ["ls", "s3://bad_bucket"], {}, USAGE),
    ("bucket-too-short", ["ls", "s3://ab"], {}, USAGE),
    ("bucket-too-long", ["ls", "s3://" + "a" * 64], {}, USAGE),
    ("bucket-ip", ["ls", "s3://10.0.0.1"], {}, USAGE),
    ("bucket-double-dot", ["ls", "s3://a..b"], {}, USAGE),
    ("bucket-leading-dash", ["stat", "s3://-abc/k"], {}, USAGE),
    ("scheme-http", ["stat", "http://bkt/k"], {}, USAGE),
    ("no-bucket-get", ["get", "s3:///k", "out"], {}, USAGE),
    ("empty-key-stat", ["stat", f"s3://{B}/"], {}, USAGE),
    ("empty-key-presign", ["presign", f"s3://{B}"], {}, USAGE),
    ("key-too-long", ["upload", "file.txt", f"s3://{B}/{LONG_KEY}"], {}, USAGE),
    ("key-dotdot", ["upload", "file.txt", f"s3://{B}/a/../b"], {}, USAGE),
    ("key-dot", ["upload", "file.txt", f"s3://{B}/./b"], {}, USAGE),
    ("key-control-char", ["upload", "file.txt", f"s3://{B}/a\tb"], {}, USAGE),
    ("get-prefix-without-r", ["get", f"s3://{B}/dir/", "out"], {}, USAGE),
    ("rm-prefix-without-r", ["rm", f"s3://{B}/dir/"], {}, USAGE),
    ("rm-r-two-prefixes", ["rm", f"s3://{B}/a/", f"s3://{B}/b/", "-r", "--yes"], {}, USAGE),
    ("rm-r-no-tty-no-yes", ["rm", f"s3://{B}/keep/", "-r"], {}, USAGE),
    # local files
    ("missing-local-file", ["upload", "nope.bin", f"s3://{B}/k"], {}, NOT_FOUND),
    ("missing-local-folder", ["upload", "nodir", f"s3://{B}/p/", "-r"], {}, NOT_FOUND),
    ("dir-without-r", ["upload", "adir", f"s3://{B}/k"], {}, USAGE),
    ("file-with-r", ["upload", "file.txt", f"s3://{B}/p/", "-r"], {}, USAGE),
    ("unreadable-file", ["upload", "secret.bin", f"s3://{B}/k"], {}, E.EXIT_ERROR),
    ("stdin-needs-key", ["upload", "-", f"s3://{B}/dir/"], {}, USAGE),
    ("get-r-to-stdout", ["get", f"s3://{B}/keep/", "-", "-r"], {}, USAGE),
    ("get-into-readonly-dir", ["get", f"s3://{B}/keep/a.txt", "rodir/a.txt"], {}, E.EXIT_ERROR),
    ("get-into-path-under-file", ["get", f"s3://{B}/keep/a.txt", "file.txt/sub/a.txt"], {}, E.EXIT_ERROR),
    # not found on the server
    ("missing-object", ["get", f"s3://{B}/nope", "out"], {}, NOT_FOUND),
    ("missing-bucket", ["get", "s3://no-such-bucket-xyz/k", "out"], {}, NOT_FOUND),
    ("missing-object-stat", ["stat", f"s3://{B}/nope"], {}, NOT_FOUND),
    ("missing-object-rm", ["rm", f"s3://{B}/nope"], {}, NOT_FOUND),
    ("missing-bucket-ls", ["ls", "s3://no-such-bucket-xyz"], {}, NOT_FOUND),
    # sizes, durations, pairs, enums, expiry
    ("bad-min-size", ["ls", f"s3://{B}", "--min-size", "huge"], {}, USAGE),
    ("bad-max-size", ["ls", f"s3://{B}", "--max-size", "-5"], {}, USAGE),
    ("min-over-max", ["ls", f"s3://{B}", "--min-size", "2M", "--max-size", "1M"], {}, USAGE),
    ("bad-newer-than", ["ls", f"s3://{B}", "--newer-than", "yesterday"], {}, USAGE),
    ("bad-older-than", ["ls", f"s3://{B}", "--older-than", "5y"], {}, USAGE),
    ("bad-part-size", ["upload", "file.txt", f"s3://{B}/k", "--part-size", "lots"], {}, USAGE),
    ("bad-workers", ["upload", "file.txt", f"s3://{B}/k", "--workers", "0"], {}, USAGE),
    ("bad-limit", ["ls", f"s3://{B}", "--limit", "0"], {}, USAGE),
    ("unknown-type", ["upload", "file.txt", f"s3://{B}/k", "--type", "movie"], {}, USAGE),
    ("malformed-meta", ["upload", "file.txt", f"s3://{B}/k", "--meta", "novalue"], {}, USAGE),
    ("malformed-meta-key", ["upload", "file.txt", f"s3://{B}/k", "--meta", "=v"], {}, USAGE),
    ("bad-meta-name", ["upload", "file.txt", f"s3://{B}/k", "--meta", "a b=v"], {}, USAGE),
    ("non-ascii-meta", ["upload", "file.txt", f"s3://{B}/k", "--meta", "k=héllo"], {}, USAGE),
    ("malformed-tag", ["upload", "file.txt", f"s3://{B}/k", "--tag", "x"], {}, USAGE),
    ("too-many-tags", ["upload", "file.txt", f"s3://{B}/k", *[a for i in range(11) for a in ("--tag", f"t{i}=v")]],
     {}, USAGE),
    ("expiry-over-7d", ["presign", f"s3://{B}/k", "--expires", "8d"], {}, USAGE),
    ("expiry-zero", ["presign", f"s3://{B}/k", "--expires", "0s"], {}, USAGE),
    ("expiry-garbage", ["presign", f"s3://{B}/k", "--expires", "soon"], {}, USAGE),
    ("presign-bad-method", ["presign", f"s3://{B}/k", "--method", "PATCH"], {}, USAGE),
    ("unknown-command", ["frobnicate"], {}, USAGE),
    ("unknown-option", ["ls", "--frob"], {}, USAGE),
    ("missing-argument", ["stat"], {}, USAGE),
    ("bad-retries", ["--retries", "99", "ls"], {}, USAGE),
    # configuration
    ("env-threshold", ["ls"], {"MINIO_MULTIPART_THRESHOLD": "abc"}, CONFIG),
    ("env-endpoint-path", ["ls"], {"MINIO_ENDPOINT": "localhost:9000/minio"}, CONFIG),
    ("env-endpoint-port", ["ls"], {"MINIO_ENDPOINT": "localhost:99999"}, CONFIG),
    ("env-secure", ["ls"], {"MINIO_SECURE": "perhaps"}, CONFIG),
    ("env-pool", ["ls"], {"MINIO_MAX_POOL_CONNECTIONS": "-1"}, CONFIG),
    ("env-ttl", ["ls"], {"MINIO_CACHE_TTL": "forever"}, CONFIG),
    ("env-secret-file", ["ls"], {"MINIO_SECRET_KEY_FILE": "/nonexistent/secret"}, CONFIG),
    ("env-file-missing", ["--env-file", "missing.env", "ls"], {}, CONFIG),
    ("env-default-bucket", ["upload", "file.txt"], {"MINIO_DEFAULT_BUCKET": "Bad_Name"}, USAGE),
    # the server side
    ("wrong-credentials", ["ls"], {"MINIO_SECRET_KEY": "wrong-secret-value"}, ACCESS),
    ("unknown-access-key", ["ls"], {"MINIO_ACCESS_KEY": "nobody"}, ACCESS),
    ("unreachable-endpoint", ["ls"], {"MINIO_ENDPOINT": "127.0.0.1:9"}, UNAVAILABLE),
    ("unknown-host", ["ls"], {"MINIO_ENDPOINT": "no-such-host.invalid:9000"}, UNAVAILABLE),
    ("tls-to-plain-port", ["ls"], {"MINIO_SECURE": "true"}, UNAVAILABLE),
    ("garbage-server", ["ls"], {"MINIO_ENDPOINT": "{garbage}"}, UNAVAILABLE),
]


@pytest.fixture
def garbage_server():
    """A TCP server that answers every request with HTTP 200 and a body that is not S3 XML."""
    import socket
    import threading
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                body = b"<html>this is not S3</html>"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))

    threading.Thread(target=serve, daemon=True).start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    sock.close()


@pytest.fixture
def scene(tmp_path: Path, service, bucket):
    """Local files and a bucket with known content, snapshotted before each case."""
    (tmp_path / "file.txt").write_text("hello")
    (tmp_path / "adir").mkdir()
    (tmp_path / "adir" / "x.txt").write_text("x")
    secret = tmp_path / "secret.bin"
    secret.write_text("unreadable")
    secret.chmod(0)
    ro = tmp_path / "rodir"
    ro.mkdir()
    ro.chmod(0o555)
    from its_store import UploadRequest
    for key in ("keep/a.txt", "keep/b.txt"):
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"keep me"))
    yield bucket
    ro.chmod(0o755)
    secret.chmod(0o644)


def _snapshot(root: Path, service, bucket: str) -> tuple[list[str], list[tuple[str, int]]]:
    local = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    from its_store import ListObjectsRequest
    remote = sorted((o.key, o.size) for o in service.list_objects(ListObjectsRequest(bucket=bucket)))
    return local, remote


def test_at_least_fifty_cases():
    assert len(CASES) >= 50
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("name,argv,extra,code", CASES, ids=[c[0] for c in CASES])
def test_bad_input(cli, scene, service, tmp_path: Path, garbage_server, name, argv, extra, code):
    if os.geteuid() == 0 and name in ("unreadable-file", "get-into-readonly-dir"):
        # root ignores permission bits: make failures root cannot bypass (CI runs as root)
        (tmp_path / "secret.bin").unlink()
        (tmp_path / "secret.bin").mkdir()  # a folder where a file is expected: refused as usage
        (tmp_path / "rodir").rmdir()
        (tmp_path / "rodir").write_text("a file where a folder is expected")  # cannot write under it
        code = USAGE if name == "unreadable-file" else code
    bucket = scene
    args = [a.replace(B, bucket) for a in argv]
    env = {k: v.replace("{garbage}", garbage_server) for k, v in extra.items()}
    before = _snapshot(tmp_path, service, bucket)
    run = cli(*args, extra_env=env, input=b"")
    assert run.exit_code == code, run
    one_line_error(run)
    assert run.stdout == ""
    assert _snapshot(tmp_path, service, bucket) == before

    as_json = cli("--json", *args, extra_env=env, input=b"")
    assert as_json.exit_code == code
    err = json.loads(as_json.stdout)["error"]
    assert set(err) == {"code", "message", "hint"} and err["message"]
