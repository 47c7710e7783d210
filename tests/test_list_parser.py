"""The lean listing parser (s3/listing.py, issue 22 W6): minio's list parser cost ~60-75 µs a key, ours ~8.

What it must keep: names URL-decoded exactly when the page says <EncodingType>url (the hostile keys of
tests/test_hostile_keys.py round-trip on every real server), a folder marker listed as a prefix, the
markers of the next page as minio sent them, and a clear error (bad_server_answer, exit 1, naming the call)
for a page that is not what S3 sends, also when it is not the first page. What it adds: the server's order
in a version listing (minio put every delete marker of a page after its versions), and the next page asked
for while the current one is handed on, never more than one page ahead.

The parser is tested on page bytes (no server); paging, errors and order through the CLI against
tests/faultserver.py, whose handler serves a listing of KEYS three entries a page.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

import pytest
from faultserver import XML, Conn, FaultServer, Request, response

from its_store.s3.listing import parse_page

from conftest import ServerInfo, cli_runner, environment_for, one_line_error

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
BUCKET = "lister"
DATE = "2026-12-06T13:00:00.000Z"
KEYS = [f"p/k{i:02d}" for i in range(8)]
PAGE = 3


def contents(key: str, size: str = "5", date: str = DATE, tag: str = "Contents", extra: str = "") -> str:
    return (f"<{tag}><Key>{escape(key)}</Key><LastModified>{date}</LastModified><ETag>&quot;d41d8cd98f00b204e9800998"
            f"ecf8427e&quot;</ETag><Size>{size}</Size>{extra}<StorageClass>STANDARD</StorageClass></{tag}>")


def page(body: str, *, root: str = "ListBucketResult", truncated: bool = False, marks: str = "",
         encoded: bool = False) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><{root} {NS}><Name>{BUCKET}</Name><Prefix></Prefix>'
            f"<MaxKeys>1000</MaxKeys>{'<EncodingType>url</EncodingType>' if encoded else ''}"
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{marks}{body}</{root}>").encode()


# -- the parser, on page bytes ----------------------------------------------------------------------
def test_url_encoded_names_come_back_exactly() -> None:
    names = ["a b+c", "ctl\x01\x1f/x", "pct%41", "uni\u00e9\u2603", "nl\nline", "cr\rx", "amp&<>"]
    prefix = "dir \x02+/"
    got = parse_page(page("".join(contents(quote_plus(n, safe="/")) for n in names)
                          + f"<CommonPrefixes><Prefix>{quote_plus(prefix, safe='/')}</Prefix></CommonPrefixes>",
                          encoded=True), versions=False)
    assert [e.key for e in got.entries] == [*names, prefix]
    assert got.entries[-1].is_prefix and not any(e.is_prefix for e in got.entries[:-1])
    plain = parse_page(page(contents("a+b%41")), versions=False)  # no <EncodingType>url: taken as is
    assert [e.key for e in plain.entries] == ["a+b%41"]


def test_entries_carry_what_minio_gave() -> None:
    entry, marker = parse_page(page(contents("p/a.bin") + contents("p/folder/", size="0")), versions=False).entries
    assert (entry.key, entry.size, entry.etag, entry.version_id, entry.is_latest) == (
        "p/a.bin", 5, "d41d8cd98f00b204e9800998ecf8427e", None, True)
    assert entry.last_modified is not None and entry.last_modified.isoformat() == "2026-12-06T13:00:00+00:00"
    assert marker.key == "p/folder/" and marker.is_prefix  # a folder marker object: a prefix, as minio's is_dir


def test_next_page_markers_as_minio_sent_them() -> None:
    v2 = parse_page(page(contents("a"), truncated=True, marks="<NextContinuationToken>T1</NextContinuationToken>"),
                    versions=False)
    assert v2.next == {"continuation-token": "T1", "start-after": "T1"}
    marks = "<NextKeyMarker>a%20b</NextKeyMarker><NextVersionIdMarker>v9</NextVersionIdMarker>"
    versions = parse_page(page("", root="ListVersionsResult", truncated=True, marks=marks, encoded=True),
                          versions=True)
    assert versions.next == {"key-marker": "a b", "version-id-marker": "v9"}
    assert parse_page(page(contents("a")), versions=False).next is None


def test_a_version_listing_keeps_the_servers_order() -> None:
    body = (contents("k", tag="DeleteMarker", extra="<VersionId>v3</VersionId><IsLatest>true</IsLatest>")
            + contents("k", extra="<VersionId>v2</VersionId><IsLatest>false</IsLatest>", tag="Version")
            + contents("m", extra="<VersionId>v1</VersionId><IsLatest>true</IsLatest>", tag="Version"))
    got = parse_page(page(body, root="ListVersionsResult"), versions=True).entries
    assert [(e.key, e.version_id, e.is_delete_marker, e.is_latest) for e in got] == [
        ("k", "v3", True, True), ("k", "v2", False, False), ("m", "v1", False, True)]


def test_dates_are_exact_however_often_a_page_repeats_them() -> None:
    """s3/listing_page._date remembers what it read by text (a listing repeats a few seconds): each entry still
    gets its own time, in UTC, and a bounded memory (more distinct dates than it keeps) changes nothing."""
    from datetime import UTC, datetime, timedelta
    texts = [DATE, DATE, "2026-12-06T15:00:00.250+02:00", DATE, "2026-12-06T13:00:00Z"]
    got = parse_page(page("".join(contents(f"k{i}", date=d) for i, d in enumerate(texts))), versions=False)
    assert [e.last_modified for e in got.entries] == [datetime(2026, 12, 6, 13, tzinfo=UTC)] * 2 + [
        datetime(2026, 12, 6, 13, 0, 0, 250000, tzinfo=UTC)] + [datetime(2026, 12, 6, 13, tzinfo=UTC)] * 2
    assert all(e.last_modified.tzinfo is UTC for e in got.entries)  # type: ignore[union-attr]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    many = [start + timedelta(seconds=i) for i in range(5000)]
    body = "".join(contents(f"m{i}", date=d.strftime("%Y-%m-%dT%H:%M:%S.000Z")) for i, d in enumerate(many))
    assert [e.last_modified for e in parse_page(page(body), versions=False).entries] == many


BAD_PAGES = {
    "no Name": page(contents("a")).replace(f"<Name>{BUCKET}</Name>".encode(), b""),
    "no Key": page(contents("a").replace("<Key>a</Key>", "")),
    "size not a number": page(contents("a", size="many")),
    "empty size": page(contents("a").replace("<Size>5</Size>", "<Size/>")),
    "date not a date": page(contents("a", date="yesterday")),
    "date without a zone": page(contents("a", date="2026-12-06T13:00:00")),
    "empty date": page(contents("a").replace(f"<LastModified>{DATE}</LastModified>", "<LastModified/>")),
    "prefix without Prefix": page("<CommonPrefixes></CommonPrefixes>"),
    "truncated XML": page(contents("a") + contents("b"))[:200],
}


@pytest.mark.parametrize("form", list(BAD_PAGES))
def test_a_malformed_page_is_a_reading_error(form: str) -> None:
    """Each is one of the errors s3/errors.parsing() turns into BadAnswerError (the CLI tests below)."""
    from its_store.s3.errors import _READING_ERRORS
    with pytest.raises(_READING_ERRORS):
        parse_page(BAD_PAGES[form], versions=False)


# -- paging and errors through the CLI, against the fault server --------------------------------------
def listing_page(req: Request, settings: dict[str, Any]) -> bytes:
    """The page of KEYS that `req` asks for (PAGE entries; the token is the index to go on from), or the
    garbage `settings["bad"]` holds for the page numbered `settings["bad_page"]` (0 = the first)."""
    start = int(req.query.get("continuation-token") or 0)
    keys, size = settings.get("keys", KEYS), settings.get("page", PAGE)
    settings["frozen"].append((start, gc.get_freeze_count()))  # the fixture's server runs in the test's process
    if settings.get("bad") is not None and start == settings["bad_page"] * size:
        return response(200, settings["bad"], content_type=XML)
    if "versions" in req.query:
        return response(200, page(settings["versions_body"], root="ListVersionsResult"), content_type=XML)
    end = start + size
    marks = f"<NextContinuationToken>{end}</NextContinuationToken>" if end < len(keys) else ""
    return response(200, page("".join(contents(k) for k in keys[start:end]), truncated=end < len(keys),
                              marks=marks), content_type=XML)


@pytest.fixture
def lister(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[tuple[FaultServer, Any, dict[str, Any]]]:
    settings: dict[str, Any] = {"bad": None, "bad_page": 0, "versions_body": "", "frozen": []}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        listing = req.method == "GET" and not req.key and ("list-type" in req.query or "versions" in req.query)
        if listing:
            conn.send(listing_page(req, settings))
        return listing

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        info = ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123")
        env = environment_for(info, {n: BUCKET for n in ("default", "video", "models", "logs")}, monkeypatch,
                              tmp_path)
        yield server, cli_runner(env), settings


def listings(server: FaultServer) -> list[Request]:
    return server.seen("GET", lambda r: not r.key and ("list-type" in r.query or "versions" in r.query))


def test_each_page_is_asked_for_once_and_entries_come_in_order(lister: Any) -> None:
    server, cli, _ = lister
    run = cli("ls", "-r", "--json", f"s3://{BUCKET}/p/")
    assert run.exit_code == 0, run
    assert [json.loads(line)["key"] for line in run.stdout.splitlines()] == KEYS
    asked = listings(server)
    assert len(asked) == -(-len(KEYS) // PAGE), [r.target for r in asked]
    assert [r.query.get("continuation-token") for r in asked] == [None, "3", "6"]
    assert all(r.query["encoding-type"] == "url" and r.query["max-keys"] == "1000" for r in asked)


def test_a_listing_left_early_asks_for_one_page_ahead_at_most(lister: Any) -> None:
    server, _, _ = lister
    from its_store.core.settings import load_settings
    from its_store.s3.client import S3Client
    s3 = S3Client(load_settings())
    entries = s3.list_objects(BUCKET, "p/")
    assert next(entries).key == KEYS[0]
    entries.close()  # the helper thread may still be asking for page 2; never for page 3
    s3.close()
    assert len(listings(server)) <= 2


@pytest.mark.parametrize("bad_page", [0, 1])
@pytest.mark.parametrize("form", ["date without a zone", "empty size", "truncated XML", "no Name"])
def test_a_malformed_page_is_one_clear_error(lister: Any, form: str, bad_page: int) -> None:
    _, cli, settings = lister
    settings.update(bad=BAD_PAGES[form], bad_page=bad_page)
    run = cli("ls", "-r", f"s3://{BUCKET}/p/")
    assert run.exit_code == 1, run
    line = one_line_error(run)
    assert "ListObjectsV2" in line and "not valid S3" in line, line
    assert len(run.stdout.splitlines()) == bad_page * PAGE  # the good pages before it, nothing after


def test_ls_versions_shows_the_servers_order(lister: Any) -> None:
    """A delete marker that hides a key comes first, as the server lists it (newest first per key)."""
    _, cli, settings = lister
    settings["versions_body"] = (
        contents("p/k", tag="DeleteMarker", extra="<VersionId>v3</VersionId><IsLatest>true</IsLatest>")
        + contents("p/k", tag="Version", extra="<VersionId>v2</VersionId><IsLatest>false</IsLatest>"))
    run = cli("ls", "-r", "--versions", "--json", f"s3://{BUCKET}/p/")
    assert run.exit_code == 0, run
    got = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(v["version_id"], v["is_delete_marker"]) for v in got] == [("v3", True), ("v2", False)]


@pytest.mark.usefixtures("unfrozen_heap")
@pytest.mark.parametrize("bad", [False, True])
def test_a_long_ls_keeps_the_collector_off_what_the_process_held_before(lister: Any, bad: bool) -> None:
    """cli ls writes a long listing with the objects alive before it frozen from its LARGE-th key on (gc.freeze:
    a full collection then walks only the listing's own objects, not those of every imported module), and
    unfreezes them after, also when the listing fails: a process that goes on collects everything again.
    Pages of 100 keys, one listed ahead (s3/listing.py): the pages from key 400 on are asked for after the
    LARGE-th key (256) was drawn."""
    from its_store.core.heap import LARGE
    _, cli, settings = lister
    settings.update(keys=[f"p/k{i:03d}" for i in range(600)], page=100, bad_page=5,
                    bad=BAD_PAGES["empty size"] if bad else None)
    assert LARGE < 300
    for args in (["--json"], []):
        settings["frozen"].clear()
        run = cli("ls", "-r", *args, f"s3://{BUCKET}/p/")
        assert run.exit_code == (1 if bad else 0), run
        frozen = dict(settings["frozen"])
        assert sorted(frozen) == [0, 100, 200, 300, 400, 500], frozen
        assert frozen[0] == 0, "frozen before the listing was long"
        assert frozen[400] > 0 and frozen[500] > 0, frozen
        assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("unfrozen_heap")
def test_a_short_ls_freezes_nothing(lister: Any) -> None:
    """8 keys: no freeze (nor the walks of every frozen object it costs) for a short listing."""
    _, cli, settings = lister
    for args in (["--json"], []):
        settings["frozen"].clear()
        run = cli("ls", "-r", *args, f"s3://{BUCKET}/p/")
        assert run.exit_code == 0 and run.stdout.count("p/k") == len(KEYS), run
        assert [count for _, count in settings["frozen"]] == [0, 0, 0], settings["frozen"]
