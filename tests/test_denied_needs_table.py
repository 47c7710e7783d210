"""Every S3 call name s3/call_names can give (identify: _SUBRESOURCES, _SIMPLE, the listing and PUT names, the
tagging and versioned variants) has its IAM action in s3/error_codes._NEEDS, so that a refusal of any call says
which permission the key lacks ('(needs s3:...)'): a name added to call_names without its permission fails here."""

from __future__ import annotations

from its_store.s3 import call_names
from its_store.s3.error_codes import _NEEDS


def _names() -> set[str]:
    names = {name for by_method in call_names._SUBRESOURCES.values() for name, _ in by_method.values()}
    names |= set(call_names._SIMPLE.values()) | {"ListObjects", "ListBuckets", "PutObject", "CopyObject",
                                              "UploadPartCopy"}
    for name in list(names):
        if name in call_names._TAGGING:
            names.discard(name)
            names |= set(call_names._TAGGING[name])
    names |= {name + call_names.VERSIONED for name in ("GetObject", "HeadObject", "DeleteObject")}
    return names


def test_every_call_name_has_its_permission() -> None:
    assert sorted(_names() - set(_NEEDS)) == []


def test_identify_names_bucket_tagging_and_versions() -> None:
    host = "s3.local"
    assert call_names.identify("PUT", f"http://{host}/b?tagging=", host)[0] == "PutBucketTagging"
    assert call_names.identify("DELETE", f"http://{host}/b/k?tagging=", host)[0] == "DeleteObjectTagging"
    assert call_names.identify("GET", f"http://{host}/b/k?versionId=v1", host)[0] == "GetObjectVersion"
    assert call_names.identify("DELETE", f"http://{host}/b/k?versionId=v1", host)[0] == "DeleteObjectVersion"
    assert all(_NEEDS[name] for name in _names())
