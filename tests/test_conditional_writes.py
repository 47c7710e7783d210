"""The model registry on servers with and without conditional writes (issue 20, item 4).

The registry's immutability and race safety rest on If-None-Match: * (write-once manifests and locks) and
If-Match (compare-and-swap of alias documents and manifests). `rclone serve s3` ignores both: a second
write-once PUT simply overwrites. So every registry write first asks the server once per bucket (a probe
under `_index/.probe-`, S3Client.conditional_write_gap) and, where they are ignored, is refused with exit 78
and a message naming the gap, before any byte is written; reads (list, show, pull) keep working there.
SeaweedFS and moto honour them: the probe says so and the registry works (the helper adding Ceph RGW to
the suite runs the registry tests there too). The probe survives a lost answer, is remembered in the
metadata cache so that the next process does not probe again, and leaves nothing behind.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from faultserver import FaultServer, s3_error

from conftest import ServerInfo, cli_runner, environment_for, one_line_error, unique
from helpers import write_file

PROBE = "_index/.probe-"


def minio_client(server: ServerInfo) -> Any:
    """A plain minio client (fixture work is not a user operation and should not use its_store)."""
    from minio import Minio
    return Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False,
                 region="us-east-1")


def register(cli: Any, path: Path, name: str, version: str = "1.0.0", *extra: str) -> Any:
    return cli("model", "register", str(path), "--name", name, "--version", version, *extra)


def leftovers(client: Any, bucket: str) -> list[str]:
    """Every object (and, where versioned, every version or delete marker) under the probe prefix."""
    try:
        items = list(client.list_objects(bucket, prefix="_index/", recursive=True, include_version=True))
    except Exception:  # noqa: BLE001 - rclone has no ListObjectVersions: its plain listing will do
        items = list(client.list_objects(bucket, prefix="_index/", recursive=True))
    return [item.object_name for item in items if item.object_name.startswith(PROBE)]


# -- rclone serve s3: refused with the gap named, reads work ----------------------------------------------
@pytest.fixture
def rclone(rclone_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> tuple[Any, Any, str]:
    """(cli, minio client, models bucket) on `rclone serve s3`; the models bucket exists (rclone cannot turn
    versioning on, so the registry could not create it with versioning itself)."""
    env = environment_for(rclone_server_info, buckets, monkeypatch, tmp_path)
    client = minio_client(rclone_server_info)
    client.make_bucket(buckets["models"])
    return cli_runner(env), client, buckets["models"]


def test_register_on_rclone_is_refused_naming_the_gap_and_writes_nothing(rclone, tmp_path: Path) -> None:
    cli, client, bucket = rclone
    weights = write_file(tmp_path / "w.onnx", 20_000, seed=3)
    run = register(cli, weights, "det")
    line = one_line_error(run)
    assert run.exit_code == 78, run
    assert "ignores If-None-Match: *" in line and "conditional writes" in line, line
    assert "did not answer like an S3 server" not in line
    assert list(client.list_objects(bucket, recursive=True)) == [], "a refused registration wrote something"
    assert cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0", "--json").json()[
        "error"]["code"] == "conditional_writes_unsupported"


def test_rclone_error_documents_are_read_as_s3_errors(rclone) -> None:
    """rclone sends S3's <Error> XML as text/xml, which minio does not take for S3's: a missing object was
    "the endpoint did not answer like an S3 server" (exit 69), the false message `model register` gave."""
    cli, _, bucket = rclone
    run = cli("get", f"s3://{bucket}/no/such/key", "out.bin")
    assert run.exit_code == 3 and "object not found" in one_line_error(run), run
    run = cli("ls", f"s3://{unique('nob')}/")
    assert run.exit_code == 3 and "bucket not found" in one_line_error(run), run


def test_a_registry_written_elsewhere_reads_on_rclone(s3_server: ServerInfo, rclone, buckets: dict[str, str],
                                                      tmp_path: Path) -> None:
    """Registered on SeaweedFS, copied object by object to rclone: list, show and pull work there, while
    promote and seal (compare-and-swap) are refused like register."""
    rclone_cli, target, bucket = rclone
    weights = write_file(tmp_path / "w.onnx", 30_000, seed=4)
    on_seaweed = rclone_cli("model", "register", str(weights), "--name", "cam", "--version", "2.1.0",
                            extra_env=s3_server.env())
    assert on_seaweed.exit_code == 0, on_seaweed
    source = minio_client(s3_server)
    for item in source.list_objects(buckets["models"], recursive=True):
        resp = source.get_object(buckets["models"], item.object_name)
        data = resp.read()
        resp.close()
        target.put_object(bucket, item.object_name, io.BytesIO(data), len(data))
    listed = rclone_cli("model", "list", "--json")
    assert listed.exit_code == 0 and [r["version"] for r in listed.jsonl()] == ["2.1.0"], listed
    assert rclone_cli("model", "show", "cam@2.1.0", "--json").json()["size"] == 30_000
    pulled = rclone_cli("model", "pull", "cam@2.1.0", str(tmp_path / "pulled.onnx"))
    assert pulled.exit_code == 0 and (tmp_path / "pulled.onnx").read_bytes() == weights.read_bytes(), pulled
    for args in (("promote", "cam@2.1.0", "production"), ("seal", "cam@2.1.0")):
        run = rclone_cli("model", *args)
        assert run.exit_code == 78 and "ignores If-None-Match" in one_line_error(run), run
    assert rclone_cli("model", "aliases", "cam", "--json").json()["aliases"] == {}


# -- servers that honour them: the probe says so, the registry works -------------------------------------
@pytest.fixture(params=["seaweedfs", "moto"])
def honouring(request: pytest.FixtureRequest, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
              tmp_path: Path) -> tuple[Any, ServerInfo, dict[str, str]]:
    server: ServerInfo = request.getfixturevalue({"seaweedfs": "s3_server", "moto": "moto_server_info"}[request.param])
    env = environment_for(server, buckets, monkeypatch, tmp_path)
    return cli_runner(env), server, env


def test_registry_works_where_conditional_writes_hold(honouring, tmp_path: Path) -> None:
    from its_store import StorageService, load_settings
    cli, server, env = honouring
    weights = write_file(tmp_path / "w.onnx", 10_000, seed=5)
    assert register(cli, weights, "plate").exit_code == 0
    again = register(cli, weights, "plate")
    assert again.exit_code == 5 and "already registered" in one_line_error(again), again
    assert cli("model", "promote", "plate@1.0.0", "production").exit_code == 0
    bucket = env["MINIO_MODELS_BUCKET"]
    assert StorageService(load_settings()).s3.conditional_write_gap(bucket, PROBE + unique("p")) is None
    assert leftovers(minio_client(server), bucket) == []


def test_the_probe_is_remembered_between_processes(s3_server: ServerInfo, env: dict[str, str], tmp_path: Path) -> None:
    """The first registry write probes (4 PUTs under the probe prefix: write-once twice, If-Match a wrong
    ETag, then the right one); the next process, sharing the metadata cache, does not probe again."""
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), record=True) as proxy:
        cli = cli_runner({**env, "MINIO_ENDPOINT": proxy.endpoint})
        weights = write_file(tmp_path / "w.onnx", 5_000, seed=6)
        extra = {"MINIO_ENDPOINT": proxy.endpoint}
        assert cli("model", "register", str(weights), "--name", "a", "--version", "1.0.0",
                   extra_env=extra).exit_code == 0
        probes = [s for s in proxy.seen if s.method == "PUT" and PROBE in s.path]
        assert len(probes) == 4, probes
        assert cli("model", "register", str(weights), "--name", "b", "--version", "1.0.0",
                   extra_env=extra).exit_code == 0
        assert len([s for s in proxy.seen if s.method == "PUT" and PROBE in s.path]) == 4


def test_the_probe_survives_a_lost_answer(s3_server: ServerInfo, env: dict[str, str], tmp_path: Path) -> None:
    """The answer to the probe's first write-once PUT is lost: it is read back, as for any conditional PUT,
    and the registration goes on; nothing of the probe is left."""
    lost = []

    def first_probe(seen: Any) -> bool:
        if not lost and seen.method == "PUT" and PROBE in seen.path:
            lost.append(seen)
            return True
        return False

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), record=True, lose_answer=first_probe) as proxy:
        cli = cli_runner(env)
        weights = write_file(tmp_path / "w.onnx", 5_000, seed=7)
        run = cli("model", "register", str(weights), "--name", "lossy", "--version", "1.0.0",
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "3"})
        assert run.exit_code == 0, run
        assert proxy.counters.lost == 1
    assert leftovers(minio_client(s3_server), env["MINIO_MODELS_BUCKET"]) == []


def test_a_server_refusing_conditional_puts_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A server that answers 501 NotImplemented to a PUT with If-None-Match: refused the same way."""

    def no_conditions(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method == "PUT" and "if-none-match" in req.headers:
            conn.read_body(req)
            conn.send(s3_error(501, "NotImplemented", "A header you provided implies functionality that is not "
                                                      "implemented", req.path))
            return True
        return False

    names = {"default": "f-default", "video": "f-video", "models": "f-models", "logs": "f-logs"}
    with FaultServer(no_conditions, buckets=("f-models",)) as fake:
        env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch,
                              tmp_path)
        weights = write_file(tmp_path / "w.onnx", 1_000, seed=8)
        run = register(cli_runner(env), weights, "x")
        line = one_line_error(run)
        assert run.exit_code == 78 and "refuses conditional PUTs" in line and "NotImplemented" in line, run
        assert not [r for r in fake.requests if r.method == "PUT" and PROBE not in r.path], "wrote past the gate"
