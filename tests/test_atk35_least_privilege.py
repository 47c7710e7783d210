"""Findings of an attack on session 32's least-privilege rules (fix4, de137c3..84df39e): where "a denied
HEAD means exists, cannot check" and "a denied read-back is said once and marked unchecked" lose what they
promise. Each test FAILS until its finding is fixed (left failing on purpose; see the docstrings).

The identities are test_atk34_least_privilege's (SeaweedFS with per-identity actions): `writer` may only
Write, `writerlist` may Write and List, never Read (no HEAD of an object or a bucket, no GET).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 - the identities' server

from helpers import random_bytes


def test_health_says_a_bucket_it_cannot_see_is_unknown_not_ok(cli: Any, keys: dict[str, dict[str, str]]) -> None:  # noqa: F811
    """`its-store --json health` with an edge box's write-only key and a configured bucket that does NOT
    exist (a typo in MINIO_DEFAULT_BUCKET): status "healthy", exit 0, checks.buckets = {ok: true, detail:
    "not visible to this key: lp-...x", unknown: false}. The bucket's HEAD is denied (SeaweedFS and MinIO
    check the key's rights before the bucket's existence), so health cannot tell "missing" from "hidden";
    service/health._headed says so in its docstring ("unknown, no failure"), but the check's own `unknown`
    flag (HealthCheck.unknown: "its answer could not be read") stays false, and the human table prints
    `buckets ok`. A monitoring probe of every edge box reports healthy while every upload of the box fails
    (its PUTs to the missing bucket are refused). Promised (fix4 0324d78): 'not visible' is unknown, never
    present. Fix (small, service/health.py): HealthCheck(ok=not missing, detail=..., unknown=bool(hidden)),
    and the detail says 'cannot tell whether they exist'."""
    bucket = _bucket(cli, keys)
    run = cli("--json", "health", extra_env={**keys["writer"], "MINIO_DEFAULT_BUCKET": bucket + "x"})
    report = run.json()
    assert report["buckets"][bucket + "x"] is None, report  # not claimed missing (fix4's rule: fine)
    assert report["checks"]["buckets"]["unknown"] is True, report


def test_sync_json_marks_an_upload_whose_encryption_was_not_checked(cli: Any, keys: dict[str, dict[str, str]],  # noqa: F811
                                                                    tmp_path: Path) -> None:
    """`sync DIR s3://B/s/ --json` with a Write+List key (no Read), a 6 MiB file (multipart: the
    CompleteMultipartUpload answer carries no SSE header, so ssecheck HEADs, and the HEAD is denied): one
    warning 's3://B/s/big.bin: stored; its encryption could not be checked ... said once for this command',
    exit 0, and the copied item is {"path": "big.bin", "key": "s/big.bin", ..., "reason": "new"} with NO
    `unchecked` field: sync/model.Item lacks it, and sync/copy passes resp.unchecked only into BatchItem
    (cp/mv/upload -r). upload, upload -r, cp, mv, restore and bucket versioning mark each item `unchecked`
    (934e96a, 2bddaaf: "the work is reported done and its result says unchecked"); sync, the edge box's
    main command, does not: a script reading --json cannot tell which objects were never checked (the
    warning names only the first). Fix (shallow, one field): Item.unchecked: str | None = None, set from
    the upload response in the sync engine's copy path (local->s3 and s3->s3), schema regenerated."""
    bucket = _bucket(cli, keys)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "big.bin").write_bytes(random_bytes(5 * 1024 * 1024 + 1, seed=35))
    run = cli("--json", "sync", "src", f"s3://{bucket}/s/", extra_env=keys["writerlist"])
    assert run.exit_code == 0, run
    assert "could not be checked" in run.stderr, run  # the rule's warning: said
    copied = run.json()["copied"]
    assert [c["key"] for c in copied] == ["s/big.bin"], copied
    assert copied[0].get("unchecked") == "sse", copied


def test_a_write_only_key_and_a_missing_bucket_are_not_called_a_missing_permission(
        cli: Any, keys: dict[str, dict[str, str]], tmp_path: Path) -> None:  # noqa: F811
    """`upload a.jpg s3://TYPO/a.jpg` with a write-only key (a typo in the bucket name): bucket_use.bucket_seen
    takes the denied bucket HEAD for "exists, cannot check", the PUT is then refused (SeaweedFS and MinIO
    check the policy before the bucket's existence: 403, not NoSuchBucket), and the line reads 'access
    denied (AccessDenied) to PutObject on s3://TYPO/a.jpg (needs s3:PutObject) (hint: the credentials were
    accepted: the key's permissions lack what this call needs; grant it ...)' (exit 6). The key HAS
    s3:PutObject: the line sends the operator to widen the key's rights, never to the typo. Before fix4 the
    line named the bucket HEAD; now nothing says the bucket was never seen. Nothing is created or deleted
    (checked: fine). Promised (4921d13): the denied call and the permission it needs, never a false cause.
    Fix (service depth): bucket_seen records the buckets it let through unchecked (ctx.unchecked_buckets);
    the one place that maps an AccessDenied for such a bucket adds 'or s3://TYPO does not exist: this key
    may not check (HeadBucket needs s3:ListBucket)' to the hint, so both causes are named."""
    bucket = _bucket(cli, keys)
    (tmp_path / "a.jpg").write_bytes(b"frame" * 100)
    run = cli("upload", "a.jpg", f"s3://{bucket}x/a.jpg", extra_env=keys["writer"])
    assert run.exit_code in (3, 6), run
    said = run.stderr.lower()
    assert any(w in said for w in ("not exist", "missing", "not found", "could not check", "cannot check")), run
