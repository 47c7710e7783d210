"""Which S3 call a request is, and what its 200 answer must hold: read from the request alone (method,
URL, the copy-source header), as s3/answers.py needs it to check an answer and s3/errors.py to name the
call (and the permission) an error answered.

Sub-resources (?lifecycle, ?tagging, ...) name their call by method; the rest by whether the request
names an object (path style /bucket/key, or a virtual host's /key) or a bucket.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from urllib3 import HTTPHeaderDict

# A sub-resource (query parameter) -> (S3 call by method, expected root element(s) of a 200 GET/POST).
# "json": a JSON object; "": no document expected (only an HTML page is refused).
_SUBRESOURCES: dict[str, dict[str, tuple[str, tuple[str, ...] | str]]] = {
    "policy": {"GET": ("GetBucketPolicy", "json"), "PUT": ("PutBucketPolicy", ""),
               "DELETE": ("DeleteBucketPolicy", "")},
    "lifecycle": {"GET": ("GetBucketLifecycleConfiguration", ("LifecycleConfiguration",)),
                  "PUT": ("PutBucketLifecycleConfiguration", ""), "DELETE": ("DeleteBucketLifecycle", "")},
    "encryption": {"GET": ("GetBucketEncryption", ("ServerSideEncryptionConfiguration",)),
                   "PUT": ("PutBucketEncryption", ""), "DELETE": ("DeleteBucketEncryption", "")},
    "versioning": {"GET": ("GetBucketVersioning", ("VersioningConfiguration",)),
                   "PUT": ("PutBucketVersioning", "")},
    "object-lock": {"GET": ("GetObjectLockConfiguration", ("ObjectLockConfiguration",)),
                    "PUT": ("PutObjectLockConfiguration", "")},
    "retention": {"GET": ("GetObjectRetention", ("Retention",)), "PUT": ("PutObjectRetention", "")},
    "legal-hold": {"GET": ("GetObjectLegalHold", ("LegalHold",)), "PUT": ("PutObjectLegalHold", "")},
    "tagging": {"GET": ("GetTagging", ("Tagging",)), "PUT": ("PutTagging", ""), "DELETE": ("DeleteTagging", "")},
    "location": {"GET": ("GetBucketLocation", ("LocationConstraint",))},
    "versions": {"GET": ("ListObjectVersions", ("ListVersionsResult",))},
    "delete": {"POST": ("DeleteObjects", ("DeleteResult",))},
    # S3 may answer a 200 with an <Error> document to these two (the caller reads it)
    "uploadId": {"GET": ("ListParts", ("ListPartsResult",)), "PUT": ("UploadPart", ""),
                 "POST": ("CompleteMultipartUpload", ("CompleteMultipartUploadResult", "Error")),
                 "DELETE": ("AbortMultipartUpload", "")},
    "uploads": {"GET": ("ListMultipartUploads", ("ListMultipartUploadsResult",)),
                "POST": ("CreateMultipartUpload", ("InitiateMultipartUploadResult",
                                                   "InitiateMultipartUpload"))},  # rclone's name for it
    "list-type": {"GET": ("ListObjectsV2", ("ListBucketResult",))},
}
_LISTING_PARAMS = {"prefix", "delimiter", "marker", "max-keys", "encoding-type", "start-after"}

# Paged listings: the call -> (query parameter, answer element) of each marker, the first one required
# on a truncated page; the answer's markers are where the next page starts (s3/answer_paging.paging).
PAGING = {"ListObjectsV2": (("continuation-token", "NextContinuationToken"),),
          "ListObjectVersions": (("key-marker", "NextKeyMarker"), ("version-id-marker", "NextVersionIdMarker"))}


Expect = tuple[str, ...] | str | None


def identify(method: str, url: str, endpoint_host: str, headers: Any = None) -> tuple[str, Expect]:
    """(S3 call name, what a 200 answer must hold) of one request. The expectation is a tuple of root
    elements, "json", "" (no document, so only an HTML page is wrong), or None (any bytes: an object)."""
    hostname, path, query_text = split_url(url)
    query = dict(parse_qsl(query_text, keep_blank_values=True)) if query_text else {}
    for sub, by_method in _SUBRESOURCES.items() if query else ():  # an object's GET or PUT has no query
        if sub in query and method in by_method:
            name, expect = by_method[method]
            if name == "UploadPart" and _copy_source(headers):
                return "UploadPartCopy", ("CopyPartResult",)
            if name in _TAGGING:  # an object's tags or a bucket's: two permissions
                name = _TAGGING[name][0 if _has_key(hostname, path, endpoint_host) else 1]
            return name, expect
    has_key = _has_key(hostname, path, endpoint_host)
    if method == "GET" and not has_key:
        if path.strip("/") or query.keys() & _LISTING_PARAMS:
            return "ListObjects", ("ListBucketResult",)
        return "ListBuckets", ("ListAllMyBucketsResult", "ListBucketResult")  # "/" of a virtual host: a listing
    if method == "PUT" and has_key:
        if _copy_source(headers):
            return "CopyObject", ("CopyObjectResult", "Error")
        return "PutObject", ""
    name = _SIMPLE.get((method, has_key), f"{method} {'object' if has_key else 'bucket'}")
    shape: Expect = None if name in ("GetObject", "HeadObject", "HeadBucket") else ""
    if has_key and "versionId" in query and name in ("GetObject", "HeadObject", "DeleteObject"):
        name += VERSIONED  # a version's read or delete needs its own permission (s3/errors._NEEDS)
    return name, shape


VERSIONED = "Version"  # the suffix of a call naming one version: GetObjectVersion, ... (no space: a call name)
_TAGGING = {"GetTagging": ("GetObjectTagging", "GetBucketTagging"),
            "PutTagging": ("PutObjectTagging", "PutBucketTagging"),
            "DeleteTagging": ("DeleteObjectTagging", "DeleteBucketTagging")}


_SIMPLE = {("GET", True): "GetObject", ("HEAD", True): "HeadObject", ("HEAD", False): "HeadBucket",
           ("PUT", False): "CreateBucket", ("DELETE", True): "DeleteObject", ("DELETE", False): "DeleteBucket"}


def subresource_of(url: str) -> str:
    """The sub-resource a request URL asks for (its first known one: "retention", "lifecycle", ...), or ""."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return next((name for name in _SUBRESOURCES if name in query), "")


_SCHEMES = (("http://", 7), ("https://", 8))


def split_url(url: str) -> tuple[str | None, str, str]:
    """(hostname, path, query) of a request URL, exactly as urlsplit() gives them (hostname: lower case,
    no port, None when empty).
    urlsplit() costs ~7 µs on a URL it has not seen (every object has its own: its cache only misses),
    and this runs for every request; the URLs minio builds (http[s]://host[:port], then a path from "/" or
    none, then "?query" or none, the key percent-encoded: no fragment, no user info, no IPv6 literal or zone,
    which urlsplit() handles its own way) are split by partition() (a regular expression over the URL cost
    ~10k instructions a request, partition() a third of it), anything else by urlsplit(). Only printable
    URLs: urlsplit() drops tabs and line breaks anywhere."""
    for scheme, skip in _SCHEMES:
        if url.startswith(scheme):
            if "#" in url or not url.isprintable():
                break
            head, _, query = url[skip:].partition("?")
            netloc, slash, path = head.partition("/")
            # urlsplit() checks a non-ASCII host name for NFKC tricks; '@', '[', ']', '%': user info, IPv6
            if netloc.isascii() and "@" not in netloc and "[" not in netloc and "]" not in netloc \
                    and "%" not in netloc:
                return netloc.partition(":")[0].lower() or None, slash + path, query
            break
    parts = urlsplit(url)
    return parts.hostname, parts.path, parts.query


def _has_key(hostname: str | None, path: str, endpoint_host: str) -> bool:
    """Whether the request names an object: path style /bucket/key, or a virtual host's /key."""
    path = path.lstrip("/")
    host = (hostname or "").lower()
    if host and endpoint_host and host != endpoint_host:  # bucket.endpoint: the path is the key
        return bool(path)
    return "/" in path and bool(path.partition("/")[2])


def _copy_source(headers: Any) -> bool:
    if isinstance(headers, HTTPHeaderDict):  # what minio sends: names match in any case, in one lookup
        return "x-amz-copy-source" in headers
    return bool(headers) and any(str(k).lower() == "x-amz-copy-source" for k in headers)
