"""The short ways of `ls -r --json` (issue 22 W6) against the general code they stand in for, over hostile input.

Each fast path must give exactly what the general one gives, so that a later change of either cannot drift
unseen: the paging check's element search (s3/answers._first) against the plain regex search.
"""

from __future__ import annotations

import random
import re

import pytest

from its_store.core.errors import ServiceUnavailableError
from its_store.s3 import answers

NAMES = [b"EncodingType>", b"NextContinuationToken>", b"NextKeyMarker>", b"NextVersionIdMarker>"]
PIECES = [b"<", b">", b"</", b"s3:", b"a.b-c:", b"x", b" ", b"url", b"\n", b"&lt;", b"T1", b"<Key>", b"</Key>",
          *NAMES, *(n[:-1] for n in NAMES)]


def _patterns() -> list[tuple[re.Pattern[bytes], bytes]]:
    markers = [(re.compile(rb"<(?:[\w.-]+:)?" + n[:-1] + rb">([^<]*)<"), n) for n in NAMES[1:]]
    return [(answers._URL_ENCODED, b"EncodingType>"), *markers]


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
            fast, slow = answers._first(pattern, name, body), pattern.search(body)
            assert (fast and (fast.span(), fast.groups())) == (slow and (slow.span(), slow.groups())), (body, name)


@pytest.mark.parametrize("encoded", [False, True])
def test_a_truncated_page_with_its_markers_last_is_read_the_same(encoded: bool) -> None:
    """SeaweedFS's order: the markers and <EncodingType> after the entries (where the short way helps)."""
    entries = b"".join(b"<Contents><Key>k%d</Key></Contents>" % i for i in range(2000))
    tail = (b"<NextContinuationToken>k1999</NextContinuationToken>"
            + (b"<EncodingType>url</EncodingType>" if encoded else b""))
    head = b'<ListBucketResult xmlns="x"><Name>b</Name><IsTruncated>true</IsTruncated>'
    body = head + entries + tail + b"</ListBucketResult>"
    answers.paging("ListObjectsV2", "http://h/b?list-type=2&continuation-token=k999", body)  # goes on: no error
    with pytest.raises(ServiceUnavailableError, match="the very <NextContinuationToken>"):
        answers.paging("ListObjectsV2", "http://h/b?list-type=2&continuation-token=k1999", body)
