"""Server-side encryption: key handling units, then SSE-S3 / SSE-C / bucket defaults against the real server.

SeaweedFS 4.48 implements SSE-S3 (AES256) and SSE-C. A server that refuses encryption (MinIO without
a KMS answers 501 NotImplemented) cannot be asked for from SeaweedFS, so that answer comes from a
small proxy in front of the real server that refuses exactly the requests carrying SSE-S3.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
from pathlib import Path

import pytest
from faultproxy import FaultProxy, _parse_head, _read_head, _Reset

from its_store.codec.encryption import SseCKey, parse_key, upload_sse
from its_store.core import errors as E
from its_store.core.settings import Settings

from conftest import SMALL_THRESHOLD, one_line_error
from helpers import random_bytes


def new_key(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    path.write_bytes(key)
    return key


def secret_forms(key: bytes) -> list[str]:
    return [base64.b64encode(key).decode(), key.hex()]


# ------------------------------------------------------------------------------------------ units
def test_key_formats_and_secrecy(tmp_path: Path):
    key = secrets.token_bytes(32)
    for raw in (key, base64.b64encode(key) + b"\n", key.hex().encode() + b"\n"):
        assert parse_key(raw, "test").headers() == SseCKey(key).headers()
    text_key = b"32byteslongsecretkeymustprovided"
    assert parse_key(text_key + b"\n", "t").headers() == SseCKey(text_key).headers()
    headers = SseCKey(key, "k.key").headers()
    assert headers["X-Amz-Server-Side-Encryption-Customer-Key"] == base64.b64encode(key).decode()
    assert headers["X-Amz-Server-Side-Encryption-Customer-Key-MD5"] == base64.b64encode(
        hashlib.md5(key).digest()).decode()
    shown = repr(SseCKey(key, "k.key")) + str(SseCKey(key, "k.key"))
    assert all(form not in shown for form in secret_forms(key)) and "k.key" in shown
    for bad in (b"short", b"x" * 31, b"z" * 40 + b"\n", base64.b64encode(b"y" * 30)):
        with pytest.raises(E.InvalidInputError, match="not 32 bytes"):
            parse_key(bad, "bad.key")


def test_upload_encryption_defaults(tmp_path: Path):
    key_file = tmp_path / "k"
    key = new_key(key_file)
    on, off = Settings(enable_encryption=True), Settings(enable_encryption=False)
    assert upload_sse(on, None).mode == "s3" and upload_sse(on, None).defaulted
    assert upload_sse(off, None).mode == "none"
    assert upload_sse(off, "s3").mode == "s3" and not upload_sse(off, "s3").defaulted
    assert upload_sse(on, "none").headers() == {}
    assert upload_sse(on, None).headers() == {"X-Amz-Server-Side-Encryption": "AES256"}
    assert upload_sse(on, None, key_file=key_file).mode == "c"  # a key given means SSE-C
    configured = Settings(sse_c_key=base64.b64encode(key).decode())
    assert upload_sse(configured, None).mode == "c" and upload_sse(configured, "s3").mode == "s3"
    with pytest.raises(E.SseKeyRequiredError):
        upload_sse(on, "c")
    with pytest.raises(E.InvalidInputError, match="--sse s3"):
        upload_sse(on, "s3", key_file=key_file)
    with pytest.raises(E.ConfigError, match="MINIO_SSE_C_KEY"):
        upload_sse(Settings(sse_c_key="bm90LWEta2V5"), None)


# -------------------------------------------------------------------------------------- end to end
def test_sse_s3_by_default_and_off_switches(cli, bucket, tmp_path: Path):
    src = tmp_path / "frame.jpg"
    src.write_bytes(random_bytes(SMALL_THRESHOLD + 100_000, seed=1))  # multipart
    run = cli("upload", str(src), f"s3://{bucket}/enc.jpg", "--json")
    assert run.exit_code == 0 and run.json()["encryption"] == "SSE-S3", run
    stat = cli("stat", f"s3://{bucket}/enc.jpg", "--json").json()
    assert stat["encryption"] == "SSE-S3"
    assert "SSE-S3" in cli("stat", f"s3://{bucket}/enc.jpg").stdout
    got = cli("get", f"s3://{bucket}/enc.jpg", "back.jpg", "--json")
    assert got.exit_code == 0 and got.json()["verified"] is True
    assert Path("back.jpg").read_bytes() == src.read_bytes()
    cli("upload", str(src), f"s3://{bucket}/plain1.jpg", "--sse", "none")
    cli("upload", str(src), f"s3://{bucket}/plain2.jpg", extra_env={"MINIO_ENABLE_ENCRYPTION": "false"})
    for key in ("plain1.jpg", "plain2.jpg"):
        assert cli("stat", f"s3://{bucket}/{key}", "--json").json()["encryption"] is None


def test_sse_c_roundtrip_with_compression_and_multipart(cli, bucket, tmp_path: Path):
    key_file = tmp_path / "sse-c.key"
    key = new_key(key_file)
    wrong_file = tmp_path / "wrong.key"
    new_key(wrong_file)
    text = tmp_path / "big.log"
    text.write_bytes(b"".join(b"cam_%03d speed=%d\n" % (i % 50, i % 130) for i in range(600_000)))
    noise = tmp_path / "noise.bin"
    noise.write_bytes(random_bytes(SMALL_THRESHOLD + 300_000, seed=2))  # multipart, stored as is
    outputs = []
    for src in (text, noise):
        run = cli("upload", str(src), f"s3://{bucket}/c/{src.name}", "--sse", "c", "--sse-c-key-file",
                  str(key_file), "--json")
        assert run.exit_code == 0 and run.json()["encryption"] == "SSE-C", run
        outputs.append(run)
        stat = cli("stat", f"s3://{bucket}/c/{src.name}", "--sse-c-key-file", str(key_file), "--json")
        assert stat.exit_code == 0 and stat.json()["encryption"] == "SSE-C", stat
        assert stat.json()["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
        got = cli("get", f"s3://{bucket}/c/{src.name}", f"out-{src.name}", "--sse-c-key-file", str(key_file),
                  "--json")
        assert got.exit_code == 0 and got.json()["verified"] is True, got  # by our sha256: no MD5 ETag
        assert Path(f"out-{src.name}").read_bytes() == src.read_bytes()
        outputs.append(got)
    assert cli("stat", f"s3://{bucket}/c/big.log", "--sse-c-key-file", str(key_file), "--json").json()[
        "codec"] == "zstd"

    Path("keep").write_bytes(b"precious")
    no_key = cli("get", f"s3://{bucket}/c/noise.bin", "keep")
    assert no_key.exit_code == 2 and "SSE-C" in one_line_error(no_key) and "--sse-c-key-file" in no_key.stderr
    stat_no_key = cli("stat", f"s3://{bucket}/c/noise.bin", "--json")
    assert stat_no_key.exit_code == 2 and stat_no_key.json()["error"]["code"] == "sse_c_key_required"
    wrong = cli("get", f"s3://{bucket}/c/noise.bin", "keep", "--sse-c-key-file", str(wrong_file))
    assert wrong.exit_code == 6 and "does not match" in one_line_error(wrong)
    assert Path("keep").read_bytes() == b"precious"
    outputs += [no_key, stat_no_key, wrong]
    for run in outputs:  # the key never shows, in any form
        assert all(form not in run.stdout + run.stderr for form in secret_forms(key))


def test_sse_c_key_from_environment_and_stdout(cli, bucket, tmp_path: Path):
    key = secrets.token_bytes(32)
    env = {"MINIO_SSE_C_KEY": base64.b64encode(key).decode()}
    data = random_bytes(40_000, seed=3)
    run = cli("upload", "-", f"s3://{bucket}/env.bin", "--json", input=data, extra_env=env)
    assert run.exit_code == 0 and run.json()["encryption"] == "SSE-C", run  # a configured key means SSE-C
    out = cli("get", f"s3://{bucket}/env.bin", "-", extra_env=env)
    assert out.exit_code == 0 and out.stdout_bytes == data
    key_file = tmp_path / "env.key"
    key_file.write_text(key.hex() + "\n")
    out = cli("get", f"s3://{bucket}/env.bin", "-", extra_env={"MINIO_SSE_C_KEY_FILE": str(key_file)})
    assert out.exit_code == 0 and out.stdout_bytes == data
    config = cli("config", "--json", extra_env=env)
    assert config.json()["MINIO_SSE_C_KEY"] == "********" and env["MINIO_SSE_C_KEY"] not in config.stdout
    # an SSE-C object is listed (not an error) and deletable without its key
    listed = cli("ls", f"s3://{bucket}", "--metadata", "--json").jsonl()
    assert [(o["key"], o["encryption"]) for o in listed] == [("env.bin", "SSE-C")]
    assert cli("rm", f"s3://{bucket}/env.bin").exit_code == 0
    assert cli("ls", f"s3://{bucket}", "--json").jsonl() == []


def test_bad_sse_input_is_refused_before_any_request(cli, bucket, tmp_path: Path):
    short = tmp_path / "short.key"
    short.write_bytes(b"too short")
    good = tmp_path / "good.key"
    new_key(good)
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 100)
    cases = [
        (("--sse", "c"), 2, "needs a key"),
        (("--sse-c-key-file", str(short)), 2, "not 32 bytes"),
        (("--sse-c-key-file", str(tmp_path / "missing.key")), 3, "not found"),
        (("--sse", "s3", "--sse-c-key-file", str(good)), 2, "--sse s3"),
        (("--sse", "kms"), 2, "--sse"),
    ]
    for flags, code, fragment in cases:
        run = cli("upload", str(src), f"s3://{bucket}/a.bin", *flags)
        assert run.exit_code == code and fragment in one_line_error(run), (flags, run)
    run = cli("upload", str(src), f"s3://{bucket}/a.bin", extra_env={"MINIO_SSE_C_KEY": "bm9wZQ=="})
    assert run.exit_code == 78 and "MINIO_SSE_C_KEY" in one_line_error(run)
    assert cli("ls", f"s3://{bucket}", "--json").jsonl() == []


def test_bucket_default_encryption(cli, bucket, tmp_path: Path):
    shown = cli("bucket", "encryption", "show", f"s3://{bucket}", "--json")
    assert shown.exit_code == 0 and shown.json()["enabled"] is False and shown.json()["sse"] is None
    run = cli("bucket", "encryption", "set", f"s3://{bucket}", "--json")
    assert run.exit_code == 0 and run.json()["algorithm"] == "AES256" and run.json()["sse"] == "SSE-S3", run
    human = cli("bucket", "encryption", "show", f"s3://{bucket}")
    assert "SSE-S3" in human.stdout and "AES256" in human.stdout
    src = tmp_path / "a.bin"
    src.write_bytes(random_bytes(2000))
    cli("upload", str(src), f"s3://{bucket}/a.bin", "--sse", "none")  # the bucket default applies
    assert cli("stat", f"s3://{bucket}/a.bin", "--json").json()["encryption"] == "SSE-S3"
    removed = cli("bucket", "encryption", "rm", f"s3://{bucket}", "--json")
    assert removed.exit_code == 0 and removed.json()["enabled"] is False
    assert cli("bucket", "encryption", "show", f"s3://{bucket}", "--json").json()["algorithm"] is None
    cli("upload", str(src), f"s3://{bucket}/b.bin", "--sse", "none")
    assert cli("stat", f"s3://{bucket}/b.bin", "--json").json()["encryption"] is None
    missing = cli("bucket", "encryption", "show", "s3://no-such-bucket-zz8")
    assert missing.exit_code == 3 and "bucket not found" in one_line_error(missing)
    obj = cli("bucket", "encryption", "set", f"s3://{bucket}/a.bin")
    assert obj.exit_code == 2 and "s3://BUCKET" in one_line_error(obj)


KMS_ERROR = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code><Message>Server side '
             b"encryption specified but KMS is not configured</Message><Resource>/</Resource>"
             b"<RequestId>proxy</RequestId></Error>")


class NoKmsProxy(FaultProxy):
    """Forwards everything to the real server except requests asking for SSE-S3, which get the answer
    of a MinIO without a KMS (501 NotImplemented). Counts the refusals."""

    refused = 0

    def _serve(self, client: socket.socket) -> None:
        upstream, rfile = None, client.makefile("rb")
        try:
            while True:
                head = _read_head(rfile)
                if not head:
                    return
                method, headers = _parse_head(head)
                length = int(headers.get("content-length", "0") or 0)
                body = rfile.read(length) if length else b""
                if headers.get("x-amz-server-side-encryption"):
                    self.refused += 1
                    client.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/xml\r\n"
                                   b"Content-Length: %d\r\n\r\n" % len(KMS_ERROR) + KMS_ERROR)
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=60)
                upstream.sendall(head + body)
                upstream = self._relay_response(upstream, client, method, False)
        except (_Reset, OSError, ValueError):
            pass
        finally:
            if upstream is not None:
                upstream.close()
            client.close()


def test_server_refusing_sse_s3_gives_a_hint(cli, bucket, s3_server, tmp_path: Path):
    port = int(s3_server.endpoint.rsplit(":", 1)[1])
    src = tmp_path / "a.bin"
    src.write_bytes(random_bytes(3000))
    big = tmp_path / "big.bin"
    big.write_bytes(random_bytes(SMALL_THRESHOLD + 1000))
    with NoKmsProxy(port) as proxy:
        env = {"MINIO_ENDPOINT": proxy.endpoint}
        for path in (src, big):  # single PUT and CreateMultipartUpload
            run = cli("upload", str(path), f"s3://{bucket}/{path.name}", extra_env=env)
            assert run.exit_code == 78, run
            line = one_line_error(run)
            assert "refused SSE-S3 encryption" in line and "KMS is not configured" in line
            assert "MINIO_ENABLE_ENCRYPTION=false" in line
        explicit = cli("upload", str(src), f"s3://{bucket}/a.bin", "--sse", "s3", "--json", extra_env=env)
        assert explicit.exit_code == 78 and explicit.json()["error"]["code"] == "encryption_unsupported"
        assert "--sse none" in explicit.json()["error"]["hint"]
        assert proxy.refused == 3
        assert cli("ls", f"s3://{bucket}", "--json", extra_env=env).jsonl() == []  # nothing half-written
        ok = cli("upload", str(src), f"s3://{bucket}/a.bin", extra_env={**env, "MINIO_ENABLE_ENCRYPTION": "false"})
        assert ok.exit_code == 0, ok
        assert cli("stat", f"s3://{bucket}/a.bin", "--json", extra_env=env).json()["encryption"] is None
