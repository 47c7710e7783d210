"""What an S3 answer must look like, checked where every answer arrives (s3/pool.py) before minio reads it.

The S3 spec says which document answers which call: ListObjectsV2 a <ListBucketResult>, GET ?lifecycle a
<LifecycleConfiguration>, GET ?policy a JSON policy, a PUT of an object an ETag. minio parses what it
expects and reads a missing element as "none": handed a bucket listing for GET ?lifecycle (what `rclone
serve s3` answers to every bucket sub-resource it lacks), it reports "no lifecycle rules"; handed the
object's own bytes for GET ?tagging, a parse error. So each 200 answer a call expects a document for is
checked here first, by its first bytes only (no second parse):

- an HTML page is no S3 server at all (a web console, another port): ServiceUnavailableError (exit 69);
- an empty body, a body that is not XML, the wrong XML document, a policy that is not a JSON object, a
  PUT answered without an ETag: BadAnswerError (exit 1), naming the call and what was wrong;
- a listing page that says "there is more" (IsTruncated) without a marker to go on from, or with the very
  marker it was asked with: ServiceUnavailableError (exit 69). minio follows whatever a page says, so
  such a page would make it ask for the same page forever (`paging`).

Every answer is also remembered per thread (`Call`), so that `errors()` (s3/errors.py) can name the call
whose answer minio then failed to parse (truncated XML, a missing element, a date that is no date).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from urllib3 import HTTPHeaderDict

from its_store.core import errors as E
from its_store.core.jsontext import MAX_DEPTH, loads, nests_deeper

_local = threading.local()
_counter = itertools.count(1)
_HEAD_BYTES = 512  # enough to skip an XML declaration and a comment and see the root element


# The patterns below are compiled on their first need (each ~0.3-0.8M instructions): a command whose
# answers hold no document (a `get` of one object: a HEAD and a GET) compiles none of them.
@functools.cache
def _root() -> re.Pattern[bytes]:
    return re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


@functools.cache
def _prolog() -> re.Pattern[bytes]:
    return re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.S | re.I)


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
# Elements whose absence minio would read as "off" or "none": object lock, legal hold, retention and
# encryption answers must say what they are (an answer saying nothing is not "no lock").
_MUST: dict[str, tuple[tuple[bytes, str], ...]] = {  # (pattern, what): compiled by its first use
    "GetObjectLockConfiguration": ((rb"<(?:[\w.-]+:)?ObjectLockEnabled>\s*Enabled\s*<",
                                    "<ObjectLockEnabled>Enabled"),),
    # moto answers a version never held with an empty <LegalHold/> (S3: 404): no status is not ON
    "GetObjectLegalHold": ((rb"<(?:[\w.-]+:)?Status>\s*(?:ON|OFF)\s*<|<(?:[\w.-]+:)?LegalHold\b[^>]*/>",
                            "<Status> ON or OFF"),),
    "GetObjectRetention": ((rb"<(?:[\w.-]+:)?Mode>\s*(?:GOVERNANCE|COMPLIANCE)\s*<",
                            "<Mode> GOVERNANCE or COMPLIANCE"),
                           (rb"<(?:[\w.-]+:)?RetainUntilDate>", "<RetainUntilDate>")),
    "GetBucketEncryption": ((rb"<(?:[\w.-]+:)?SSEAlgorithm>\s*(?:AES256|aws:kms|aws:kms:dsse)\s*<",
                             "<SSEAlgorithm> AES256, aws:kms or aws:kms:dsse"),),
}


@functools.cache
def _compiled(pattern: bytes) -> re.Pattern[bytes]:
    """A _MUST pattern, compiled on the first answer that needs it."""
    return re.compile(pattern)


# Paged listings: the call -> (query parameter, answer element) of each marker, the first one required
# on a truncated page; the answer's markers are where the next page starts.
_PAGING = {"ListObjectsV2": (("continuation-token", "NextContinuationToken"),),
           "ListObjectVersions": (("key-marker", "NextKeyMarker"), ("version-id-marker", "NextVersionIdMarker"))}


@functools.cache
def _truncated() -> re.Pattern[bytes]:
    return re.compile(rb"<(?:[\w.-]+:)?IsTruncated>\s*true\s*<", re.I)


@functools.cache
def _url_encoded() -> re.Pattern[bytes]:
    return re.compile(rb"<(?:[\w.-]+:)?EncodingType>\s*url\s*<")


_LISTING_PARAMS = {"prefix", "delimiter", "marker", "max-keys", "encoding-type", "start-after"}
_NEEDS_ETAG = {"PutObject", "UploadPart"}
# GETs of an object's sub-resource: S3 answers a document, never with an ETag (the object's own answer has one)
_OBJECT_SUBRESOURCES = {"GetObjectRetention", "GetObjectLegalHold", "GetObjectTagging"}


class Call:
    """One answer as this thread last saw it: its number, its status, and the S3 call it answered. The
    call is named on first use (errors() asks only when something failed): naming it means reading the
    request's URL, which costs more than the rest of a check, and a streamed GET needs no name otherwise."""

    __slots__ = ("_name", "endpoint_host", "headers", "method", "seq", "status", "url")

    def __init__(self, method: str, url: str, endpoint_host: str, headers: Any, status: int, seq: int,
                 name: str | None = None) -> None:
        self.method, self.url, self.endpoint_host, self.headers = method, url, endpoint_host, headers
        self.status, self.seq, self._name = status, seq, name

    @property
    def name(self) -> str:
        if self._name is None:
            self._name = identify(self.method, self.url, self.endpoint_host, self.headers)[0]
        return self._name


def mark() -> int:
    """The number of this thread's last answer: `since(mark())` later tells whether one came since."""
    last = getattr(_local, "call", None)
    return last.seq if last is not None else 0


def since(seq: int) -> Call | None:
    """This thread's last answer, if it arrived after `mark()` returned `seq`."""
    last: Call | None = getattr(_local, "call", None)
    return last if last is not None and last.seq > seq else None


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


def check(method: str, url: str, headers: Any, resp: Any, preloaded: bool, endpoint_host: str) -> None:
    """Remember this answer for the thread; raise if a 200 answer is not what its call must get. Only a
    200 answer read whole (not a HEAD, not a streamed GET) can be checked: the others are remembered
    unnamed (Call.name names them if an error asks)."""
    status = int(resp.status)
    if status != 200 or method == "HEAD" or not preloaded or _plain_put(method, headers, resp.headers):
        _local.call = Call(method, url, endpoint_host, headers, status, next(_counter))
        return
    name, expect = identify(method, url, endpoint_host, headers)
    _local.call = Call(method, url, endpoint_host, headers, status, next(_counter), name)
    if expect is None:
        return
    # an empty answer (most PUTs) is not read again: urllib3 read it already, and `.data` of an empty
    # body reads the closed stream once more (~5 µs)
    body = b"" if resp.headers.get("content-length") == "0" else (resp.data or b"")
    head = body[:_HEAD_BYTES]
    if head and _is_html(head):  # an empty body (most PUTs) is no page: not looked at
        raise not_s3_page(name, resp.status)
    if expect == "":
        if name in _NEEDS_ETAG and not resp.headers.get("etag"):
            raise bad_answer(name, "a 200 answer without the ETag of what was stored")
        return
    if expect == "json":
        _check_policy(name, body, url)
        return
    if name in _OBJECT_SUBRESOURCES and resp.headers.get("etag") and root_element(head) not in expect:
        raise ignored_subresource(name, url)  # the object itself, answered to GET ?retention
    if not head.strip():  # the head only: a listing page is up to 1,000 entries, not copied for this
        raise _empty(name, body, resp.headers)
    root = root_element(head)
    if root is None:
        raise bad_answer(name, f"a body that is not XML ({describe(head)})")
    if root not in expect:
        raise _wrong_document(name, root, f"<{expect[0]}>", url)
    for pattern, what in _MUST.get(name, ()):
        if not _compiled(pattern).search(body):
            raise bad_answer(name, f"no {what}, which S3 always sends in this answer")
    if name in _PAGING:
        paging(name, url, body)


def _plain_put(method: str, headers: Any, answer: Any) -> bool:
    """Whether a 200 answer to this PUT passes check() whatever call it answered, so the call is left to be
    named when an error asks (Call.name), as a streamed GET's: every PUT without x-amz-copy-source expects no
    document ("": PutObject, UploadPart, CreateBucket, every PUT ?subresource), so an empty body (no HTML
    page) with an ETag (what PutObject and UploadPart need) is all its check could look at. Naming the call
    (identify: the URL split, its host compared) was ~17k of the ~30k instructions check() took per camera
    frame (callgrind, issue 22). A copy (CopyObject, UploadPartCopy) expects a document: never here."""
    return (method == "PUT" and type(answer) is HTTPHeaderDict and type(headers) is HTTPHeaderDict
            and "x-amz-copy-source" not in headers and answer.get("content-length") == "0"
            and bool(answer.get("etag")))


def _first(pattern: re.Pattern[bytes], name: bytes, body: bytes) -> re.Match[bytes] | None:
    """`pattern.search(body)` for a pattern `<(?:[\\w.-]+:)?NAME...`, begun at the last '<' before the first
    NAME (none there: no match). The same match: one further on starts at a '<' at or after that one. SeaweedFS
    sends the markers and <EncodingType> after the 1,000 entries, where the regex's own scan took ~2-3 ms a
    page (as long as building the page's tree); bytes.find takes ~0.1 ms."""
    at = body.find(name)
    return None if at < 0 else pattern.search(body, max(body.rfind(b"<", 0, at), 0))


def paging(name: str, url: str, body: bytes) -> None:
    """Refuse a truncated listing page that sends the client back where it was: no marker to go on from
    (minio would then ask for the first page again), or the markers it was asked with (the same page
    again). A correct server's next page always starts further on. Stateless, one page at a time;
    a longer cycle that repeats entries is caught where they are yielded (S3Client.list_objects)."""
    if not _truncated().search(body):
        return
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    encoded = bool(_first(_url_encoded(), b"EncodingType>", body))
    asked, given = [], []
    for param, element in _PAGING[name]:
        found = _first(re.compile(rb"<(?:[\w.-]+:)?" + element.encode() + rb">([^<]*)<"), element.encode() + b">",
                       body)
        value = _unescaped(found.group(1).decode("utf-8", "replace")) if found else ""
        if encoded and element == "NextKeyMarker":
            value = unquote_plus(value)
        asked.append(query.get(param, ""))
        given.append(value)
    first = _PAGING[name][0][1]
    if not given[0].strip():
        raise endless_listing(name, f"IsTruncated=true without a <{first}> to go on from")
    if given == asked:
        raise endless_listing(name, f"IsTruncated=true with the very <{first}> it was asked with")


def _unescaped(text: str) -> str:
    """html.unescape(text), importing html only for a text with an '&' (html.unescape returns any other as it
    is): html and html.entities cost ~10M instructions in the CLI, which every listing of more than one page
    paid on its first truncated page (a sync of 2,000 unchanged keys: ~5K of its ~109K a listed key)."""
    if "&" not in text:
        return text
    import html
    return html.unescape(text)


class Listed:
    """The entries a listing yielded lately, to refuse one yielded twice: a correct listing never does,
    and one that does pages in a cycle (tokens A, B, A...) that `paging` cannot see page by page. The
    window is bounded (WINDOW entries, oldest forgotten first), so memory is too; no order is assumed
    (not every server lists in byte order)."""

    WINDOW = 10_000

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[object, ...], None] = OrderedDict()

    def add(self, entry: tuple[bool, str, str | None], call: str) -> None:
        """Remember `entry` (is a prefix, name, version id); raise endless_listing if it is among those
        remembered (the message is built only then: this runs for every entry of every listing)."""
        if entry in self._seen:
            _prefix, name, version = entry
            what = repr(name) + (f" (version {version})" if version else "")
            raise endless_listing(call, f"it listed {what} a second time")
        self._seen[entry] = None
        if len(self._seen) > self.WINDOW:
            self._seen.popitem(last=False)


def endless_listing(call: str, what: str, place: str | None = None) -> E.ServiceUnavailableError:
    """The error for a listing that would never end: the server (or a proxy) pages it in a loop. Exit 69,
    as for an endpoint that is no S3 API: retrying gets the same pages, and nothing is done on them."""
    where = f" on {place}" if place else ""
    err = E.ServiceUnavailableError(
        f"the server's answer to {call}{where} is not valid S3: {what}; the listing would never end",
        hint="the server, or a proxy in front of it, pages this listing in a loop; nothing was done on "
             "the pages it repeated")
    if place is None:
        err.unplaced = functools.partial(endless_listing, call, what)  # type: ignore[attr-defined]
    return err


def root_element(head: bytes) -> str | None:
    """The local name of the first element of an XML text (its first bytes suffice), or None if it is
    not XML."""
    text = head.lstrip(b"\xef\xbb\xbf")
    while True:
        prolog = _prolog().match(text)
        if not prolog:
            break
        text = text[prolog.end():]
    text = text.lstrip()
    found = _root().match(text)
    return found.group(2).decode("ascii", "replace") if found else None


def _check_policy(name: str, body: bytes, url: str) -> None:
    """GET ?policy answers the policy document: a JSON object with a Statement (a list, or one statement
    object); S3 answers 404 NoSuchBucketPolicy when there is none, never an empty 200."""
    try:
        doc = loads(body)
    except ValueError:
        root = root_element(body[:_HEAD_BYTES])
        if root:
            raise _wrong_document(name, root, "the policy's JSON", url) from None
        raise bad_answer(name, f"a body that is not JSON ({describe(body)})") from None
    if not isinstance(doc, dict):
        raise bad_answer(name, f"JSON that is not a policy document (a {type(doc).__name__})")
    if nests_deeper(doc):  # read on, `policy show --json` failed as "unexpected"
        raise bad_answer(name, f"a policy document nested deeper than {MAX_DEPTH} levels (S3's are a few deep)")
    if not isinstance(doc.get("Statement"), (list, dict)):  # S3 stores no policy without one
        raise bad_answer(name, "a policy document without a Statement (S3 answers NoSuchBucketPolicy when there "
                               "is no policy): read as one, it would say a bucket whose policy it hid is not public")


def _wrong_document(name: str, root: str, expected: str, url: str) -> E.BadAnswerError:
    """Another document than the call's. The bucket's own listing is the server ignoring the sub-resource
    (a plain GET of the bucket: `rclone serve s3` answers every sub-resource it lacks so), said as
    SubresourceIgnoredError, like the object itself answered to an object's sub-resource: the one sign a
    caller may read as "the server lacks this call". Any other document is only a bad answer."""
    if root == "ListBucketResult" and name not in _OBJECT_SUBRESOURCES:  # an object's plain GET is no listing
        return ignored_subresource(name, url, what=_wrong(root, expected, url))
    return bad_answer(name, _wrong(root, expected, url))


def _wrong(root: str, expected: str, url: str) -> str:
    """What came instead of `expected`; a bucket listing means the server ignored the sub-resource asked
    for and answered a plain GET of the bucket (rclone serve s3 does)."""
    if root != "ListBucketResult":
        return f"a <{root}> document where S3 sends {expected}"
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    sub = next((name for name in _SUBRESOURCES if name in query), "")
    return f"a bucket listing where S3 sends {expected}: the server ignores ?{sub}"


def _is_html(head: bytes) -> bool:
    """By the body alone: moto labels its empty PUT answers text/html."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].lower()
    return start.startswith((b"<!doctype html", b"<html"))


def describe(data: bytes, limit: int = 40) -> str:
    """A short, printable, one-line view of some bytes of an answer, for an error message."""
    if not data:
        return "empty"
    text = data[:limit].decode("utf-8", "replace")
    if sum(not ch.isprintable() or ch == "\ufffd" for ch in text) > len(text) // 4:
        return f"{len(data)}{'+' if len(data) >= _HEAD_BYTES else ''} bytes of binary data"
    shown = "".join(ch if ch.isprintable() else "." for ch in text)
    return f"starts {shown!r}" + ("..." if len(data) > limit else "")


def bad_answer(call: str, what: str, place: str | None = None) -> E.BadAnswerError:
    """The error for an answer that breaks the spec. Raised from the pool, it does not know the bucket
    and key yet: `unplaced` rebuilds it with them (errors() does, s3/errors.py)."""
    where = f" on {place}" if place else ""
    err = E.BadAnswerError(f"the server's answer to {call}{where} is not valid S3: {what}",
                           hint="the server, or a proxy in front of it, does not implement this call as S3 "
                                "does; other calls may still work")
    err.call = call
    if place is None:
        err.unplaced = functools.partial(bad_answer, call, what)  # type: ignore[attr-defined]
    return err


def _empty(name: str, body: bytes, headers: Any) -> E.BadAnswerError:
    """The error for a 200 answer without the document S3 sends. GET ?tagging of an object answered with
    nothing at all, said so (Content-Length: 0, not a body cut short), is EmptyTagSetError: radosgw 16.2's
    answer for a multipart object whose tags it dropped (s3/client._read_tags reads it as no tags)."""
    if name == "GetObjectTagging" and body == b"" and headers.get("content-length") == "0":
        return empty_tag_set(name)
    return bad_answer(name, "an empty body where S3 sends an XML document")


def empty_tag_set(call: str, place: str | None = None) -> E.EmptyTagSetError:
    """EmptyTagSetError, placed later as bad_answer's is (errors() names the bucket and key)."""
    where = f" on {place}" if place else ""
    err = E.EmptyTagSetError(f"the server's answer to {call}{where} is not valid S3: an empty body (no tag set)",
                             hint="the server sends nothing for an object without tags")
    err.call = call
    if place is None:
        err.unplaced = functools.partial(empty_tag_set, call)  # type: ignore[attr-defined]
    return err


def ignored_subresource(call: str, url: str, place: str | None = None, *,
                        what: str | None = None) -> E.SubresourceIgnoredError:
    """A 200 answer to GET ?retention (?legal-hold, ?tagging) that is the object itself: its ETag, not the
    document; or (`what` says it) a bucket's sub-resource answered with the bucket's listing. The server
    lacks the call; the caller may read the same fact elsewhere (the HEAD)."""
    if what is None:
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        sub = next((name for name in _SUBRESOURCES if name in query), "")
        what = f"the object itself, as if ?{sub} were not there"
    where = f" on {place}" if place else ""
    err = E.SubresourceIgnoredError(f"the server's answer to {call}{where} is not valid S3: {what}",
                                    hint="the server does not implement this call")
    err.call = call
    if place is None:
        err.unplaced = functools.partial(ignored_subresource, call, url, what=what)  # type: ignore[attr-defined]
    return err


def not_s3_page(call: str, status: int, place: str | None = None) -> E.ServiceUnavailableError:
    """An HTML page where an S3 document belongs: this endpoint is not an S3 API (a web console, a
    login page, another service on that port)."""
    where = f", {place}" if place else ""
    err = E.ServiceUnavailableError(
        f"the endpoint answered {call} with an HTML page (HTTP {status}{where}): it is not an S3 API",
        hint="check MINIO_ENDPOINT: is it the S3 API port, not a web console?")
    if place is None:
        err.unplaced = functools.partial(not_s3_page, call, status)  # type: ignore[attr-defined]
    return err


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
