"""Session 34, fix: `mv` deletes only the object it copied (a DELETE with If-Match: its ETag).

mv copies, checks the copy, then deletes the source by name: an object rewritten by another writer between the
check and the DELETE was deleted too, and on an unversioned bucket that new object was lost for good (exit 0,
`deleted: true`). The DELETE now carries `If-Match` with the ETag of what was copied (service/object_delete,
`if_match`): SeaweedFS and moto (and AWS since 2025-09) refuse it when the object changed (412): the new object
is kept, exit 5, one line. A server that ignores If-Match on DELETE (rclone, the Ceph of tests/servers.py): see
tests/test_mv_delete_if_match_ignored.py. The other writer is made to write at that very moment
by tests/faultproxy.py, which sees the DELETE and rewrites the source straight on SeaweedFS before passing the
DELETE on; no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from conftest import one_line_error, plain_client, unique
from helpers import rewritten_at_delete

NEW = b"the other writer's new frame"


@pytest.fixture
def racing(s3_server: Any, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI reaches SeaweedFS through a proxy that, at the first DELETE of a key ending `src.jpg`, first
    writes NEW there itself (another writer, straight to the server)."""
    with rewritten_at_delete(s3_server, "src.jpg", NEW) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        yield proxy


def _bucket(service: Any, versioned: bool) -> str:
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    if versioned:
        service.s3.set_versioning(bucket, True)
    return bucket


@pytest.mark.parametrize("versioned", [False, True], ids=["unversioned", "versioned"])
@pytest.mark.parametrize("dest", ["s3", "local"])
def test_a_source_rewritten_before_its_delete_is_kept(cli: Any, service: Any, racing: Any, tmp_path: Path,
                                                       versioned: bool, dest: str) -> None:
    bucket = _bucket(service, versioned)
    assert cli("upload", "-", f"s3://{bucket}/src.jpg", input=b"the frame that is moved").exit_code == 0
    target = f"s3://{bucket}/dst.jpg" if dest == "s3" else str(tmp_path / "dst.jpg")
    run = cli("mv", f"s3://{bucket}/src.jpg", target)
    assert racing.done, "the other writer never wrote"
    assert run.exit_code == 5 and "rewritten" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/src.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == NEW, got  # the new object is there, and current
    copy = cli("get", target, "-") if dest == "s3" else None
    assert copy is None or copy.stdout_bytes == b"the frame that is moved"


def test_an_unchanged_source_is_moved(object_cli: Any, object_server: Any, tmp_path: Path) -> None:
    """Without another writer the source goes on every server: by the conditional DELETE where the quoted ETag is
    matched, by a plain DELETE right after a HEAD where If-Match on DELETE is ignored (rclone, Ceph:
    tests/test_mv_delete_if_match_ignored.py)."""
    bucket = unique("b")
    plain_client(object_server).make_bucket(bucket)
    for key in ("a.jpg", "c.jpg"):
        assert object_cli("upload", "-", f"s3://{bucket}/{key}", input=b"frame " + key.encode()).exit_code == 0
    run = object_cli("mv", f"s3://{bucket}/a.jpg", f"s3://{bucket}/b.jpg")
    assert run.exit_code == 0, run
    assert object_cli("stat", f"s3://{bucket}/a.jpg").exit_code == 3
    local = object_cli("mv", f"s3://{bucket}/c.jpg", str(tmp_path / "c.jpg"))
    assert local.exit_code == 0 and (tmp_path / "c.jpg").read_bytes() == b"frame c.jpg", local
    assert object_cli("stat", f"s3://{bucket}/c.jpg").exit_code == 3


def test_a_source_rewritten_before_its_delete_is_kept_between_two_endpoints(
        cli: Any, service: Any, racing: Any, second_seaweed: Any, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """The move streams to another server (service/xmove.MoveGuard compares the source's stamp just before the
    DELETE): the rewrite lands after that check, at the DELETE itself, and only If-Match keeps it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, value in {"ENDPOINT": f"http://{second_seaweed.endpoint}", "ACCESS_KEY": second_seaweed.access_key,
                        "SECRET_KEY": second_seaweed.secret_key}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_CENTRAL_{name}", value)
    bucket = _bucket(service, False)
    central = unique("c")
    plain_client(second_seaweed).make_bucket(central)
    assert cli("upload", "-", f"s3://{bucket}/src.jpg", input=b"the frame that is moved").exit_code == 0
    run = cli("mv", f"s3://{bucket}/src.jpg", f"central:{central}/dst.jpg")
    assert racing.done, "the other writer never wrote"
    assert run.exit_code == 5 and "rewritten" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/src.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == NEW, got
    copy = cli("get", f"central:{central}/dst.jpg", "-")
    assert copy.exit_code == 0 and copy.stdout_bytes == b"the frame that is moved", copy




@pytest.mark.parametrize("object_server", ["seaweedfs", "moto"], indirect=True)
def test_a_source_removed_before_its_delete_is_a_move_done(object_cli: Any, object_server: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer removes the source at the moment of the DELETE: the If-Match cannot hold (SeaweedFS: 412,
    moto and AWS: 404 NoSuchKey), and nothing is lost: the copy stands, the source is gone, the move is done
    (exit 0), never "rewritten" nor "not found"."""
    direct = plain_client(object_server)
    removed: list[str] = []

    def remove_first(seen: Seen) -> None:
        if seen.method == "DELETE" and seen.path.endswith("/a.jpg") and not removed:
            bucket, _, key = seen.path.lstrip("/").partition("/")
            direct.remove_object(bucket, key)
            removed.append(key)
        return None

    bucket = unique("b")
    direct.make_bucket(bucket)
    proxy = FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=remove_first).start()
    try:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        assert object_cli("upload", "-", f"s3://{bucket}/a.jpg", input=b"frame").exit_code == 0
        run = object_cli("mv", f"s3://{bucket}/a.jpg", f"s3://{bucket}/b.jpg")
        assert removed, "the other writer never removed it"
        assert run.exit_code == 0, run
        assert object_cli("get", f"s3://{bucket}/b.jpg", "-").stdout_bytes == b"frame"
    finally:
        proxy.stop()


def test_a_server_that_matches_only_the_bare_etag_still_moves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """radosgw 16.2 matches If-Match only without quotes (s3/conditional.py): the quoted conditional DELETE is
    refused (412) though the source is the one copied; read back, it still carries that ETag, so the DELETE is
    sent once more with the bare ETag and the move is done (exit 0), not "rewritten" (exit 5) forever."""
    from faultserver import Conn, FakeObject, FaultServer, Request, s3_error

    from helpers import fault_cli

    def quoted_refused(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method == "DELETE" and req.headers.get("if-match", "").startswith('"'):
            conn.read_body(req)
            conn.send(s3_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did "
                               "not hold", req.path))
            return True
        return False

    with FaultServer(quoted_refused, buckets=("evidence",)) as server:
        cli = fault_cli(server, tmp_path, monkeypatch)
        server.put_object("evidence", "a.jpg", FakeObject(b"frame", headers={  # one date, as a stored object has
            "Last-Modified": "Mon, 07 Dec 2026 12:00:00 GMT"}))
        run = cli("mv", "s3://evidence/a.jpg", "s3://evidence/b.jpg")
        deletes = [r.headers.get("if-match") for r in server.requests  # the source's, not the probe's
                   if r.method == "DELETE" and r.path.endswith("/a.jpg")]
    assert run.exit_code == 0, run
    assert len(deletes) == 2 and deletes[0].startswith('"') and not deletes[1].startswith('"'), deletes
