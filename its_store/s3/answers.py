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

Which call a request is comes from s3/call_names.py; the checks of listing pages that would never end from
s3/answer_paging.py, imported by the first listing page (no other answer needs it).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from typing import Any

from urllib3 import HTTPHeaderDict

from its_store.core import errors as E
from its_store.core.jsontext import MAX_DEPTH, loads, nests_deeper
from its_store.s3.call_names import PAGING, identify, subresource_of

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
    if name in PAGING:  # imported by the first listing page: no other answer needs it (~0.6M instructions)
        from its_store.s3.answer_paging import paging
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
    return f"a bucket listing where S3 sends {expected}: the server ignores ?{subresource_of(url)}"


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
    answer for a multipart object whose tags it dropped (s3/tagging.ObjectTags.get_tags reads it as no tags)."""
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
        what = f"the object itself, as if ?{subresource_of(url)} were not there"
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
