"""Session 35 (fix3): a bad `--tag` of `upload -r` and `sync` is refused once, before the walk.

The tags of an upload are checked by the one rule `tag set` keeps (service/tags.check_tags). For a folder they
were checked per file, when each file was planned: a bad tag (`k=50%`, or 11 tags) failed every file, one
"failed:" line each, after the bucket was made and the folder walked. Now the tags are checked once, before any
file is walked or any request is sent: one line, exit 2, nothing uploaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy

from conftest import cli_runner
from helpers import write_file

ELEVEN = [f"--tag=t{i}=v" for i in range(11)]


@pytest.mark.parametrize("tags", [["--tag", "k=50%"], ELEVEN], ids=["percent", "eleven"])
@pytest.mark.parametrize("command", ["upload", "sync"])
def test_a_bad_tag_is_refused_once_before_any_request(command: str, tags: list[str], env: dict[str, str],
                                                      service: Any, bucket: str, tmp_path: Path) -> None:
    root = tmp_path / "frames"
    for i in range(3):
        write_file(root / f"f{i}.jpg", 1000 + i, seed=i)
    args = ["upload", "-r", str(root), f"s3://{bucket}/p/"] if command == "upload" else \
        ["sync", str(root), f"s3://{bucket}/p/"]
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), record=True) as proxy:
        cli = cli_runner({**env, "MINIO_ENDPOINT": proxy.endpoint})
        run = cli(*args, *tags, extra_env={"MINIO_ENDPOINT": proxy.endpoint})
        sent = list(proxy.seen)
    assert run.exit_code == 2, run
    assert len(run.stderr.strip().splitlines()) == 1 and "tag" in run.stderr, run.stderr
    assert sent == [], [s.target for s in sent]
    assert list(service.s3.list_objects(bucket, "p/", True)) == []
