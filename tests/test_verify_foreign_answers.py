"""`verify` of answers its-store did not write: a GET body that does not end where the listing said, with no
Content-Length and no ETag (a proxy or server that streams: chunked), is read up to the listed size and called
unreadable, never read to its end (it may have none: a camera's MJPEG stream) and never hashed as the object;
an x-amz-meta-its-sha256 that is no SHA-256 (another tool's metadata of that name) is custody that cannot be
read, not corruption: the object is checked as one without custody (its MD5 ETag) and the reason says so."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from helpers import fault_cli

PIECE = b"\xff" * 65_000
SENT_AT_MOST = 4096  # pieces (~266 MB): what the server sends before it gives up, if nobody hangs up


def _streaming(server: FaultServer, req: Any, conn: Any) -> bool:
    """The object's GET answered 200, chunked, no ETag, no Content-Length, with more bytes than it has."""
    if req.method != "GET" or req.key != "cam/frame.jpg":
        return False
    obj = server.objects[("frames", "cam/frame.jpg")]
    sha = obj.headers["x-amz-meta-its-sha256"]
    conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n"
              f"x-amz-meta-its-sha256: {sha}\r\n\r\n".encode())
    try:
        for _ in range(SENT_AT_MOST):
            conn.send(b"%x\r\n%s\r\n" % (len(PIECE), PIECE))
        conn.send(b"0\r\n\r\n")
    except OSError:  # the client hung up
        pass
    return True


def test_a_body_longer_than_listed_without_length_is_unreadable_and_bounded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\xff\xd8" + bytes(1000)
    with FaultServer(_streaming, buckets=("frames",)) as server:
        server.put_object("frames", "cam/frame.jpg", FakeObject(data, headers={
            "x-amz-meta-its-sha256": hashlib.sha256(data).hexdigest()}))
        run = fault_cli(server, tmp_path, monkeypatch)("verify", "s3://frames/cam/", "-r", "--json")
    doc = run.json()
    assert run.exit_code != 0 and "Traceback" not in run.stderr, run
    assert doc["counts"]["unreadable"] == 1 and doc["counts"]["corrupt"] == 0, doc
    assert "listed" in doc["unreadable"][0]["reason"], doc
    assert doc["bytes_read"] <= len(data) + 1, doc  # never read past the listed size (and one byte to see it)


def test_custody_that_is_no_sha256_is_not_corruption(cli: Any, bucket: str, s3_server: Any) -> None:
    from conftest import plain_client
    data = b"frame" * 200
    plain_client(s3_server).put_object(bucket, "cam/f.jpg", io.BytesIO(data), len(data),
                                       metadata={"its-sha256": "md5:" + hashlib.md5(data).hexdigest()})
    run = cli("verify", f"s3://{bucket}/cam/", "-r", "--json")
    doc = run.json()
    assert run.exit_code == 0, run
    assert doc["counts"]["corrupt"] == 0 and doc["counts"]["ok"] == 1, doc
    assert doc["verified_by"] == {"md5": 1}, doc


def test_a_100_kb_metadata_header_is_one_line_and_control_characters_are_escaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server may send any x-amz-meta-*: one over http.client's 64 KiB header line is refused as a bad answer
    (one line, exit 1, never read whole), and a value with an escape sequence is shown escaped."""
    with FaultServer(buckets=("frames",)) as server:
        server.put_object("frames", "big/a.jpg", FakeObject(b"x" * 10, headers={"x-amz-meta-big": "v" * 100_000}))
        server.put_object("frames", "ctl/b.jpg", FakeObject(b"x" * 10, headers={"x-amz-meta-ctl": "a\x1b[2Jb"}))
        cli = fault_cli(server, tmp_path, monkeypatch)
        for args in (["ls", "s3://frames/big/", "--metadata"], ["ls", "s3://frames/big/", "--metadata", "--json"],
                     ["stat", "s3://frames/big/a.jpg"]):
            run = cli(*args)
            lines = [line for line in (run.stderr + run.stdout).splitlines() if line.strip()]
            assert run.exit_code == 1 and len(lines) == 1 and "Traceback" not in run.stderr, (args, run)
            assert "header line" in lines[0], (args, run)
        shown = cli("stat", "s3://frames/ctl/b.jpg")
        assert shown.exit_code == 0 and "\x1b" not in shown.stdout and "\\x1b[2Jb" in shown.stdout, shown
        listed = cli("ls", "s3://frames/ctl/", "--metadata", "--json")
        assert listed.exit_code == 0 and "\x1b" not in listed.stdout, listed
        assert listed.jsonl()[0]["metadata"]["ctl"] == "a\x1b[2Jb", listed.stdout


def test_a_folder_compare_with_download_is_bounded_by_the_listed_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify DIR s3://... --download` hashes an object without custody or MD5 ETag read in full: a chunked body
    that goes on past the size the HEAD gave is unreadable, never read to its end."""
    data = b"\xff\xd8" + bytes(1000)
    folder = tmp_path / "local" / "cam"
    folder.mkdir(parents=True)
    (folder / "frame.jpg").write_bytes(data)
    with FaultServer(_streaming, buckets=("frames",)) as server:
        server.put_object("frames", "cam/frame.jpg", FakeObject(data, etag="0" * 32 + "-2", headers={
            "x-amz-meta-its-sha256": "foreign"}))
        run = fault_cli(server, tmp_path, monkeypatch)("verify", str(tmp_path / "local" / "cam"),
                                                       "s3://frames/cam/", "--download", "--json")
    doc = run.json()
    assert run.exit_code != 0 and "Traceback" not in run.stderr, run
    assert doc["counts"].get("unreadable") == 1 and not doc["counts"].get("different"), doc


def test_a_folder_compare_takes_foreign_custody_as_none(cli: Any, bucket: str, s3_server: Any, tmp_path: Path) -> None:
    """The same file, its object carrying an its-sha256 that is no SHA-256: compared by its MD5 ETag, the same
    (it was "different": the foreign value against the file's SHA-256)."""
    from conftest import plain_client
    data = b"frame" * 200
    (tmp_path / "cam").mkdir()
    (tmp_path / "cam" / "f.jpg").write_bytes(data)
    plain_client(s3_server).put_object(bucket, "cam/f.jpg", io.BytesIO(data), len(data),
                                       metadata={"its-sha256": "md5:" + hashlib.md5(data).hexdigest()})
    run = cli("verify", str(tmp_path / "cam"), f"s3://{bucket}/cam/", "--json")
    doc = run.json()
    assert run.exit_code == 0 and doc["counts"].get("same") == 1 and not doc["counts"].get("different"), doc


def test_stat_cuts_a_long_metadata_value_short_and_json_keeps_it_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 30 KB x-amz-meta-* value (under http.client's limit) folded into hundreds of table lines buried the
    rest of `stat`; the table now shows its start and its length, --json the whole value."""
    with FaultServer(buckets=("frames",)) as server:
        server.put_object("frames", "cam/a.jpg", FakeObject(b"x" * 10, headers={"x-amz-meta-note": "n" * 30_000}))
        cli = fault_cli(server, tmp_path, monkeypatch)
        human, doc = cli("stat", "s3://frames/cam/a.jpg"), cli("stat", "s3://frames/cam/a.jpg", "--json")
    assert human.exit_code == 0 and len(human.stdout) < 5_000, human
    assert "(30000 characters; --json shows it whole)" in " ".join(human.stdout.split()), human.stdout
    assert doc.json()["metadata"]["note"] == "n" * 30_000
