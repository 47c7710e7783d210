"""The short ways of `ls -r --json` (issue 22 W6) against the general code they stand in for, over hostile input.

Each fast path must give exactly what the general one gives, so that a later change of either cannot drift
unseen: the paging check's element search (s3/answer_paging._first) against the plain regex search; a
ListObjectsV2 page read the short way (s3/listing_page._objects) against every entry read by _entry (the
same entries, or the same error); the ObjectInfo a plain listing builds (service/listing._listed)
against ObjectInfo.listed. No server: pages and entries are built in the test.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

import pytest

from its_store.core.errors import InvalidInputError, ServiceUnavailableError
from its_store.core.models import ListObjectsRequest, ObjectInfo
from its_store.s3 import answer_paging
from its_store.s3.listing_page import Entry, parse_page, parse_page_general
from its_store.service import listing as service_listing

NAMES = [b"EncodingType>", b"NextContinuationToken>", b"NextKeyMarker>", b"NextVersionIdMarker>"]
PIECES = [b"<", b">", b"</", b"s3:", b"a.b-c:", b"x", b" ", b"url", b"\n", b"&lt;", b"T1", b"<Key>", b"</Key>",
          *NAMES, *(n[:-1] for n in NAMES)]


def _patterns() -> list[tuple[re.Pattern[bytes], bytes]]:
    markers = [(re.compile(rb"<(?:[\w.-]+:)?" + n[:-1] + rb">([^<]*)<"), n) for n in NAMES[1:]]
    return [(answer_paging._url_encoded(), b"EncodingType>"), *markers]


def _hostile_bodies() -> list[bytes]:
    """Pages whose element names also stand in key text, with namespace prefixes, twice, at either end,
    without a '<' before them, cut off; and random strings of the same pieces."""
    fixed = [b"", b"EncodingType>url<", b"<EncodingType>url<", b"<Key>EncodingType>url</Key><EncodingType>url<",
             b"<Key>a:EncodingType>url</Key>", b"<s3:EncodingType> url <", b"<a.b-c:NextKeyMarker>k%20<",
             b"<Key>x</Key><NextKeyMarker>one</NextKeyMarker><NextKeyMarker>two</NextKeyMarker>",
             b"<x NextContinuationToken>T<", b"<:NextContinuationToken>T<", b"<NextContinuationToken>T",
             b"<<NextContinuationToken>T1<", b"<Key>" + b"y" * 5000 + b"</Key><NextContinuationToken>T9</Nex"]
    rng = random.Random(22)
    fuzz = [b"".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    return fixed + fuzz


def test_the_paging_search_finds_what_the_regex_finds() -> None:
    for body in _hostile_bodies():
        for pattern, name in _patterns():
            fast, slow = answer_paging._first(pattern, name, body), pattern.search(body)
            assert (fast and (fast.span(), fast.groups())) == (slow and (slow.span(), slow.groups())), (body, name)


@pytest.mark.parametrize("encoded", [False, True])
def test_a_truncated_page_with_its_markers_last_is_read_the_same(encoded: bool) -> None:
    """SeaweedFS's order: the markers and <EncodingType> after the entries (where the short way helps)."""
    entries = b"".join(b"<Contents><Key>k%d</Key></Contents>" % i for i in range(2000))
    tail = (b"<NextContinuationToken>k1999</NextContinuationToken>"
            + (b"<EncodingType>url</EncodingType>" if encoded else b""))
    head = b'<ListBucketResult xmlns="x"><Name>b</Name><IsTruncated>true</IsTruncated>'
    body = head + entries + tail + b"</ListBucketResult>"
    answer_paging.paging("ListObjectsV2", "http://h/b?list-type=2&continuation-token=k999", body)  # goes on: no error
    with pytest.raises(ServiceUnavailableError, match="the very <NextContinuationToken>"):
        answer_paging.paging("ListObjectsV2", "http://h/b?list-type=2&continuation-token=k1999", body)



def _truncated(token: bytes) -> bytes:
    return (b'<ListBucketResult xmlns="x"><Name>b</Name><IsTruncated>true</IsTruncated><Contents><Key>k</Key>'
            b"</Contents><NextContinuationToken>" + token + b"</NextContinuationToken></ListBucketResult>")


def test_a_truncated_page_reads_its_marker_without_html_unless_it_has_an_entity() -> None:
    """html (and html.entities: ~10M instructions in the CLI) is imported only for a marker with an '&': every
    listing of more than one page paid for it on its first truncated page. A fresh interpreter tells."""
    code = ("import sys\nfrom its_store.s3 import answer_paging\n"
            f"answer_paging.paging('ListObjectsV2', 'http://h/b?list-type=2', {_truncated(b'k999')!r})\n"
            "print('html' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_a_marker_with_an_entity_is_unescaped_before_it_is_compared() -> None:
    body = _truncated(b"a&amp;b&#32;c")
    answer_paging.paging("ListObjectsV2", "http://h/b?list-type=2&continuation-token=a%26b", body)  # another marker
    with pytest.raises(ServiceUnavailableError, match="the very <NextContinuationToken>"):
        answer_paging.paging("ListObjectsV2", "http://h/b?list-type=2&continuation-token=a%26b%20c", body)

# -- a ListObjectsV2 page, the short way and _entry's ----------------------------------------------------
DATE = "2026-12-06T13:00:00.000Z"
KEYS = ["p/a.jpg", "p/b c+d%41.jpg", "p/ctl\x01\x1f", "p/uni\u00e9\u2603", "p/folder/", "q/outside", "p/\ufffd",
        "p/nl\nx", "p/amp&<>", "p/tail ", " p/lead", "p/%2F", "p/+"]
SIZES = ["5", "0", "", " 7 ", "-1", "1_0", "x", "12345678901234567890", "\u0663", None]  # None: no element
ETAGS = ['"d41d8cd98f00b204e9800998ecf8427e"', "", '""', "plain", '"a"b"', None]
DATES = [DATE, DATE, "2026-12-06T13:00:00Z", "2026-12-06T15:00:00.250+02:00", "2026-12-06T13:00:00",
         "yesterday", "", " 2026-12-06T13:00:00Z ", "2026-12-06T13:00:00.000000001Z", None]
EXTRAS = ["", "<StorageClass>STANDARD</StorageClass>", "<Owner><ID>o</ID><DisplayName>d</DisplayName></Owner>",
          "<VersionId>v1</VersionId>", "<IsLatest>false</IsLatest>", "<Key>p/second-key</Key>", "<Size>9</Size>",
          "<Unknown/>", "<LastModified>2026-01-01T00:00:00Z</LastModified>", "<ETag/>"]


def _entry_xml(rng: random.Random, encoded: bool, common: bool) -> str:
    """One <Contents> of hostile values in a random order of its children (or a <CommonPrefixes>)."""
    key = rng.choice(KEYS)
    text = quote_plus(key, safe="/") if encoded else key
    if common:
        return f"<CommonPrefixes><Prefix>{escape(text)}</Prefix></CommonPrefixes>"
    fields = [f"<Key>{escape(text)}</Key>" if rng.random() > 0.03 else "<Key/>"]
    for name, choices in (("Size", SIZES), ("ETag", ETAGS), ("LastModified", DATES)):
        value = rng.choice(choices)
        if value is not None:
            fields.append(f"<{name}>{escape(value)}</{name}>" if value else f"<{name}/>")
    fields.append(rng.choice(EXTRAS))
    if rng.random() < 0.3:
        rng.shuffle(fields)
    return "<Contents>" + "".join(fields) + "</Contents>"


def _page(rng: random.Random, usual: bool) -> bytes:
    """A page of 1-12 entries; `usual`: most entries alike (a server's own order and values), a few odd."""
    encoded, ns = rng.random() < 0.6, rng.choice(['xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', "", 'xmlns="x"'])
    body = []
    for _ in range(rng.randrange(1, 13)):
        if usual and rng.random() < 0.8:
            key = quote_plus(rng.choice(KEYS[:4]), safe="/") if encoded else "p/k"
            body.append(f"<Contents><Key>{escape(key)}</Key><ETag>&quot;e&quot;</ETag><Size>{rng.randrange(9)}</Size>"
                        f"<StorageClass>STANDARD</StorageClass><LastModified>{DATE}</LastModified></Contents>")
        else:
            body.append(_entry_xml(rng, encoded, common=rng.random() < 0.15))
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult {ns}><Name>b</Name><Prefix>p/</Prefix>'
            f"{'<EncodingType>url</EncodingType>' if encoded else ''}<IsTruncated>false</IsTruncated>"
            f"{''.join(body)}</ListBucketResult>").encode()


def _outcome(read: Any, data: bytes) -> Any:
    try:
        page = read(data, False)
    except Exception as exc:  # noqa: BLE001 - the same error is the point
        return type(exc), str(exc)
    assert all(type(e) is Entry and len(e) == len(Entry._fields) for e in page.entries)
    return [tuple((type(v), v) for v in e) for e in page.entries], page.next


def test_a_page_read_the_short_way_gives_what_entry_gives() -> None:
    rng = random.Random(6)
    pages = [_page(rng, usual=bool(i % 2)) for i in range(1500)]
    for data in pages:
        assert _outcome(parse_page, data) == _outcome(parse_page_general, data), data


def test_the_short_way_reads_a_usual_page_and_its_odd_entries() -> None:
    """The page most servers send (every entry alike) gives typed entries; odd ones among them (a folder
    marker, a size that is no number, a date not seen before) are read or refused as _entry does."""
    usual = ("<Contents><Key>p/{0}</Key><ETag>&quot;e&quot;</ETag><Size>{1}</Size><StorageClass>STANDARD"
             "</StorageClass><LastModified>{2}</LastModified></Contents>")
    rows = [usual.format("a", 5, DATE), usual.format("f/", 0, DATE), usual.format("b", 7, "2031-01-02T03:04:05Z"),
            "<Contents><Key>p/c</Key><Size>1</Size><LastModified>" + DATE + "</LastModified></Contents>"]
    data = (b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>'
            b"<IsTruncated>false</IsTruncated>" + "".join(rows).encode() + b"</ListBucketResult>")
    got = parse_page(data, versions=False).entries
    when = datetime(2026, 12, 6, 13, tzinfo=UTC)
    assert got == [Entry("p/a", 5, "e", when), Entry("p/f/", is_prefix=True),
                   Entry("p/b", 7, "e", datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)), Entry("p/c", 1, None, when)]
    bad = data.replace(b"<Size>7</Size>", b"<Size>seven</Size>")
    assert _outcome(parse_page, bad) == _outcome(parse_page_general, bad) == (
        ValueError, "invalid literal for int() with base 10: 'seven'")


# -- the ObjectInfo of a listed entry ----------------------------------------------------------------------
class _Listing:
    """What iter_objects needs of a context: s3.list_objects yielding the given entries."""

    def __init__(self, entries: list[Entry]) -> None:
        self.s3 = self
        self.entries = entries

    def list_objects(self, bucket: str, prefix: str, recursive: bool) -> Any:
        return iter(self.entries)


def test_a_listed_entry_becomes_what_object_info_listed_builds() -> None:
    when = datetime(2026, 12, 6, 13, tzinfo=UTC)
    entries = [Entry("p/a", 5, "e", when), Entry("p/b", 0, None, None, "v1"), Entry("p/f/", is_prefix=True),
               Entry("p/\ufffd", 3, "e", when, garbled=True), Entry("p/x", 2**70, "", when, "")]
    got = list(service_listing.iter_objects(_Listing(entries), ListObjectsRequest(bucket="bench")))  # type: ignore[arg-type]
    for info, entry in zip(got, entries, strict=True):
        want = (ObjectInfo.listed(bucket="bench", key=entry.key, is_prefix=True) if entry.is_prefix else
                ObjectInfo.listed(bucket="bench", key=entry.key, size=entry.size, etag=entry.etag,
                                  last_modified=entry.last_modified, version_id=entry.version_id))
        assert type(info) is ObjectInfo
        assert list(info.__dict__.items()) == list(want.__dict__.items())  # values and their order
        assert info.__pydantic_fields_set__ == want.__pydantic_fields_set__
        assert (info.__pydantic_extra__, info.__pydantic_private__) == (None, None)
        assert info.model_dump_json() == want.model_dump_json() and info == want
    got[0].encryption = "SSE-C"  # what ls --metadata does to one: the others keep theirs
    assert "encryption" in got[0].model_fields_set and "encryption" not in got[1].model_fields_set
    assert got[1].__dict__["encryption"] is None and got[1].__dict__ is not got[0].__dict__


def test_a_plain_listing_is_still_lazy() -> None:
    """Nothing is asked (not even the bucket's name checked) before the first entry is."""
    listing = service_listing.iter_objects(_Listing([]), ListObjectsRequest(bucket="Bad_Bucket"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        next(listing)
