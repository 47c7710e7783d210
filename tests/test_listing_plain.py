"""A plain ListObjectsV2 page read without the tree (s3/listing_page.read_plain, issue 22 W6) against the tree.

read_plain reads a page of SeaweedFS's shape with expat's check and one regex scan, and leaves every other page
to the tree (parse_page_tree, the reading it stands in for). Over hostile pages (the corpus of
test_listing_fastpaths and plain pages cut, spliced and salted at random) parse_page must give exactly what
the tree gives: the same entries and next query, or the same error. No server: pages are built here.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

import pytest

from its_store.s3.listing_page import parse_page, parse_page_tree, read_plain
from tests.test_listing_fastpaths import DATE, KEYS, _page

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
SALT = [b"<", b">", b"</", b"&", b"&amp;", b"&#34;", b"&lt;", b"]]>", b"\r", b"\x01", b"\xff", b"\xef\xbf\xbf",
        b"<!-- c -->", b"<![CDATA[x]]>", b"<?pi x?>", b"<Contents>", b"</Contents>", b"<Key>", b"</Key>", b"/",
        b"<Name>n</Name>", b"<IsTruncated>true</IsTruncated>", b"<EncodingType>url</EncodingType>", b" ", b"\n",
        b"<NextContinuationToken>t</NextContinuationToken>", b"%2F", b"+", b"s3:", b' xmlns="x"', b"<x/>", b"0",
        b"<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>", b"<!DOCTYPE x>", b"&e;", b"2026"]
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><ListBucketResult><Name>&c;</Name><Contents><Key>k</Key>'
          b"<ETag>&#34;e&#34;</ETag><Size>1</Size><StorageClass>S</StorageClass><LastModified>" + DATE.encode()
          + b"</LastModified></Contents></ListBucketResult>")


def _row(key: str, size: int, date: str, encoded: bool, etag: str = "aed563ec") -> bytes:
    text = escape(quote_plus(key, safe="/") if encoded else key)
    return (f"<Contents><Key>{text}</Key><ETag>&#34;{etag}&#34;</ETag><Size>{size}</Size>"
            f"<StorageClass>STANDARD</StorageClass><LastModified>{date}</LastModified></Contents>").encode()


def _plain_page(rng: random.Random) -> bytes:
    """A page as SeaweedFS writes one (its markers in random places, now and then whitespace between)."""
    encoded = rng.random() < 0.7
    parts = [_row(rng.choice(KEYS[:4] + KEYS[5:]), rng.randrange(10**rng.randrange(1, 12)),
                  rng.choice([DATE, "2026-12-07T11:41:18Z", "2031-01-02T03:04:05+01:00"]), encoded,
                  rng.choice(["aed563ec", "aed563ec", ""]))
             for _ in range(rng.randrange(0, 9))]
    if rng.random() < 0.2:  # a name that is a folder marker once URL-decoded (%2F is '/'), empty or not
        parts.append(_row("p/a%2F", rng.randrange(2), DATE, False))
    parts += [b"<CommonPrefixes><Prefix>" + escape(quote_plus(rng.choice(KEYS), safe="/")).encode()
              + b"</Prefix></CommonPrefixes>" for _ in range(rng.randrange(0, 3))]
    marks = [b"<Name>bench</Name>", b"<Prefix>w6/</Prefix>", b"<MaxKeys>1000</MaxKeys>",
             b"<IsTruncated>%s</IsTruncated>" % rng.choice([b"true", b"false", b" TRUE "]),
             b"<NextContinuationToken>%s</NextContinuationToken>" % rng.choice([b"w6/k", b"", b"a b"])]
    if encoded:
        marks.append(b"<EncodingType>url</EncodingType>")
    for mark in marks:
        parts.insert(rng.randrange(len(parts) + 1), mark)
    glue = b"\n " if rng.random() < 0.1 else b""
    return HEAD + glue.join(parts) + b"</ListBucketResult>" + glue


def _salted(rng: random.Random, data: bytes) -> bytes:
    """The page with a few cuts, splices and insertions."""
    for _ in range(1 if rng.random() < 0.8 else 3):
        at = rng.randrange(len(data) + 1)
        roll = rng.random()
        if roll < 0.5:
            data = data[:at] + rng.choice(SALT) + data[at:]
        elif roll < 0.8:
            data = data[:at] + data[at + rng.randrange(1, 12):]
        else:
            data = data[:at] + data[rng.randrange(len(data) + 1):]
    return data


def _outcome(read: Any, data: bytes) -> Any:
    try:
        page = read(data, False)
    except Exception as exc:  # noqa: BLE001 - the same error is the point
        return type(exc), str(exc)
    return [tuple((type(v), v) for v in e) for e in page.entries], page.next


def test_a_plain_page_is_read_without_the_tree_and_gives_what_the_tree_gives() -> None:
    rng = random.Random(33)
    pages = [_plain_page(rng) for _ in range(1500)]
    plain = [data for data in pages if read_plain(data, {}) is not None]
    assert len(plain) > len(pages) * 0.5  # the short way is taken (else this test would hold nothing)
    for data in pages:
        assert _outcome(parse_page, data) == _outcome(parse_page_tree, data), data


def test_salted_pages_read_the_same_either_way() -> None:
    rng = random.Random(34)
    pages = [_salted(rng, _plain_page(rng)) for _ in range(20000)]
    for data in pages:
        assert _outcome(parse_page, data) == _outcome(parse_page_tree, data), data
    assert sum(read_plain(data, {}) is not None for data in pages) > 400  # salt the short way still takes


def test_the_hostile_corpus_reads_the_same_either_way() -> None:
    rng = random.Random(6)
    for i in range(1500):
        data = _page(rng, usual=bool(i % 2))
        assert _outcome(parse_page, data) == _outcome(parse_page_tree, data), data


@pytest.mark.parametrize("data", [LAUGHS, HEAD + b"<Name>b</Name></ListBucketResult>\r\n",
                                  b"\xef\xbb\xbf" + HEAD[38:] + b"<Name>b</Name></ListBucketResult>"])
def test_a_page_with_a_doctype_or_an_odd_byte_is_left_to_the_tree(data: bytes) -> None:
    assert read_plain(data, {}) is None
    assert _outcome(parse_page, data) == _outcome(parse_page_tree, data)


def test_the_next_query_keeps_the_asked_ones() -> None:
    data = HEAD + b"<Name>b</Name><IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken>" \
        + _row("p/a", 1, DATE, False) + b"</ListBucketResult>"
    query = {"list-type": "2", "continuation-token": "t0", "start-after": "t0", "prefix": "p/"}
    read = read_plain(data, query)
    assert read is not None
    assert list(read[1].items()) == [("list-type", "2"), ("continuation-token", "t1"), ("start-after", "t1"),  # type: ignore[union-attr]
                                     ("prefix", "p/")]
