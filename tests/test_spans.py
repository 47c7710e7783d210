"""A large download comes in a few long ranged GETs (transfer/spans.py), each checked per part all the same.

On a fake S3 (tests/faultserver.py) serving a 5-part object (parts of T, the test multipart threshold):
- with one worker, the object comes in 2 GETs (a span of whole parts, then the rest), not one per part,
  and each kind of check still holds: composite CRC32, whole-object CRC32, multipart MD5, its-sha256 (the
  follower hashing the parts in order); a byte changed anywhere is refused (exit 4, target untouched);
- a span whose connection ends mid-body is asked again for the rest only (its Range starts where the
  bytes stopped), its running sums kept: the download is whole and verified;
- every answer is the bytes asked for of the object the HEAD described (ETag, Content-Range): a server that
  ignores a Range's offset, or an object replaced between a break and its resume, is refused (exit 4);
- nothing broke: tenacity (the retry loop's library) is not even imported.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, composite_crc32_b64, multipart_etag, response

from conftest import SMALL_THRESHOLD as T
from conftest import ServerInfo, cli_runner, environment_for

BUCKET = "spans"
SIZE = 4 * T + 1000  # 5 parts of T, or 3 of the default 8 MiB: one worker asks for 2 spans
DEFAULT_PART = 8 << 20  # the range unit of a download whose check is not per part (choose_part_size)


def stored(data: bytes, kind: str, *, flip: bool = False) -> FakeObject:
    """`data` as its-store stores it in parts of T, with the one check `kind` names; `flip`: the body
    served has one byte changed (in the second part, inside the first span), the headers still describe
    `data`."""
    headers = {"x-amz-meta-its-part-size": str(T)}
    etag = multipart_etag(data if kind == "md5" else data[::-1], T)  # only "md5" has an ETag that checks
    if kind == "composite":
        headers.update({"x-amz-checksum-crc32": f"{composite_crc32_b64(data, T)}-{-(-len(data) // T)}",
                        "x-amz-checksum-type": "COMPOSITE"})
    elif kind == "whole-crc32":
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        headers.update({"x-amz-checksum-crc32": crc, "x-amz-checksum-type": "FULL_OBJECT"})
    elif kind == "sha256":
        headers["x-amz-meta-its-sha256"] = hashlib.sha256(data).hexdigest()
    body = bytearray(data)
    if flip:
        body[T + 7] ^= 0x01
    return FakeObject(bytes(body), headers=headers, etag=etag)


@pytest.fixture(scope="module")
def data() -> bytes:
    return os.urandom(SIZE)  # random.randbytes takes seconds for 21 MB on a busy machine


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FaultServer, Any, dict[str, str]]]:
    with FaultServer(buckets=(BUCKET,)) as server:
        info = ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123")
        env = environment_for(info, dict.fromkeys(("default", "video", "models", "logs"), BUCKET), monkeypatch,
                              tmp_path)
        yield server, cli_runner(env), env


def ranged_gets(server: FaultServer, key: str) -> list[str]:
    return [r.headers["range"] for r in server.seen("GET") if r.key == key and "range" in r.headers]


@pytest.mark.parametrize("kind", ["composite", "whole-crc32", "md5", "sha256"])
def test_one_span_covers_several_parts_and_each_is_checked(fake: Any, data: bytes, tmp_path: Path, kind: str) -> None:
    server, cli, _ = fake
    server.put_object(BUCKET, "good.bin", stored(data, kind))
    server.put_object(BUCKET, "bad.bin", stored(data, kind, flip=True))
    target = tmp_path / "o.bin"
    run = cli("get", f"s3://{BUCKET}/good.bin", str(target), "-w", "1", "--json")
    assert run.exit_code == 0 and json.loads(run.stdout)["verified"] is True, run
    assert target.read_bytes() == data
    unit = T if kind in ("composite", "md5") else DEFAULT_PART  # the upload's parts, when checked per part
    span = SIZE // unit * unit
    assert ranged_gets(server, "good.bin") == [f"bytes=0-{span - 1}", f"bytes={span}-{SIZE - 1}"]
    target.write_bytes(b"old")
    run = cli("get", f"s3://{BUCKET}/bad.bin", str(target), "-w", "1", "--json")
    assert run.exit_code == 4 and json.loads(run.stdout)["error"]["code"] == "integrity_error", run
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.bin"]  # no temp file left


def break_first_span(data: bytes, sent: int, then: Callable[[FaultServer], None] | None = None,
                     ) -> Callable[[FaultServer, Any, Any], bool]:
    """A handler that answers the first GET of a range from byte 0 with its head and only `sent` bytes of
    `data`, then ends the connection cleanly (every byte sent arrives); `then` runs before the end (e.g. the
    object is replaced before the client asks for the rest). Every other request is the server's own."""
    broken: list[str] = []

    def handler(srv: FaultServer, req: Any, conn: Any) -> bool:
        rng = req.headers.get("range", "")
        if req.method != "GET" or not rng.startswith("bytes=0-") or broken:
            return False
        broken.append(rng)
        last = int(rng.partition("-")[2])
        conn.send(response(206, headers={"Content-Length": str(last + 1), "Content-Range": f"bytes 0-{last}/{SIZE}",
                                         "ETag": f'"{srv.objects[(BUCKET, "o.bin")].etag}"'}, head=True))
        conn.send(data[:sent])
        if then is not None:
            then(srv)
        conn.close()
        return True
    return handler


def test_a_span_broken_mid_body_asks_for_the_rest_only(fake: Any, data: bytes, tmp_path: Path) -> None:
    server, cli, _ = fake
    server.put_object(BUCKET, "o.bin", stored(data, "composite"))
    sent = T + 4321  # past the first part's end: the second part's CRC32 runs on across the break
    server.handler = break_first_span(data, sent)
    target = tmp_path / "o.bin"
    run = cli("get", f"s3://{BUCKET}/o.bin", str(target), "-w", "1", "--json")
    assert run.exit_code == 0 and json.loads(run.stdout)["verified"] is True, run
    assert target.read_bytes() == data
    assert ranged_gets(server, "o.bin") == [f"bytes=0-{4 * T - 1}", f"bytes={sent}-{4 * T - 1}",
                                            f"bytes={4 * T}-{SIZE - 1}"]


def test_no_retry_machinery_is_imported_when_nothing_broke(fake: Any, data: bytes, tmp_path: Path) -> None:
    server, _, env = fake
    server.put_object(BUCKET, "o.bin", stored(data, "composite"))
    code = ("import runpy, sys\n"
            f"sys.argv = ['its-store', '--quiet', 'get', 's3://{BUCKET}/o.bin', {str(tmp_path / 'o.bin')!r}]\n"
            "try:\n    runpy.run_module('its_store', run_name='__main__')\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('tenacity' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "False", run
    assert (tmp_path / "o.bin").read_bytes() == data
    assert len(ranged_gets(server, "o.bin")) == 5  # 8 workers: one part each


def _plain(data: bytes) -> FakeObject:
    """An object another tool PUT in one piece: an MD5 ETag only (no CRC32, no its-sha256, no part size),
    which a download in more than one span cannot check (one MD5 of the bytes in order)."""
    return FakeObject(data)


def test_an_object_replaced_between_the_break_and_the_resume_is_refused(fake: Any, data: bytes,
                                                                        tmp_path: Path) -> None:
    """The rest of a broken span is asked for with the same object's identity: when another PUT replaced
    the object in between (same size), the resumed bytes are another object's and nothing checks them
    at the end (unverifiable object): the answer's ETag is compared with the HEAD's. Exit 4, target kept."""
    server, cli, _ = fake
    server.put_object(BUCKET, "o.bin", _plain(data))
    other = bytes(b ^ 0xFF for b in data[:64]) + data[64:]
    server.handler = break_first_span(data, 1000, then=lambda srv: srv.put_object(BUCKET, "o.bin", _plain(other)))
    target = tmp_path / "o.bin"
    target.write_bytes(b"old")
    run = cli("get", f"s3://{BUCKET}/o.bin", str(target), "-w", "1", "--json")
    assert run.exit_code == 4 and json.loads(run.stdout)["error"]["code"] == "integrity_error", run
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.bin"]


@pytest.mark.parametrize("lie", ["200-whole", "wrong-content-range", "no-content-range", "other-size"])
def test_a_range_answered_with_other_bytes_is_refused(fake: Any, data: bytes, tmp_path: Path, lie: str) -> None:
    """`get --range` has no checksum to catch it: the answer itself must be the bytes asked for (206 with
    the Content-Range asked, of an object of the size the HEAD gave). Exit 4, nothing written."""
    server, cli, _ = fake
    server.put_object(BUCKET, "o.bin", _plain(data))

    def handler(srv: FaultServer, req: Any, conn: Any) -> bool:
        rng = req.headers.get("range", "")
        if req.method != "GET" or not rng:
            return False
        first, last = (int(x) for x in rng[6:].split("-"))
        n = last - first + 1
        etag = f'"{srv.objects[(BUCKET, "o.bin")].etag}"'
        if lie == "200-whole":
            conn.send(response(200, data, headers={"ETag": etag}))
            return True
        headers = {"ETag": etag, "Content-Length": str(n)}
        if lie == "wrong-content-range":
            headers["Content-Range"] = f"bytes 0-{n - 1}/{SIZE}"
        elif lie == "other-size":
            headers["Content-Range"] = f"bytes {first}-{last}/{SIZE + 1}"
        conn.send(response(206, data[:n], headers=headers))  # the object's first bytes, whatever was asked
        return True

    server.handler = handler
    target = tmp_path / "r.bin"
    target.write_bytes(b"old")
    run = cli("get", f"s3://{BUCKET}/o.bin", str(target), "--range", f"{T}-{T + 99}", "--json")
    assert run.exit_code == 4 and json.loads(run.stdout)["error"]["code"] == "integrity_error", run
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.bin"]
