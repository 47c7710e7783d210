"""In a versioned (or locked) bucket a delete without a version id only adds a delete marker: every byte
stays stored. `sync --delete`, `mv` and `rm -r` say so (as `rm` does for one object) instead of reporting
the data as deleted: --json keeps its fields and adds `delete_markers` and `still_stored_bytes`."""

from __future__ import annotations

from pathlib import Path

from conftest import unique
from helpers import put_stdin


def _plain_bucket(service) -> str:
    name = unique("p")
    service.s3.make_bucket(name)  # never versioned: a delete removes the data
    return name


def test_sync_delete_into_a_versioned_bucket_says_hidden(cli, bucket, tmp_path: Path):
    put_stdin(cli, bucket, "d/gone.bin", data=b"x" * 100)
    src = tmp_path / "src"
    src.mkdir()
    (src / "keep.bin").write_bytes(b"k")
    run = cli("sync", str(src), f"s3://{bucket}/d/", "--delete", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert [i["path"] for i in doc["deleted"]] == ["gone.bin"]  # the field stays
    assert doc["deleted"][0]["delete_marker"] is True and doc["delete_markers"] is True
    assert doc["totals"]["deleted"] == 1 and doc["totals"]["still_stored_bytes"] == 100
    put_stdin(cli, bucket, "d/gone2.bin", data=b"y" * 50)
    human = cli("sync", str(src), f"s3://{bucket}/d/", "--delete")
    assert human.exit_code == 0, human
    assert "delete\tgone2.bin\tnot in the source (hidden behind a delete marker)" in human.stdout
    assert "hid 1 behind delete markers (50 B still stored)" in human.stderr
    assert "deleted 1" not in human.stderr


def test_sync_delete_into_a_plain_bucket_says_deleted(cli, service, tmp_path: Path):
    plain = _plain_bucket(service)
    put_stdin(cli, plain, "gone.bin", data=b"x" * 10)
    src = tmp_path / "src"
    src.mkdir()
    run = cli("sync", str(src), f"s3://{plain}/", "--delete", "--allow-empty-source", "--json")
    doc = run.json()
    assert doc["delete_markers"] is False and doc["totals"]["still_stored_bytes"] == 0
    assert not doc["deleted"][0]["delete_marker"]  # every item has the field now (a model); false here
    put_stdin(cli, plain, "gone.bin", data=b"x" * 10)
    human = cli("sync", str(src), f"s3://{plain}/", "--delete", "--allow-empty-source")
    assert "deleted 1," in human.stderr and "delete marker" not in human.stderr + human.stdout


def test_mv_out_of_a_versioned_bucket_says_hidden(cli, bucket, service, tmp_path: Path):
    put_stdin(cli, bucket, "m/a.bin", data=b"a" * 30)
    put_stdin(cli, bucket, "m/b.bin", data=b"b" * 20)
    run = cli("mv", f"s3://{bucket}/m/", str(tmp_path / "out") + "/", "-r", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["delete_markers"] is True and doc["still_stored_bytes"] == 50
    assert all(o["deleted"] is True and o["delete_marker"] is True for o in doc["objects"])
    put_stdin(cli, bucket, "one.bin", data=b"c" * 7)
    other = _plain_bucket(service)
    human = cli("mv", f"s3://{bucket}/one.bin", f"s3://{other}/one.bin")
    assert human.exit_code == 0, human
    assert "hidden behind delete markers, not erased; 7 B still stored" in human.stderr


def test_mv_out_of_a_plain_bucket_says_nothing_of_markers(cli, service, tmp_path: Path):
    plain = _plain_bucket(service)
    put_stdin(cli, plain, "a.bin", data=b"a")
    run = cli("mv", f"s3://{plain}/a.bin", str(tmp_path / "a.bin"), "--json")
    doc = run.json()
    assert doc["delete_markers"] is False and doc["objects"][0]["deleted"] is True
    assert not doc["objects"][0]["delete_marker"]


def test_rm_r_in_a_versioned_bucket_names_the_bytes_still_stored(cli, bucket):
    put_stdin(cli, bucket, "r/a.bin", data=b"a" * 40)
    run = cli("rm", "-r", "--yes", f"s3://{bucket}/r/", "--json")
    doc = run.json()
    assert doc["delete_markers"] is True and doc["still_stored_bytes"] == 40
    put_stdin(cli, bucket, "r/a.bin", data=b"a" * 40)
    human = cli("rm", "-r", "--yes", f"s3://{bucket}/r/")
    assert "40 B still stored" in human.stderr
