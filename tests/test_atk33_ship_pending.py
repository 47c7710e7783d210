"""Session 33 attack: the audit ship state (audit.log.ship.json) is input, and its `pending` range too.

Its offset was checked (tests/test_numbers.py), its pending range only for being counts: a range whose
start is past its end ended in "unexpected ValueError" (exit 1, "report it"), and a pending key that is
not the name ship gives a range (empty, or anything else in the logs bucket) was PUT as it stood. With
the empty key, the PUT went to the bucket itself (`PUT /logs/`: a CreateBucket the server answered 200),
`audit ship` reported the range shipped under the key "" and moved its offset past it: those audit lines
were never stored anywhere. A pending range ship cannot have written is refused like a bad offset: one
error line naming the file, exit 1, nothing sent. Real SeaweedFS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, unique

BAD_PENDING = {
    "start past end": {"start": 10, "end": 5},
    "empty key": {"start": 0, "end": 10, "key": ""},
    "key outside the ship's names": {"start": 0, "end": 10, "key": "evil/overwrite-me"},
    "key of another range": {"start": 0, "end": 10,
                             "key": "audit/h/0123456789abcdef/0000000000000000-0000000000000099.jsonl"},
}


def _shipped(service: Any, bucket: str) -> list[str]:
    return sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True))


@pytest.mark.parametrize("name", BAD_PENDING)
def test_a_pending_range_ship_did_not_write_is_refused(cli: Any, env: dict[str, str], service: Any,
                                                       buckets: dict[str, str], name: str) -> None:
    data_bucket, logs = unique("b"), buckets["logs"]
    service.s3.make_bucket(data_bucket)  # raw buckets: only the uploads are audited
    service.s3.make_bucket(logs)
    for n in range(2):
        service.s3.put(data_bucket, f"k{n}", b"x", {})
        assert cli("upload", "-", f"s3://{data_bucket}/u{n}", input=b"frame").exit_code == 0
    log = Path(env["MINIO_AUDIT_LOG"])
    state = log.with_name(log.name + ".ship.json")
    first = cli("audit", "ship", "--json")
    assert first.exit_code == 0, first
    before = _shipped(service, logs)
    pending = {"key": first.json()["objects"][0], **BAD_PENDING[name]}
    state.write_text(json.dumps({"log_id": first.json()["log_id"], "offset": 0, "pending": pending}))
    run = cli("audit", "ship")
    assert run.exit_code == 1, run
    line = one_line_error(run)
    assert "audit ship state" in line and str(state) in line and "unexpected" not in line, run
    assert _shipped(service, logs) == before  # nothing sent
    assert json.loads(state.read_text())["pending"] == pending  # and the state kept for a person to look at


def test_a_conditional_put_refuses_an_empty_key_as_a_put_does(service: Any, bucket: str) -> None:
    """The root of the lost range: `PUT /bucket/` with If-None-Match is a CreateBucket; its 409
    (BucketAlreadyOwnedByYou) read as "the object already exists", which a re-run of ship takes for its own
    earlier upload. put() refused an empty key; the conditional PUTs (ship, the registry's documents) too."""
    for call in (lambda: service.s3.put_if_absent(bucket, "", b"x", {}),
                 lambda: service.s3.put_if_match(bucket, "", b"x", {}, "0" * 32)):
        with pytest.raises(ValueError, match="empty"):
            call()
    with pytest.raises(ValueError, match="empty"):
        service.s3.put(bucket, "", b"x", {})
