"""An upload that asks for no object lock and no encryption builds no LockCheck / SseCheck per file
(service/objects._lock_asked, encoded.UploadPlan.sse_check None): a speed change only. Guards: the rule that
skips the lock checks is exactly LockCheck.asked; what the result and the audit line say without the
models is what ensure_encrypted and the checks' audit() said; and an upload that does ask still gets
its checks (their fields on the audit line)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from its_store.core.models import UploadRequest
from its_store.service.lockcheck import LockCheck
from its_store.service.objects import _lock_asked
from its_store.service.ssecheck import SseCheck, answered, ensure_encrypted
from tests.helpers import write_file

UNTIL = datetime.now(UTC) + timedelta(days=3)


@pytest.mark.parametrize("fields", [
    {}, {"legal_hold": True}, {"legal_hold": False}, {"retain_until": UNTIL},
    {"retain_until": UNTIL, "retain_mode": "COMPLIANCE"},
    {"retain_until": UNTIL, "legal_hold": True},
])
def test_the_lock_is_skipped_exactly_when_none_is_asked(fields: dict[str, Any], tmp_path: Path) -> None:
    request = UploadRequest(bucket="b", key="k", file_path=tmp_path / "f", **fields)
    wanted = LockCheck.of(request)
    got = _lock_asked(request)
    assert (got is not None) == wanted.asked
    if got is not None:
        assert got == wanted and got is not _lock_asked(request)  # each file its own, to be filled in
    else:
        assert wanted.audit() == {}  # what the audit line got from it before


@pytest.mark.parametrize("answer", [
    {}, {"x-amz-server-side-encryption": "AES256"}, {"x-amz-server-side-encryption": "aws:kms"},
    {"x-amz-server-side-encryption-customer-algorithm": "AES256"},
])
def test_nothing_asked_says_what_ensure_encrypted_said(answer: dict[str, str]) -> None:
    check = ensure_encrypted(None, None, "b", "k", "v1", answer, SseCheck(asked=None))  # no request made
    assert answered(answer) == check.seen and check.audit() == {}


def _upload_lines(service: Any) -> list[dict[str, Any]]:
    log = Path(service.ctx.settings.audit_log)
    lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [line for line in lines if line["operation"] == "upload"]


def test_batch_without_lock_or_sse_keeps_its_lines_and_one_with_sse_is_checked(
        service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(3):
        write_file(src / f"f{i}.jpg", 1000 + i, seed=i)
    plain = service.batch().upload_directory(src, bucket, "plain/", workers=2, options={"sse": "none"})
    assert plain.succeeded == 3 and not plain.errors
    one = service.upload_object(UploadRequest(bucket=bucket, key="one/f0.jpg", file_path=src / "f0.jpg", sse="none"))
    assert one.encryption is None  # what the answer showed: SeaweedFS encrypts nothing not asked for
    checked = service.batch().upload_directory(src, bucket, "sse/", workers=2, options={"sse": "s3"})
    assert checked.succeeded == 3 and not checked.errors
    lines = _upload_lines(service)
    unasked = [line for line in lines if not line["key"].startswith("sse/")]
    assert len(unasked) == 4
    for line in unasked:
        assert not any(name.startswith(("lock_", "encryption_")) for name in line), line
    asked = [line for line in lines if line["key"].startswith("sse/")]
    assert len(asked) == 3 and all(line["encryption_verified"] is True for line in asked), asked
