"""A download of several ranges reserves its file's blocks before the ranges land (transfer/spans.preallocate,
issue 22 W3), as rclone does: fallocate(2) with FALLOC_FL_KEEP_SIZE, so the temp file's size stays what the
writes make it and nothing is written twice. What must hold: the blocks are reserved while the size stays;
a descriptor that takes no reservation is no error; a download of several spans lands whole and verified,
its blocks reserved before its second span arrives; a refused one leaves the target as it was and no temp
file (the reservation goes with it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from test_spans import BUCKET, SIZE, data, fake, stored  # noqa: F401 - data and fake are fixtures used below

from its_store.transfer.spans import preallocate


def test_the_blocks_are_reserved_and_the_size_stays(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    with open(path, "wb") as fh:
        os.write(fh.fileno(), b"head")
        assert preallocate(fh.fileno(), 8 << 20)
        info = os.fstat(fh.fileno())
    assert info.st_size == 4 and info.st_blocks * 512 >= 8 << 20


def test_a_descriptor_that_takes_no_reservation_is_no_error() -> None:
    read, write = os.pipe()
    try:
        assert preallocate(write, 1 << 20) is False
        assert preallocate(write, 0) is False
    finally:
        os.close(read)
        os.close(write)


def test_the_second_span_lands_in_blocks_reserved_before_it(fake: Any, data: bytes, tmp_path: Path) -> None:  # noqa: F811
    server, cli, _ = fake
    server.put_object(BUCKET, "o.bin", stored(data, "composite"))
    target = tmp_path / "o.bin"
    seen: list[tuple[int, int]] = []

    def handler(srv: Any, req: Any, conn: Any) -> bool:
        if req.method == "GET" and req.headers.get("range", "").startswith("bytes=") and \
                not req.headers["range"].startswith("bytes=0-"):
            temps = [p for p in tmp_path.iterdir() if p.name != "o.bin"]  # the one temp file beside the target
            info = temps[0].stat()
            seen.append((info.st_size, info.st_blocks * 512))
        return False  # the server's own answer

    server.handler = handler
    run = cli("get", f"s3://{BUCKET}/o.bin", str(target), "-w", "1", "--json")
    assert run.exit_code == 0 and json.loads(run.stdout)["verified"] is True, run
    assert target.read_bytes() == data and target.stat().st_size == SIZE
    assert len(seen) == 1 and seen[0][0] < SIZE <= seen[0][1], seen  # first span written, the whole reserved
    target.write_bytes(b"old")
    server.put_object(BUCKET, "bad.bin", stored(data, "composite", flip=True))
    run = cli("get", f"s3://{BUCKET}/bad.bin", str(target), "-w", "1", "--json")
    assert run.exit_code == 4 and json.loads(run.stdout)["error"]["code"] == "integrity_error", run
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.bin"]
