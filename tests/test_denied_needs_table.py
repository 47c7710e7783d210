"""Every S3 call name s3/answers can give (identify: _SUBRESOURCES, _SIMPLE, the listing and PUT names, the
tagging and versioned variants) has its IAM action in s3/error_codes._NEEDS, so that a refusal of any call says
which permission the key lacks ('(needs s3:...)'): a name added to answers without its permission fails here."""

from __future__ import annotations

from its_store.s3 import answers
from its_store.s3.error_codes import _NEEDS


def _names() -> set[str]:
    names = {name for by_method in answers._SUBRESOURCES.values() for name, _ in by_method.values()}
    names |= set(answers._SIMPLE.values()) | {"ListObjects", "ListBuckets", "PutObject", "CopyObject",
                                              "UploadPartCopy"}
    for name in list(names):
        if name in answers._TAGGING:
            names.discard(name)
            names |= set(answers._TAGGING[name])
    names |= {name + answers.VERSIONED for name in ("GetObject", "HeadObject", "DeleteObject")}
    return names


def test_every_call_name_has_its_permission() -> None:
    assert sorted(_names() - set(_NEEDS)) == []


def test_identify_names_bucket_tagging_and_versions() -> None:
    host = "s3.local"
    assert answers.identify("PUT", f"http://{host}/b?tagging=", host)[0] == "PutBucketTagging"
    assert answers.identify("DELETE", f"http://{host}/b/k?tagging=", host)[0] == "DeleteObjectTagging"
    assert answers.identify("GET", f"http://{host}/b/k?versionId=v1", host)[0] == "GetObjectVersion"
    assert answers.identify("DELETE", f"http://{host}/b/k?versionId=v1", host)[0] == "DeleteObjectVersion"
    assert all(_NEEDS[name] for name in _names())
