"""The lock a write asked for is checked on the stored version (service/lockcheck.py), against a fake S3
server (tests/faultserver.py) whose object lock is "enabled" but keeps nothing: it drops the lock headers
of a PUT, answers PutObjectRetention / PutObjectLegalHold with 200 and still reads back no lock. Such a
write must fail (exit 78, one line) and its audit line must say that the lock is missing; the object is
stored (nothing is deleted that was not asked for) but never reported as protected.

The servers that do drop headers but take the lock afterwards (Ceph's radosgw on multipart uploads)
are in tests/test_ceph.py."""

from __future__ import annotations

import pytest
from faultserver import XML, FaultServer, response, s3_error

from its_store.core import errors as E

from conftest import one_line_error
from helpers import audit_lines

BUCKET = "lock-fake"
LOCK_ENABLED = (b'<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration '
                b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled>'
                b"</ObjectLockConfiguration>")
HOLD_OFF = (b'<?xml version="1.0" encoding="UTF-8"?><LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b"<Status>OFF</Status></LegalHold>")


def forgetful(refuse_put: bool = False):
    """A handler: object lock "enabled", PUT ?retention / ?legal-hold accepted (or refused: AccessDenied)
    and forgotten, GET ?retention none, GET ?legal-hold OFF; everything else the default fake S3."""
    def handler(server: FaultServer, req, conn) -> bool:
        query = req.query
        if not req.key and req.method == "GET" and "object-lock" in query:
            conn.send(response(200, LOCK_ENABLED, content_type=XML))
        elif req.key and ("retention" in query or "legal-hold" in query) and req.method == "PUT":
            conn.read_body(req)
            conn.send(s3_error(403, "AccessDenied", "Access Denied.", req.path) if refuse_put else response(200))
        elif req.key and "retention" in query:
            conn.send(s3_error(404, "NoSuchObjectLockConfiguration", "no retention", req.path))
        elif req.key and "legal-hold" in query:
            conn.send(response(200, HOLD_OFF, content_type=XML))
        else:
            return False
        return True
    return handler


@pytest.fixture
def fake():
    made: list[FaultServer] = []

    def make(**options) -> FaultServer:
        made.append(FaultServer(forgetful(**options), buckets=(BUCKET,)).start())
        return made[-1]

    yield make
    for one in made:
        one.stop()


def lock_puts(server: FaultServer) -> list[str]:
    return sorted(next(q for q in ("retention", "legal-hold") if q in r.query)
                  for r in server.seen("PUT", lambda r: "retention" in r.query or "legal-hold" in r.query))


def test_a_lock_the_server_does_not_keep_fails_the_upload_and_the_audit_line_says_so(cli, env, fake):
    server = fake()
    run = cli("upload", "-", f"s3://{BUCKET}/evidence/f.jpg", "--retain", "2031-01-31", "--legal-hold",
              input=b"frame", extra_env={"MINIO_ENDPOINT": server.endpoint})
    assert run.exit_code == E.EXIT_CONFIG, run
    line = one_line_error(run)
    assert "was stored, but without the governance retention until 2031-01-31 00:00:00Z and legal hold" in line
    assert "NOT protected" in line and "it still reads back without it" in line
    assert lock_puts(server) == ["legal-hold", "retention"]  # it was put on again once, then read back
    assert server.objects[(BUCKET, "evidence/f.jpg")].data == b"frame"  # stored: nothing deleted unasked
    [entry] = [e for e in audit_lines(env) if e["operation"] == "upload"]
    assert (entry["result"], entry["error"]) == ("error", "lock_not_kept")
    assert entry["lock_verified"] is False and entry["lock_applied_after"] is True
    assert entry["lock_missing"] == ["retention", "legal_hold"]

    as_json = cli("upload", "-", f"s3://{BUCKET}/evidence/g.jpg", "--legal-hold", "--json", input=b"g",
                  extra_env={"MINIO_ENDPOINT": server.endpoint})
    assert as_json.exit_code == E.EXIT_CONFIG and as_json.json()["error"]["code"] == "lock_not_kept"
    assert "without the legal hold asked for" in as_json.json()["error"]["message"]


def test_a_lock_the_server_refuses_to_put_on_again_fails_the_upload_naming_why(cli, env, fake):
    server = fake(refuse_put=True)
    run = cli("upload", "-", f"s3://{BUCKET}/f.jpg", "--retain", "30d", input=b"frame",
              extra_env={"MINIO_ENDPOINT": server.endpoint})
    assert run.exit_code == E.EXIT_CONFIG, run
    assert "putting it on again failed: access denied" in one_line_error(run)
    [entry] = [e for e in audit_lines(env) if e["operation"] == "upload"]
    assert entry["error"] == "lock_not_kept" and entry["lock_missing"] == ["retention"]
