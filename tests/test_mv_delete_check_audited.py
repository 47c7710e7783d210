"""The audit line of a moved object's source DELETE says how it was kept to the object copied (`delete_check`,
beside `delete_conditional`): "if_match" (the server honours it), "marker_checked" (ignored, a versioned bucket),
"head_then_plain" (ignored or rejected: a HEAD, then a DELETE without If-Match), "head_then_if_match" (the probe
refused, 403: whether If-Match is honoured is unknown; a HEAD, then the DELETE with If-Match). `audit tail` said
"(unconditional delete)" for the last one too, while its DELETE carried If-Match: now it says so. On SeaweedFS
behind tests/faultproxy.py (the probe refused with 403, or every If-Match DELETE with 501), unversioned buckets.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_mv_delete_probe_rejected import REFUSALS

from conftest import plain_client, unique

_BODY = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>'
_DENIED = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s"
           % (len(_BODY), _BODY))


def _refused_probe(seen: Any) -> bytes | None:
    from its_store.service.delete_guard import PROBE_NAME
    return _DENIED if seen.method == "DELETE" and PROBE_NAME in seen.path else None


def _rejected_if_match(seen: Any) -> bytes | None:
    return REFUSALS["501"] if seen.method == "DELETE" and "if-match" in seen.headers else None


@pytest.mark.parametrize(("hook", "check", "shown"), [
    (None, "if_match", None),
    (_rejected_if_match, "head_then_plain", "(unconditional delete)"),
    (_refused_probe, "head_then_if_match", "(If-Match delete, not known honoured: HEADed just before)")],
    ids=["honoured", "rejected", "probe-refused"])
def test_a_moved_sources_audit_line_says_how_its_delete_was_checked(
        s3_server: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, hook: Any, check: str, shown: str | None) -> None:
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)
    assert cli("upload", "-", f"s3://{bucket}/src.jpg", input=b"frame").exit_code == 0
    with FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=hook) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        moved = cli("mv", f"s3://{bucket}/src.jpg", f"s3://{bucket}/dst.jpg")
    monkeypatch.setenv("MINIO_ENDPOINT", s3_server.endpoint)
    assert moved.exit_code == 0, moved
    tail = cli("audit", "tail", "-n", "50", "--json")
    (line,) = [r for r in map(json.loads, tail.stdout.splitlines()) if r["operation"] == "rm" and r["key"] == "src.jpg"]
    assert (line["delete_conditional"], line["delete_check"]) == (check == "if_match", check), line
    monkeypatch.setenv("COLUMNS", "250")  # one row a line
    rows = [row for row in cli("audit", "tail", "-n", "50").stdout.splitlines() if "/src.jpg" in row and " rm " in row]
    assert len(rows) == 1 and (shown is None or shown in rows[0]), rows
    assert shown is not None or "(" not in rows[0].split(" rm ")[1].split("s3://")[0], rows
    if check == "head_then_if_match":
        assert "unconditional" not in rows[0], rows
