"""An answer no HTTP client reads (atk2, s35): more than 100 header lines, one line over 64 KiB, or two
different Content-Lengths were reported as "cannot reach the endpoint: connection aborted" (exit 69, hint:
check MINIO_ENDPOINT and that the server is running) of a server that had answered. They are a bad answer
now (exit 1, code bad_server_answer), naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, response

from helpers import fault_cli

BUCKET = "fake-bkt"
FORMS = {"many-headers": ({f"x-amz-meta-h{i}": "v" for i in range(120)}, "more than 100 headers"),
         "long-header": ({"x-amz-meta-big": "v" * 70_000}, "more than 65536 bytes"),
         "two-lengths": ({"Content-Length": "5, 6"}, "Content-Length")}


@pytest.fixture(params=list(FORMS))
def fake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    extra, said = FORMS[request.param]

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.key != "k":
            return False
        conn.send(response(200, b"hello", head=req.method == "HEAD", headers={
            "ETag": '"5d41402abc4b2a76b9719d911017c592"', "Last-Modified": "Mon, 07 Dec 2026 10:00:00 GMT", **extra}))
        conn.close()
        return True

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "k", FakeObject(b"hello"))
        yield fault_cli(server, tmp_path, monkeypatch), said


def test_an_answer_that_is_not_http_is_a_bad_answer(fake: tuple[Any, str], tmp_path: Path) -> None:
    cli, said = fake
    for args in (("stat", f"s3://{BUCKET}/k"), ("get", f"s3://{BUCKET}/k", str(tmp_path / "k.txt"))):
        run = cli("--json", *args)
        assert run.exit_code == 1, run
        error = run.json()["error"]
        assert error["code"] == "bad_server_answer", error
        assert "not valid HTTP" in error["message"] and said in error["message"], error
    assert not (tmp_path / "k.txt").exists()
