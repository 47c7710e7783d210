from pathlib import Path

import pytest

from its_store.core.errors import InvalidInputError
from its_store.core.refs import RemoteRef, join_key, parse_remote, safe_local_path, validate_bucket, validate_key


@pytest.mark.parametrize("text,bucket,key", [
    ("s3://bkt/a/b.jpg", "bkt", "a/b.jpg"), ("bkt/a/b.jpg", "bkt", "a/b.jpg"), ("s3://bkt", "bkt", ""),
    ("s3://bkt/", "bkt", ""), ("s3://bkt/pre/", "bkt", "pre/"), ("its-video/cam 1/f.jpg", "its-video", "cam 1/f.jpg"),
])
def test_parse_remote(text, bucket, key):
    assert parse_remote(text) == RemoteRef(bucket, key)


def test_parse_remote_without_bucket_only_when_allowed():
    assert parse_remote("s3:///cam/f.jpg", allow_no_bucket=True) == RemoteRef("", "cam/f.jpg")
    with pytest.raises(InvalidInputError):
        parse_remote("s3:///cam/f.jpg")


@pytest.mark.parametrize("text", ["http://bkt/k", "s3://UPPER/k", "s3://ab/k", "s3://-bad/k", "s3://a..b/k",
                                  "s3://192.168.1.1/k", "s3://" + "a" * 64 + "/k", "s3://bkt/a/../b"])
def test_parse_remote_rejects(text):
    with pytest.raises(InvalidInputError):
        parse_remote(text)


@pytest.mark.parametrize("name", ["abc", "its-video", "a.b-c", "a" * 63])
def test_valid_buckets(name):
    assert validate_bucket(name) == name


@pytest.mark.parametrize("key", ["", "a" * 1025, "a/../b", "./a", "a/.", "x\x00y", "tab\there", "dir/"])
def test_invalid_keys(key):
    with pytest.raises(InvalidInputError):
        validate_key(key)


def test_key_length_counts_utf8_bytes():
    validate_key("é" * 512)  # 1024 bytes
    with pytest.raises(InvalidInputError):
        validate_key("é" * 513)


def test_join_key():
    assert join_key("cam1/", "a/b.jpg") == "cam1/a/b.jpg"
    assert join_key("", "b.jpg") == "b.jpg"
    assert join_key("cam1", "b.jpg") == "cam1/b.jpg"


@pytest.mark.parametrize("key", ["../../etc/x", "/abs", "a/../../b", "a//b", "..", "a/./b", "a\\..\\b", ""])
def test_safe_local_path_refuses_escapes(tmp_path: Path, key):
    with pytest.raises(InvalidInputError):
        safe_local_path(tmp_path, key)


def test_safe_local_path_maps_inside(tmp_path: Path):
    assert safe_local_path(tmp_path, "cam/f.jpg") == (tmp_path / "cam" / "f.jpg").resolve()


def test_safe_local_path_refuses_symlink_escape(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(InvalidInputError):
        safe_local_path(root, "link/x")
