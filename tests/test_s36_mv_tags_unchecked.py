"""Session 36 (gaps a; left out at the last stop, item 1): `mv` between endpoints whose destination key may read
objects but not their tags (no s3:GetObjectTagging), to a server that drops the tags of a multipart write (Ceph
RGW 16.2 keeps none of CreateMultipartUpload's x-amz-tagging).

The copy's tags could not be read back, so the copy was reported `unchecked: "tags"` (right for `cp`: one warning,
exit 0), and `mv` then deleted the source: its tags, kept nowhere else, were gone (seen: the Ceph copy had
none). A move now keeps its source whenever the tags it was asked to carry could not be proven kept, as it does
for tags_not_kept: one line that the copy was made and both are kept, exit 6 (access denied: the check needs
s3:GetObjectTagging).

Servers: the source is the session's SeaweedFS (remote `sw`); the destination is Ceph RGW behind
tests/faultproxy.py, which answers every GET ?tagging with 403 AccessDenied (a key that may HEAD and GET
objects, not their tags).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_gaps33_denied_settings import ANSWER

from conftest import cli_runner, environment_for, one_line_error, plain_client, unique
from helpers import random_bytes

BIG = 6 * 1024 * 1024 + 3  # two parts of 5 MiB: the relay follows the source's own part size (multipart)
TAGS = {"site": "a4", "case": "incident-42"}


def _no_tag_reads(seen: Seen) -> bytes | None:
    return ANSWER if seen.method == "GET" and "tagging" in seen.query else None


@pytest.fixture
def two_ends(ceph_server_info: Any, s3_server: Any, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> Any:
    """(cli on Ceph through the proxy, the source bucket on remote `sw`, the destination bucket on Ceph)."""
    env = environment_for(ceph_server_info, buckets, monkeypatch, tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path.parent / f"{tmp_path.name}-config"))
    for name, value in {"ENDPOINT": f"http://{s3_server.endpoint}", "ACCESS_KEY": s3_server.access_key,
                        "SECRET_KEY": s3_server.secret_key}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_SW_{name}", value)
    src, dst = unique("ms"), unique("md")
    plain_client(s3_server).make_bucket(src)
    plain_client(ceph_server_info).make_bucket(dst)
    with FaultProxy(int(ceph_server_info.endpoint.rsplit(":", 1)[1]), answer=_no_tag_reads) as proxy:
        yield cli_runner(env), proxy.endpoint, src, dst


def _tagged_source(cli: Any, src: str, key: str, tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(random_bytes(BIG, seed=36))
    tags = [flag for name, value in TAGS.items() for flag in ("--tag", f"{name}={value}")]
    up = cli("upload", str(tmp_path / "big.bin"), f"sw:{src}/{key}", "--part-size", "5MiB", *tags)
    assert up.exit_code == 0, up


def test_a_move_whose_tags_cannot_be_read_back_keeps_its_source(two_ends: Any, s3_server: Any,
                                                                tmp_path: Path) -> None:
    cli, proxy, src, dst = two_ends
    _tagged_source(cli, src, "a.bin", tmp_path)
    run = cli("mv", f"sw:{src}/a.bin", f"s3://{dst}/a.bin", extra_env={"MINIO_ENDPOINT": proxy})
    line = one_line_error(run)
    assert run.exit_code == 6, run
    assert f"s3://{dst}/a.bin was copied" in line and f"s3://{src}/a.bin was not deleted" in line, line
    assert "s3:GetObjectTagging" in line, line
    source = plain_client(s3_server)
    assert source.stat_object(src, "a.bin").size == BIG  # kept, with its tags
    assert dict(source.get_object_tags(src, "a.bin") or {}) == TAGS


def test_a_copy_whose_tags_cannot_be_read_back_is_done_and_unchecked(two_ends: Any, tmp_path: Path) -> None:
    """`cp` loses nothing: exit 0, one warning naming the permission, `unchecked: "tags"` (the copy on Ceph may
    well be without its tags: the source still has them)."""
    cli, proxy, src, dst = two_ends
    _tagged_source(cli, src, "b.bin", tmp_path)
    run = cli("--json", "cp", f"sw:{src}/b.bin", f"s3://{dst}/b.bin", extra_env={"MINIO_ENDPOINT": proxy})
    assert run.exit_code == 0, run
    assert [o.get("unchecked") for o in run.json()["objects"]] == ["tags"], run.stdout
    assert run.stderr.count("could not be checked") == 1 and "(s3:GetObjectTagging)" in run.stderr, run.stderr


def test_a_multipart_move_within_one_server_whose_tags_cannot_be_read_back_keeps_its_source(
        s3_server: Any, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same within one server, for a copy above the copy threshold (a multipart copy, whose tags are sent
    again and read back): a key that may read the source's tags but not the destination bucket's (the proxy
    denies GET ?tagging there only) moved the object and deleted its source; the read-back's denial was not even
    marked `unchecked` (left out, item 11)."""
    from its_store import StorageService, load_settings
    from its_store.core.models import UploadRequest
    from its_store.sync.copy import Copier
    src, dst = unique("ws"), unique("wd")

    def no_tag_reads_in_dst(seen: Seen) -> bytes | None:
        return _no_tag_reads(seen) if seen.path.startswith(f"/{dst}/") else None

    client = plain_client(s3_server)
    client.make_bucket(src)
    client.make_bucket(dst)
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=no_tag_reads_in_dst) as proxy:
        environment_for(s3_server, buckets, monkeypatch, tmp_path)
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        service = StorageService(load_settings())
        service.upload_object(UploadRequest(bucket=src, key="a.bin", data=random_bytes(BIG, seed=7), tags=TAGS))
        copier = Copier(service, copy_threshold=1024 * 1024)
        result = copier.move(f"s3://{src}/a.bin", f"s3://{dst}/a.bin")
        assert len(result.errors) == 1 and result.errors[0].code == "access_denied", result
        message = result.errors[0].message
        assert "was copied" in message and "was not deleted" in message and "s3:GetObjectTagging" in message, message
        copied = copier.copy(f"s3://{src}/a.bin", f"s3://{dst}/b.bin")
        assert not copied.errors and [o.unchecked for o in copied.objects] == ["tags"], copied
    assert client.stat_object(src, "a.bin").size == BIG  # kept, with its tags
    assert dict(client.get_object_tags(src, "a.bin") or {}) == TAGS
