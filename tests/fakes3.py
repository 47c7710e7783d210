"""The fake S3 of tests/faultserver.py beyond its basics, and the garbage it can answer with.

`s3_call(request)` names a request as the S3 API does (GetBucketPolicy, ListObjectsV2, UploadPart, ...),
on its own, not with its_store's naming, so that a test says which call it garbles. `garbage(form, ...)`
is one answer of a GARBAGE form: an HTML page with 200 or 502, an empty body, truncated XML, another S3
document, the right root with its elements missing, malformed values, bad JSON, random bytes; for an
answer without a document (GARBAGE_NO_DOC), only the HTML pages, plus "no_etag" (a PUT answered without
an ETag) and "bad_header" (a HEAD with a Last-Modified that is no date). `answer_more` answers the rest of
what the CLI asks (bucket sub-resources, versions, multipart, batch delete, copy, conditional PUTs) with
S3's documents, so that a command gets as far as the call under test.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape, unescape

from faultserver import XML, Conn, FakeObject, FaultServer, Request, _list_buckets, response, s3_error, sse_of


# -- the rest of what the CLI asks, so that a command gets as far as the call under test ---------------
def answer_more(server: FaultServer, call: str, req: Request, conn: Conn, body: bytes) -> bool:
    """Answer the calls FaultServer.answer does not know; False leaves `req` to it."""
    head = req.method == "HEAD"
    if req.bucket and req.bucket not in server.buckets and call != "CreateBucket":
        conn.send(s3_error(404, "NoSuchBucket", "The specified bucket does not exist", req.path, head=head))
        return True
    config = _CONFIGS.get(call.removeprefix("Get").removeprefix("Put").removeprefix("Delete"))
    if config is not None:
        _config(server, req, conn, body, *config)
    elif call == "PutObject" and (req.headers.get("if-none-match") or req.headers.get("if-match")):
        _conditional_put(server, req, conn, body)
    elif call in _CALLS:
        _CALLS[call](server, req, conn, body)
    elif call in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload",
                  "ListMultipartUploads", "ListParts"):
        _multipart(server, call, req, conn, body)
    else:
        return False
    return True


def _config(server: FaultServer, req: Request, conn: Conn, body: bytes, sub: str, missing: str) -> None:
    """GET / PUT / DELETE of a stored sub-resource document (policy, lifecycle, tags, retention...)."""
    where = (req.path.lstrip("/"), sub)
    if req.method == "PUT":
        server.configs[where] = body
        conn.send(response(200))
    elif req.method == "DELETE":
        server.configs.pop(where, None)
        conn.send(response(204))
    elif where in server.configs:
        kind = "application/json" if sub == "policy" else XML
        conn.send(response(200, server.configs[where], content_type=kind))
    elif not missing:  # an object without tags: S3 answers an empty <TagSet>, which minio requires
        conn.send(response(200, b'<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="http://s3.amazonaws.com/'
                                b'doc/2006-03-01/"><TagSet></TagSet></Tagging>', content_type=XML))
    else:
        conn.send(s3_error(404, missing, f"no {sub} here", req.path))


def _conditional_put(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    found = server.objects.get((req.bucket, req.key))
    match = req.headers.get("if-match", "").strip('"')
    if (req.headers.get("if-none-match") == "*" and found is not None) or (
            match and (found is None or found.etag != match)):
        conn.send(s3_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified "
                                                      "did not hold", req.path))
        return
    obj = server.put_object(req.bucket, req.key, FakeObject(body))
    conn.send(response(200, headers={"ETag": f'"{obj.etag}"'}))


def _CopyObject(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    source = unquote(req.headers["x-amz-copy-source"].split("?", 1)[0]).lstrip("/")
    src = server.objects.get(tuple(source.split("/", 1)))  # type: ignore[arg-type]
    if src is None:
        conn.send(s3_error(404, "NoSuchKey", "The specified key does not exist.", source))
        return
    obj = server.put_object(req.bucket, req.key, FakeObject(src.data, dict(src.headers)))
    conn.send(response(200, _doc("CopyObject", etag=obj.etag), content_type=XML))


def _DeleteBucket(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    server.buckets.discard(req.bucket)
    conn.send(response(204))


def _PutBucketVersioning(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    """Kept, as S3 keeps it (GET ?versioning answers it): a server that forgets is a test's own handler."""
    found = re.search(rb"<Status>(\w+)</Status>", body)
    if found:
        server.versioning[req.bucket] = found.group(1).decode()
    conn.send(response(200))


def _GetObjectLockConfiguration(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    if req.bucket in server.locked:
        conn.send(response(200, _doc("GetObjectLockConfiguration"), content_type=XML))
    else:
        conn.send(s3_error(404, "ObjectLockConfigurationNotFoundError", "no object lock", req.path))


def _ListObjectVersions(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    prefix = req.query.get("prefix", "")
    conn.send(response(200, _doc("ListObjectVersions", bucket=req.bucket, keys=[
        (k, o) for (b, k), o in sorted(server.objects.items()) if b == req.bucket and k.startswith(prefix)]),
        content_type=XML))


def _DeleteObjects(server: FaultServer, req: Request, conn: Conn, body: bytes) -> None:
    import re
    keys = [unquote(k) for k in re.findall(rb"<Key>(.*?)</Key>", body)]  # type: ignore[arg-type]
    keys = [k.decode() if isinstance(k, bytes) else k for k in keys]
    for key in keys:
        server.objects.pop((req.bucket, key), None)
    conn.send(response(200, _doc("DeleteObjects", deleted=keys), content_type=XML))


def _multipart(server: FaultServer, call: str, req: Request, conn: Conn, body: bytes) -> None:
    upload = req.query.get("uploadId", "")
    if call == "CreateMultipartUpload":
        upload = f"up{len(server.uploads) + 1}"
        server.uploads[upload] = (req.bucket, req.key, {})
        server.upload_sse[upload] = sse_of(req)
        conn.send(response(200, _doc(call, bucket=req.bucket, key=req.key, upload=upload), content_type=XML))
    elif call == "ListMultipartUploads":
        conn.send(response(200, _doc(call, bucket=req.bucket, uploads=[
            (k, u) for u, (b, k, _) in server.uploads.items() if b == req.bucket]), content_type=XML))
    elif upload not in server.uploads:
        conn.send(s3_error(404, "NoSuchUpload", "The specified upload does not exist", req.path))
    elif call == "UploadPart":
        server.uploads[upload][2][int(req.query["partNumber"])] = body
        conn.send(response(200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'}))
    elif call == "ListParts":
        conn.send(response(200, _doc(call, parts=server.uploads[upload][2]), content_type=XML))
    elif call == "AbortMultipartUpload":
        del server.uploads[upload]
        conn.send(response(204))
    else:  # CompleteMultipartUpload
        bucket, key, parts = server.uploads.pop(upload)
        data = b"".join(parts[n] for n in sorted(parts))
        digests = b"".join(hashlib.md5(parts[n]).digest() for n in sorted(parts))
        sse, etag = server.upload_sse.pop(upload, {}), f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"
        obj = server.put_object(bucket, key, FakeObject(data, sse, etag=etag))
        conn.send(response(200, _doc(call, bucket=bucket, key=key, etag=obj.etag), content_type=XML, headers=sse))


_CALLS = {name: globals()["_" + name] for name in (
    "CopyObject", "DeleteBucket", "PutBucketVersioning", "GetObjectLockConfiguration", "ListObjectVersions",
    "DeleteObjects")}


# -- naming calls and answering them with garbage (tests/test_bad_answers.py) ----------------------------
_CONFIGS = {"BucketPolicy": ("policy", "NoSuchBucketPolicy"),
            "ObjectTagging": ("tagging", ""),  # "": S3 answers an empty tag set, not a 404
            "BucketLifecycleConfiguration": ("lifecycle", "NoSuchLifecycleConfiguration"),
            "BucketEncryption": ("encryption", "ServerSideEncryptionConfigurationNotFoundError"),
            "BucketTagging": ("tagging", "NoSuchTagSet"),
            "ObjectRetention": ("retention", "NoSuchObjectLockConfiguration"),
            "ObjectLegalHold": ("legal-hold", "NoSuchObjectLegalHold")}
_BUCKET_SUBS = {"policy": "BucketPolicy", "lifecycle": "BucketLifecycleConfiguration", "encryption": "BucketEncryption",
                "versioning": "BucketVersioning", "object-lock": "ObjectLockConfiguration", "tagging": "BucketTagging",
                "location": "BucketLocation"}
_OBJECT_SUBS = {"tagging": "ObjectTagging", "retention": "ObjectRetention", "legal-hold": "ObjectLegalHold"}
_VERB = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}

# The forms of garbage: for a call whose answer is a document, and for one whose answer has none.
GARBAGE = ("html200", "html502", "empty", "truncated", "other_doc", "missing", "bad_value", "bad_json", "random")
GARBAGE_NO_DOC = ("html200", "html502")
HTML_PAGE = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Console</title></head>"
             b"<body><div id=\"root\">Loading...</div><script src=\"/app.js\"></script></body></html>\n")
HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
            b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
RANDOM = bytes((i * 151 + 89) % 256 for i in range(300))  # the same "random" bytes every run


def s3_call(req: Request) -> str:
    """The S3 API name of a (path-style) request: ListObjectsV2, GetBucketPolicy, UploadPart, ..."""
    query, method, copy = req.query, req.method, "x-amz-copy-source" in req.headers
    verb = _VERB.get(method, method)
    if not req.bucket:
        return "ListBuckets" if method == "GET" else f"{method} /"
    if req.key:
        if "uploadId" in query:
            return {"GET": "ListParts", "PUT": "UploadPartCopy" if copy else "UploadPart",
                    "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}.get(method, method)
        if "uploads" in query:
            return "CreateMultipartUpload"
        sub = next((name for q, name in _OBJECT_SUBS.items() if q in query), None)
        if sub:
            return verb + sub
        return {"PUT": "CopyObject" if copy else "PutObject"}.get(method, verb + "Object")
    sub = next((name for q, name in _BUCKET_SUBS.items() if q in query), None)
    if sub:
        return "DeleteBucketLifecycle" if verb + sub == "DeleteBucketLifecycleConfiguration" else verb + sub
    for q, name in (("uploads", "ListMultipartUploads"), ("versions", "ListObjectVersions"),
                    ("delete", "DeleteObjects")):
        if q in query:
            return name
    if query.get("list-type") == "2":
        return "ListObjectsV2"
    return {"GET": "ListObjects", "PUT": "CreateBucket"}.get(method, verb + "Bucket")


def has_document(call: str) -> bool:
    """Whether S3 answers `call` (200) with a document; the others answer with an empty body."""
    return (call.startswith(("List", "Get")) and call != "GetObject") or call in (
        "CreateMultipartUpload", "CompleteMultipartUpload", "CopyObject", "DeleteObjects")


def garbage(form: str, call: str, req: Request, server: FaultServer) -> bytes:
    """One answer to `call` of the given GARBAGE form (or "no_etag", "bad_header"; "undone": a DeleteObjects
    answered with a <Deleted> for each key asked, none deleted)."""
    head = req.method == "HEAD"
    if form == "html200":
        return response(200, HTML_PAGE, content_type="text/html; charset=utf-8", head=head)
    if form == "html502":
        return response(502, HTML_502, content_type="text/html", head=head)
    if form == "no_etag":
        return response(200)
    if form == "bad_header":
        return response(200, headers={"ETag": '"0123456789abcdef0123456789abcdef"', "Content-Length": "2",
                                      "Last-Modified": "the day before yesterday"}, head=True)
    if form == "undone" and call == "DeleteObjects":  # each key asked named <Deleted>, none deleted
        asked = [unescape(k.decode()) for k in re.findall(rb"<Key>(.*?)</Key>", req.body or b"")]
        return response(200, _doc(call, deleted=asked), content_type=XML)
    good = _doc(call, bucket=req.bucket or "b", key=req.key or "k")
    kind = "application/json" if call == "GetBucketPolicy" else XML
    body = {"empty": b"",
            "truncated": good[:len(good) // 2],
            "other_doc": _list_buckets(["b"]) if call.startswith("ListObject") else server._list_v2(req.bucket, {}),
            "missing": _doc(call, bucket="", key="", bare=True),
            "bad_value": _doc(call, bucket=req.bucket or "b", key=req.key or "k", bad=True),
            "bad_json": b'{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": ',
            "random": RANDOM}[form]
    if form == "random":
        kind = "application/octet-stream"
    return response(200, body, content_type=kind, headers=_write_sse(call, req, server))


def _write_sse(call: str, req: Request, server: FaultServer) -> dict[str, str]:
    """The SSE headers S3 sends with the answer to a write that asked for SSE: garbage is in the body only."""
    if call == "CompleteMultipartUpload":
        return server.upload_sse.get(req.query.get("uploadId", ""), {})
    return sse_of(req) if call == "PutObject" else {}


_NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def _doc(call: str, *, bucket: str = "b", key: str = "k", etag: str = "0123456789abcdef0123456789abcdef",
         upload: str = "up1", keys: Any = (), uploads: Any = (), parts: Any = None, deleted: Any = (),
         bare: bool = False,
         bad: bool = False) -> bytes:
    """The answer S3 gives to `call`, as XML (JSON for GetBucketPolicy). `bare`: its root element alone,
    required elements missing; `bad`: its values malformed (numbers, dates, enums that are not)."""
    date, size, num = ("yesterday", "many", "first") if bad else ("2026-01-01T00:00:00.000Z", "2", "1")
    if call == "GetBucketPolicy":
        if bare or bad:  # JSON, but no policy document: a list, a string
            return b'"a policy"' if bad else b"[]"
        return (b'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},'
                b'"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::' + bucket.encode() + b'/*"]}]}')
    tag_value = "" if bad else "<Value>b</Value>"  # a tag without its value
    obj = (f"<Key>{escape(key)}</Key><LastModified>{date}</LastModified><ETag>&quot;{etag}&quot;</ETag>"
           f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass>")
    inner = {
        "ListBuckets": ("ListAllMyBucketsResult", f"<Owner><ID>fake</ID></Owner><Buckets><Bucket><Name>{bucket}</Name>"
                                                  f"<CreationDate>{date}</CreationDate></Bucket></Buckets>"),
        "ListObjectsV2": ("ListBucketResult", f"<Name>{bucket}</Name><Prefix></Prefix><KeyCount>1</KeyCount>"
                                              f"<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                                              f"<Contents>{obj}</Contents>"),
        "ListObjectVersions": ("ListVersionsResult", f"<Name>{bucket}</Name><Prefix></Prefix><IsTruncated>false"
                               "</IsTruncated>" + "".join(
                                   f"<Version><Key>{escape(k)}</Key><VersionId>null</VersionId><IsLatest>true"
                                   f"</IsLatest><LastModified>{date}</LastModified><ETag>&quot;{o.etag}&quot;"
                                   f"</ETag><Size>{len(o.data) if not bad else size}</Size></Version>"
                                   for k, o in keys) if keys or not bad else
                               f"<Version>{obj}<VersionId>null</VersionId><IsLatest>true</IsLatest></Version>"),
        "GetBucketVersioning": ("VersioningConfiguration", f"<Status>{'Sideways' if bad else 'Enabled'}</Status>"),
        "GetBucketEncryption": ("ServerSideEncryptionConfiguration",
                                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>"
                                f"{'ROT13' if bad else 'AES256'}</SSEAlgorithm>"
                                "</ApplyServerSideEncryptionByDefault></Rule>"),
        "GetBucketTagging": ("Tagging", f"<TagSet><Tag><Key>a</Key>{tag_value}</Tag></TagSet>"),
        "GetObjectTagging": ("Tagging", f"<TagSet><Tag><Key>a</Key>{tag_value}</Tag></TagSet>"),
        "GetBucketLifecycleConfiguration": ("LifecycleConfiguration",
                                            f"<Rule><ID>r1</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled"
                                            f"</Status><Expiration><Days>{'seven' if bad else '7'}</Days>"
                                            "</Expiration></Rule>"),
        "GetObjectLockConfiguration": ("ObjectLockConfiguration",
                                       "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
                                       f"<Mode>GOVERNANCE</Mode><Days>{'ten' if bad else '10'}</Days>"
                                       "</DefaultRetention></Rule>"),
        "GetObjectRetention": ("Retention", f"<Mode>GOVERNANCE</Mode><RetainUntilDate>"
                                            f"{date if bad else '2030-01-01T00:00:00.000Z'}</RetainUntilDate>"),
        "GetObjectLegalHold": ("LegalHold", f"<Status>{'MAYBE' if bad else 'ON'}</Status>"),
        "GetBucketLocation": ("LocationConstraint", ""),
        "CreateMultipartUpload": ("InitiateMultipartUploadResult",
                                  f"<Bucket>{bucket}</Bucket><Key>{escape(key)}</Key><UploadId>"
                                  f"{'' if bad else upload}</UploadId>"),
        "CompleteMultipartUpload": ("CompleteMultipartUploadResult",
                                    f"<Bucket>{bucket}</Bucket><Key>{escape(key)}</Key><ETag>&quot;{etag}&quot;</ETag>"),
        "ListMultipartUploads": ("ListMultipartUploadsResult", f"<Bucket>{bucket}</Bucket><IsTruncated>false"
                                 "</IsTruncated>" + "".join(f"<Upload><Key>{escape(k)}</Key><UploadId>{u}</UploadId>"
                                                            f"<Initiated>{date}</Initiated></Upload>"
                                                            for k, u in uploads)),
        "ListParts": ("ListPartsResult", "<IsTruncated>false</IsTruncated>" + "".join(
            f"<Part><PartNumber>{n if not bad else num}</PartNumber><ETag>&quot;{hashlib.md5(d).hexdigest()}&quot;"
            f"</ETag><Size>{len(d) if not bad else size}</Size><LastModified>{date}</LastModified></Part>"
            for n, d in sorted((parts or {1: b"xx"}).items()))),
        "DeleteObjects": ("DeleteResult", "".join(f"<Deleted><Key>{escape(k)}</Key></Deleted>" for k in deleted)
                          if not bad else "<Error><Key>k</Key><Code>AccessDenied</Code></Error>"),
        "CopyObject": ("CopyObjectResult", f"<LastModified>{date}</LastModified><ETag>&quot;{etag}&quot;</ETag>"),
    }
    root, children = inner.get(call, ("Unknown", ""))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}{_NS}>{"" if bare else children}</{root}>'.encode()
