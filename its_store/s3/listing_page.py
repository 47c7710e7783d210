"""Reading a listing page: its entries and where the next page starts (s3/listing.py asks for the pages).

minio's own list parser costs ~60-75 µs a key (an ElementPath lookup per field, strptime per date), which was
most of the time of `ls -r` over 10,000 keys. Here each page is built into a tree by ElementTree's C parser
and each entry read in one pass over its children; dates go through datetime.fromisoformat. A ListObjectsV2
page's entries that look like its first (the same children in the same order, a date already read) are
read by a function made for that order (_objects, _reader): half the instructions of the general reading,
which every other entry and every error still goes through. A plain ListObjectsV2 page (SeaweedFS's: one
layout of <Contents>, no comment, no DOCTYPE, no entity but an ETag's quotes) skips the tree: expat checks
it and one regex scan reads it (read_plain, ~10k instructions a key fewer); any other page, and any page
read_plain cannot read, goes to the tree, which raises what it always raised.

What the parser accepts is what minio's accepted: <Name> and each entry's <Key> (a common prefix's
<Prefix>) must be there, a <Size> or <LastModified> that is no number or date is the answer's fault
(ValueError and the like here; s3/errors.parsing makes it BadAnswerError), names are URL-decoded when the
page says <EncodingType>url, and an object whose key ends in '/' (a folder marker) is listed as a prefix,
as minio's `is_dir` made it (in a version listing it is a version or delete marker with its id, as any other).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple, cast
from urllib.parse import unquote_plus
from xml.etree import ElementTree as ET
from xml.parsers.expat import ParserCreate

__all__ = ["Entry", "Page", "next_query", "parse_page", "parse_page_general", "parse_page_tree", "read_plain",
           "tree_entries"]


class Entry(NamedTuple):
    """One listed object, version, delete marker or common prefix."""

    key: str
    size: int = 0
    etag: str | None = None
    last_modified: datetime | None = None
    version_id: str | None = None
    is_prefix: bool = False
    is_latest: bool = True
    is_delete_marker: bool = False
    garbled: bool = False  # the server altered the name (s3/keys.garbled): it names no object


class Page(NamedTuple):
    """One page: its entries in document order (objects, versions and delete markers as the server listed
    them, then the common prefixes), and where the next page starts (None: this was the last)."""

    entries: list[Entry]
    next: dict[str, str] | None


def parse_page(data: bytes, versions: bool) -> Page:
    """A page's entries and the markers of the next one (for tests and tools; list_entries reads the
    same way: a plain ListObjectsV2 page by read_plain, any other through the tree)."""
    plain = None if versions else read_plain(data, {})
    if plain is not None:
        return Page(*plain)
    return parse_page_tree(data, versions)


def parse_page_tree(data: bytes, versions: bool) -> Page:
    """parse_page through the tree alone (for tests: read_plain must give the same, or leave the page to it)."""
    root = ET.fromstring(data)
    following = next_query(root, {}, versions)
    return Page(tree_entries(root, versions), following)


def parse_page_general(data: bytes, versions: bool) -> Page:
    """parse_page with every entry read through _entry (for tests: the short way must give the same)."""
    root = ET.fromstring(data)
    ns = _ns(root)
    names, decode = _Names(ns), unquote_plus if _url_encoded(root, ns) else None
    return Page(_general(root, names, decode, versions), next_query(root, {}, versions))


# A plain ListObjectsV2 page (SeaweedFS's): an optional UTF-8 declaration, the root in S3's namespace or
# none, and in it only <Contents> of one layout, <CommonPrefixes> of one <Prefix>, other elements of text
# alone, and text between them (which the tree ignores). Every '<' of the root's content is in one of those
# elements (_tokens() finds them, _read_plain counts their '<'), and each text is free of '<' and '&' (an ETag's
# quotes aside), so its bytes are its text. A size is ASCII digits; a key ending in '/' (a folder marker)
# is left to _entry.
_QUOTE = rb"(?:&#34;|&quot;)"


@functools.cache
def _tokens() -> re.Pattern[bytes]:
    """Compiled by the first page (~3M instructions): a command that lists nothing (a `get` of one object)
    does not pay for it."""
    return re.compile(
        rb"<Contents><Key>([^<&]*[^<&/])</Key><ETag>" + _QUOTE + rb'([^<&"]*)' + _QUOTE + rb"</ETag><Size>([0-9]+)"
        rb"</Size><StorageClass>[^<&]*</StorageClass><LastModified>([^<&]+)</LastModified></Contents>"
        rb"|<CommonPrefixes><Prefix>([^<&]*)</Prefix></CommonPrefixes>"
        rb"|<(?!Contents>|CommonPrefixes>)([A-Za-z]+)>([^<&]*)</\6>")


@functools.cache
def _head() -> re.Pattern[bytes]:
    return re.compile(rb'(?:<\?xml version="1\.0" encoding="UTF-8"\?>)?[ \t\n]*'
                      rb'<ListBucketResult(?: xmlns="http://s3\.amazonaws\.com/doc/2006-03-01/")?>')


_TAIL = b"</ListBucketResult>"
_MARKS = (b"Name", b"IsTruncated", b"NextContinuationToken", b"EncodingType")


def read_plain(data: bytes, query: dict[str, str]) -> tuple[list[Entry], dict[str, str] | None] | None:
    """A plain ListObjectsV2 page's entries and next query without the tree (issue 22 W6: expat's check
    and one regex scan cost ~31k instructions a key where the tree and its reading cost ~41k; a streaming
    expat parser with Python handlers costs ~68k, its empty handlers alone ~28k). None for any other page,
    or one whose reading fails (the tree then reads it and raises its own error): the tree reads all it
    always did. tests/test_listing_plain.py holds the two equal over hostile pages."""
    try:
        return _read_plain(data, query)
    except Exception:  # noqa: BLE001 - the tree reads the page again and raises its own error
        return None


def _read_plain(data: bytes, query: dict[str, str]) -> tuple[list[Entry], dict[str, str] | None] | None:
    head = _head().match(data)
    end = len(data.rstrip(b" \t\n")) - len(_TAIL)
    if head is None or b"\r" in data or data[end:end + len(_TAIL)] != _TAIL:
        return None
    tokens = _tokens().findall(data, head.end(), end)
    rows = [token for token in tokens if token[0]]
    others = [token for token in tokens if token[5]]
    if len(rows) * 12 + (len(tokens) - len(rows) - len(others)) * 4 + len(others) * 2 \
            != data.count(b"<", head.end(), end):
        return None  # an element of another kind (or layout) somewhere
    ParserCreate(namespace_separator="}").Parse(data, True)  # well-formed as the tree would have it, else raises
    marks: dict[str, str] = {}
    for token in others:
        if token[5] in _MARKS:
            marks.setdefault(token[5].decode(), token[6].decode())
    following = _following(marks, query)
    decode = unquote_plus if marks.get("EncodingType", "").strip() == "url" else None
    found: list[Entry] = []
    add, make = found.append, tuple.__new__
    for key, etag, size, modified, *_ in rows:
        name = key.decode()
        if decode is not None and ("%" in name or "+" in name):
            name = decode(name)
            if name.endswith("/"):
                return None
        add(make(Entry, (name, int(size), etag.decode() or None, _date(modified.decode()), None, False, True,
                         False, False)))
    prefixes = [_prefix_entry(token[4].decode(), decode) for token in tokens if not token[0] and not token[5]]
    return found + prefixes, following


def _following(marks: dict[str, str], query: dict[str, str]) -> dict[str, str] | None:
    """next_query of a ListObjectsV2 page from the texts of its first markers (read_plain's)."""
    if "Name" not in marks:
        raise ValueError("XML element <Name> not found")
    if marks.get("IsTruncated", "").strip().lower() != "true":
        return None
    token = marks.get("NextContinuationToken")
    if not token:
        raise ValueError("XML element <NextContinuationToken> not found")
    return {**query, "continuation-token": token, "start-after": token}



def _ns(root: ET.Element) -> str:
    """The namespace prefix of the root's tag ("{uri}" or ""): minio looks up every element in it."""
    tag = root.tag
    return tag[:tag.find("}") + 1] if tag.startswith("{") else ""


def _text(root: ET.Element, name: str) -> str | None:
    found = root.find(name)
    return None if found is None else (found.text or "")


def next_query(root: ET.Element, query: dict[str, str], versions: bool) -> dict[str, str] | None:
    """The query of the page after `root`, or None when `root` is the last. As minio: the continuation
    token also goes as start-after (V2); a version listing goes on from NextKeyMarker (URL-decoded when the
    page is and the marker is encoded: _key_marker) and NextVersionIdMarker. A truncated page without its
    marker never gets here: s3/answers.py refuses it on arrival (it would page in a loop)."""
    ns = _ns(root)
    if _text(root, ns + "Name") is None:
        raise ValueError("XML element <Name> not found")
    if (_text(root, ns + "IsTruncated") or "").strip().lower() != "true":
        return None
    following = dict(query)
    if versions:
        marker = _text(root, ns + "NextKeyMarker")
        if not marker:
            raise ValueError("XML element <NextKeyMarker> not found")
        following["key-marker"] = _key_marker(root, ns, marker) if _url_encoded(root, ns) else marker
        version = _text(root, ns + "NextVersionIdMarker")
        following.pop("version-id-marker", None)
        if version:
            following["version-id-marker"] = version
        return following
    token = _text(root, ns + "NextContinuationToken")
    if not token:
        raise ValueError("XML element <NextContinuationToken> not found")
    following["continuation-token"] = following["start-after"] = token
    return following


def _key_marker(root: ET.Element, ns: str, marker: str) -> str:
    """The name a URL-encoded version listing's <NextKeyMarker> stands for. S3 encodes it as it encodes the
    keys; radosgw 16.2 writes the key itself (its keys encoded): decoded, 'cam%7E0999.jpg' became
    'cam~0999.jpg', and the next page started past every key left, which the listing then silently lacked.
    The marker names the page's last entry (a version or delete marker, or a common prefix): the text as
    it is when that is the name of one of them and its decoding is not, else its decoding (S3's)."""
    decoded = unquote_plus(marker)
    if decoded == marker:
        return marker
    fields = {ns + "Version": ns + "Key", ns + "DeleteMarker": ns + "Key", ns + "CommonPrefixes": ns + "Prefix"}
    last = {}  # element name -> the (decoded) name of the page's last element of that kind
    for child in root:
        field = fields.get(child.tag)
        if field is not None:
            last[child.tag] = unquote_plus(child.findtext(field) or "")
    names = set(last.values())
    return marker if marker in names and decoded not in names else decoded


def _url_encoded(root: ET.Element, ns: str) -> bool:
    return (_text(root, ns + "EncodingType") or "").strip() == "url"


def tree_entries(root: ET.Element, versions: bool) -> list[Entry]:
    """The page's objects (or versions and delete markers) in document order, then its common prefixes.
    A ListObjectsV2 page is read the short way (_objects), a version listing the general way."""
    ns = _ns(root)
    decode = unquote_plus if _url_encoded(root, ns) else None
    names = _Names(ns)
    return _general(root, names, decode, versions) if versions else _objects(root, names, decode)


def _objects(root: ET.Element, names: _Names, decode: Callable[[str], str] | None) -> list[Entry]:
    """_general's entries of a ListObjectsV2 page, the common <Contents> read the short way: the children
    in the order the page's first <Contents> has them (_reader), a key that needs no decoding and is no
    folder marker, a size, an ETag and a date already read (_DATES). Any other one (and every error) is
    _entry's. tests/test_listing_fastpaths.py holds the two equal over hostile pages."""
    contents, common = names.contents, names.common
    found: list[Entry] = []
    prefixes: list[Entry] = []
    add, dates, make = found.append, _DATES, tuple.__new__
    read: Callable[[ET.Element], tuple[str | None, ...] | None] | None = None
    for child in root:
        tag = child.tag
        if tag == contents:
            if read is None:
                read = _reader(child, names)
            values = read(child)
            if values is not None:
                key, size, etag, modified = values
                if key and size is not None and modified is not None and key[-1] != "/" \
                        and (decode is None or ("%" not in key and "+" not in key)):
                    when = dates.get(modified)
                    if when is not None:
                        add(make(Entry, (key, int(size), (etag.replace('"', "") or None) if etag else None,
                                         when, None, False, True, False, False)))
                        continue
            add(_entry(child, names, decode, False, False))
        elif tag == common:
            prefixes.append(_prefix(child, names, decode))
    return found + prefixes


def _reader(node: ET.Element, names: _Names) -> Callable[[ET.Element], tuple[str | None, ...] | None]:
    """A function giving the texts of <Key>, <Size>, <ETag> and <LastModified> of an entry whose children
    have exactly the tags `node`'s have, in that order (else None): made once per such order, for the order
    of the page's first entry (a server writes every entry alike). An order without those four once each,
    or with a <VersionId>, gets one that always says None (_entry reads those)."""
    layout = tuple(child.tag for child in node)
    wanted = (names.key, names.size, names.etag, names.modified)
    if any(layout.count(name) != 1 for name in wanted) or names.version in layout:
        return _none
    try:
        return _READERS[layout]
    except KeyError:
        pass
    scope: dict[str, object] = {f"t{at}": tag for at, tag in enumerate(layout)}
    children = "".join(f"c{at}, " for at in range(len(layout)))
    source = ["def read(n):", "    try:", f"        {children}= n", "    except ValueError:", "        return None",
              f"    if {' or '.join(f'c{at}.tag != t{at}' for at in range(len(layout)))}:", "        return None",
              f"    return {', '.join(f'c{layout.index(name)}.text' for name in wanted)}"]
    exec("\n".join(source), scope)
    if len(_READERS) >= 64:
        _READERS.clear()
    reader = cast("Callable[[ET.Element], tuple[str | None, ...] | None]", scope["read"])
    _READERS[layout] = reader
    return reader


def _none(_node: ET.Element) -> None:
    return None


_READERS: dict[tuple[str, ...], Callable[[ET.Element], tuple[str | None, ...] | None]] = {}


def _general(root: ET.Element, names: _Names, decode: Callable[[str], str] | None, versions: bool) -> list[Entry]:
    """Every entry of a page read through _entry (a version listing; tests hold _objects to it)."""
    ns = names.ns
    kinds = {ns + "Version": False, ns + "DeleteMarker": True} if versions else {ns + "Contents": False}
    found: list[Entry] = []
    prefixes: list[Entry] = []
    for child in root:
        marker = kinds.get(child.tag)
        if marker is not None:
            found.append(_entry(child, names, decode, versions, marker))
        elif child.tag == names.common:
            prefixes.append(_prefix(child, names, decode))
    return found + prefixes


def _prefix(node: ET.Element, names: _Names, decode: Callable[[str], str] | None) -> Entry:
    """One <CommonPrefixes>: its <Prefix>, a prefix when it ends in '/' (else an entry of that name)."""
    return _prefix_entry(_required(node.find(names.prefix), "Prefix"), decode)


def _prefix_entry(name: str, decode: Callable[[str], str] | None) -> Entry:
    """_prefix of the text of a <CommonPrefixes>'s first <Prefix>."""
    name = decode(name) if decode else name
    return Entry(name, is_prefix=True) if name.endswith("/") else Entry(name)


class _Names:
    """Element names in the page's namespace, built once a page."""

    __slots__ = ("common", "contents", "etag", "key", "latest", "modified", "ns", "prefix", "size", "version")

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self.key, self.size, self.etag = ns + "Key", ns + "Size", ns + "ETag"
        self.modified, self.version, self.latest = ns + "LastModified", ns + "VersionId", ns + "IsLatest"
        self.common, self.prefix, self.contents = ns + "CommonPrefixes", ns + "Prefix", ns + "Contents"


def _entry(node: ET.Element, names: _Names, decode: Callable[[str], str] | None, versions: bool,
           delete_marker: bool) -> Entry:
    """One <Contents>, <Version> or <DeleteMarker>: one pass over its children. An element that is there
    but empty (<Size/>) is no value: int(None) and the like fail, as minio's int("") did."""
    fields = {child.tag: child.text for child in node}
    found = fields.get(names.key, _ABSENT)
    if found is _ABSENT:
        raise ValueError("XML element <Key> not found")
    key = found or ""
    if decode is not None and ("%" in key or "+" in key):  # without either, unquote_plus gives it back
        key = decode(key)
    size, etag = fields.get(names.size, _ABSENT), fields.get(names.etag)
    if not versions and key.endswith("/") and (size is _ABSENT or not size or not int(size)):
        return Entry(key, is_prefix=True)  # an empty folder marker: the prefix it stands for (minio's is_dir)
    # in a version listing it stays a version (or delete marker) with its id: a marker with two versions
    # would be one prefix listed twice (an "endless" listing), and an erasure would delete it without its id
    # a key ending in "/" that holds bytes (another client stored them there) is an object as any other:
    # listed, fetched or reported skipped with its reason (core/refs.local_name_problem), verified
    modified = fields.get(names.modified, _ABSENT)
    return Entry(key, 0 if size is _ABSENT else int(size),  # type: ignore[arg-type]
                 (etag.replace('"', "") or None) if etag else None,
                 None if modified is _ABSENT else _date(modified),  # type: ignore[arg-type]
                 fields.get(names.version) or None,
                 False, (fields.get(names.latest) or "").lower() == "true" if versions else True, delete_marker)


_ABSENT = "\0absent"  # an element not in the entry (None is one that is there, empty)


def _required(node: ET.Element | None, name: str) -> str:
    if node is None:
        raise ValueError(f"XML element <{name}> not found")
    return node.text or ""


def _date(text: str) -> datetime:
    """An S3 timestamp (2026-12-06T17:20:13.000Z) as an aware UTC datetime; one without a zone is no S3
    timestamp (ValueError: the answer's fault). Remembered by text: the keys of a listing share a few
    seconds (frames written together), and a datetime is immutable."""
    value = _DATES.get(text)
    if value is None:
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            raise ValueError(f"a date without a time zone: {text[:40]!r}")
        value = value.astimezone(UTC)
        if len(_DATES) >= _DATES_MAX:
            _DATES.clear()
        _DATES[text] = value
    return value


_DATES: dict[str, datetime] = {}
_DATES_MAX = 4096
