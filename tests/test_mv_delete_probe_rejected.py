"""mv's If-Match probe (service/delete_guard.py) answered with a refusal of the condition itself: a server (or a
gateway in front of it) that knows no If-Match on DELETE answers 501 NotImplemented or 400 InvalidArgument, to the
probe and to every DELETE that carries it. The probe's answer was raised: every move failed after its copy (exit
1 or 2, naming the probe's key), both kept. Now such an answer is read as "ignored": the source is HEADed right
before a plain DELETE (no If-Match), and the item says `delete_conditional: false`. The refusal comes from
tests/faultproxy.py in front of SeaweedFS: every DELETE with an If-Match header is refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from faultproxy import FaultProxy

from conftest import one_line_error, plain_client, unique

MOVED = b"the frame that is moved"
NEW = b"the other writer's new frame"


def _refusal(status: str, code: str) -> bytes:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>If-Match is not supported'
            f"</Message></Error>").encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)


REFUSALS = {"501": _refusal("501 Not Implemented", "NotImplemented"),
            "400": _refusal("400 Bad Request", "InvalidArgument")}


def _refuse_if_match(answer: bytes) -> Any:
    def hook(seen: Any) -> bytes | None:
        return answer if seen.method == "DELETE" and "if-match" in seen.headers else None
    return hook


@pytest.mark.parametrize(("status", "versioned"), [("400", False), ("501", False), ("501", True)])
def test_a_probe_answered_with_a_refusal_of_if_match_moves_by_a_plain_delete(
        s3_server: Any, cli: Any, bucket: str, monkeypatch: pytest.MonkeyPatch, status: str, versioned: bool) -> None:
    """Unversioned: HEADed, then a plain DELETE (`delete_conditional` false); versioned (`bucket` is): the plain
    DELETE's delete marker is checked to stand on the version copied, as exact as a conditional DELETE."""
    from its_store.service.delete_guard import PROBE_NAME
    if not versioned:
        bucket = unique("b")
        plain_client(s3_server).make_bucket(bucket)
    for n in range(2):
        assert cli("upload", "-", f"s3://{bucket}/in/{n}.jpg", input=MOVED).exit_code == 0
    with FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_refuse_if_match(REFUSALS[status]),
                    record=True) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = cli("mv", f"s3://{bucket}/in/", f"s3://{bucket}/out/", "-r", "-w", "1", "--json")
        deletes = [s for s in proxy.seen if s.method == "DELETE"]
    monkeypatch.setenv("MINIO_ENDPOINT", s3_server.endpoint)
    assert run.exit_code == 0, run
    items = run.json()["objects"]
    assert [(i["deleted"], i["delete_conditional"]) for i in items] == [(True, versioned)] * 2, items
    probes = [s for s in deletes if PROBE_NAME in s.path]
    assert len(probes) == 1, [s.path for s in deletes]  # the finding is kept for the bucket
    assert not [s.path for s in deletes if PROBE_NAME not in s.path and "if-match" in s.headers]
    left = sorted(o.object_name for o in plain_client(s3_server).list_objects(bucket, recursive=True))
    assert left == ["out/0.jpg", "out/1.jpg"], left


def test_a_source_rewritten_before_the_head_that_stands_for_if_match_is_kept(
        s3_server: Any, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe refused (501), the source rewritten by another writer at that moment: the HEAD right before the
    plain DELETE finds the rewrite, both are kept (exit 5). An unversioned bucket."""
    from helpers import rewritten_at
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)
    assert cli("upload", "-", f"s3://{bucket}/src.jpg", input=MOVED).exit_code == 0
    refuse = _refuse_if_match(REFUSALS["501"])
    with rewritten_at(s3_server, lambda seen: f"{bucket}/src.jpg" if refuse(seen) else None, NEW,
                      answer=refuse) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = cli("mv", f"s3://{bucket}/src.jpg", f"s3://{bucket}/dst.jpg")
    monkeypatch.setenv("MINIO_ENDPOINT", s3_server.endpoint)
    assert proxy.done, "the other writer never wrote"
    assert run.exit_code == 5 and "rewritten" in one_line_error(run), run
    assert cli("get", f"s3://{bucket}/src.jpg", "-").stdout_bytes == NEW
    assert cli("get", f"s3://{bucket}/dst.jpg", "-").stdout_bytes == MOVED
