"""A move's SSE-C source whose If-Match DELETE is refused with 412 or gets no answer (service/object_delete.py).

Both read the source back before saying what happened: a 412 (radosgw 16.2 matches only the bare ETag form, so a
source still carrying the ETag copied gets the DELETE once more in the other form), and a DELETE without an
answer (gone: deleted; still there: kept, said, exit 69). Those HEADs were key-less: an SSE-C source's HEAD is
refused without its key (S3, SeaweedFS, MinIO), and the move ended in an error about the key (or "unknown")
instead. They now carry the key the copy was read with, as the last HEAD before a DELETE does
(service/delete_guard.still_copied; tests/test_mv_delete_probe_denied.py). The faults come from
tests/faultproxy.py in front of the session's SeaweedFS: a canned 412 to the quoted If-Match form, and an `answer`
hook that raises (the connection reset before the DELETE reached the server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from conftest import plain_client, unique
from helpers import put_sse_c

MOVED = b"the sealed frame that is moved"
_REFUSED = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>'
            b"<Message>At least one of the pre-conditions you specified did not hold</Message></Error>")
_KEY_HEADER = "x-amz-server-side-encryption-customer-key"


def _source_delete(seen: Seen) -> bool:
    return seen.method == "DELETE" and seen.path.endswith("/in/sealed.jpg")


def _moved_through(s3_server: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   answer: Any) -> tuple[Any, list[Seen], Path]:
    """`mv` of an SSE-C source to a local file through a FaultProxy whose `answer` hook is given: (the run, the
    requests sent for the source, the target)."""
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)
    key_file = put_sse_c(cli, bucket, "in/sealed.jpg", tmp_path, MOVED)
    target = tmp_path / "out.jpg"
    with FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=answer, record=True) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = cli("mv", f"s3://{bucket}/in/sealed.jpg", str(target), "--sse-c-key-file", str(key_file), "--json")
        sent = [s for s in proxy.seen if s.path.endswith("/in/sealed.jpg")]
    monkeypatch.setenv("MINIO_ENDPOINT", s3_server.endpoint)
    run.source = f"s3://{bucket}/in/sealed.jpg"
    run.key_file = key_file
    return run, sent, target


def test_a_412_to_the_quoted_form_is_read_back_with_the_key_and_sent_bare(
        s3_server: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """radosgw 16.2's 412 to `If-Match: "ETAG"` on an SSE-C source: the HEAD that tells the source is still the
    object copied carries its key, and the DELETE goes once more with the bare ETag (the move done, exit 0)."""
    def refuse_quoted(seen: Seen) -> bytes | None:
        if _source_delete(seen) and seen.headers.get("if-match", "").startswith('"'):
            return (b"HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
                    % len(_REFUSED)) + _REFUSED
        return None

    run, sent, target = _moved_through(s3_server, cli, tmp_path, monkeypatch, refuse_quoted)
    assert run.exit_code == 0, run
    assert [i["deleted"] for i in run.json()["objects"]] == [True], run
    deletes = [n for n, s in enumerate(sent) if s.method == "DELETE"]
    assert [sent[n].headers["if-match"].startswith('"') for n in deletes] == [True, False], sent
    between = sent[deletes[0] + 1:deletes[1]]
    assert between and all(s.method == "HEAD" and _KEY_HEADER in s.headers for s in between), between
    assert target.read_bytes() == MOVED
    assert cli("stat", run.source).exit_code == 3  # gone


def test_a_delete_without_an_answer_reads_the_kept_source_with_the_key(
        s3_server: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The source's DELETE reset before the server saw it: the HEAD that looks carries the key and finds the source
    still the object copied: kept, said so, exit 69 (as a plain source: tests/test_s34_mv_lost_delete.py)."""
    fired: list[Seen] = []

    def reset(seen: Seen) -> None:
        if _source_delete(seen) and not fired:
            fired.append(seen)
            raise OSError("reset before the server saw it")  # faultproxy resets the client connection
        return None

    run, sent, target = _moved_through(s3_server, cli, tmp_path, monkeypatch, reset)
    assert fired, "the DELETE was never sent"
    assert run.exit_code == 69, run
    line = run.json()["error"]["message"]
    assert "kept" in line and "still there" in line and "sealed.jpg" in line, line
    delete = next(n for n, s in enumerate(sent) if s.method == "DELETE")
    after = sent[delete + 1:]
    assert after and all(s.method == "HEAD" and _KEY_HEADER in s.headers for s in after), after
    assert len([s for s in sent if s.method == "DELETE"]) == 1  # not sent blindly again
    got = cli("get", run.source, "-", "--sse-c-key-file", str(run.key_file))
    assert got.exit_code == 0 and got.stdout_bytes == MOVED, got
    assert target.read_bytes() == MOVED
