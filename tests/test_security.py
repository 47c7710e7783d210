"""Security: TLS verification against a self-signed server, least privilege, secrets never printed."""

from __future__ import annotations

import datetime
import ipaddress
import json
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.testing.devserver import SeaweedServer

from conftest import one_line_error

ADMIN = ("itsadmin", "admin-Secret-0123456789")
READER = ("itsreader", "reader-Secret-0123456789")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "its-store test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def secure_server(tmp_path_factory):
    """A SeaweedFS with HTTPS (self-signed) beside HTTP, and an admin plus a read-only identity."""
    folder = tmp_path_factory.mktemp("secure")
    cert, key = _self_signed(folder)
    identities = {"identities": [
        {"name": "admin", "credentials": [{"accessKey": ADMIN[0], "secretKey": ADMIN[1]}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "reader", "credentials": [{"accessKey": READER[0], "secretKey": READER[1]}],
         "actions": ["Read", "List"]},
    ]}
    (folder / "s3.json").write_text(json.dumps(identities))
    server = SeaweedServer(access_key=ADMIN[0], secret_key=ADMIN[1], workdir=folder / "server",
                           extra_args=[f"-s3.config={folder / 's3.json'}"], tls_cert=cert, tls_key=key)
    server.start()
    server.cert = cert
    yield server
    server.kill()  # SIGKILL: the folder stays in tmp_path for a look, no clean stop needed (~2 s)


def _as(user: tuple[str, str], endpoint: str, **more: str) -> dict[str, str]:
    return {"MINIO_ACCESS_KEY": user[0], "MINIO_SECRET_KEY": user[1], "MINIO_ENDPOINT": endpoint,
            "MINIO_MAX_RETRIES": "0", **more}


def test_tls_with_private_ca(cli, secure_server, tmp_path: Path):
    tls = _as(ADMIN, secure_server.https_endpoint, MINIO_SECURE="true", MINIO_CA_BUNDLE=str(secure_server.cert))
    (tmp_path / "f.bin").write_bytes(b"over tls" * 1000)
    up = cli("upload", "f.bin", "s3://tls-bkt/f.bin", extra_env=tls)
    assert up.exit_code == 0, up
    assert "warning" not in up.stderr
    assert cli("get", "s3://tls-bkt/f.bin", "back.bin", extra_env=tls).exit_code == 0
    assert (tmp_path / "back.bin").read_bytes() == b"over tls" * 1000


def test_tls_untrusted_certificate_refused(cli, secure_server):
    run = cli("ls", extra_env=_as(ADMIN, secure_server.https_endpoint, MINIO_SECURE="true"))
    assert run.exit_code == E.EXIT_UNAVAILABLE
    line = one_line_error(run)
    assert "TLS" in line and "MINIO_CA_BUNDLE" in line


def test_tls_verification_opt_out_warns(cli, secure_server):
    run = cli("--no-verify-tls", "ls", "--json", extra_env=_as(ADMIN, secure_server.https_endpoint,
                                                              MINIO_SECURE="true"))
    assert run.exit_code == 0, run
    assert "TLS certificate verification is off" in run.stderr
    run = cli("ls", extra_env=_as(ADMIN, secure_server.https_endpoint, MINIO_SECURE="true",
                                  MINIO_VERIFY_TLS="false"))
    assert run.exit_code == 0 and "verification is off" in run.stderr


def test_tls_to_plain_http_port(cli, secure_server):
    run = cli("ls", extra_env=_as(ADMIN, secure_server.endpoint, MINIO_SECURE="true"))
    assert run.exit_code == E.EXIT_UNAVAILABLE
    assert "MINIO_SECURE=false" in one_line_error(run)


def test_read_only_key(cli, secure_server, tmp_path: Path):
    admin = _as(ADMIN, secure_server.endpoint)
    reader = _as(READER, secure_server.endpoint)
    (tmp_path / "f.bin").write_bytes(b"data")
    assert cli("upload", "f.bin", "s3://ro-bkt/f.bin", extra_env=admin).exit_code == 0
    for args in (("upload", "f.bin", "s3://ro-bkt/g.bin"), ("rm", "s3://ro-bkt/f.bin"),
                 ("rm", "s3://ro-bkt/", "-r", "--yes")):
        run = cli(*args, extra_env=reader)
        assert run.exit_code == E.EXIT_ACCESS, (args, run)
        last = run.stderr.strip().splitlines()[-1]  # a batch prints its summary line first
        assert last.startswith("its-store: error: ") and "access denied" in last and "permissions" in last
    assert cli("ls", "s3://ro-bkt", "--json", extra_env=reader).jsonl()[0]["key"] == "f.bin"
    assert cli("get", "s3://ro-bkt/f.bin", "-", extra_env=reader).stdout_bytes == b"data"
    assert cli("ls", "s3://ro-bkt", "--json", extra_env=admin).jsonl()[0]["key"] == "f.bin"  # nothing deleted


def test_secrets_absent_from_verbose_and_debug_output(cli, env, bucket, tmp_path: Path):
    secret = env["MINIO_SECRET_KEY"]
    (tmp_path / "f.bin").write_bytes(b"x" * 10)
    outputs = []
    for flags in ((), ("--verbose",), ("--debug",)):
        for args in (("upload", "f.bin", f"s3://{bucket}/f.bin"), ("get", f"s3://{bucket}/missing", "x"),
                     ("stat", f"s3://{bucket}/f.bin"), ("config",), ("health", "--json"),
                     ("presign", f"s3://{bucket}/f.bin")):
            run = cli(*flags, *args)
            outputs.append(run.stdout + run.stderr)
        wrong = cli(*flags, "ls", extra_env={"MINIO_SECRET_KEY": "Wrong-Secret-Value-42"})
        outputs.append(wrong.stdout + wrong.stderr)
    joined = "\n".join(outputs)
    assert secret not in joined and "Wrong-Secret-Value-42" not in joined
    assert "X-Amz-Signature" in joined  # the presigned URL is the one signature we do print, on purpose
