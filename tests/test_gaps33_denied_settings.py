"""Bucket settings written, then read back by a key that may not read them (S3:
s3:PutLifecycleConfiguration / PutBucketObjectLockConfiguration / PutEncryptionConfiguration without their
Get). service/kept.denied_read_back's rule: one warning naming the check and the permission, the work
reported done (exit 0), `unchecked` in --json. A read-back that reads and finds the setting missing still
fails (exit 78: the last test here; test_fix3_setting_lag, test_server_gaps).

SeaweedFS's identities cannot grant such a write without its read, and these commands read the bucket
before they write (lifecycle set/rm the rules they merge into, retention the bucket's lock, encryption the
bucket's HEAD): a key without the read is refused before anything is written (exit 6, nothing changed). So
the denial of the read-back alone comes from tests/faultproxy.py: once the setting's PUT (or DELETE) went
through to the real server, it answers each later GET of that setting 403 AccessDenied.
"""

from __future__ import annotations

from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from conftest import unique

DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied'
          b"</Message><Resource>/</Resource><RequestId>fault-proxy</RequestId></Error>")
ANSWER = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n" % len(DENIED)
          + DENIED)

CASES = {  # the command, the setting's sub-resource, the permission named, what the --json result says done
    "lifecycle set": (["bucket", "lifecycle", "set", "{b}", "--id", "old", "--prefix", "a/", "--expire-days", "30"],
                      "lifecycle", "s3:GetLifecycleConfiguration"),
    "lifecycle rm": (["bucket", "lifecycle", "rm", "{b}", "--id", "old"], "lifecycle", "s3:GetLifecycleConfiguration"),
    "encryption set": (["bucket", "encryption", "set", "{b}"], "encryption", "s3:GetEncryptionConfiguration"),
    "retention set": (["bucket", "retention", "set", "{b}", "--mode", "governance", "--days", "3"], "object-lock",
                      "s3:GetBucketObjectLockConfiguration"),
    "retention rm": (["bucket", "retention", "rm", "{b}"], "object-lock", "s3:GetBucketObjectLockConfiguration"),
}


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _bucket(cli: Any, case: str) -> str:
    name = unique("dr")
    locked = ["--object-lock"] if "retention" in case else []
    assert cli("bucket", "create", f"s3://{name}", *locked).exit_code == 0
    if case.endswith(" rm"):  # something to remove, written without the proxy
        setup = ["bucket", "lifecycle", "set", f"s3://{name}", "--id", "old", "--expire-days", "30"] \
            if "lifecycle" in case else ["bucket", "retention", "set", f"s3://{name}", "--mode", "governance",
                                         "--days", "2"]
        assert cli(*setup).exit_code == 0
    return name


def _denying(sub: str) -> tuple[Any, list[str]]:
    """A FaultProxy hook: every GET ?sub after the first write of ?sub is 403 (the write goes through)."""
    written: list[str] = []

    def answer(seen: Seen) -> bytes | None:
        if sub in seen.query and seen.method in ("PUT", "DELETE"):
            written.append(seen.method)
        elif sub in seen.query and seen.method == "GET" and written:
            return ANSWER
        return None
    return answer, written


@pytest.mark.parametrize("case", list(CASES))
def test_a_setting_written_but_not_readable_is_done_and_unchecked(cli, s3_server, case: str) -> None:
    argv, sub, needs = CASES[case]
    bucket = _bucket(cli, case)
    runs, written = [], []
    for how in (["--json"], []) if not case.endswith(" rm") else (["--json"],):
        answer, wrote = _denying(sub)  # a proxy per command: each command's own read before its write passes
        with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
            runs.append(cli(*how, *[a.format(b=f"s3://{bucket}") for a in argv],
                            extra_env={"MINIO_ENDPOINT": proxy.endpoint}))
        written.append(bool(wrote))
    run, human = runs[0], (runs[1:] or [None])[0]
    assert all(written), run  # the write reached the server
    assert run.exit_code == 0, run
    assert run.json().get("unchecked"), run.stdout
    assert run.stderr.count(needs) == 1 and "could not be checked" in run.stderr, run.stderr
    if human is not None:
        assert human.exit_code == 0 and human.stderr.count(needs) == 1, human
    show = ["bucket", sub.replace("object-lock", "retention"), "show", f"s3://{bucket}", "--json"]
    stored = cli(*show).stdout  # read with the session's admin key, without the proxy: the write is kept
    assert ("GOVERNANCE" in stored and '"days": 3' in stored if case == "retention set" else
            '"mode": null' in stored if case == "retention rm" else
            '"old"' not in stored if case == "lifecycle rm" else
            '"old"' in stored if "lifecycle" in case else "AES256" in stored), stored
