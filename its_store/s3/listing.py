"""Listings: ListObjectsV2 and ListObjectVersions pages, asked for through S3Client._raw, read by
s3/listing_page.py (a lean parser: a plain page by one regex scan, any other through ElementTree's tree).

The requests are the ones minio's list_objects sends (the same query parameters, `encoding-type=url`, signed
by minio through `_raw`), so every server sees what it saw before; the answer is checked by s3/answers.py
on arrival as every answer is (root element, a truncated page that would page in a loop). The next page is
asked for on a helper thread as soon as the current page's markers are read, so the server lists it while
this one is parsed and handed on (one page ahead: at most two pages in memory).

What the listing accepts is what minio's accepted (listing_page.py says what a page must hold): what a
page's reading raises is the answer's fault (BadAnswerError, through s3/errors.parsing), and so is an
entry no S3 object can be or one outside the prefix asked for (_check).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from its_store.s3 import keys
from its_store.s3.answers import bad_answer
from its_store.s3.errors import parsing, where
from its_store.s3.listing_page import Entry, next_query, parse_page, read_plain, tree_entries

if TYPE_CHECKING:
    from its_store.s3.calls import Raw

__all__ = ["Entry", "list_entries", "parse_page"]

MAX_KEYS = "1000"


def list_entries(raw: Raw, stat: Callable[[str, str, str | None], object], bucket: str, prefix: str,
                 recursive: bool, versions: bool, start_after: str | None) -> Iterator[Entry]:
    """Every entry under `prefix`, page after page, each checked as S3Client.list_objects documents."""
    call = "ListObjectVersions" if versions else "ListObjectsV2"
    place = prefix or None
    query = first_query(prefix, recursive, versions, start_after)
    from its_store.s3.answer_paging import Listed  # here: this module loads with every command, Listed with a listing
    remember = Listed().add
    asked: set[tuple[str | None, ...]] = set()  # every page's markers: one tuple a page, a cycle of any length
    data = raw("GET", bucket, query=query, place=place).data  # most listings are one page: no thread for it
    while True:
        with parsing(bucket, place, call):
            plain = None if versions else read_plain(data, query)
            if plain is None:
                root = ET.fromstring(data)
                following = next_query(root, query, versions)
            else:
                entries, following = plain
            if following is not None:
                once(asked, following, call)
            ahead = _Ahead(raw, bucket, place, following) if following is not None else None  # listed meanwhile
            if plain is None:
                entries = tree_entries(root, versions)
        for entry in entries:  # _check's rules, written out here: this runs for every key
            key = entry.key
            if not key or entry.size < 0:
                _check(entry, call, bucket, place, remember)
            if "\ufffd" not in key:
                if not key.startswith(prefix):
                    _check(entry, call, bucket, place, remember, prefix)
                remember((entry.is_prefix, key, entry.version_id), call)
            elif not keys.within_prefix(key, prefix):
                _check(entry, call, bucket, place, remember, prefix)
            elif not entry.is_prefix:  # keys.garbled: a HEAD tells
                head = partial(stat, bucket, key, entry.version_id if versions else None)
                entry = entry._replace(garbled=keys.garbled(key, head))
            yield entry
        if ahead is None or following is None:
            return
        query, data = following, ahead.result()


def first_query(prefix: str, recursive: bool, versions: bool, start_after: str | None) -> dict[str, str]:
    """The query of a listing's first page: the parameters minio's list_objects sends (ListObjectsV2, or
    ListObjectVersions with `versions`), names URL-encoded, 1,000 keys a page."""
    query = {"versions": ""} if versions else {"list-type": "2"}
    query.update({"delimiter": "" if recursive else "/", "encoding-type": "url", "max-keys": MAX_KEYS,
                  "prefix": prefix})
    if start_after:
        query["key-marker" if versions else "start-after"] = start_after
    return query


MARKERS = ("continuation-token", "key-marker", "version-id-marker")  # where an object listing's next page starts


def once(asked: set[tuple[str | None, ...]], following: dict[str, str], call: str,
         names: tuple[str, ...] = MARKERS) -> None:
    """Remember the markers (`names` of the query `following`) of the page about to be asked for;
    endless_listing when they were asked for before: the server pages in a cycle (tokens A, B, ..., A),
    however many entries it spans (Listed's window of entries only sees a cycle of up to 10,000). The one
    rule of every paged listing: objects, versions, multipart uploads, parts (s3/multipart.py)."""
    marker = tuple(following.get(name) for name in names)
    if marker in asked:
        from its_store.s3.answer_paging import endless_listing
        raise endless_listing(call, "it gave a continuation marker it had already given (its pages cycle)")
    asked.add(marker)


class _Ahead:
    """One page asked for on a helper thread: result() waits for its body, or raises what the request
    raised (an ItsStoreError, placed by _raw). Abandoned (the listing was not read to its end), the
    thread still finishes its one request and the answer is dropped; its connection goes back to the pool
    (_raw reads the whole body)."""

    __slots__ = ("_body", "_done", "_error")

    def __init__(self, raw: Raw, bucket: str, place: str | None, query: dict[str, str]) -> None:
        self._done = threading.Event()
        self._body: bytes = b""
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(raw, bucket, place, dict(query)), name="its-list",
                         daemon=True).start()

    def _run(self, raw: Raw, bucket: str, place: str | None, query: dict[str, str]) -> None:
        try:
            self._body = raw("GET", bucket, query=query, place=place).data
        except BaseException as exc:  # noqa: BLE001 - handed to the reader's thread by result()
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> bytes:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._body


def _check(entry: Entry, call: str, bucket: str, place: str | None,
           remember: Callable[[tuple[bool, str, str | None], str], None], prefix: str = "") -> None:
    """An entry no S3 object can be (an empty key, a negative size) is BadAnswerError, as is one outside
    the prefix asked for (S3 lists only keys that begin with it: every caller cuts the prefix off, and
    sync --delete deleted such a key outside DEST); one listed twice pages in a loop (`remember`: the add
    of the listing's answer_paging.Listed). A name with U+FFFD is a server's stand-in for bytes it could not
    list, which several keys may share: not remembered, and held to the prefix where it does not stand for a
    character of it (keys.within_prefix)."""
    if not entry.key or entry.size < 0:
        raise bad_answer(call, "an entry with an empty key" if not entry.key else
                         f"an entry with a negative size ({entry.size})", where(bucket, place))
    if not keys.within_prefix(entry.key, prefix):
        raise bad_answer(call, f"an entry outside the prefix asked for ({entry.key!r})", where(bucket, place))
    if entry.key.find("\ufffd") < 0:
        remember((entry.is_prefix, entry.key, entry.version_id), call)
