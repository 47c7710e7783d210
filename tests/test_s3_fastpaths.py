"""The per-request shortcuts of the S3 seam give exactly what the general code they replace gives.

Every request goes through them (s3/call_names.split_url instead of urlsplit, keys.dot_segments, Headers.of and
sse_of and written_of over urllib3's HTTPHeaderDict, the errors() block as a class), so each is compared with the plain
definition on awkward inputs. No server: these are pure functions (the requests themselves are covered by
test_s3_adapter, test_bad_answers, test_transport_faults).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import ProtocolError

from its_store.core import errors as E
from its_store.s3 import answers, call_names
from its_store.s3.errors import errors
from its_store.s3.keys import dot_segments
from its_store.s3.messages import Headers, Written, sse_of, written_of

KEYS = ["a/b", "a b/c+d", "ü/ß", "a?b#c", "%41", "a;b=c&d", "..", "./x", "a//b", "\t", "a\nb", "@", "[x]", "~"]
URLS = [
    "http://127.0.0.1:9000/bench/a/b", "https://S3.Example.COM/b/k?x=1&y", "http://h?x", "http://h", "http://h/",
    "http://h:1/a?b?c/d", "http://h/a#f", "http://u:p@h/a", "http://[::1]:9/a", "http://[::1/a", "HTTP://h/a",
    " http://h/a", "http://h/a\tb", "http://h\n/a", "http://h%zone/a", "http://bucket.h:9000/k%2Fx?uploadId=1",
    "http://h/ä", "http://hä/a", "http://ｈ/a", "http:/h/a", "ftp://h/a", "http://h:/a", "http://:9/a", "http://h]/a",
    "http://h/a?q#f", "http://h/?", "http://h//a//b", "http://h/a%00b", "http://h/a\x00b", "http://h/a b",
    "http://h/@x", "http://h/a?b=@[]%#", "https://h:443", "http://H.Example:80/B/K?Tagging",
    "http://h?x/y", "http://", "https://", "http:///a", "http://?q", "http://h@/a", "http://h[/a", "http://%/a",
    "https://h/a?x?y", "https://h/a?x#", "http://h:9:9/a", "http://H:P/a", "http://h/a\x7fb", "http://h/\u00a0",
    "httpx://h/a", "http//h/a", "https:/h/a", "http://h\\x/a", "http://h/a?q=\u00e9",
    *(f"http://127.0.0.1:9000/bucket/{quote(key, safe='/~')}?versionId=1" for key in KEYS),
    *(f"https://bucket.s3.example.com/{quote(key, safe='/~')}" for key in KEYS),
]


def _urlsplit(url: str) -> tuple[str | None, str, str] | str:
    try:
        parts = urlsplit(url)
        return parts.hostname, parts.path, parts.query
    except ValueError:
        return "ValueError"


@pytest.mark.parametrize("url", URLS)
def test_split_url_is_urlsplit(url: str) -> None:
    try:
        got: tuple[str | None, str, str] | str = call_names.split_url(url)
    except ValueError:
        got = "ValueError"
    assert got == _urlsplit(url)


def test_identify_names_object_calls_as_before() -> None:
    """The names a shortcut would get wrong first: path style and virtual host, with and without a key."""
    host = "127.0.0.1"
    assert call_names.identify("GET", "http://127.0.0.1:9/b/k%3Fx", host)[0] == "GetObject"
    assert call_names.identify("PUT", "http://127.0.0.1:9/b/a/b", host, HTTPHeaderDict({"a": "1"}))[0] == "PutObject"
    assert call_names.identify("PUT", "http://127.0.0.1:9/b/k", host,
                               HTTPHeaderDict({"X-Amz-Copy-Source": "/b/j"}))[0] == "CopyObject"
    assert call_names.identify("PUT", "http://127.0.0.1:9/b/k", host, {"X-AMZ-COPY-SOURCE": "/b/j"})[0] == "CopyObject"
    assert call_names.identify("GET", "http://b.s3.example.com/k", "s3.example.com")[0] == "GetObject"
    assert call_names.identify("GET", "http://b.s3.example.com/", "s3.example.com")[0] == "ListBuckets"
    assert call_names.identify("GET", "http://127.0.0.1:9/b/", host)[0] == "ListObjects"
    assert call_names.identify("HEAD", "http://127.0.0.1:9/b", host)[0] == "HeadBucket"


def test_dot_segments_is_the_split_definition() -> None:
    for size in range(1, 8):
        for chars in itertools.product("./a", repeat=size):
            key = "".join(chars)
            assert dot_segments(key) == any(seg in (".", "..") for seg in key.split("/")), key


def test_headers_of_an_answer_are_the_generic_copy() -> None:
    raw = HTTPHeaderDict({"Content-Length": "5", "ETag": '"x"', "X-Amz-Meta-Its-Sha256": "ab"})
    raw.add("x-amz-meta-twice", "first")
    raw.add("X-Amz-Meta-Twice", "second")  # as the generic path did: the last value of a repeated name
    generic = Headers((str(k).lower(), str(v)) for k, v in raw.items())
    assert Headers.of(raw) == generic
    assert Headers.of(raw)["x-amz-meta-twice"] == "second"
    assert Headers.of({"A": 1}) == {"a": "1"} and Headers.of(None) == {}


def test_sse_of_reads_names_first() -> None:
    plain = HTTPHeaderDict({"ETag": '"x"', "Content-Length": "0"})
    assert sse_of(plain) == {} and sse_of(None) == {} and sse_of({}) == {}
    sse = HTTPHeaderDict({"ETag": '"x"', "X-Amz-Server-Side-Encryption": "aws:kms",
                          "x-amz-server-side-encryption-aws-kms-key-id": "k1",
                          "X-Amz-Server-Side-Encryption-Customer-Key": "secret"})
    assert sse_of(sse) == {"x-amz-server-side-encryption": "aws:kms",
                            "x-amz-server-side-encryption-aws-kms-key-id": "k1"}


def _sse_generic(headers: object) -> dict[str, str]:
    """sse_of's definition: every name starting with the SSE prefix (any case), but the SSE-C key."""
    return {str(k).lower(): str(v) for k, v in dict(headers.items()).items()  # type: ignore[attr-defined]
            if str(k).lower().startswith("x-amz-server-side-encryption")
            and str(k).lower() != "x-amz-server-side-encryption-customer-key"}


@pytest.mark.parametrize("pairs", [
    [], [("ETag", '"x"')], [("X-AMZ-SERVER-SIDE-ENCRYPTION", "AES256")],
    [("x-amz-server-side-encryption-customer-algorithm", "AES256"), ("ETag", '"x"')],
    [("x-amz-server-side-encryption-aws-kms-key-id", "k")],  # a name of the family without the main one
    [("X-Amz-Server-Side-Encryption-Customer-Key", "secret")], [("x-amz-server-side-encryptio", "cut")],
    [("A", "1"), ("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption", "twice")],
])
def test_sse_of_an_answer_is_the_generic_definition(pairs: list[tuple[str, str]]) -> None:
    """The names of urllib3's HTTPHeaderDict joined as they are (no str() of each) find what the generic path
    over any mapping finds."""
    raw = HTTPHeaderDict()
    for name, value in pairs:
        raw.add(name, value)
    assert sse_of(raw) == _sse_generic(raw) == sse_of(dict(raw.items()))


@pytest.mark.parametrize("pairs", [
    [], [("ETag", '"abc"')], [("ETag", '"abc"'), ("x-amz-version-id", "v1")],
    [("ETag", "abc"), ("X-Amz-Version-Id", "V2"), ("X-Amz-Server-Side-Encryption", "AES256")],
    [("x-amz-version-id", "a"), ("x-amz-version-id", "b")],  # twice: urllib3 joins them, as get() does
    [("x-amz-version-id-other", "x"), ("ETag", '"e"')],  # a longer name holding the version id's: not it
    [("x-amz-version-i", "cut"), ("Etag", '""')], [("x-amz-version-id", "")],
    [("ETag", '"a"'), ("x-amz-server-side-encryption-customer-key", "secret"), ("x-amz-version-id", "null")],
])
def test_written_of_an_answer_is_the_generic_definition(pairs: list[tuple[str, str]]) -> None:
    """S3Client.put's Written, its names read once (no get of a version id the names do not hold), is what
    the plain reads give, for urllib3's HTTPHeaderDict and any mapping."""
    raw = HTTPHeaderDict()
    for name, value in pairs:
        raw.add(name, value)
    for answer in (raw, dict(raw.items())):
        generic = Written((answer.get("etag") or "").replace('"', ""), answer.get("x-amz-version-id"), sse_of(answer))
        assert written_of(answer) == generic


def test_errors_block_translates_as_the_generator_did() -> None:
    with pytest.raises(E.ServiceUnavailableError) as caught, errors("b", "k"):
        raise ProtocolError("Connection aborted.", ConnectionResetError("reset"))
    assert isinstance(caught.value.__cause__, ProtocolError)
    mine = E.ConflictError("mine")
    with pytest.raises(E.ConflictError) as same, errors("b", "k"):
        raise mine
    assert same.value is mine  # our own errors pass unchanged
    with pytest.raises(KeyboardInterrupt), errors("b", "k"):
        raise KeyboardInterrupt
    with errors("b", "k"):
        pass


def test_errors_block_places_an_unplaced_answer_error() -> None:
    with pytest.raises(E.BadAnswerError, match=r"on s3://b/k"), errors("b", "k"):
        raise answers.bad_answer("PutObject", "no ETag")


def test_errors_block_inside_a_closed_generator() -> None:
    def gen() -> Iterator[int]:
        with errors("b"):
            yield 1
            yield 2

    it = gen()
    assert next(it) == 1
    it.close()  # GeneratorExit passes through the block untouched


def test_a_streamed_answer_is_named_when_an_error_asks() -> None:
    class Answer:  # the two attributes check() reads of a streamed answer
        status = 404
        headers = HTTPHeaderDict({"Content-Type": "text/plain"})

    seq = answers.mark()
    answers.check("GET", "http://127.0.0.1:9/b/k", HTTPHeaderDict(), Answer(), False, "127.0.0.1")
    call = answers.since(seq)
    assert call is not None and call.status == 404 and call.name == "GetObject"


@pytest.mark.parametrize("value", [0, 1, 0x7F, 0xFF, 0x100, 0xDEADBEEF, 0xFFFFFFFF, 0x1_0000_0001, -1])
def test_crc32_b64_is_base64_of_the_big_endian_bytes(value: int) -> None:
    """crc.crc32_b64 and crc32_of call binascii directly (w4b): the same text base64.b64encode gave."""
    import base64
    import zlib

    from its_store.s3 import crc
    assert crc.crc32_b64(value) == base64.b64encode((value & 0xFFFFFFFF).to_bytes(4, "big")).decode()
    data = value.to_bytes(8, "big", signed=True) * 3
    assert crc.crc32_of(data) == base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.mark.parametrize(("body", "headers", "raised"), [
    (b"", {"Content-Length": "0", "ETag": '"e"'}, None),
    (b"", {"Content-Length": "0"}, E.BadAnswerError),  # no ETag: still refused with an empty body
    (b"<html><body>console</body></html>", {"ETag": '"e"'}, E.ServiceUnavailableError),
    (b" \r\n<!DOCTYPE html><html/>", {"Content-Length": "23"}, E.ServiceUnavailableError),
    (b"\xef\xbb\xbf<HTML>", {}, E.ServiceUnavailableError),
])
def test_a_put_answer_is_checked_with_or_without_a_body(body: bytes, headers: dict[str, str],
                                                        raised: type[Exception] | None) -> None:
    """check() looks for an HTML page only in a body that has bytes (w4b): an empty PUT answer is no page,
    and a page is refused whatever its headers say."""
    class Answer:
        status = 200
        data = body

    Answer.headers = HTTPHeaderDict(headers)  # type: ignore[attr-defined]
    args = ("PUT", "http://127.0.0.1:9/b/k", HTTPHeaderDict({"Content-Type": "image/jpeg"}), Answer(), True,
            "127.0.0.1")
    if raised is None:
        answers.check(*args)
    else:
        with pytest.raises(raised):
            answers.check(*args)


PUT_URLS = ["http://127.0.0.1:9/b/k", "http://127.0.0.1:9/b/a/b", "http://127.0.0.1:9/b", "http://127.0.0.1:9/b/",
            "http://127.0.0.1:9/b/k?uploadId=1&partNumber=2", "http://127.0.0.1:9/b/k?tagging",
            "http://127.0.0.1:9/b?policy", "http://127.0.0.1:9/b?versioning", "http://b.s3.example.com/k",
            "http://127.0.0.1:9/b/k?retention", "http://127.0.0.1:9/b/k?acl"]
PUT_ANSWERS = [{"Content-Length": "0", "ETag": '"e"'}, {"content-length": "0", "etag": '"e"'},
               {"Content-Length": "0"}, {"Content-Length": "0", "ETag": ""}, {"ETag": '"e"'}, {}]


def _slow_check(method: str, url: str, sent: HTTPHeaderDict, answer: HTTPHeaderDict, host: str) -> str | None:
    """What check() did for an empty 200 PUT answer before its shortcut (_plain_put): the name identify() gives,
    then the rules of its expectation. Returns the error class's name, or None."""
    name, expect = answers.identify(method, url, host, sent)
    if expect == "":
        return "BadAnswerError" if name in answers._NEEDS_ETAG and not answer.get("etag") else None
    return "BadAnswerError"  # a document expected: an empty body is refused (_empty)


@pytest.mark.parametrize("url", PUT_URLS)
@pytest.mark.parametrize("copy", [False, True])
@pytest.mark.parametrize("answer", PUT_ANSWERS)
def test_a_plain_put_answer_is_checked_as_before(url: str, copy: bool, answer: dict[str, str]) -> None:
    """check()'s shortcut for an empty 200 PUT answer with an ETag (w4, s37) refuses and names exactly what
    naming the call first did: a copy's empty answer is refused, an answer without an ETag to PutObject or
    UploadPart too, and the call remembered is named as identify() names it."""
    class Answer:
        status = 200
        data = b""

    host = "s3.example.com" if "example" in url else "127.0.0.1"
    sent = HTTPHeaderDict({"Content-Type": "image/jpeg", **({"X-Amz-Copy-Source": "/b/j"} if copy else {})})
    Answer.headers = HTTPHeaderDict(answer)  # type: ignore[attr-defined]
    expected = _slow_check("PUT", url, sent, Answer.headers, host)  # type: ignore[attr-defined]
    seq = answers.mark()
    try:
        answers.check("PUT", url, sent, Answer(), True, host)
        got = None
    except E.ItsStoreError as exc:
        got = type(exc).__name__
    assert got == expected
    call = answers.since(seq)
    assert call is not None and call.name == answers.identify("PUT", url, host, sent)[0]


def test_a_plain_put_answer_is_named_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A camera frame's PUT answer (empty, 200, with an ETag) is checked without naming its call (identify:
    ~17k instructions a frame); an error that asks gets the name then."""
    class Answer:
        status = 200
        data = b""
        headers = HTTPHeaderDict({"Content-Length": "0", "ETag": '"e"'})

    named: list[str] = []
    real, here = answers.identify, threading.current_thread()

    def counted(*args: object) -> tuple[str, answers.Expect]:
        if threading.current_thread() is here:  # the patch is process-wide: not another thread's requests
            named.append(str(args[1]))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(answers, "identify", counted)
    seq = answers.mark()
    answers.check("PUT", "http://127.0.0.1:9/b/k", HTTPHeaderDict({"Content-Type": "image/jpeg"}), Answer(), True,
                  "127.0.0.1")
    assert named == []
    call = answers.since(seq)
    assert call is not None and call.name == "PutObject" and named == ["http://127.0.0.1:9/b/k"]
