"""A move's source DELETE on servers that ignore If-Match on DELETE (service/delete_guard.py).

Found by test_the_probe_tells_each_server: SeaweedFS answers a DELETE with a wrong If-Match with 412 (also on a
key with no object), moto with 412 (404 on a key with no object); `rclone serve s3` and Ceph RGW 16.2 delete
anyway (204, and in a versioned Ceph bucket a delete marker), as MinIO does (minio/minio#21677). There mv's
DELETE deleted whatever the key held: a rewrite between the last check and the DELETE was lost on an unversioned
bucket and hidden on a versioned one, with exit 0 and `deleted: true`. Now such a server is known by a probe
(once per bucket); in a versioned bucket the version under the marker is checked (a rewrite there: the marker
removed again, exit 5); in any other the source is HEADed right before a plain DELETE (rewritten: kept, exit 5;
else deleted, the item saying `delete_conditional: false`, one note a run). The other writer writes at the
DELETE itself, or at a request before that last HEAD, through tests/faultproxy.py, straight to the server; no
mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, plain_client, unique
from helpers import rewritten_at, rewritten_at_delete

MOVED = b"the frame that is moved"
NEW = b"the other writer's new frame"


def _service(server: Any) -> Any:
    from its_store import StorageService, load_settings
    return StorageService(load_settings(endpoint=server.endpoint, access_key=server.access_key,
                                        secret_key=server.secret_key))


def _bucket(server: Any, versioned: bool) -> str:
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig
    client, name = plain_client(server), unique("b")
    client.make_bucket(name)
    if versioned:
        client.set_bucket_versioning(name, VersioningConfig(ENABLED))
    return name


HONOURS = {"seaweedfs": True, "moto": True, "rclone": False, "ceph": False}


def test_the_probe_tells_each_server_and_leaves_nothing(object_server: Any, object_env: Any) -> None:
    _probed(object_server, _bucket(object_server, False), versioned=False)


@pytest.mark.parametrize("object_server", ["seaweedfs", "moto", "ceph"], indirect=True)  # rclone: no versioning
def test_the_probe_leaves_no_delete_marker(object_server: Any, object_env: Any) -> None:
    _probed(object_server, _bucket(object_server, True), versioned=True)


def _probed(object_server: Any, bucket: str, *, versioned: bool) -> None:
    assert _service(object_server).s3.deletes_if_match(bucket, "in/probe-key") is HONOURS[object_server.kind]
    left = list(plain_client(object_server).list_objects(bucket, recursive=True, include_version=versioned))
    assert left == [], [(o.object_name, o.is_delete_marker) for o in left]  # no object, no delete marker


@pytest.fixture
def racing(object_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI reaches the server through a proxy that, at the first DELETE of a key ending `src.jpg`, first
    writes NEW there itself (another writer, straight to the server)."""
    with rewritten_at_delete(object_server, "src.jpg", NEW) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        yield proxy


@pytest.mark.parametrize("object_server", ["ceph"], indirect=True)
@pytest.mark.parametrize("dest", ["s3", "local"])
def test_a_rewrite_hidden_by_an_ignored_if_match_is_shown_again(object_server: Any, object_cli: Any, racing: Any,
                                                                 tmp_path: Path, dest: str) -> None:
    bucket = _bucket(object_server, True)
    assert object_cli("upload", "-", f"s3://{bucket}/src.jpg", input=MOVED).exit_code == 0
    target = f"s3://{bucket}/dst.jpg" if dest == "s3" else str(tmp_path / "dst.jpg")
    run = object_cli("mv", f"s3://{bucket}/src.jpg", target)
    assert racing.done, "the other writer never wrote"
    assert run.exit_code == 5 and "rewritten" in one_line_error(run), run
    got = object_cli("get", f"s3://{bucket}/src.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == NEW, got  # the new object is current again
    copy = object_cli("get", target, "-") if dest == "s3" else None
    assert copy is None or copy.stdout_bytes == MOVED
    markers = [o for o in plain_client(object_server).list_objects(bucket, "src.jpg", include_version=True)
               if o.is_delete_marker]
    assert markers == [], "the marker that hid the rewrite is still there"


@pytest.mark.parametrize("object_server", ["ceph"], indirect=True)
def test_an_unchanged_source_in_a_versioned_bucket_is_moved(object_server: Any, object_cli: Any) -> None:
    bucket = _bucket(object_server, True)
    assert object_cli("upload", "-", f"s3://{bucket}/a.jpg", input=MOVED).exit_code == 0
    run = object_cli("mv", f"s3://{bucket}/a.jpg", f"s3://{bucket}/b.jpg", "--json")
    assert run.exit_code == 0, run
    item = run.json()["objects"][0]
    assert item["deleted"] is True and item["delete_marker"] is True, item
    assert object_cli("stat", f"s3://{bucket}/a.jpg").exit_code == 3
    assert object_cli("get", f"s3://{bucket}/b.jpg", "-").stdout_bytes == MOVED


@pytest.mark.parametrize("object_server", ["rclone", "ceph"], indirect=True)
@pytest.mark.parametrize("dest", ["s3", "local"])
def test_an_unchanged_unversioned_source_is_moved_by_a_plain_delete(object_server: Any, object_cli: Any,
                                                                    tmp_path: Path, dest: str) -> None:
    bucket = _bucket(object_server, False)
    assert object_cli("upload", "-", f"s3://{bucket}/src.jpg", input=MOVED).exit_code == 0
    target = f"s3://{bucket}/dst.jpg" if dest == "s3" else str(tmp_path / "dst.jpg")
    run = object_cli("mv", f"s3://{bucket}/src.jpg", target, "--json")
    assert run.exit_code == 0, run
    item = run.json()["objects"][0]
    assert item["deleted"] is True and item["delete_conditional"] is False, item
    assert object_cli("stat", f"s3://{bucket}/src.jpg").exit_code == 3  # gone
    copy = object_cli("get", target, "-").stdout_bytes if dest == "s3" else (tmp_path / "dst.jpg").read_bytes()
    assert copy == MOVED


def _at_probe(seen: Any) -> str | None:
    """The source `src.jpg` of the bucket whose If-Match on DELETE is probed, at that probe."""
    from its_store.service.delete_guard import PROBE_NAME
    bucket, _, key = seen.path.lstrip("/").partition("/")
    return f"{bucket}/src.jpg" if seen.method == "DELETE" and key.startswith(PROBE_NAME) else None


def _at_versioning(seen: Any) -> str | None:
    """The source `src.jpg` of a bucket, when its versioning is read (the request before the last HEAD)."""
    bucket = seen.path.strip("/")
    return f"{bucket}/src.jpg" if seen.method == "GET" and "versioning" in seen.query and bucket else None


@pytest.mark.parametrize("object_server", ["rclone", "ceph"], indirect=True)
@pytest.mark.parametrize("dest", ["s3", "local"])
@pytest.mark.parametrize("at", [_at_probe, _at_versioning], ids=["at-probe", "at-versioning"])
def test_an_unversioned_source_rewritten_before_its_last_head_is_kept(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dest: str,
        at: Any) -> None:
    """The rewrite lands after every earlier check of the source (the copy's HEAD, its guard, the delete's own
    HEAD) and before the HEAD that comes right before the plain DELETE: that HEAD finds it, the DELETE is not
    sent, and both are kept (exit 5)."""
    bucket = _bucket(object_server, False)
    assert object_cli("upload", "-", f"s3://{bucket}/src.jpg", input=MOVED).exit_code == 0
    target = f"s3://{bucket}/dst.jpg" if dest == "s3" else str(tmp_path / "dst.jpg")
    with rewritten_at(object_server, at, NEW) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/src.jpg", target)
    monkeypatch.setenv("MINIO_ENDPOINT", object_server.endpoint)
    assert proxy.done, "the other writer never wrote"
    assert run.exit_code == 5 and "rewritten" in one_line_error(run), run
    assert object_cli("get", f"s3://{bucket}/src.jpg", "-").stdout_bytes == NEW  # the rewrite is kept
    copy = object_cli("get", target, "-").stdout_bytes if dest == "s3" else (tmp_path / "dst.jpg").read_bytes()
    assert copy == MOVED


@pytest.mark.parametrize("object_server", ["seaweedfs", "rclone"], indirect=True)
def test_a_plain_delete_is_noted_once_a_run(object_server: Any, object_cli: Any) -> None:
    """Human output: one note for the whole run where the sources' DELETEs could not be conditional, not one
    an object; none where they were."""
    bucket = _bucket(object_server, False)
    for n in range(3):
        assert object_cli("upload", "-", f"s3://{bucket}/in/{n}.jpg", input=MOVED).exit_code == 0
    run = object_cli("mv", f"s3://{bucket}/in/", f"s3://{bucket}/out/", "-r")
    assert run.exit_code == 0, run
    notes = (run.stdout + run.stderr).count("note: the source's server ignores")
    assert notes == (1 if object_server.kind == "rclone" else 0), run


@pytest.mark.parametrize("object_server", ["seaweedfs"], indirect=True)
def test_the_workers_of_one_move_probe_a_bucket_once(object_server: Any, object_cli: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight workers moving 16 objects out of one bucket: one probe of its DELETE, not one a worker (each asked
    before any had an answer: 8 probes on SeaweedFS, counted through the proxy; 1-4 on rclone and Ceph, whose
    answers come sooner, so a test there could pass without the lock)."""
    from faultproxy import FaultProxy

    from its_store.service.delete_guard import PROBE_NAME
    bucket = _bucket(object_server, False)
    for n in range(16):
        assert object_cli("upload", "-", f"s3://{bucket}/in/{n}.jpg", input=MOVED).exit_code == 0
    seen: list[Any] = []
    proxy = FaultProxy(int(object_server.endpoint.rpartition(":")[2]),
                       answer=lambda request: seen.append(request)).start()
    try:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/in/", f"s3://{bucket}/out/", "-r", "-w", "8")
    finally:
        proxy.stop()
    assert run.exit_code == 0, run
    probes = [s for s in seen if s.method == "DELETE" and PROBE_NAME in s.path]
    assert len(probes) == 1, [s.path for s in probes]
