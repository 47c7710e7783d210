"""A 404 is "not found" (exit 3) only when an S3 server marked it as its own (s3/errors._MARKS): an <Error>
document to a GET, a request id (x-amz-request-id, x-amzn-requestid, ...) on a HEAD. A proxy's or load
balancer's bare 404 (no body, no request id) was read as "the object / bucket does not exist", so sync,
verify and the registry could decide on an answer no server gave: it is now "not valid S3" (exit 1,
bad_server_answer). Unmarked answers come from tests/faultserver.py; the four real servers show that their
own 404s keep meaning "not found"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer

from conftest import ServerInfo, cli_runner, environment_for, one_line_error

BARE_404 = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nDate: Mon, 07 Dec 2026 05:00:00 GMT\r\n\r\n"


def bare_404(methods: str, path_part: str) -> Any:
    """Answer `methods` ("HEAD", "HEAD GET") whose path holds `path_part` with a 404 nobody marked (a proxy's)."""
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method in methods.split() and path_part in req.path:
            conn.send(BARE_404)
            return True
        return False
    return handler


def _cli(fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    names = {"default": "u-default", "video": "u-video", "models": "u-models", "logs": "u-logs"}
    env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch,
                          tmp_path)
    return cli_runner(env)


@pytest.mark.parametrize(("method", "args"), [
    ("HEAD", ("stat", "s3://u-bkt/ghost.jpg")),
    ("HEAD GET", ("get", "s3://u-bkt/ghost.jpg", "out.jpg")),  # the GET fails, the HEAD then explains
], ids=["head", "get"])
def test_an_unmarked_404_is_a_bad_answer_not_not_found(method: str, args: tuple[str, ...],
                                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with FaultServer(bare_404(method, "ghost"), buckets=("u-bkt",)) as fake:
        run = _cli(fake, monkeypatch, tmp_path)(*args, extra_env={"MINIO_MAX_RETRIES": "0"})
    line = one_line_error(run)
    assert run.exit_code == 1, (run.exit_code, line)
    assert "not found" not in line and "not valid S3" in line and "404" in line, line
    assert not list(tmp_path.glob("out.jpg*")), "a file was left for an object nobody said exists"


def test_an_empty_404_to_a_get_is_a_bad_answer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The GET's own mapping (s3/errors._not_xml), seen at the S3 client: `get` falls back to a HEAD when
    its GET fails, so the command's line is the HEAD's (test above)."""
    from its_store import load_settings
    from its_store.core.errors import BadAnswerError
    from its_store.s3.client import S3Client
    with FaultServer(bare_404("GET", "ghost"), buckets=("u-bkt",)) as fake:
        _cli(fake, monkeypatch, tmp_path)
        client = S3Client(load_settings(max_retries=0))
        with pytest.raises(BadAnswerError, match="empty HTTP 404"):
            client.get("u-bkt", "ghost.jpg")
        with pytest.raises(Exception, match="not found"):  # the fake S3's own 404 (an <Error> document)
            client.get("u-bkt", "other.jpg")


def test_an_unmarked_404_to_a_bucket_head_is_not_a_missing_bucket(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    from its_store import load_settings
    from its_store.core.errors import BadAnswerError
    from its_store.s3.client import S3Client
    with FaultServer(bare_404("HEAD", "/u-gone"), buckets=("u-bkt",)) as fake:
        _cli(fake, monkeypatch, tmp_path)
        client = S3Client(load_settings(max_retries=0))
        assert client.bucket_exists("u-bkt") is True
        assert client.bucket_exists("u-none") is False  # the fake S3's own (marked) 404
        with pytest.raises(BadAnswerError, match="404"):
            client.bucket_exists("u-gone")


def test_the_fake_servers_marked_404_is_still_not_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with FaultServer(lambda *a: False, buckets=("u-bkt",)) as fake:
        cli = _cli(fake, monkeypatch, tmp_path)
        assert cli("stat", "s3://u-bkt/ghost.jpg").exit_code == 3
        assert cli("get", "s3://u-bkt/ghost.jpg", "out.jpg").exit_code == 3


def test_a_real_servers_404_is_not_found(object_cli: Any, object_server: ServerInfo, buckets: dict[str, str],
                                         tmp_path: Path) -> None:
    """SeaweedFS, moto, rclone serve s3, radosgw: their 404s to HEAD and GET of a missing key, and to the HEAD
    of a missing bucket, keep meaning "not found" (exit 3)."""
    bucket = buckets["default"]
    assert object_cli("bucket", "create", bucket).exit_code == 0
    for args in (("stat", f"s3://{bucket}/missing.jpg"), ("get", f"s3://{bucket}/missing.jpg", "out.jpg")):
        run = object_cli(*args)
        assert run.exit_code == 3 and "not found" in one_line_error(run), (object_server.kind, run)
    from its_store import load_settings
    from its_store.s3.client import S3Client
    client = S3Client(load_settings())
    assert client.bucket_exists(bucket) is True
    assert client.bucket_exists(f"{bucket}-none") is False, object_server.kind
