"""Attack on s3/listing_page.read_plain (e505e71): a plain ListObjectsV2 page read by expat's check and one regex scan
must read exactly as the tree reads it (parse_page_tree), over pages a hostile or odd server could send.

The pages here are built from parts of every kind the brief named: keys of every character class (URL-encoded
or not: %2F, +, %25, %00, %0A, unicode, character references, CDATA, very long, empty, ending in '/' once
decoded), odd ETags, sizes and dates, markers duplicated or missing, other root orders, whitespace variants,
namespaces and attributes, a second root, trailing garbage, a BOM, other declared encodings (UTF-16,
ISO-8859-1), standalone, DOCTYPE, comments and PIs around the root. Most parts are the plain ones (so the short
way is taken often), each odd one now and then. End to end, `ls -r --json` over a fault server answering such
pages prints the same with the short way and without it. No finding in this attack: these hold the two equal.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from faultserver import XML, FaultServer, Request, response
from test_listing_plain import _outcome  # the same comparison: entries and next query, or the same error

from its_store.s3 import listing
from its_store.s3.listing_page import parse_page, parse_page_tree, read_plain

from helpers import fault_cli, started_from_now

T = TypeVar("T")
S3 = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


class _Mild(random.Random):
    """choice() gives the first (plain) option with probability `mild`, else any."""

    def __init__(self, seed: int, mild: float) -> None:
        super().__init__(seed)
        self.mild = mild

    def choice(self, seq: Sequence[T]) -> T:
        return seq[0] if self.random() < self.mild else super().choice(seq)


PIECES = ["a", "/", "%2F", "%2f", "+", "%25", "%00", "%0A", "%", "%zz", "é", "日本", "\U0001f600", " ", "\t", "\n",
          "&#60;", "&#x3C;", "&amp;", "&lt;", ">", '"', "'", "\u200b", "\ufffd", "%EF%BF%BD", "%C3", "~", "0",
          "<![CDATA[x]]>", "<!--c-->", "\r\n", "\r", "&#34;", "]]>"]


def _key(rng: _Mild) -> str:
    n = rng.choice([5, 0, 1, 2, 20, 300, 2000])
    key = "".join(rng.choice(PIECES) for _ in range(min(n, 40))) + ("x" * n if n >= 300 else "")
    return key + rng.choice(["", "/", "%2F", "%2f/", "+"])


def _contents(rng: _Mild) -> str:
    fields = [("Key", _key(rng)),
              ("ETag", rng.choice(["&#34;abc&#34;", "&quot;abc&quot;", "", "abc", "&#34;&#34;", "&#34;a&quot;b&#34;",
                                   '"abc"', "&#34;a b&#34;", "&#34;abc-3&#34;", "&#x22;abc&#x22;", "&#34;abc"])),
              ("Size", rng.choice(["0", "1", "007", "00", "9" * 30, "9" * 5000, "-1", " 5", "5 ", "", "1e3", "٣",
                                   "+5", "1_000"])),
              ("StorageClass", rng.choice(["STANDARD", "", "&amp;"])),
              ("LastModified", rng.choice(["2026-12-07T11:41:18.000Z", "2026-12-07T11:41:18Z",
                                           "2026-12-07T11:41:18+01:00", "2026-12-07T11:41:18", "2026-12-07",
                                           " 2026-12-07T11:41:18Z ", "Mon, 07 Dec 2026 11:41:18 GMT", "",
                                           "2026-12-07T11:41:18.123456789Z", "2026-13-07T11:41:18Z"]))]
    if rng.random() < 0.1:
        rng.shuffle(fields)
    if rng.random() < 0.05:
        fields.append(("Key", _key(rng)))
    if rng.random() < 0.05:
        fields.pop(rng.randrange(len(fields)))
    glue = rng.choice(["", " ", "\n", "\t", "\r\n"])
    return "<Contents>" + glue.join(f"<{n}>{v}</{n}>" for n, v in fields) + "</Contents>"


def _marks(rng: _Mild, encoded: bool) -> list[str]:
    """The root's other elements; a marker is missing now and then and duplicated often, its values drawn
    at random each time (which one wins, the first or the last, must not differ)."""
    def count() -> int:
        roll = rng.random()
        return 2 if roll < 0.25 else 0 if roll < 0.25 + (1 - rng.mild) / 4 else 1

    def any_of(values: list[str]) -> str:
        return random.Random.choice(rng, values)

    marks = [f"<Name>{rng.choice(['b', '', 'b&amp;', '&#60;'])}</Name>", "<Prefix></Prefix>", "<MaxKeys>1000</MaxKeys>"]
    marks += [f"<IsTruncated>{any_of(['false', 'true', ' TRUE ', 'True', '', '&#116;rue'])}</IsTruncated>"
              for _ in range(count())]
    tokens = ["t1", "", "a b", "t%2F", "&#60;x", "t2"]
    marks += [f"<NextContinuationToken>{any_of(tokens)}</NextContinuationToken>" for _ in range(count())]
    marks += [f"<EncodingType>{any_of(['url', 'url', ' url ', 'URL', ''])}</EncodingType>"
              for _ in range(count() if encoded else rng.choice([0, 1]))]
    for odd in ("<Name>second</Name>", "<Name/>", "<Foo a='1'>x</Foo>", "<ListBucketResult><Name>z</Name>"
                "</ListBucketResult>", "<Contents>text</Contents>", "<CommonPrefixes></CommonPrefixes>",
                "<s3:Name>x</s3:Name>", "<Contents xmlns='x'/>"):
        if rng.random() < 0.03:
            marks.append(odd)
    return marks


def _page(rng: _Mild) -> bytes:
    encoded = rng.random() < 0.7
    parts = [_contents(rng) for _ in range(rng.randrange(0, 6))]
    parts += [f"<CommonPrefixes><Prefix>{_key(rng)}</Prefix></CommonPrefixes>" for _ in range(rng.randrange(0, 3))]
    for mark in _marks(rng, encoded):
        parts.insert(rng.randrange(len(parts) + 1), mark)
    body = rng.choice(["", " ", "\n", "\t", "\r\n", "\n  "]).join(parts)
    attributes = rng.choice([S3, "", ' xmlns="x"', ' xmlns:s3="x"', ' a="1"'])
    root = f"<ListBucketResult{attributes}>{body}</ListBucketResult>"
    decl = rng.choice(['<?xml version="1.0" encoding="UTF-8"?>', "", '<?xml version="1.0"?>',
                       '<?xml version="1.0" encoding="utf-8"?>',
                       '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
                       "<?xml version='1.0' encoding='UTF-8'?>", '<?xml version="1.0" encoding="ISO-8859-1"?>',
                       '<?xml version="1.0" encoding="UTF-16"?>', '<?xml version="1.1" encoding="UTF-8"?>'])
    before = rng.choice(["", "\n", "<!-- c -->", "<?pi x?>", "<!DOCTYPE ListBucketResult>", " ", "\t", "\r\n"])
    after = rng.choice(["", "\n", "<!-- c -->", "<?pi x?>", "garbage", "<x/>", "\x00", " \n\t", "\r\n",
                        "</ListBucketResult>"])
    text = ("\ufeff" if rng.random() < 0.03 else "") + decl + before + root + after
    codec = "utf-8"
    if "ISO-8859-1" in decl and rng.random() < 0.8:
        codec = "latin-1"
    elif "UTF-16" in decl and rng.random() < 0.8:
        codec = "utf-16"
    try:
        return text.encode(codec)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@pytest.mark.parametrize("mild", [0.0, 0.9, 0.97])
def test_hostile_pages_read_the_same_with_the_short_way_and_the_tree(mild: float) -> None:
    rng = _Mild(3300 + int(mild * 100), mild)
    pages = [_page(rng) for _ in range(4000)]
    for data in pages:
        assert _outcome(parse_page, data) == _outcome(parse_page_tree, data), data
    if mild:  # the short way is taken for a good share (else this would hold little)
        assert sum(read_plain(data, {}) is not None for data in pages) > 200


# -- end to end: ls -r --json over a fault server answering the worst pages, short way on and off ----------
def _row(key: str, size: str = "3", etag: str = "&#34;e1&#34;") -> str:
    return (f"<Contents><Key>{key}</Key><ETag>{etag}</ETag><Size>{size}</Size><StorageClass>STANDARD"
            "</StorageClass><LastModified>2026-12-07T11:41:18.000Z</LastModified></Contents>")


HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult{S3}>'
PAGES = {  # continuation token asked for -> the page answered
    "": HEAD + "<Name>bkt</Name><EncodingType>url</EncodingType><EncodingType>none</EncodingType>"
        + _row("p%2Fa%0Ab") + _row("p%2F%C3%A9+x%2B%25")
        + "<IsTruncated>true</IsTruncated><IsTruncated>false</IsTruncated>"
        + "<NextContinuationToken>t1</NextContinuationToken><NextContinuationToken>zz</NextContinuationToken>"
        + _row("p/%F0%9F%98%80", "00012", "&quot;&quot;") + "\n\t</ListBucketResult>\n",
    "t1": HEAD + "\n<Name>bkt</Name>\t<EncodingType>url</EncodingType>" + _row("p/z" + "y" * 900, "9" * 19)
          + "<CommonPrefixes><Prefix>p%2Fq%2F</Prefix></CommonPrefixes><IsTruncated>true</IsTruncated>"
          + "<NextContinuationToken>t2</NextContinuationToken></ListBucketResult>",
    "t2": HEAD + "<Name>bkt</Name><EncodingType>url</EncodingType><!-- the tree's -->" + _row("p/zz%0D")
          + _row("p/dir%2F", "0") + _row("p/full%2F", "7")
          + "<IsTruncated>false</IsTruncated></ListBucketResult>",
}


def _answer(server: FaultServer, req: Request, conn: Any) -> bool:
    if req.method == "GET" and req.query.get("list-type") == "2":
        conn.send(response(200, PAGES[req.query.get("continuation-token", "")].encode(), content_type=XML))
        return True
    return False


@pytest.fixture
def ls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(_answer, buckets=("bkt",)) as server:
        yield fault_cli(server, tmp_path, monkeypatch)


def test_ls_prints_the_same_with_the_short_way_and_without(ls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bool] = []
    short = listing.read_plain
    ours = started_from_now()  # the command's threads: the patch is process-wide, an earlier test's are not

    def counted(data: bytes, query: dict[str, str]) -> Any:
        read = short(data, query)
        if ours():
            taken.append(read is not None)
        return read

    monkeypatch.setattr(listing, "read_plain", counted)
    fast = ls("ls", "-r", "--json", "s3://bkt/p/")
    assert taken == [True, True, False], taken  # the first two pages the short way, the commented one the tree
    monkeypatch.setattr(listing, "read_plain", lambda data, query: None)
    tree = ls("ls", "-r", "--json", "s3://bkt/p/")
    assert (fast.exit_code, fast.stdout, fast.stderr) == (tree.exit_code, tree.stdout, tree.stderr)
    assert fast.exit_code == 0, fast
    names = [json.loads(line)["key"] for line in fast.stdout.splitlines() if line.strip()] \
        if not fast.stdout.lstrip().startswith("[") else [row["key"] for row in json.loads(fast.stdout)]
    assert "p/a\nb" in names and "p/é x+%" in names and "p/full/" in names, names
