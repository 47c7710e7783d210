"""Follow-ups of issue 19 ("promises kept on every path"): a hostile answer or a local file that is not
what it seems is one item's failure, reported; nothing hangs, nothing is "unexpected".

Commands that could hang (a leaked pool connection, a FIFO opened for reading) run in a subprocess
with a pool of two connections and a deadline: the deadline is a safety net that turns a hang into a
failure, never a timing assertion. Faults a real server cannot be asked for come from
tests/faultserver.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from helpers import Done, run_cli_process

POOL = 2


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> Done:
    """`python -m its_store ARGS` in a subprocess with POOL connections and workers, killed at the deadline."""
    return run_cli_process(args, env, cwd, pool=POOL)


@pytest.fixture
def fake() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def fake_env(fake: FaultServer, tmp_path: Path) -> dict[str, str]:
    """The MINIO_* settings of a run against the fault server (no retries: a fault is not sent twice)."""
    state = tmp_path.parent / f"{tmp_path.name}-state"
    env = {name: value for name, value in os.environ.items() if not name.startswith("MINIO_")}
    return {**env, "MINIO_ENDPOINT": fake.endpoint, "MINIO_ACCESS_KEY": "fakeaccess",
            "MINIO_SECRET_KEY": "fake-secret-key-0123", "MINIO_SECURE": "false", "MINIO_REGION": "us-east-1",
            "MINIO_MAX_RETRIES": "1", "MINIO_CACHE_DIR": str(state / "cache"),
            "MINIO_AUDIT_LOG": str(state / "audit.log")}


def no_unexpected(done: Done) -> None:
    assert "unexpected" not in done.stdout + done.stderr and "Traceback" not in done.stderr, done


# -------------------------------------------------------------------------------- verify (scrub)
def test_verify_of_objects_whose_part_size_is_no_number_ends_and_reports_them(fake: FaultServer,
                                                                              tmp_path: Path) -> None:
    """x-amz-meta-its-part-size "²" (byte 0xB2: a digit to str.isdigit, not to int()) on objects with a
    multipart ETag: the check cannot be chosen. Each such object is reported (unverifiable), and its GET
    answer is given back to the pool: with more objects than connections, one answer left open per
    object would leave verify waiting for a connection forever."""
    count = 4 * POOL + 1
    for i in range(count):
        fake.put_object("scrub", f"frames/f{i:02d}.jpg", FakeObject(b"frame %d" % i, etag="0" * 32 + "-2",
                                                                   headers={"x-amz-meta-its-part-size": "\xb2"}))
    done = run_cli(["verify", "s3://scrub/frames/", "-r", "--json"], fake_env(fake, tmp_path), tmp_path)
    no_unexpected(done)
    assert done.exit_code == 0, done
    doc = done.json()
    assert doc["counts"]["unverifiable"] == count, doc
    assert all("its-part-size" in item["reason"] for item in doc["unverifiable"]), doc


# ------------------------------------------------------------------------- verify LOCAL_DIR s3://
def test_folder_compare_refuses_a_fifo_swapped_in_after_the_walk(fake: FaultServer, tmp_path: Path) -> None:
    """The walk saw a regular file b.jpg; when its HEAD reaches the server, the file has been replaced by a
    FIFO (the server's handler swaps it, so the order is certain). Hashing it must not open the FIFO as a
    file (an open for reading blocks until a writer comes, which is never): the pair is unreadable, the
    others are compared, and a FIFO there from the start is reported as skipped."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        data = b"frame " + name.encode()
        (folder / name).write_bytes(data)
        fake.put_object("cmp", f"frames/{name}", FakeObject(data))  # ETag: the MD5 of data
    os.mkfifo(folder / "pipe")

    def swap(server: FaultServer, request: Any, conn: Any) -> bool:
        if request.method == "HEAD" and request.key == "frames/b.jpg" and (folder / "b.jpg").is_file():
            (folder / "b.jpg").unlink()
            os.mkfifo(folder / "b.jpg")
        return False  # answered as usual

    fake.handler = swap
    done = run_cli(["verify", str(folder), "s3://cmp/frames/", "--json"], fake_env(fake, tmp_path), tmp_path)
    no_unexpected(done)
    assert stat_kind(folder / "b.jpg") == "fifo", done  # the swap happened
    assert done.exit_code == 1, done
    doc = done.json()
    assert doc["counts"]["same"] == 2 and doc["counts"]["unreadable"] == 1, doc
    [bad] = doc["unreadable"]
    assert bad["key"] == "frames/b.jpg" and "named pipe" in bad["reason"], doc
    assert [(e["path"], e["reason"]) for e in doc["skipped"]] == [("pipe", "not a regular file")], doc
    (folder / "b.jpg").unlink()
    (folder / "b.jpg").write_bytes(b"frame b.jpg")  # swapped again by the next HEAD
    human = run_cli(["verify", str(folder), "s3://cmp/frames/"], fake_env(fake, tmp_path), tmp_path)
    no_unexpected(human)
    assert human.exit_code == 1, human
    lines = human.stdout.splitlines()
    assert any(line.startswith("unreadable") and "frames/b.jpg" in line and "named pipe" in line for line in lines)
    assert any(line.startswith("skipped") and "frames/pipe" in line for line in lines), human


def stat_kind(path: Path) -> str:
    import stat
    mode = os.lstat(path).st_mode
    return "fifo" if stat.S_ISFIFO(mode) else "file" if stat.S_ISREG(mode) else "other"


# -------------------------------------------------------------------------- a body longer than announced
LONG = bytes(range(256)) * 4  # what the server sends: 1024 bytes


def announce_two(server: FaultServer, request: Any, conn: Any) -> bool:
    """HEAD says 2 bytes; GET sends the whole LONG body (a Range, when asked, is ignored: 200)."""
    from faultserver import response
    if request.key != "k":
        return False
    headers = {"ETag": '"' + "0" * 32 + '"', "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"}
    if request.method == "HEAD":
        conn.send(response(200, headers={**headers, "Content-Length": "2"}, head=True))
        return True
    if request.method == "GET":
        conn.send(response(200, LONG, headers=headers, content_type="application/octet-stream"))
        return True
    return False


def _get_announced_two(fake: FaultServer, tmp_path: Path, how: list[str]) -> tuple[Any, list[str]]:
    """`get s3://long/k ...` from a server whose answers announce 2 bytes (announce_two): it must fail with
    exit 4 and no unexpected error; the run and its non-empty stderr lines."""
    fake.buckets.add("long")
    fake.handler = announce_two
    done = run_cli(["get", "s3://long/k", *how], fake_env(fake, tmp_path), tmp_path)
    no_unexpected(done)
    assert done.exit_code == 4, done
    return done, [line for line in done.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("how", [["out.bin", "--range", "0-1"], ["-", "--range", "0-1"]],
                         ids=["range-file", "range-stdout"])
def test_a_body_longer_than_announced_is_an_integrity_error(fake: FaultServer, tmp_path: Path,
                                                            how: list[str]) -> None:
    """A range is planned from the HEAD: a body longer than that is refused before a byte of it is written."""
    done, lines = _get_announced_two(fake, tmp_path, how)
    assert len(lines) == 1 and lines[0].startswith("its-store: error: the server sent more bytes than it "
                                                   "announced for s3://long/k: "), done
    assert " of 2" in lines[0] and "ended early" not in lines[0], done
    assert done.stdout == "", done  # nothing written to stdout either
    assert sorted(p.name for p in tmp_path.iterdir()) == [], list(tmp_path.iterdir())  # no file, no temp file
    assert len(fake.seen("GET", lambda r: r.key == "k")) == 1  # an integrity error is not retried


@pytest.mark.parametrize("how", [["out.bin"], ["-"]], ids=["file", "stdout"])
def test_a_whole_get_is_checked_against_its_own_answer(fake: FaultServer, tmp_path: Path, how: list[str]) -> None:
    """A whole `get` takes no HEAD (the GET's answer stands for it: service/fetch.py), so the HEAD's "2 bytes"
    is never asked; the body the GET announces and sends does not match the ETag: exit 4, no file and no
    temp file left, and not retried. To stdout the bytes are out before the check (documented: exit 4)."""
    done, lines = _get_announced_two(fake, tmp_path, how)
    assert len(lines) == 1 and lines[0].startswith("its-store: error: checksum mismatch for s3://long/k"), done
    assert sorted(p.name for p in tmp_path.iterdir()) == [], list(tmp_path.iterdir())  # no file, no temp file
    assert fake.seen("HEAD", lambda r: r.key == "k") == [] and len(fake.seen("GET", lambda r: r.key == "k")) == 1


# -------------------------------------------------------------------------------- sync's failures
def test_sync_says_each_failure_and_why_on_stderr(fake: FaultServer, tmp_path: Path) -> None:
    """The FAIL lines are on stdout with the data (a cron job's stdout goes to a file); stderr names each
    failed item and its reason too, one escaped line each, also with -q, not only "failed 2"."""
    from faultserver import s3_error
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.txt", "b.txt", "bell\x07\x1b[2J.txt"):
        (src / name).write_bytes(b"data of " + name.encode())

    def refuse_b(server: FaultServer, request: Any, conn: Any) -> bool:
        if request.method == "PUT" and request.key.endswith("b.txt"):
            conn.read_body(request)
            conn.send(s3_error(403, "AccessDenied", "Access Denied", request.path))
            return True
        return False

    fake.buckets.add("syncs")
    fake.handler = refuse_b
    for flags in ([], ["-q"]):
        done = run_cli([*flags, "sync", str(src), "s3://syncs/x/"], fake_env(fake, tmp_path), tmp_path)
        no_unexpected(done)
        assert done.exit_code == 1, done  # two failures with different exit codes
        lines = done.stderr.splitlines()
        assert "\x1b" not in done.stderr and "\x07" not in done.stderr, done
        failed = sorted(line for line in lines if line.startswith("failed: "))
        assert failed[0].startswith("failed: b.txt: access denied"), done
        assert failed[1].startswith("failed: bell\\x07\\x1b[2J.txt: ") and "control" in failed[1], done
        assert len(failed) == 2, done


# ----------------------------------------------------------------- the last net: an OSError at the top
def test_an_os_error_no_code_caught_is_one_line_naming_the_path(tmp_path: Path) -> None:
    """`audit tail` with MINIO_AUDIT_LOG naming a folder: the read fails with IsADirectoryError, which
    nothing below the CLI turns into its own error; the top (cli/app.py) says the path and the reason in
    one line, exit 1, never "unexpected IsADirectoryError"."""
    folder = tmp_path / "logs"
    folder.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("MINIO_")}
    for flags in ([], ["--json"]):
        done = run_cli(["audit", "tail", *flags], {**env, "MINIO_AUDIT_LOG": str(folder),
                                                   "MINIO_CACHE_DIR": str(tmp_path / "cache")}, tmp_path)
        no_unexpected(done)
        assert done.exit_code == 1, done
        said = done.stdout if flags else done.stderr
        lines = [line for line in said.splitlines() if line.strip()]
        assert len(lines) == 1 and str(folder) in lines[0] and "is a folder" in lines[0], done  # the one table's word
        if flags:
            assert json.loads(lines[0])["error"]["code"] == "local_io_error", done


@pytest.mark.parametrize(("exc", "line"), [
    (IsADirectoryError(21, "Is a directory", "/srv/frames"), "its-store: error: /srv/frames: is a directory"),
    (PermissionError(13, "Permission denied", "/a/.x.its-tmp", None, "/a/x"),
     "its-store: error: /a/.x.its-tmp -> /a/x: permission denied"),
    (OSError(28, "No space left on device"), "its-store: error: local I/O error: no space left on device"),
    (FileNotFoundError(2, "No such file or directory", b"/raw/\xff"),
     "its-store: error: /raw/\\xff: no such file or directory"),  # the byte, as ls -b shows it (s37)
])
def test_handle_maps_an_os_error_to_one_local_line(exc: OSError, line: str, capsys: pytest.CaptureFixture[str]) -> None:
    from its_store.cli import output as out
    from its_store.cli.failures import handle
    out.reset([])
    assert handle(exc) == 1
    assert capsys.readouterr().err.strip() == line


def test_handle_leaves_a_network_os_error_unexpected(capsys: pytest.CaptureFixture[str]) -> None:
    """A connection's error reaching the top is the s3 seam's bug, not a local file's failure."""
    from its_store.cli import output as out
    from its_store.cli.failures import handle
    out.reset([])
    assert handle(ConnectionResetError(104, "Connection reset by peer")) == 1
    assert "unexpected ConnectionResetError" in capsys.readouterr().err


# ------------------------------------------------------------------- upload -r: the progress bar's total
def _tree_with_links(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "big.bin").write_bytes(b"b" * 5000)
    (outside / "deep" / "other.bin").write_bytes(b"o" * 7000)
    root = tmp_path / "up"
    (root / "sub").mkdir(parents=True)
    (root / "a.bin").write_bytes(b"a" * 100)
    (root / "sub" / "c.bin").write_bytes(b"c" * 20)
    (root / "link.bin").symlink_to(outside / "big.bin")
    (root / "linked-dir").symlink_to(outside / "deep")
    os.mkfifo(root / "pipe")
    return root


@pytest.mark.parametrize("follow", [False, True], ids=["links-skipped", "follow-symlinks"])
def test_upload_progress_total_is_what_the_upload_sends(fake: FaultServer, tmp_path: Path, follow: bool) -> None:
    """The bar's total counts the files the upload walks (links only with --follow-symlinks), not every
    path rglob's is_file() says yes to: before, the links' targets were counted and never sent."""
    from its_store.cli.commands.objects import upload_total
    root = _tree_with_links(tmp_path)
    fake.buckets.add("upr")
    flags = ["--follow-symlinks"] if follow else []
    done = run_cli(["upload", str(root), "s3://upr/p/", "-r", "--json", *flags], fake_env(fake, tmp_path), tmp_path)
    no_unexpected(done)
    assert done.exit_code == 0, done
    sent = done.json()["bytes"]
    assert sent == (100 + 20 + 5000 + 7000 if follow else 120), done
    assert upload_total(root, follow_symlinks=follow) == sent


def test_a_get_answer_without_a_length_is_not_taken_as_announcing_zero(fake: FaultServer, tmp_path: Path) -> None:
    """get -r fetches a small listed object with one GET whose headers stand in for a HEAD. An answer
    framed as chunked announces no length: it must not be read as "0 bytes announced" (then any body
    would be "more than announced", exit 4), but send the object down the regular path (HEAD + GET)."""
    from faultserver import response
    data = b"hello frame"

    def chunked_once(server: FaultServer, request: Any, conn: Any) -> bool:
        if request.method != "GET" or request.key != "d/k" or len(server.seen("GET", lambda r: r.key == "d/k")) > 1:
            return False
        framed = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
        etag = '"' + hashlib.md5(data).hexdigest() + '"'
        conn.send(response(200, framed, headers={"ETag": etag, "Transfer-Encoding": "chunked"}))
        return True

    fake.put_object("chunky", "d/k", FakeObject(data))
    fake.handler = chunked_once
    done = run_cli(["get", "s3://chunky/d/", "out", "-r", "--json"], fake_env(fake, tmp_path), tmp_path)
    no_unexpected(done)
    assert done.exit_code == 0, done
    assert (tmp_path / "out" / "k").read_bytes() == data
    assert [r.method for r in fake.requests if r.key == "d/k"] == ["GET", "HEAD", "GET"]
