"""Which request carries a key exactly (its_store/s3/keys.py): batches for what XML 1.0 holds, one
DELETE for the rest, never a URL for a key with '.'/'..' segments (it would reach another key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.s3 import keys

from conftest import cli_runner, environment_for, unique
from helpers import Corpus, boto3_client, corpus_on, held_keys, store_keys


class Calls:
    """Records what delete_all sends (pure logic: no server, nothing of minio's replaced)."""

    def __init__(self, batch_error: E.ItsStoreError | None = None) -> None:
        self.batches: list[list[str]] = []
        self.singles: list[str] = []
        self.batch_error = batch_error

    def batch(self, chunk):
        self.batches.append([k for k, _ in chunk])
        if self.batch_error is not None:
            raise self.batch_error
        return []

    def single(self, key, version):
        self.singles.append(key)


def test_xml_rules():
    assert keys.xml_safe("a b\tc\nd\u00e9\U0001f600") and not keys.xml_safe("a\x01") and not keys.xml_safe("cr\r")
    assert keys.as_garbled("p/bad\x01k\x1b\r\t") == "p/bad\ufffdk\ufffd\r\t"
    assert keys.dot_segments("a/../b") and keys.dot_segments(".") and not keys.dot_segments("a..b/...")


def test_a_key_xml_cannot_carry_goes_alone():
    calls = Calls()
    items = [(f"k{i:04d}", None) for i in range(2500)] + [("bad\x01", None), ("cr\r", "v1")]
    assert keys.delete_all(items, calls.batch, calls.single) == []
    assert [len(b) for b in calls.batches] == [1000, 1000, 500]
    assert calls.singles == ["bad\x01", "cr\r"]


def test_a_batch_refused_as_a_whole_goes_key_by_key():
    calls = Calls(E.InvalidInputError("MalformedXML: no"))
    assert keys.delete_all([("a", None), ("b", None)], calls.batch, calls.single) == []
    assert calls.singles == ["a", "b"]
    down = Calls(E.ServiceUnavailableError("gone"))
    with pytest.raises(E.ServiceUnavailableError):  # unreachable: not 1,000 more requests
        keys.delete_all([("a", None)], down.batch, down.single)


def test_a_key_neither_xml_nor_a_url_carries_is_never_sent():
    calls = Calls()
    failures = keys.delete_all([("p/x\x01/../../victim", None)], calls.batch, calls.single)
    assert calls.singles == [] and calls.batches == []
    assert failures[0][2].startswith("InvalidObjectName: ")
    with pytest.raises(E.InvalidInputError):  # UnsafeKeyError: a batch reports it as skipped
        keys.check_addressable("a/./b")


@pytest.fixture
def moto(moto_server_info, buckets, monkeypatch, tmp_path):
    env = environment_for(moto_server_info, buckets, monkeypatch, tmp_path)
    client = boto3_client(moto_server_info)
    bucket = unique("dk")
    client.create_bucket(Bucket=bucket)
    return client, bucket, cli_runner(env)


def test_a_dot_key_never_reaches_another_key(moto):
    """moto stores 'p/x\\x01/../../victim'; as a URL it would be '/BUCKET/victim' (urllib3 resolves the
    dots): its single DELETE would remove 'victim', which rm -r of p/ never asked for."""
    client, bucket, cli = moto
    assert store_keys(client, bucket, ["victim", "p/x\x01/../../victim", "p/sub/../victim", "p/ok"]) == {}
    verify = cli("verify", f"s3://{bucket}/p/", "-r", "--json")
    unreadable = {o["key"]: o["reason"] for o in verify.json()["unreadable"]}
    assert set(unreadable) == {"p/x\x01/../../victim", "p/sub/../victim"}  # not read through "victim"
    run = cli("rm", "-r", "--yes", f"s3://{bucket}/p/", "--json")
    doc = run.json()
    assert sorted(o["key"] for o in doc["objects"]) == ["p/ok", "p/sub/../victim"]  # a batch carries it
    assert [e["key"] for e in doc["errors"]] == ["p/x\x01/../../victim"] and run.exit_code != 0
    assert held_keys(client, bucket) == ["p/x\x01/../../victim", "victim"]  # the victim is untouched


# -- the tester's case: one key XML 1.0 cannot carry among five others ----------------------------------

ONE_BAD = ["h/bad\x01key", "h/a", "h/b", "h/c", "h/d", "h/e"]


@pytest.fixture(params=["seaweedfs", "moto", "rclone"])
def one_bad(request, buckets, monkeypatch, tmp_path) -> Corpus:
    return corpus_on(request, request.param, buckets, monkeypatch, tmp_path, keys=ONE_BAD)


def test_one_key_xml_cannot_carry_blocks_no_batch_delete(one_bad, tmp_path: Path):
    c = one_bad
    assert c.held == sorted(ONE_BAD)
    run = c.cli("rm", "-r", "--yes", f"s3://{c.bucket}/h/", "--json")
    assert run.exit_code == 0, run  # was: exit 2, MalformedXML, none of the batch deleted
    assert sorted(o["key"] for o in run.json()["objects"]) == sorted(ONE_BAD)
    assert held_keys(c.client, c.bucket, "h/") == []
    store_keys(c.client, c.bucket, ONE_BAD)
    empty = tmp_path / "empty"
    empty.mkdir()
    sync = c.cli("sync", str(empty), f"s3://{c.bucket}/h/", "--delete", "--allow-empty-source", "--json")
    assert sync.exit_code == 0, sync  # was: the whole batch failed
    assert sorted(i["key"] for i in sync.json()["deleted"]) == sorted(ONE_BAD)
    assert held_keys(c.client, c.bucket, "h/") == []


@pytest.fixture
def one_bad_versioned(request, buckets, monkeypatch, tmp_path) -> Corpus:
    return corpus_on(request, "seaweedfs", buckets, monkeypatch, tmp_path, versioned=True, keys=ONE_BAD)


def test_erasure_finds_the_real_name_and_reports_only_what_is_gone(one_bad_versioned):
    """SeaweedFS's version listing names the bad key 'h/bad\ufffdkey': a delete of that name "succeeds"
    and erases nothing (was: "erased 6 objects" while the key still answered HEAD). The plain listing
    (URL-encoded) names it exactly: the erasure finds it there, erases it, and lists again to prove it."""
    c = one_bad_versioned
    c.client.delete_object(Bucket=c.bucket, Key="h/bad\x01key")  # a delete marker: a 2nd version
    c.client.put_object(Bucket=c.bucket, Key="h/bad\x01key", Body=b"again")
    c.client.delete_object(Bucket=c.bucket, Key="h/e")  # only a delete marker: in no plain listing
    run = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/", "--json")
    doc = run.json()
    assert sorted(e["key"] for e in doc["entries"]) == sorted([*ONE_BAD, "h/bad\x01key", "h/bad\x01key", "h/e"])
    assert doc["failed"] == 0 and run.exit_code == 0, doc["errors"]
    versions = c.client.list_object_versions(Bucket=c.bucket, Prefix="h/")
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")


def test_erasure_never_claims_a_name_it_cannot_find(one_bad_versioned):
    c = one_bad_versioned
    c.client.delete_object(Bucket=c.bucket, Key="h/bad\x01key")  # hidden: no plain listing names it
    run = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/", "--json")
    doc = run.json()
    assert sorted(e["key"] for e in doc["entries"]) == sorted(set(ONE_BAD) - {"h/bad\x01key"})
    assert [(e["key"], e["code"]) for e in doc["errors"]] == [("h/bad\ufffdkey", "NameGarbled")] * 2
    assert run.exit_code == 1
    human = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/")
    assert "erased 0 objects" in human.stderr and human.stderr.count("not erased: ") == 2


def test_an_entry_a_batch_fails_with_internal_error_is_tried_alone():
    """An entry the server fails inside a batch with its own InternalError is sent again alone (a DELETE is
    idempotent); other refusals (AccessDenied...) stand as they are."""
    class Failing(Calls):
        def batch(self, chunk):
            super().batch(chunk)
            return [(k, v, "InternalError: we encountered an internal error" if k.startswith("long")
                     else "AccessDenied: no") for k, v in chunk if k != "ok"]

    calls = Failing()
    failures = keys.delete_all([("long/x", "v1"), ("ok", None), ("locked", "v2")], calls.batch, calls.single)
    assert calls.singles == ["long/x"] and failures == [("locked", "v2", "AccessDenied: no")]


LONG = ["h/" + "L" * 255, "h/" + "M" * 256, "h/ok"]


@pytest.fixture
def long_segments_versioned(request, buckets, monkeypatch, tmp_path) -> Corpus:
    """LONG stored in a new versioned SeaweedFS bucket. SeaweedFS fails the first PUTs into a bucket whose
    versioning was just enabled with InternalError (they succeed when sent again), so each is sent up to
    ten times here: the test is about the delete, not about that."""
    c = corpus_on(request, "seaweedfs", buckets, monkeypatch, tmp_path, versioned=True, keys=[])
    for key in LONG:
        for _attempt in range(10):
            if not store_keys(c.client, c.bucket, [key]):
                break
    c.held = held_keys(c.client, c.bucket, "h/")
    return c


def test_erasure_of_keys_with_long_segments_in_a_versioned_bucket(long_segments_versioned):
    """SeaweedFS answers InternalError inside DeleteObjects for a key with a 255- or 256-byte segment in a
    versioned bucket, and deletes such a version when asked alone: `rm -r --all-versions` said `not erased`,
    exit 1, for versions one DELETE removes."""
    c = long_segments_versioned
    assert c.held == sorted(LONG), c.held
    run = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/", "--json")
    doc = run.json()
    assert run.exit_code == 0 and doc["failed"] == 0, doc["errors"]
    versions = c.client.list_object_versions(Bucket=c.bucket, Prefix="h/")
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")


@pytest.fixture(params=[False, True], ids=["unversioned", "versioned"])
def twins_garbled_alike(request, buckets, monkeypatch, tmp_path) -> Corpus:
    return corpus_on(request, "seaweedfs", buckets, monkeypatch, tmp_path, versioned=request.param,
                     keys=["h/c\x01x", "h/c\x02x", "h/c\x1bx"])


def test_keys_a_version_listing_garbles_alike_are_no_endless_listing(twins_garbled_alike):
    """SeaweedFS's version listing names every key with a control character with U+FFFD for it, so
    'h/c\\x01x' and 'h/c\\x02x' come back as the same name (version 'null' in an unversioned bucket). The
    guard against a listing that pages in a loop (an entry listed twice: exit 69) must not take them for
    one: they are listed, erased and proven gone."""
    c = twins_garbled_alike
    assert len(c.held) == 3, c.refused
    listed = c.cli("ls", "-r", "--versions", f"s3://{c.bucket}/h/", "--json")
    assert listed.exit_code == 0, listed
    human = c.cli("ls", "-r", "--versions", f"s3://{c.bucket}/h/", extra_env={"COLUMNS": "200"})
    assert human.exit_code == 0 and human.stdout.count("(altered by the server) h/c\ufffdx") == sum(
        1 for doc in listed.jsonl() if doc["garbled"]) == 3, human
    run = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/", "--json")
    assert run.exit_code == 0 and run.json()["failed"] == 0, run
    assert held_keys(c.client, c.bucket, "h/") == []
