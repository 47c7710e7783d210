"""The listing answers that would never end: a truncated page that sends the client back where it was
(`paging`, checked as each page arrives: s3/answers.check), and entries yielded twice by pages that cycle
(`Listed`, as s3/listing.py yields them). minio follows whatever a page says, so such a server (or a proxy)
would make it ask for the same pages forever; both are ServiceUnavailableError (exit 69, `endless_listing`).
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from its_store.core import errors as E
from its_store.s3.call_names import PAGING


@functools.cache
def _truncated() -> re.Pattern[bytes]:
    return re.compile(rb"<(?:[\w.-]+:)?IsTruncated>\s*true\s*<", re.I)


@functools.cache
def _url_encoded() -> re.Pattern[bytes]:
    return re.compile(rb"<(?:[\w.-]+:)?EncodingType>\s*url\s*<")


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
    for param, element in PAGING[name]:
        found = _first(re.compile(rb"<(?:[\w.-]+:)?" + element.encode() + rb">([^<]*)<"), element.encode() + b">",
                       body)
        value = _unescaped(found.group(1).decode("utf-8", "replace")) if found else ""
        if encoded and element == "NextKeyMarker":
            value = unquote_plus(value)
        asked.append(query.get(param, ""))
        given.append(value)
    first = PAGING[name][0][1]
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

