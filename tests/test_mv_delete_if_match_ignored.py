"""A move's source DELETE on servers that ignore If-Match on DELETE (service/delete_guard.py).

Found by test_the_probe_tells_each_server: SeaweedFS answers a DELETE with a wrong If-Match with 412 (also on a
key with no object), moto with 412 (404 on a key with no object); `rclone serve s3` and Ceph RGW 16.2 delete
anyway (204, and in a versioned Ceph bucket a delete marker). There mv's DELETE deleted whatever the key held: a
rewrite between the last check and the DELETE was lost on an unversioned bucket and hidden on a versioned one,
with exit 0 and `deleted: true`. Now such a server is known by a probe (once per bucket); in a versioned bucket
the version under the marker is checked (a rewrite there: the marker removed again, exit 5), in any other the
source is kept beside its copy (exit 78, one line). The other writer writes at the DELETE itself through
tests/faultproxy.py, straight to the server; no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, plain_client, unique
from helpers import rewritten_at_delete

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
def test_an_unversioned_source_is_kept_where_if_match_is_ignored(object_server: Any, object_cli: Any,
                                                                tmp_path: Path, dest: str) -> None:
    bucket = _bucket(object_server, False)
    assert object_cli("upload", "-", f"s3://{bucket}/src.jpg", input=MOVED).exit_code == 0
    target = f"s3://{bucket}/dst.jpg" if dest == "s3" else str(tmp_path / "dst.jpg")
    run = object_cli("mv", f"s3://{bucket}/src.jpg", target)
    line = one_line_error(run)
    assert run.exit_code == 78, run
    assert "ignores If-Match on DELETE" in line and "both are kept" in line, line
    assert object_cli("get", f"s3://{bucket}/src.jpg", "-").stdout_bytes == MOVED  # kept
    copy = object_cli("get", target, "-").stdout_bytes if dest == "s3" else (tmp_path / "dst.jpg").read_bytes()
    assert copy == MOVED
