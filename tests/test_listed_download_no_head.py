"""A download from a listing (`get -r`, `sync` s3 -> local, `cp -r` to a folder) takes each small object by one
GET, without a HEAD, on each of the four servers, now that the GET's answer must name the ETag the listing gave
(DownloadRequest.etag_hint, service/fetch.open_answer: tests/test_get_extra_bytes.py): a listing whose ETag
a server spells otherwise than its GET's answer (quotes, case, an entity) would send every object down the HEAD
path, a request more per object on every such run (issue 22's W5) with nothing said. Plain objects, one of
them compressed (the multipart one beside them is fetched by the HEAD path, as designed); each file its bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy

from conftest import ServerInfo
from helpers import random_bytes, write_file

MiB = 1024 * 1024
NAMES = {"a.bin": 40_000, "sub/b.bin": 70_000, "sub/c.bin": 1}


def _seed(cli: Any, bucket: str, tmp_path: Path) -> dict[str, bytes]:
    src = tmp_path / "src"
    for i, (name, size) in enumerate(NAMES.items()):
        write_file(src / name, size, seed=80 + i)
    assert cli("upload", "-r", str(src), f"s3://{bucket}/d/").exit_code == 0
    text = tmp_path / "log.txt"
    text.write_bytes(b"frame 0001 ok\n" * 4000)
    assert cli("upload", str(text), f"s3://{bucket}/d/log.txt", "--compress", "zstd").exit_code == 0
    big = tmp_path / "clip.bin"
    big.write_bytes(random_bytes(6 * MiB, seed=89))  # over the 5 MiB threshold here: sent in parts
    assert cli("upload", str(big), f"s3://{bucket}/d/clip.bin").exit_code == 0
    files = {name: (src / name).read_bytes() for name in NAMES}
    return files | {"log.txt": text.read_bytes(), "clip.bin": big.read_bytes()}


@pytest.mark.parametrize("command", [["get", "-r"], ["sync"], ["cp", "-r"]], ids=["get-r", "sync", "cp-r"])
def test_a_listed_download_takes_one_get_an_object_and_no_head(object_cli: Any, object_bucket: str,
                                                               object_server: ServerInfo, tmp_path: Path,
                                                               command: list[str]) -> None:
    cli, bucket = object_cli, object_bucket
    files = _seed(cli, bucket, tmp_path)
    out = tmp_path / "out"
    port = int(object_server.endpoint.rsplit(":", 1)[1])
    with FaultProxy(port, record=True) as proxy:
        run = cli(*command, f"s3://{bucket}/d/", f"{out}/", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
        seen = list(proxy.seen)
    assert run.exit_code == 0, run
    assert {name: (out / name).read_bytes() for name in files} == files
    on_objects = [(s.method, s.path.split(f"/{bucket}/", 1)[1]) for s in seen if f"/{bucket}/d/" in s.path]
    # (d/clip.bin, over the multipart threshold, takes the HEAD path by design: ranged GETs held to it)
    assert [key for m, key in on_objects if m == "HEAD" and key != "d/clip.bin"] == [], on_objects
    small = sorted(key for m, key in on_objects if m == "GET" and key != "d/clip.bin")
    assert small == sorted(f"d/{name}" for name in files if name != "clip.bin"), on_objects  # one GET each
