"""Findings of an attack on 4921d13 (an AccessDenied names the call refused and the IAM action it needs,
s3/error_codes._NEEDS): the table misses the call names s3/call_names.identify gives, the listing first of all, so
the most common refusal of a least-privilege key names no permission. Fail now (left failing).
"""

from __future__ import annotations

from typing import Any

import pytest
from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 - the identities' server

from its_store.s3.errors import from_code


def test_a_denied_listing_names_s3_list_bucket(cli: Any, keys: dict[str, dict[str, str]]) -> None:  # noqa: F811
    """`ls s3://B/` (and get -r, verify -r, sync's listing) with an edge box's write-only key: 'access denied
    (AccessDenied) to ListObjectsV2 on s3://B' with no '(needs ...)': s3/listing names its call
    "ListObjectsV2" (call_names._SUBRESOURCES "list-type"), _NEEDS has only "ListObjects". Fix (shallow, the one
    table): "ListObjectsV2": "s3:ListBucket", and a test that every name identify/_SUBRESOURCES/_SIMPLE can
    give is in _NEEDS (the second test below lists the ones missing today)."""
    bucket = _bucket(cli, keys)
    run = cli("ls", f"s3://{bucket}/", extra_env=keys["writer"])
    assert run.exit_code == 6, run
    assert "(needs s3:ListBucket)" in run.stderr, run


@pytest.mark.parametrize(("call", "action"), [
    ("ListObjectsV2", "s3:ListBucket"),
    ("GetBucketLocation", "s3:GetBucketLocation"),
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),   # AWS: deleting lifecycle needs the Put action
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),  # the same for default encryption
    ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
])
def test_every_call_identify_names_has_its_permission(call: str, action: str) -> None:
    """The S3 call names s3/answers gives (identify, _SUBRESOURCES, _SIMPLE) that s3/error_codes._NEEDS does not
    know: their refusal says 'access denied (AccessDenied) to CALL on PLACE' without the permission, the very
    thing 4921d13 promises the person setting up a least-privilege key. (Bucket tagging has the same gap
    the other way: PUT/DELETE ?tagging of a BUCKET is named PutTagging/DeleteTagging and mapped to
    s3:PutObjectTagging/s3:DeleteObjectTagging; AWS needs s3:PutBucketTagging: identify should name
    PutBucketTagging as it already does GetBucketTagging.)"""
    error = from_code("AccessDenied", "Access Denied.", "b", None, "s3://b", call=call)
    assert f"(needs {action})" in error.message, error.message
