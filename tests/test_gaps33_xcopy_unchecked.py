"""A copy between endpoints (service/xcopy.py: streamed through this process) whose destination key may
write but not read back (SeaweedFS `Write` and `List`: PutObject without GetObject) follows the rule cp within one
endpoint follows (service/kept.denied_read_back, test_atk34's test_a_denied_read_back_is_said_once...):
the copy is reported done, exit 0, one warning naming the check and the permission, and each --json
item says `unchecked: "sse"`. The relay said the warning and dropped the mark: CrossCopy had no field.
Server: test_atk34_least_privilege's SeaweedFS; the remote wr is that server with the `writerlist` key
(Write, List), so that the copy is between two stores (another access key) and streams.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 - the identities' server

from helpers import random_bytes

# SSE-S3 sources in parts: the relay follows their part size, and the answer to CompleteMultipartUpload
# need not show the encryption (a single PUT's does), so it is checked by a HEAD, which this key may not make
BIG = 6 * 1024 * 1024
PARTS = ("--sse", "s3", "--part-size", "5MiB")


@pytest.fixture
def writer_remote(keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                  tmp_path: Path) -> str:
    """The remote W: the least-privilege server with the Write + List key (no Read), from variables alone."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    writer = keys["writerlist"]
    for name, value in {"ENDPOINT": f"http://{writer['MINIO_ENDPOINT']}", "ACCESS_KEY": writer["MINIO_ACCESS_KEY"],
                        "SECRET_KEY": writer["MINIO_SECRET_KEY"]}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_WR_{name}", value)
    return "wr"


def test_a_relayed_copy_whose_encryption_cannot_be_read_back_is_marked(cli: Any, keys, writer_remote: str,  # noqa: F811
                                                                       tmp_path: Path) -> None:
    src, dst = _bucket(cli, keys, versioned=False), _bucket(cli, keys, versioned=False)
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(random_bytes(BIG, seed=ord(name[0])))
        up = cli("upload", str(tmp_path / name), f"s3://{src}/x/{name}", *PARTS, extra_env=keys["admin"])
        assert up.exit_code == 0, up
    one = cli("--json", "cp", f"s3://{src}/x/a.jpg", f"{writer_remote}:{dst}/one/a.jpg",
              extra_env=keys["admin"])
    assert one.exit_code == 0, one
    assert [o.get("unchecked") for o in one.json()["objects"]] == ["sse"], (one.stdout, one.stderr)
    assert one.stderr.count("could not be checked") == 1 and "(s3:GetObject)" in one.stderr, one.stderr
    tree = cli("--json", "cp", "-r", f"s3://{src}/x/", f"{writer_remote}:{dst}/tree/",
               extra_env=keys["admin"])
    assert tree.exit_code == 0, tree
    assert [o.get("unchecked") for o in tree.json()["objects"]] == ["sse", "sse"], tree.stdout
    assert tree.stderr.count("could not be checked") == 1, tree.stderr
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "c.jpg").write_bytes(random_bytes(BIG, seed=secrets.randbelow(1000)))
    assert cli("upload", str(tmp_path / "src" / "c.jpg"), f"s3://{src}/s/c.jpg", *PARTS,
               extra_env=keys["admin"]).exit_code == 0
    sync = cli("--json", "sync", f"s3://{src}/s/", f"{writer_remote}:{dst}/s/", "--no-state",
               extra_env=keys["admin"])
    assert sync.exit_code == 0, sync
    assert [i.get("unchecked") for i in sync.json()["copied"]] == ["sse"], sync.stdout
    stored = cli("ls", f"s3://{dst}/", "-r", "--json", extra_env=keys["admin"]).jsonl()
    assert sorted(o["key"] for o in stored) == ["one/a.jpg", "s/c.jpg", "tree/a.jpg", "tree/b.jpg"], stored
