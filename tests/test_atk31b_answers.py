"""Session 31, second attacker: "not found" only from a 404 a server marked (s3/errors._MARKS), one step off.

A GET answered 404 with an XML body that is not an S3 <Error> (a proxy's `<NotFound/>`, an <Error> without
<Code>) was "server refused the request: :  (s3://b/k)": an empty code and an empty message, exit 1. Not "not
found" (right), but a line that says nothing. It is now a bad answer naming what is wrong. The HEAD side:
a mark in any letter case is a mark; an empty one is none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer

from conftest import ServerInfo, environment_for

ANSWERS = {
    "not-an-error": b"HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: 11\r\n\r\n<NotFound/>",
    "error-without-code": b"HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: 15\r\n\r\n"
                          b"<Error></Error>",
    "upper-case-mark": b"HTTP/1.1 404 Not Found\r\nX-AMZ-REQUEST-ID: ABC1\r\nContent-Length: 0\r\n\r\n",
    "empty-mark": b"HTTP/1.1 404 Not Found\r\nx-amz-request-id: \r\nContent-Length: 0\r\n\r\n",
}


def _fake(answer: bytes, method: str) -> FaultServer:
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method == method and "ghost" in req.path:
            conn.send(answer)
            return True
        return False
    return FaultServer(handler, buckets=("u-bkt",))


def _s3(fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from its_store import load_settings
    from its_store.s3.client import S3Client
    names = {"default": "u-default", "video": "u-video", "models": "u-models", "logs": "u-logs"}
    environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch, tmp_path)
    return S3Client(load_settings(max_retries=0))


@pytest.mark.parametrize("name", ["not-an-error", "error-without-code"])
def test_a_404_get_with_xml_that_is_no_error_is_a_bad_answer_that_says_so(name: str, monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    """Fails on main (6bbd787): ItsStoreError 'server refused the request: :  (s3://u-bkt/ghost.jpg)'."""
    from its_store.core.errors import BadAnswerError
    with _fake(ANSWERS[name], "GET") as fake:
        client = _s3(fake, monkeypatch, tmp_path)
        with pytest.raises(BadAnswerError) as caught:
            client.get("u-bkt", "ghost.jpg")
    message = caught.value.message
    assert "404" in message and "<Error>" in message and "s3://u-bkt/ghost.jpg" in message, message
    assert ": :" not in message, message


@pytest.mark.parametrize(("name", "found"), [("upper-case-mark", False), ("empty-mark", None)])
def test_a_head_404_mark_in_any_case_counts_an_empty_one_does_not(name: str, found: bool | None,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """The control (passes on main): header names are case-blind; a request id with no value marks nothing."""
    from its_store.core.errors import BadAnswerError, ObjectNotFoundError
    with _fake(ANSWERS[name], "HEAD") as fake:
        client = _s3(fake, monkeypatch, tmp_path)
        with pytest.raises(ObjectNotFoundError if found is False else BadAnswerError):
            client.stat("u-bkt", "ghost.jpg")
