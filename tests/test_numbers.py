"""Numbers read from text that comes in (issue 19, "promises kept on every path"): one rule for all of
them, core/units.is_uint / parse_uint / read_uint: ASCII digits 0-9 and nothing else.

`str.isdigit()` says yes to "²" and "٣"; `int()` then refuses the first and reads the second as 3, takes
" 12", "+5", "1_000" and the full-width "９", and raises on more than 4,300 digits. Each class of input
is fed the same hostile numbers (BAD) through the real CLI, on tests/faultserver.py where a server
answer is needed, and must end as documented: a flag, exit 2 naming it; a MINIO_* variable, exit 78
naming it; a server answer that breaks the spec, `bad_server_answer` (exit 1) naming the call; our own
metadata on an object that is no number, "unknown" as if absent (the object is fetched, verified by what
is left); a local state file, one warning and rebuilt (or, for the audit ship state, which must not
re-ship, one error line). Never "unexpected", never a traceback.

Where a value is a fine number after all, the test says why (a whole flag value is trimmed, as
`--shard " 3/4 "` is; XML integers may carry blanks; SQLite's integer affinity reads " 12" as 12).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import XML, FakeObject, FaultServer, multipart_etag, response

from conftest import ServerInfo, cli_runner, environment_for, one_line_error

BAD = {"sup2": "²", "arabic3": "٣", "exp": "1e3", "blank": " 12", "neg": "-1", "empty": "", "hex": "0x10",
       "fullwidth9": "９", "long": "9" * 5000}
BUCKETS = {"default": "num", "video": "num-video", "models": "num-models", "logs": "num-logs"}
DATA = b"hello numbers"


def latin(value: str) -> str:
    """`value` as a header can carry it: a character outside Latin-1 goes as its UTF-8 bytes, which the
    client reads as Latin-1 (what a server that writes UTF-8 into a header really produces)."""
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")


@pytest.fixture(scope="module")
def fake() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def cli(fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    """cli(...) on the fake server (reset: the four buckets, nothing else, no requests seen), without retries."""
    with fake._lock:
        fake.requests.clear()
    fake.garble.clear()
    fake.handler = None
    fake.objects.clear()
    fake.uploads.clear()
    fake.configs.clear()
    fake.locked = set()
    fake.buckets = set(BUCKETS.values())
    env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS, monkeypatch,
                          tmp_path)
    monkeypatch.setenv("MINIO_MAX_RETRIES", "0")
    monkeypatch.setenv("MINIO_ENABLE_CACHING", "false")
    return cli_runner(env)


def state_dir(tmp_path: Path) -> Path:
    """MINIO_CACHE_DIR of environment_for."""
    return tmp_path.parent / f"{tmp_path.name}-state" / "cache"


def no_unexpected(run: Any) -> None:
    text = run.stdout + run.stderr
    assert "unexpected" not in text and "internal_error" not in text and "Traceback" not in text, run


def refused(run: Any, code: int, *names: str) -> str:
    """One error line (with --json: one error document, stderr quiet), exit `code`, naming each of `names`."""
    no_unexpected(run)
    assert run.exit_code == code, run
    if run.stdout.startswith('{"error"'):
        assert not run.stderr.strip() and len(run.stdout.strip().splitlines()) == 1, run
        line = run.json()["error"]["message"]
    else:
        line = one_line_error(run)
    for name in names:
        assert name in line, line
    return line


def answering(call: str, doc: bytes) -> Callable[[FaultServer, Any, Any], bool]:
    """A fault-server handler that answers the S3 call `call` with the XML document `doc` (200)."""
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if s3_call(req) != call:
            return False
        conn.send(response(200, doc, content_type=XML))
        return True
    return handler


def failed_upload(cli: Any, fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A resumable multipart upload of big.bin (3 KiB, 1 KiB parts) whose completion failed (an HTML 502):
    its parts and its journal record stay for `upload --resume`."""
    monkeypatch.setenv("MINIO_MULTIPART_THRESHOLD", "1KiB")
    (tmp_path / "big.bin").write_bytes(bytes(range(256)) * 12)
    fake.garble["CompleteMultipartUpload"] = "html502"
    assert cli("upload", "--resume", "--compress", "none", "big.bin", "s3://num/big.bin").exit_code == 69
    fake.garble.clear()


def warnings(run: Any) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("its-store: warning: ")]


# ------------------------------------------------------------------------------------------ flags: exit 2
FLAGS = {  # flag -> (command with {v}, {name of a BAD value that is fine: why})
    "--range": (("get", "s3://num/k", "out.bin", "--range", "0-{v}"), {"empty": "0- is START-: to the end"}),
    "--shard": (("verify", "s3://num/", "-r", "--shard", "0/{v}"), {}),
    "--min-size": (("ls", "s3://num/", "--min-size", "{v}"),
                   {"blank": "a whole value is trimmed", "empty": "an empty flag is no filter"}),
    "--newer-than": (("ls", "s3://num/", "--newer-than", "{v}"),
                     {"blank": "a whole value is trimmed", "empty": "an empty flag is no filter"}),
    "--retain": (("upload", "f.txt", "s3://num/f.txt", "--retain", "{v}d"), {"blank": "a whole value is trimmed"}),
}


@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("name", BAD)
def test_a_flag_with_a_number_that_is_not_one(cli: Any, fake: FaultServer, tmp_path: Path, flag: str,
                                              name: str) -> None:
    """`get --range ²-3` and `verify --shard ²/3` ended in "unexpected ValueError"; `--newer-than ٣` was 3
    seconds, `--min-size` of 5,000 nines an OverflowError. Each is now exit 2 naming the flag."""
    template, accepted = FLAGS[flag]
    fake.put_object("num", "k", FakeObject(DATA))
    (tmp_path / "f.txt").write_bytes(DATA)
    run = cli(*(arg.replace("{v}", BAD[name]) for arg in template))
    if name in accepted:
        no_unexpected(run)
        assert flag not in run.stderr, (accepted[name], run)
        return
    refused(run, 2, flag)


# ----------------------------------------------------------------------------------- settings: exit 78
SETTINGS = {  # variable -> (value with {v}, {name of a BAD value that is fine: why})
    "MINIO_ENDPOINT": ("{endpoint}:{v}", {}),
    "MINIO_MAX_WORKERS": ("{v}", {"blank": "a whole value is trimmed"}),
    "MINIO_PART_SIZE": ("{v}", {"blank": "a whole value is trimmed"}),
    "MINIO_CACHE_TTL": ("{v}", {"blank": "a whole value is trimmed"}),
}


@pytest.mark.parametrize("variable", SETTINGS)
@pytest.mark.parametrize("name", BAD)
def test_a_setting_with_a_number_that_is_not_one(cli: Any, fake: FaultServer, monkeypatch: pytest.MonkeyPatch,
                                                 variable: str, name: str) -> None:
    """MINIO_ENDPOINT=host:² printed int()'s own words; MINIO_MAX_WORKERS=1_0 was 10 and "+7" 7. Each is
    one line naming the variable, exit 78."""
    template, accepted = SETTINGS[variable]
    monkeypatch.setenv(variable, template.replace("{endpoint}", "127.0.0.1").replace("{v}", BAD[name]))
    run = cli("ls", "s3://num/")
    if name in accepted:
        assert run.exit_code == 0, (accepted[name], run)
        return
    refused(run, 78, variable)


def test_a_timeout_that_is_not_finite_is_a_config_error(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """MINIO_READ_TIMEOUT=inf passed validation and ended in "unexpected error: OverflowError" in urllib3."""
    for value in ("inf", "nan", "1e300"):
        monkeypatch.setenv("MINIO_READ_TIMEOUT", value)
        refused(cli("ls", "s3://num/"), 78, "MINIO_READ_TIMEOUT")


# -------------------------------------------- our metadata on an object: not a number is unknown (absent)
@pytest.mark.parametrize("name", BAD)
def test_a_part_size_in_metadata_that_is_not_a_number(cli: Any, fake: FaultServer, tmp_path: Path, name: str) -> None:
    """x-amz-meta-its-part-size "²" on an object with a multipart ETag: `get`, `get -r`, `get -` and
    `stat` ended in "unexpected ValueError". The part size is now unknown, as when absent: the object is
    fetched (its multipart ETag cannot be checked without it, so --json says verified: false)."""
    etag = multipart_etag(DATA, 5)
    fake.put_object("num", "d/k", FakeObject(DATA, etag=etag, headers={"x-amz-meta-its-part-size": latin(BAD[name])}))
    for args in (("get", "s3://num/d/k", "one.bin", "--json"), ("get", "-r", "s3://num/d/", "all"),
                 ("get", "s3://num/d/k", "-"), ("stat", "s3://num/d/k", "--json")):
        run = cli(*args)
        no_unexpected(run)
        assert run.exit_code == 0, (args, run)
    assert (tmp_path / "one.bin").read_bytes() == DATA and (tmp_path / "all" / "k").read_bytes() == DATA
    assert cli("get", "s3://num/d/k", "two.bin", "--json").json()["verified"] is False


@pytest.mark.parametrize("name", BAD)
def test_an_original_size_in_metadata_that_is_not_a_number(cli: Any, fake: FaultServer, tmp_path: Path,
                                                           name: str) -> None:
    """x-amz-meta-its-original-size "²" (codec none, its-sha256 right): the size is unknown, the sha256
    still checks the bytes; stat says original_size null."""
    sha = hashlib.sha256(DATA).hexdigest()
    meta = {"x-amz-meta-its-original-size": latin(BAD[name]), "x-amz-meta-its-codec": "none",
            "x-amz-meta-its-sha256": sha}
    fake.put_object("num", "o", FakeObject(DATA, headers=meta))
    run = cli("get", "s3://num/o", "o.bin", "--json")
    if name == "blank":  # HTTP drops the blanks around a header value: "12", a number, and not this size
        refused(run, 4, "more than its recorded size (12 bytes)")
        return
    no_unexpected(run)
    assert run.exit_code == 0 and run.json()["verified"] is True, run
    stat = cli("stat", "s3://num/o", "--json")
    assert stat.exit_code == 0 and stat.json()["original_size"] is None, stat


@pytest.mark.parametrize("name", BAD)
def test_an_mtime_in_metadata_that_is_not_a_number(cli: Any, fake: FaultServer, tmp_path: Path, name: str) -> None:
    """x-amz-meta-mtime "²" (rclone's seconds.nanoseconds) made `sync s3://... dir` end unexpected."""
    fake.put_object("num", "s/k", FakeObject(DATA, headers={"x-amz-meta-mtime": latin(BAD[name])}))
    run = cli("sync", "s3://num/s/", "here")
    no_unexpected(run)
    assert run.exit_code == 0 and (tmp_path / "here" / "k").read_bytes() == DATA, run


@pytest.mark.parametrize("name", BAD)
def test_a_checksum_part_count_that_is_not_a_number(cli: Any, fake: FaultServer, tmp_path: Path, name: str) -> None:
    """x-amz-checksum-crc32 "AAAAAA==-²" (a composite checksum's part count): the count is checked with
    the ASCII rule before int(); a count that is none leaves the object unverifiable, not unexpected."""
    fake.put_object("num", "c", FakeObject(DATA, etag=multipart_etag(DATA, 5), headers={
        "x-amz-meta-its-part-size": "5", "x-amz-checksum-crc32": "AAAAAA==-" + latin(BAD[name]),
        "x-amz-checksum-type": "COMPOSITE"}))
    run = cli("get", "s3://num/c", "c.bin", "--json")
    no_unexpected(run)
    assert run.exit_code == 0 and (tmp_path / "c.bin").read_bytes() == DATA, run


@pytest.mark.parametrize("name", BAD)
def test_a_get_answer_whose_length_is_not_a_number_takes_the_regular_path(cli: Any, fake: FaultServer,
                                                                          tmp_path: Path, name: str) -> None:
    """`get -r` fetches a small listed object with one GET whose headers stand in for a HEAD. Its
    Content-Length "²" ended in "unexpected ValueError" (small_head's int()); a length that is not a
    number is now "unknown", as a missing one: the object takes the regular path (HEAD, then GET). A blank
    one ("1 2": HTTP drops the blanks, "12", one byte short of the listed 13) is a number that is not the
    listed size: since session 32 (fetch.open_answer holds the answer to the listed size) that too takes the
    regular path, where the second GET is held to the HEAD's size: the object arrives whole and verified
    (it was exit 4 before, the object refused outright)."""
    fake.put_object("num", "g/k", FakeObject(DATA))

    def get_once(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "GET" or req.key != "g/k" or len(server.seen("GET", lambda r: r.key == "g/k")) > 1:
            return False
        conn.send(response(200, DATA, headers={"ETag": f'"{hashlib.md5(DATA).hexdigest()}"',
                                               "Content-Length": latin(BAD[name])}))
        conn.close()  # no length to frame the body: it ends with the connection
        return True

    fake.handler = get_once
    run = cli("get", "-r", "s3://num/g/", "out")
    no_unexpected(run)
    assert run.exit_code == 0 and (tmp_path / "out" / "k").read_bytes() == DATA, run
    assert [r.method for r in fake.requests if r.key == "g/k"] == ["GET", "HEAD", "GET"], run


# ------------------------------------------------------- server answers that break the spec: exit 1
@pytest.mark.parametrize("name", BAD)
def test_a_head_content_length_that_is_not_a_number(cli: Any, fake: FaultServer, name: str) -> None:
    """A HEAD answered with Content-Length "-1" was read as a size of -1 (minio's int() takes it)."""
    fake.put_object("num", "h", FakeObject(DATA))

    def head(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "HEAD" or req.key != "h":
            return False
        conn.send(response(200, headers={"ETag": f'"{hashlib.md5(DATA).hexdigest()}"',
                                         "Content-Length": latin(BAD[name]),
                                         "Last-Modified": "Mon, 07 Dec 2026 10:00:00 GMT"}, head=True))
        return True

    fake.handler = head
    run = cli("stat", "s3://num/h", "--json")
    fine = {"blank": "HTTP drops the blanks around a header value"}
    if name in fine:
        assert run.exit_code == 0 and run.json()["size"] == 12, (fine[name], run)
        return
    refused(run, 1, "HeadObject", "is not valid S3")


@pytest.mark.parametrize("name", BAD)
def test_object_lock_days_that_are_not_a_number(cli: Any, fake: FaultServer, name: str) -> None:
    """<Days>²</Days> in GetObjectLockConfiguration: int()'s own words as the reason; <Days>٣</Days> was 3."""
    doc = ('<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/'
           '2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE'
           f"</Mode><Days>{BAD[name]}</Days></DefaultRetention></Rule></ObjectLockConfiguration>").encode()

    fake.handler = answering("GetObjectLockConfiguration", doc)
    run = cli("bucket", "retention", "show", "s3://num", "--json")
    fine = {"blank": "an XML integer may carry blanks (xs:integer)", "empty": "an empty <Days> is no default period"}
    if name in fine:
        assert run.exit_code == 0, (fine[name], run)
        return
    refused(run, 1, "GetObjectLockConfiguration", "<Days>")


@pytest.mark.parametrize("name", BAD)
def test_list_parts_with_a_part_number_that_is_not_one(cli: Any, fake: FaultServer, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path, name: str) -> None:
    """`upload --resume` reads the parts already stored (ListParts): a <PartNumber> of "٣" was part 3,
    "-1" part -1 (a read before the file's start), "²" unexpected. Now bad_server_answer naming ListParts;
    nothing is stored under the key."""
    failed_upload(cli, fake, monkeypatch, tmp_path)
    doc = ('<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           f"<IsTruncated>false</IsTruncated><Part><PartNumber>{BAD[name]}</PartNumber><ETag>&quot;{'0' * 32}&quot;"
           "</ETag><Size>3072</Size></Part></ListPartsResult>").encode()

    fake.handler = answering("ListParts", doc)
    run = cli("upload", "--resume", "--compress", "none", "big.bin", "s3://num/big.bin")
    assert fake.seen(predicate=lambda r: s3_call(r) == "ListParts"), "the resume never listed the parts"
    if name == "blank":  # an XML integer may carry blanks (xs:integer): part 12, not in this file, sent again
        assert run.exit_code == 0, run
        return
    refused(run, 1, "ListParts", "PartNumber")
    assert ("num", "big.bin") not in fake.objects


# ---------------------------------------------------------- local state files: one warning, rebuilt
SQLITE_NUMBERS = {"blank": "SQLite's integer affinity stores ' 12' as the integer 12: a number (a wrong one)",
                  "exp": "SQLite's integer affinity stores '1e3' as the integer 1000"}


@pytest.mark.parametrize("name", BAD)
def test_a_sync_state_entry_whose_size_is_not_a_number(cli: Any, fake: FaultServer, tmp_path: Path, name: str) -> None:
    """The sync state (SQLite keeps whatever it is given) with a size "²" in an entry: the entry is not
    used (one warning), the HEAD taken instead writes it again: the next run is quiet."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(DATA)
    assert cli("sync", "src", "s3://num/s/").exit_code == 0
    db = sqlite3.connect(state_dir(tmp_path) / "sync-state.sqlite")
    with db:
        assert db.execute("UPDATE objects SET size = ?", (BAD[name],)).rowcount == 1
    db.close()
    run = cli("sync", "src", "s3://num/s/")
    no_unexpected(run)
    assert run.exit_code == 0, run
    fine = name in SQLITE_NUMBERS
    assert len(warnings(run)) == (0 if fine else 1), run
    if not fine:
        assert "sync state" in warnings(run)[0], run
    again = cli("sync", "src", "s3://num/s/")
    assert again.exit_code == 0 and not warnings(again), again


def test_a_sync_state_file_that_is_not_a_database_is_set_aside_and_rebuilt(cli: Any, fake: FaultServer,
                                                                            tmp_path: Path) -> None:
    """It was opened, failed, and left the store off on every run from then on, silently."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(DATA)
    path = state_dir(tmp_path) / "sync-state.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database " * 512)
    run = cli("sync", "src", "s3://num/s/")
    assert run.exit_code == 0 and len(warnings(run)) == 1 and "set it aside" in warnings(run)[0], run
    assert path.with_name(path.name + ".corrupt").read_bytes().startswith(b"not a database")
    heads = len(fake.seen("HEAD", lambda r: r.key == "s/a.txt"))
    again = cli("sync", "src", "s3://num/s/")
    assert again.exit_code == 0 and not warnings(again), again
    assert len(fake.seen("HEAD", lambda r: r.key == "s/a.txt")) == heads, "the rebuilt state spares the HEADs"


@pytest.mark.parametrize("name", BAD)
def test_an_upload_journal_whose_numbers_are_not_numbers(cli: Any, fake: FaultServer, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path, name: str) -> None:
    """A journal record (transfer/resume.py) whose size and part size are "²": not the same source, so
    the file is sent anew. The old upload is forgotten, not aborted: its Complete was sent (failed_upload:
    the answer an HTML 502), so it may still run (resume.UploadJournal.completing)."""
    failed_upload(cli, fake, monkeypatch, tmp_path)
    [record_path] = (state_dir(tmp_path) / "uploads").glob("*.json")
    record = json.loads(record_path.read_text())
    record.update(size=BAD[name], part_size=BAD[name], mtime_ns=BAD[name])
    record_path.write_text(json.dumps(record))
    run = cli("upload", "--resume", "--compress", "none", "big.bin", "s3://num/big.bin")
    no_unexpected(run)
    assert run.exit_code == 0 and fake.objects[("num", "big.bin")].data == bytes(range(256)) * 12, run
    assert not fake.seen("DELETE", lambda r: r.query.get("uploadId") == record["upload_id"]), "completing: aborted"
    assert not record_path.exists(), "the old record is forgotten"


@pytest.mark.parametrize("content", [b"{not json", b'{"upload_id": 5}', b'{"upload_id": "a\\nb"}', b"\xff\xfe"],
                         ids=["not-json", "number-id", "control-char-id", "not-utf8"])
def test_an_unusable_upload_journal_is_removed_with_a_warning(cli: Any, fake: FaultServer,
                                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              content: bytes) -> None:
    failed_upload(cli, fake, monkeypatch, tmp_path)
    [record_path] = (state_dir(tmp_path) / "uploads").glob("*.json")
    record_path.write_bytes(content)
    run = cli("upload", "--resume", "--compress", "none", "big.bin", "s3://num/big.bin")
    no_unexpected(run)
    assert run.exit_code == 0 and len(warnings(run)) == 1 and "upload journal" in warnings(run)[0], run
    assert ("num", "big.bin") in fake.objects and not record_path.exists()


@pytest.mark.parametrize("name", BAD)
def test_a_stats_file_whose_counts_are_not_numbers(cli: Any, tmp_path: Path, name: str) -> None:
    """stats.json with "cache_hits": "²" (or an operation that is not an object) ended in "unexpected"."""
    path = state_dir(tmp_path) / "stats.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "cache_hits": BAD[name], "operations": {"get": {"count": BAD[name]}}}))
    run = cli("stats", "--json")
    no_unexpected(run)
    assert run.exit_code == 0 and run.json()["cache_hits"] == 0, run
    assert len(warnings(run)) == 1 and "stats file" in warnings(run)[0], run


@pytest.mark.parametrize("name", BAD)
def test_an_audit_ship_state_whose_offset_is_not_a_number(cli: Any, fake: FaultServer, tmp_path: Path,
                                                          name: str) -> None:
    """The audit ship state is not rebuilt (that would ship the whole log again): one error line saying
    which file, exit 1, nothing shipped."""
    log = tmp_path.parent / f"{tmp_path.name}-state" / "audit.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text('{"op": "upload"}\n')
    log.with_name(log.name + ".ship.json").write_text(json.dumps({"offset": BAD[name], "log_id": "x", "pending": None}))
    run = cli("audit", "ship")
    refused(run, 1, "audit ship state")
    assert not [k for b, k in fake.objects if b == "num-logs"]


# ---------------------------------------------------------------------------------------- unit level
def test_the_rule() -> None:
    from its_store.core import errors as E
    from its_store.core.units import is_uint, parse_uint, read_count, read_uint
    assert [is_uint(v) for v in BAD.values()] == [False] * len(BAD)
    assert is_uint("0") and is_uint("9" * 19) and not is_uint("9" * 20) and not is_uint(12)
    assert parse_uint("65535", "port", high=65535) == 65535 and read_uint("7", low=1) == 7
    assert read_uint("0", low=1) is None and read_uint(None) is None and read_count(True) is None
    with pytest.raises(E.InvalidInputError, match="--x: '²' is not a number"):
        parse_uint("²", "--x")
    with pytest.raises(ValueError, match="has more than 19 digits"):
        parse_uint("9" * 5000, "<Size>", error=ValueError)
    with pytest.raises(E.BadAnswerError, match="out of range"):
        parse_uint("0", "<PartNumber>", low=1, error=E.BadAnswerError)


def test_copy_part_size_and_expected_checks_take_ascii_digits_only() -> None:
    """cp's part size from the source's its-part-size, and the part count of a checksum or an ETag."""
    from its_store.service.copying import DEFAULT_PART, MAX_PART, copy_part_size
    from its_store.transfer.checksums import expected_for

    def head(part: str) -> Any:
        return type("Head", (), {"size": 6 * 1024 ** 3, "etag": "x-2", "metadata": {"x-amz-meta-its-part-size": part}})

    for value in (*BAD.values(), str(MAX_PART + 1)):
        assert copy_part_size(head(value), None) == DEFAULT_PART, value
    assert copy_part_size(head(str(1024 ** 3)), None) == 1024 ** 3
    for value in BAD.values():
        if value:  # "MD5-" with no count at all is read as a plain MD5 ETag (a mismatch then says so)
            assert expected_for(10, "0" * 32 + "-" + value, None, 5, True) is None
        checked = expected_for(10, "0" * 32 + "-2", "AAAAAA==-" + value, 5, True, "COMPOSITE")
        assert checked is not None and checked.kind == "md5-multipart", value  # the CRC's count is not one
    assert expected_for(10, "0" * 32 + "-2", None, 5, True).kind == "md5-multipart"


def test_versions_and_gpu_architectures_take_ascii_digits_only() -> None:
    """`model register --version 1٣.0.0` was version 13.0.0 under the name "1٣.0.0"; a version of 5,000
    digits was "unexpected"; `--trt-version ٣.٣` was (3, 3)."""
    from its_store.core import errors as E
    from its_store.registry.refs import is_version, parse_version
    from its_store.registry.variants import normalize_arch, trt_major_minor
    for bad in ("1٣.0.0", "1.0.0-٣", "9" * 5000 + ".0.0", "１.0.0"):
        assert not is_version(bad)
        with pytest.raises(E.InvalidInputError):
            parse_version(bad)
    for bad in ("٣.٣", "9" * 5000 + ".1"):
        with pytest.raises(E.InvalidInputError):
            trt_major_minor(bad)
    with pytest.raises(E.InvalidInputError):
        normalize_arch("sm٨٦")
    assert str(parse_version("10.2.3-rc.1")) == "10.2.3-rc.1" and trt_major_minor("10.3.0.26") == (10, 3)


# ----------------------------------------------------------------- files that are not what they seem
def test_an_sse_c_key_file_that_is_a_fifo_is_refused_at_once(cli: Any, tmp_path: Path) -> None:
    """`--sse-c-key-file` naming a FIFO: read_bytes() waited for a writer forever. Now one line, exit 2
    (MINIO_SSE_C_KEY_FILE: exit 78). In-process: should the FIFO be opened again, the suite's per-test timeout
    (pyproject.toml) ends the wait, and the test fails."""
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)
    (tmp_path / "f.txt").write_bytes(DATA)
    for args, extra, code, name in ((["upload", "f.txt", "s3://num/f.txt", "--sse-c-key-file", str(fifo)], {}, 2,
                                     "SSE-C key file"),
                                    (["upload", "f.txt", "s3://num/f.txt", "--sse", "c"],
                                     {"MINIO_SSE_C_KEY_FILE": str(fifo)}, 78, "MINIO_SSE_C_KEY_FILE")):
        run = cli(*args, extra_env=extra)
        lines = run.stderr.strip().splitlines()
        assert run.exit_code == code and len(lines) == 1, run
        assert lines[0].startswith("its-store: error: ") and name in lines[0] and "FIFO" in lines[0], run


def test_get_to_a_file_in_proc_names_the_real_cause(cli: Any, fake: FaultServer) -> None:
    """`get s3://b/k /proc/version` said "cannot write to /proc: no such file or directory" (exit 3):
    /proc is there; it refuses new files (the temp file a download writes first). Exit 1, saying so."""
    fake.put_object("num", "k", FakeObject(DATA))
    line = refused(cli("get", "s3://num/k", "/proc/version"), 1, "/proc", "does not allow new files")
    assert "no such file" not in line
    line = refused(cli("get", "s3://num/k", "/proc/no-such-folder/x"), 1, "/proc does not allow new folders")
