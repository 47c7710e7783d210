"""Session 32 attack: a GET answer shorter than the object the listing described.

An object with a multipart ETag and no its-part-size, no CRC32 and no its-sha256 (anything aws-cli, rclone or
mc uploaded above their multipart threshold) has no check a download can run (`verified: false`). Then the
size is the one thing left to hold the answer to, and `get -r` and `sync` know it from the listing. A proxy
or cache in front of the server that serves a truncated body with a Content-Length that matches the cut body
(nginx's proxy_cache keeps a body its upstream broke off) and the object's own ETag: the cut file is renamed
into place, exit 0; `sync` then downloads it again on every run ("size differs"), exit 0 each time, and the
local copy is never whole. The fault server here answers every GET of the object with its first half.

A single `get` has no listing, but a 206 answer says itself what it is: "bytes 0-49999/100000" to a GET that
asked for no range was written out as the whole object (file and stdout), exit 0.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request, response

from helpers import fault_cli

BUCKET = "short-b"
DATA = os.urandom(100_000)


def _half(server: FaultServer, req: Request, conn: Conn) -> bool:
    if req.method != "GET" or req.key != "p/obj.bin":
        return False
    obj = server.objects[(BUCKET, req.key)]
    conn.send(response(200, DATA[:len(DATA) // 2], headers={"ETag": f'"{obj.etag}"',
                                                            "Content-Type": "application/octet-stream"}))
    return True


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(_half, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "p/obj.bin", FakeObject(DATA, etag="0123456789abcdef0123456789abcdef-2"))
        yield fault_cli(server, tmp_path, monkeypatch)


@pytest.mark.parametrize("command", [["get", "-r"], ["sync"]], ids=["get-r", "sync"])
def test_a_body_shorter_than_the_listed_size_is_refused(cli: Any, tmp_path: Path, command: list[str]) -> None:
    """Fails on main (a83dc6e): exit 0, out/obj.bin holds 50,000 of the listed 100,000 bytes."""
    out = tmp_path / "out"
    run = cli(*command, f"s3://{BUCKET}/p/", str(out) + "/")
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], f"{left} written from a cut body: {(out / 'obj.bin').stat().st_size} bytes; {run}"
    assert run.exit_code != 0, run
    if command[0] == "get":  # every item failed the same way: that way's code (integrity, 4)
        assert run.exit_code == 4, run
    assert "obj.bin" in run.stderr, run


# -- a 206 partial answer to a GET that asked for no range -------------------------------------------------
def _partial(server: FaultServer, req: Request, conn: Conn) -> bool:
    """A 206 that says itself it is the first half ("bytes 0-49999/100000"), to a GET without a Range."""
    if req.method != "GET" or req.key != "p/obj.bin":
        return False
    obj = server.objects[(BUCKET, req.key)]
    half = len(DATA) // 2
    conn.send(response(206, DATA[:half], headers={"ETag": f'"{obj.etag}"', "Content-Type": "application/octet-stream",
                                                  "Content-Range": f"bytes 0-{half - 1}/{len(DATA)}"}))
    return True


@pytest.fixture
def partial_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(_partial, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "p/obj.bin", FakeObject(DATA, etag="0123456789abcdef0123456789abcdef-2"))
        yield fault_cli(server, tmp_path, monkeypatch)


@pytest.mark.parametrize("to_stdout", [False, True], ids=["file", "stdout"])
def test_a_partial_answer_to_a_whole_get_is_refused(partial_cli: Any, tmp_path: Path, to_stdout: bool) -> None:
    """Fails on main (a83dc6e): exit 0, 50,000 of the 100,000 bytes its own Content-Range names, `verified`
    false (the file) or streamed as the whole object (stdout). A range nobody asked for is a bad answer."""
    target = "-" if to_stdout else str(tmp_path / "obj.bin")
    run = partial_cli("get", f"s3://{BUCKET}/p/obj.bin", target)
    kept = tmp_path / "obj.bin"
    got = len(run.stdout_bytes) if to_stdout else (kept.stat().st_size if kept.exists() else 0)
    assert run.exit_code != 0, f"exit 0 with {got} bytes"
    assert not (tmp_path / "obj.bin").exists()
