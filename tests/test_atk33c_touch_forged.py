"""sync s3 -> local's mtime-only path (transfers.Transfers._touch) decides from a checksum that a same-size file is the
object's and only re-times it. The custody sha256 is metadata (x-amz-meta-its-sha256): any writer sets it,
another tool copies it over with other bytes. Where the server computed a checksum itself (the MD5 ETag of a
plain object), that one decides: an object whose bytes differ from the file while its metadata names the file's
sha256 is fetched, not taken as the file (before the mtime-only path every such file was fetched)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from helpers import random_bytes


def test_a_sha256_the_bytes_do_not_have_is_not_the_file(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    old, new = random_bytes(3000, seed=1), random_bytes(3000, seed=2)
    back = tmp_path / "back"
    back.mkdir()
    (back / "a.bin").write_bytes(old)
    later = (int(time.time()) + 3600) * 10**9
    os.utime(back / "a.bin", ns=(later, later))
    # other bytes under the old bytes' custody hash (a tool that rewrote the object and kept its metadata)
    service.s3.put(bucket, "t/a.bin", new, {"x-amz-meta-its-sha256": hashlib.sha256(old).hexdigest()})
    run = cli("sync", f"s3://{bucket}/t/", str(back), "--json")
    assert run.exit_code == 0, run
    assert [i["path"] for i in json.loads(run.stdout)["copied"]] == ["a.bin"], run.stdout
    assert (back / "a.bin").read_bytes() == new
