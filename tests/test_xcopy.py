"""Copies between endpoints (service/xcopy.py, transfer/relay.py; cp/mv in sync/copy.py, sync in
sync/engine.py with `dest_owner`): from the session SeaweedFS to a second SeaweedFS (`second_seaweed` of
conftest.py, started once for the session: tests/test_xcopy_cli.py uses it too) and to moto's server.
Everything is checked on the destination server itself."""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Hold

from its_store import UploadRequest
from its_store.core import errors as E
from its_store.core.settings import load_settings
from its_store.service.context import Context
from its_store.service.xcopy import CrossOptions, confirm_copy, copy_object, is_cross, relay_part_size
from its_store.sync.copy import Copier
from its_store.sync.engine import Sync, upload_one
from its_store.sync.model import SyncOptions
from its_store.testing.devserver import SeaweedServer

from conftest import SMALL_THRESHOLD as T
from conftest import unique
from helpers import random_bytes, write_file

MiB = 1024 * 1024


# ------------------------------------------------------------------------------------------ fixtures
# second_seaweed (conftest.py): a second SeaweedFS for the session, the other endpoint of every copy here


def context_on(endpoint: str, access_key: str, secret_key: str, state: Path, **more: Any) -> Context:
    """A Context on another endpoint, with its own local state (journal, sync state, cache)."""
    values = {"secure": False, "region": "us-east-1", "cache_dir": state, "multipart_threshold": T, "max_retries": 1,
              **more}
    settings = load_settings(endpoint=endpoint, access_key=access_key, secret_key=secret_key, **values)
    return Context(settings)


@pytest.fixture
def src(service) -> Context:
    """The source: the session SeaweedFS of `env` / `service`."""
    return service.ctx


@pytest.fixture
def seaweed_dest(second_seaweed, env, tmp_path: Path):
    ctx = context_on(second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key,
                     tmp_path.parent / f"{tmp_path.name}-dest")
    yield ctx
    ctx.close()


@pytest.fixture(params=["seaweedfs", "moto"])
def dest(request, env, tmp_path: Path):
    """The destination: the second SeaweedFS, or moto's server."""
    if request.param == "seaweedfs":
        server = request.getfixturevalue("second_seaweed")
        keys = (server.access_key, server.secret_key)
    else:
        server = request.getfixturevalue("moto_server_info")
        keys = (server.access_key, server.secret_key)
    ctx = context_on(server.endpoint, *keys, tmp_path.parent / f"{tmp_path.name}-dest")
    yield ctx
    ctx.close()


def put(ctx: Context, bucket: str, key: str, data: bytes, **fields: Any) -> Any:
    from its_store.service import objects
    return objects.upload(ctx, UploadRequest(bucket=bucket, key=key, data=data, **fields))


def described(ctx: Context, bucket: str, key: str) -> dict[str, Any]:
    """What a copy must keep, read from the server: size, content type, user metadata (but the part size,
    which is the copy's own), tags."""
    stat = ctx.s3.stat(bucket, key)
    meta = {k: v for k, v in stat.metadata.items() if k.startswith("x-amz-meta-") and k != "x-amz-meta-its-part-size"}
    return {"size": stat.size, "content_type": stat.content_type, "meta": meta,
            "tags": ctx.s3.get_tags(bucket, key)}


def body(ctx: Context, bucket: str, key: str, headers: dict[str, str] | None = None) -> bytes:
    with ctx.s3.get(bucket, key, headers=headers) as resp:
        return resp.read()


def listed(ctx: Context, bucket: str, prefix: str = "") -> list[str]:
    return sorted(e.key for e in ctx.s3.list_objects(bucket, prefix))


def seed_tree(ctx: Context, bucket: str, tmp_path: Path) -> dict[str, bytes]:
    """Objects of every kind under cams/: tagged with metadata and a content type, an empty one, one written
    by sync (its mtime metadata), one stored zstd-compressed, one in three parts."""
    ctx.s3.make_bucket(bucket)
    tree = {"cams/c1/f1.jpg": b"\xff\xd8\xff" + random_bytes(3000, 1), "cams/c1/f2.json": b'{"speed": 88}',
            "cams/c2/log.txt": b"line\n" * 4000, "cams/c2/big.bin": random_bytes(2 * T + 1234, 2)}
    put(ctx, bucket, "cams/c1/f1.jpg", tree["cams/c1/f1.jpg"], content_type="image/jpeg",
        metadata={"camera": "c1", "site": "a7"}, tags={"site": "a7", "kind": "frame"})
    put(ctx, bucket, "cams/c1/f2.json", tree["cams/c1/f2.json"], tags={"k": "v"})
    tree["cams/c1/empty.txt"] = b""
    put(ctx, bucket, "cams/c1/empty.txt", b"", content_type="text/plain")
    put(ctx, bucket, "cams/c2/log.txt", tree["cams/c2/log.txt"], compression="zstd", metadata={"shift": "night"})
    put(ctx, bucket, "cams/c2/big.bin", tree["cams/c2/big.bin"], part_size=T, metadata={"camera": "c2"})
    synced = write_file(tmp_path / "synced.bin", 777, seed=3)
    upload_one(ctx, synced, bucket, "cams/c3/synced.bin")
    tree["cams/c3/synced.bin"] = synced.read_bytes()
    return tree


# ---------------------------------------------------------------------------------------- the tests
def test_tree_copied_key_by_key(src, dest, tmp_path: Path):
    """cp -r between endpoints: every object arrives with its bytes, content type, user metadata (its-sha256,
    the codec fields, the mtime of sync), tags; a compressed object as stored; compared on the server."""
    sb, db = unique("xs"), unique("xd")
    tree = seed_tree(src, sb, tmp_path)
    result = Copier(src, dest_owner=dest).copy(f"s3://{sb}/cams/", f"s3://{db}/copy/", recursive=True)
    assert result.errors == [] and result.succeeded == len(tree), result
    assert all(item.verified for item in result.objects)
    for key in tree:
        there = "copy/" + key[len("cams/"):]
        assert described(dest, db, there) == described(src, sb, key), key
        assert body(dest, db, there) == body(src, sb, key), key  # as stored: the zstd bytes themselves
    assert body(dest, db, "copy/c2/big.bin") == tree["cams/c2/big.bin"]
    assert dest.s3.stat(db, "copy/c2/log.txt").metadata["x-amz-meta-its-codec"] == "zstd"
    assert dest.s3.list_multipart_uploads(db) == []


def test_sync_between_endpoints_keeps_its_rules(src, seaweed_dest, tmp_path: Path):
    """sync s3 -> s3 across endpoints: the same march, comparison, filters, --dry-run and --delete."""
    dest = seaweed_dest
    sb, db = unique("xs"), unique("xd")
    tree = seed_tree(src, sb, tmp_path)
    dest.s3.make_bucket(db)
    dest.s3.put(db, "mirror/stale.txt", b"not in the source", {})

    def run(**options: Any) -> Any:
        return Sync(src, f"s3://{sb}/cams/", f"s3://{db}/mirror/", SyncOptions(**options), dest_owner=dest).run()

    dry = run(delete=True, dry_run=True)
    assert dry.totals.copied == len(tree) and dry.totals.deleted == 1
    assert listed(dest, db) == ["mirror/stale.txt"]  # a dry run changes nothing
    first = run(delete=True)
    assert first.ok and first.totals.copied == len(tree) and first.totals.deleted == 1, first
    assert listed(dest, db) == sorted("mirror/" + k[len("cams/"):] for k in tree)
    again = run(delete=True)
    assert again.ok and again.totals.copied == 0 and again.totals.unchanged == len(tree), again
    put(src, sb, "cams/c1/f2.json", b'{"speed": 101}', tags={"k": "v2"})  # changed: size differs (13 -> 14)
    from its_store.sync.filters import Filter
    changed = run(filter=Filter.of(None, ["c2/*"]))
    assert [i.path for i in changed.copied] == ["c1/f2.json"], changed
    assert body(dest, db, "mirror/c1/f2.json") == b'{"speed": 101}'
    assert dest.s3.get_tags(db, "mirror/c1/f2.json") == {"k": "v2"}


def test_mv_deletes_a_source_only_after_its_check(src, seaweed_dest, tmp_path: Path):
    dest = seaweed_dest
    sb, db = unique("xs"), unique("xd")
    tree = seed_tree(src, sb, tmp_path)
    # one more, written by another tool in parts: no its-sha256, no part size, no checksum: nothing to check with
    plain_client_of(src).put_object(sb, "cams/other/unknown.bin", io.BytesIO(random_bytes(2 * T + 9, 4)),
                                    2 * T + 9, part_size=T)
    result = Copier(src, dest_owner=dest).move(f"s3://{sb}/cams/", f"s3://{db}/moved/", recursive=True)
    assert [e.key for e in result.errors] == ["cams/other/unknown.bin"], result
    assert result.errors[0].code == E.IntegrityError.code
    assert {i.verified_by for i in result.objects} <= {"sha256"} and result.succeeded == len(tree)
    assert all(i.deleted for i in result.objects)
    left = listed(src, sb)
    assert left == ["cams/other/unknown.bin"]  # its copy could not be verified: kept (and the copy is there)
    assert listed(dest, db) == sorted(["moved/other/unknown.bin", *("moved/" + k[5:] for k in tree)])


def plain_client_of(ctx: Context) -> Any:
    from minio import Minio
    s = ctx.settings
    return Minio(s.endpoint, s.access_key, s.secret_key.get_secret_value(), secure=False, region="us-east-1")


@pytest.mark.parametrize("size", [1000, 2 * T + 17], ids=["one-put", "parts"])
def test_hash_mismatch_is_refused_and_nothing_is_visible(src, seaweed_dest, size: int):
    """A source whose bytes are not its its-sha256: exit 4, no object, no upload left on the destination."""
    dest = seaweed_dest
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    data = random_bytes(size, 5)
    plain_client_of(src).put_object(sb, "bad.bin", io.BytesIO(data), size, part_size=T,
                                    metadata={"x-amz-meta-its-sha256": hashlib.sha256(data + b"x").hexdigest()})
    with pytest.raises(E.IntegrityError) as caught:
        copy_object(src, sb, "bad.bin", dest, db, "bad.bin")
    assert caught.value.exit_code == E.EXIT_INTEGRITY and "sha256 mismatch" in caught.value.message
    assert listed(dest, db) == [] and dest.s3.list_multipart_uploads(db) == []
    assert list((Path(str(dest.settings.cache_dir)) / "uploads").glob("*.json")) == []


def test_sse_c_keys_differ_per_side(src, seaweed_dest, tmp_path: Path):
    dest = seaweed_dest
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    a, b = tmp_path / "a.key", tmp_path / "b.key"
    a.write_bytes(secrets.token_bytes(32))
    b.write_bytes(secrets.token_bytes(32))
    data = random_bytes(2 * T + 5, 6)
    put(src, sb, "secret.bin", data, sse="c", sse_c_key_file=a, part_size=T)
    with pytest.raises(E.InvalidInputError):  # nothing says how to encrypt the copy: not stored in the clear
        copy_object(src, sb, "secret.bin", dest, db, "secret.bin", CrossOptions(source_sse_c_key_file=a))
    assert not dest.s3.bucket_exists(db) or listed(dest, db) == []
    options = CrossOptions(source_sse_c_key_file=a, sse_c_key_file=b)
    copied = copy_object(src, sb, "secret.bin", dest, db, "secret.bin", options)
    assert copied.encryption == "SSE-C" and copied.verified_by == "sha256" and copied.parts == 3
    from its_store.codec.encryption import read_key_file
    assert body(dest, db, "secret.bin", read_key_file(b).headers()) == data
    with pytest.raises(E.ItsStoreError):
        body(dest, db, "secret.bin", read_key_file(a).headers())  # the source's key opens nothing there
    assert confirm_copy(dest, copied, options) == "sha256"


def test_lock_asked_for_is_on_the_destination(src, seaweed_dest):
    from datetime import UTC, datetime, timedelta
    dest = seaweed_dest
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    put(src, sb, "evidence.mp4", random_bytes(4000, 7), content_type="video/mp4")
    dest.s3.make_bucket(db, object_lock=True)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    copied = copy_object(src, sb, "evidence.mp4", dest, db, "evidence.mp4",
                         CrossOptions(retain_mode="GOVERNANCE", retain_until=until, legal_hold=True))
    mode, kept = dest.s3.governance.get_retention(db, "evidence.mp4", copied.version_id)
    assert mode == "GOVERNANCE" and kept is not None and kept >= until
    assert dest.s3.governance.get_legal_hold(db, "evidence.mp4", copied.version_id)
    with pytest.raises(E.ObjectLockNotEnabledError):  # a bucket without lock: nothing stored unprotected
        copy_object(src, sb, "evidence.mp4", dest, unique("xn"), "evidence.mp4", CrossOptions(legal_hold=True))


@pytest.fixture
def own_dest(tmp_path: Path):
    """A destination of this test's own, which it kills and restarts."""
    server = SeaweedServer(workdir=tmp_path / "server").start()
    yield server
    server.kill()  # SIGKILL: the folder stays in tmp_path; a clean stop of SeaweedFS took ~10 s here


def test_destination_killed_midway_then_rerun_resumes(src, own_dest, env, tmp_path: Path):
    """The destination dies after two parts: nothing is visible there, the parts stay; the same copy run
    again (same journal) checks those two against the source and sends only the rest."""
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    data = random_bytes(4 * T + 3, 8)
    put(src, sb, "clip.mp4", data, part_size=T)
    direct = context_on(own_dest.endpoint, own_dest.access_key, own_dest.secret_key, tmp_path / "direct")
    direct.s3.make_bucket(db)
    hold = Hold(2)  # two parts go on; the rest wait until the server is dead
    proxy = FaultProxy(own_dest.s3_port, answer=hold, record=True).start()
    via = context_on(proxy.endpoint, own_dest.access_key, own_dest.secret_key, tmp_path / "state")
    options = CrossOptions(workers=2, part_size=T)
    failed: list[BaseException] = []

    def first_run() -> None:
        try:
            copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", options)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            failed.append(exc)

    worker = threading.Thread(target=first_run)
    try:
        worker.start()
        hold.wait()
        _wait_for_parts(direct, db, "clip.mp4", 2)  # the two parts are stored: a real condition
        own_dest.kill()
        hold.release()
        worker.join(120)
        assert len(failed) == 1 and isinstance(failed[0], E.ServiceUnavailableError), failed
        assert "run again" in (failed[0].hint or "")
        own_dest.restart()
        with pytest.raises(E.ObjectNotFoundError):
            direct.s3.stat(db, "clip.mp4")  # nothing half-visible
        assert len(direct.s3.list_multipart_uploads(db)) == 1  # the parts are kept for the rerun
        via.close()
        via = context_on(proxy.endpoint, own_dest.access_key, own_dest.secret_key, tmp_path / "state", max_retries=5)
        before = len(proxy.seen)
        copied = copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", options)
    finally:
        proxy.stop()
        via.close()
    assert copied.resumed_parts == 2 and copied.parts == 5 and copied.verified_by == "sha256"
    sent = [s for s in proxy.seen[before:] if s.method == "PUT" and "partNumber" in s.query]
    assert sorted(int(s.query["partNumber"]) for s in sent) == [3, 4, 5]
    assert body(direct, db, "clip.mp4") == data
    assert direct.s3.list_multipart_uploads(db) == []
    direct.close()


def test_a_complete_answered_with_no_sense_is_never_aborted(src, second_seaweed, tmp_path: Path):
    """The destination's answer to CompleteMultipartUpload cannot be read (a 200 that is no XML): the upload
    may have completed, or still be completing, so it is never aborted (on SeaweedFS an abort meanwhile
    deletes the completed object's data: resume.UploadJournal.completing). The same copy run again
    completes that upload, no part sent again."""
    from faultserver import response
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    data = random_bytes(2 * T + 5, 14)
    put(src, sb, "clip.mp4", data, part_size=T)
    garbled = [True]

    def answer(seen: Any) -> bytes | None:
        complete = seen.method == "POST" and "uploadId" in seen.query
        return response(200, b"no xml", content_type="application/xml") if complete and garbled[0] else None

    proxy = FaultProxy(_port(second_seaweed.endpoint), answer=answer, record=True).start()
    via = context_on(proxy.endpoint, second_seaweed.access_key, second_seaweed.secret_key, tmp_path / "state")
    try:
        via.s3.make_bucket(db)
        with pytest.raises(E.BadAnswerError):
            copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", CrossOptions(part_size=T))
        assert not proxy.requests_to("DELETE", lambda seen: "uploadId" in seen.query)
        garbled[0] = False
        before = len(proxy.requests_to("PUT"))
        copied = copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", CrossOptions(part_size=T))
        assert copied.resumed_parts == copied.parts == 3 and len(proxy.requests_to("PUT")) == before
        assert body(via, db, "clip.mp4") == data
        assert not proxy.requests_to("DELETE", lambda seen: "uploadId" in seen.query)
    finally:
        proxy.stop()
        via.close()


def _wait_for_parts(ctx: Context, bucket: str, key: str, count: int) -> None:
    import time
    deadline = time.monotonic() + 120  # a safety net only
    while time.monotonic() < deadline:
        uploads = [u for k, u in ctx.s3.list_multipart_uploads(bucket) if k == key]
        if uploads and len(ctx.s3.list_parts(bucket, key, uploads[0])) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} parts never reached the server")


def test_rerun_with_a_changed_source_starts_over(src, seaweed_dest, tmp_path: Path):
    """A journal entry made for another version of the source is not continued: that upload is aborted."""
    dest = seaweed_dest
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    dest.s3.make_bucket(db)
    put(src, sb, "v.bin", random_bytes(2 * T + 1, 9), part_size=T)
    journal = dest.journal()
    orphan = dest.s3.create_multipart(db, "v.bin", {})
    journal.save(db, "v.bin", {"source": "relay", "source_etag": "not-this-one", "upload_id": orphan})
    copied = copy_object(src, sb, "v.bin", dest, db, "v.bin")
    assert copied.resumed_parts == 0
    assert dest.s3.list_multipart_uploads(db) == []  # the orphan was aborted


def test_part_arithmetic_of_5_gib_and_one_byte():
    """No server: the plan of the largest object a copy meets in practice (just over S3's 5 GiB single-PUT
    limit, a last part of one byte) and of one at S3's 10,000-part limit."""
    from its_store.s3.client import Headers, ObjectStat
    size = 5 * 1024 ** 3 + 1
    plain = ObjectStat("b", "k", Headers({"content-length": str(size), "etag": '"x"'}))
    part = relay_part_size(plain, None)
    assert part == 8 * MiB and -(-size // part) == 641 and size - 640 * part == 1
    own = ObjectStat("b", "k", Headers({"content-length": str(size), "etag": '"abc-81"',
                                        "x-amz-meta-its-part-size": str(64 * MiB)}))
    assert relay_part_size(own, None) == 64 * MiB  # the source's own: the copy keeps its multipart ETag
    huge = ObjectStat("b", "k", Headers({"content-length": str(200 * 1024 ** 3), "etag": '"x"'}))
    assert -(-huge.size // relay_part_size(huge, None)) <= 10_000


def test_is_cross(tmp_path: Path):
    def ctx(endpoint: str, key: str = "k") -> Context:
        return Context(load_settings(endpoint=endpoint, access_key=key, secret_key="s" * 20, cache_dir=tmp_path))
    assert not is_cross(ctx("127.0.0.1:9000"), ctx("127.0.0.1:9000"))
    assert is_cross(ctx("127.0.0.1:9000"), ctx("127.0.0.1:9001"))
    assert is_cross(ctx("127.0.0.1:9000"), ctx("127.0.0.1:9000", "other"))


MANY = 220  # three listing pages of 100 keys at most (the last one of 20; test_many_small...); 20 folders of 11


@pytest.fixture
def rclone_tree(tmp_path: Path):
    """`rclone serve s3` of this test's own over a folder of MANY small files (bucket `many`): made on
    disk before the server starts, which is far cheaper than MANY PUTs."""
    from servers import RcloneServer
    server = RcloneServer(workdir=tmp_path / "rclone")
    folders = [tmp_path / "rclone" / "data" / "many" / f"cam{c:02d}" for c in range(20)]
    for folder in folders:
        folder.mkdir(parents=True)
    for i in range(MANY):
        (folders[i % 20] / f"f{i:05d}.txt").write_bytes(b"frame %05d\n" % i)
    server.start()
    yield server
    server.kill()  # SIGKILL: nothing to keep


def test_many_small_objects_over_several_listing_pages(rclone_tree, seaweed_dest, tmp_path: Path, monkeypatch):
    """cp -r of MANY small objects (three listing pages of at most 100 keys, the last one short, on each
    side) from `rclone serve s3` to SeaweedFS: all there, each one GET and one PUT; then a sync of the same
    finds nothing to do. Pages of 100: the max-keys every listing sends, here a tenth of its 1,000, so the
    same requests and paging as 2,200 objects at full size. Nothing here depends on the count beyond the
    pages (10,000 at full size proved no more and cost ~5x the time of 2,100)."""
    from its_store.s3 import listing
    monkeypatch.setattr(listing, "MAX_KEYS", "100")
    src = context_on(rclone_tree.endpoint, rclone_tree.access_key, rclone_tree.secret_key, tmp_path / "src")
    db = unique("xd")
    result = Copier(src, dest_owner=seaweed_dest).copy("s3://many/", f"s3://{db}/many/", recursive=True)
    assert result.failed == 0 and result.succeeded == MANY, result.errors[:3]
    assert all(item.verified for item in result.objects)  # rclone gives MD5 ETags: each one checked
    keys = listed(seaweed_dest, db)
    assert len(keys) == MANY and keys[0] == "many/cam00/f00000.txt" and keys[-1] == f"many/cam19/f{MANY - 1:05d}.txt"
    assert body(seaweed_dest, db, "many/cam07/f00127.txt") == b"frame 00127\n"
    again = Sync(src, "s3://many/", f"s3://{db}/many/", SyncOptions(mode="size-only"), dest_owner=seaweed_dest).run()
    assert again.ok and again.totals.unchanged == MANY and again.totals.copied == 0
    src.close()


SPARSE = {"5GiB+1": (5 * 1024 ** 3 + 1, None, 641), "15MiB+1": (3 * T + 1, T, 4)}  # size, part size asked, parts


@pytest.fixture
def sparse_source(tmp_path: Path):
    """`rclone serve s3` of this test's own over sparse files (zeros, then one byte 0x01) of the sizes in
    SPARSE: made in no time, read from holes; `--etag-hash ""` so that rclone does not read a file whole
    for its MD5 before it answers."""
    from servers import RcloneServer

    class Unhashed(RcloneServer):
        def command(self) -> list[str]:
            *head, data = super().command()
            return [*head, "--etag-hash", "", data]

    folder = tmp_path / "rclone" / "data" / "big"
    folder.mkdir(parents=True)
    for name, (size, _, _) in SPARSE.items():
        with open(folder / name, "wb") as fh:
            fh.truncate(size - 1)
            fh.seek(size - 1)
            fh.write(b"\x01")
    server = Unhashed(workdir=tmp_path / "rclone").start()
    yield server
    server.kill()  # SIGKILL: nothing to keep


def _composite_crc32(part: int, count: int) -> tuple[list[int], str]:
    """The CRC32 of each part of a SPARSE object (zeros, the last part one byte 0x01) and S3's composite
    CRC32 of them (base64 of the CRC32 of the parts' CRC32s)."""
    import base64
    import zlib
    crcs = [zlib.crc32(bytes(part))] * (count - 1) + [zlib.crc32(b"\x01")]
    composite = base64.b64encode(zlib.crc32(b"".join(c.to_bytes(4, "big") for c in crcs)).to_bytes(4, "big"))
    return crcs, composite.decode()


def test_part_arithmetic_on_a_real_server(sparse_source, seaweed_dest, tmp_path: Path):
    """The part arithmetic on a real server (3 parts of 5 MiB and one of one byte): every part in its place,
    none lost or doubled, as the destination's composite CRC32 of the parts proves against the one these
    bytes make; the last byte where it belongs. Past 5 GiB: the next test. Not a speed test
    (bench/xcopy_bench.py)."""
    name = "15MiB+1"
    size, part, count = SPARSE[name]
    src = context_on(sparse_source.endpoint, sparse_source.access_key, sparse_source.secret_key, tmp_path / "src")
    db = unique("xd")
    copied = copy_object(src, "big", name, seaweed_dest, db, name, CrossOptions(part_size=part))
    assert copied.size == size and copied.parts == count and copied.etag.endswith(f"-{count}")
    assert size - (count - 1) * part == 1  # the last part: one byte
    stat = seaweed_dest.s3.stat(db, name)
    assert stat.size == size and stat.metadata["x-amz-meta-its-part-size"] == str(part)
    assert stat.metadata["x-amz-checksum-crc32"].partition("-")[0] == _composite_crc32(part, count)[1]
    with seaweed_dest.s3.get(db, name, offset=size - 2) as tail:
        assert tail.read() == b"\x00\x01"
    assert seaweed_dest.s3.list_multipart_uploads(db) == []
    src.close()


def _peak_rss_reset() -> int:
    """Reset this process's peak RSS (VmHWM; Linux >= 4.0) and return its RSS now, in bytes."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_bytes("VmRSS")


def _status_bytes(field: str) -> int:
    import re
    found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert found, field
    return int(found.group(1)) * 1024


def test_part_arithmetic_past_5_gib_in_bounded_memory(sparse_source, tmp_path: Path):
    """5 GiB + 1 byte, past S3's single-request limit: 641 parts of 8 MiB, the last of one byte, every one
    in its place (none lost, doubled or cut), as the destination's own size and CRC32 of each part and its
    composite CRC32 prove against the ones these bytes make; and the copy streams: this process's peak RSS
    grows by far less than one GiB. The destination is tests/sinkserver.py, which checks each part as S3
    does and throws its bytes away (a real server would spend the test writing 5 GiB to disk; the same
    arithmetic on SeaweedFS: the test above). Not a speed test (bench/xcopy_bench.py)."""
    from sinkserver import SinkServer
    name = "5GiB+1"
    size, asked, count = SPARSE[name]
    part = 8 * MiB  # what the copy chooses for 5 GiB (test_part_arithmetic_of_5_gib_and_one_byte)
    src = context_on(sparse_source.endpoint, sparse_source.access_key, sparse_source.secret_key, tmp_path / "src")
    with SinkServer() as sink:
        dest = context_on(sink.endpoint, "its-sink", "sink-secret-key-0123456789", tmp_path / "dest")
        db = unique("xd")
        before = _peak_rss_reset()
        copied = copy_object(src, "big", name, dest, db, name, CrossOptions(part_size=asked))
        grown = _status_bytes("VmHWM") - before
        assert copied.size == size and copied.parts == count and copied.etag.endswith(f"-{count}")
        assert size - (count - 1) * part == 1  # the last part: one byte
        crcs, composite = _composite_crc32(part, count)
        assert sink.parts_of(db, name) == [(part, crc) for crc in crcs[:-1]] + [(1, crcs[-1])]
        stat = dest.s3.stat(db, name)
        assert stat.size == size and stat.metadata["x-amz-meta-its-part-size"] == str(part)
        assert stat.metadata["x-amz-checksum-crc32"].partition("-")[0] == composite
        assert dest.s3.list_multipart_uploads(db) == []
        dest.close()
    assert grown < 512 * MiB, f"peak RSS grew by {grown // MiB} MiB while copying 5 GiB"
    src.close()


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def test_tags_are_read_only_where_the_source_counts_some(src, s3_server, seaweed_dest, tmp_path: Path):
    """One GET ?tagging for the tagged object, none for the other (x-amz-tagging-count): an untagged object
    costs one GET and one PUT."""
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    put(src, sb, "tagged.jpg", b"a" * 100, tags={"site": "a7"})
    put(src, sb, "plain.jpg", b"b" * 100)
    proxy = FaultProxy(_port(s3_server.endpoint), record=True).start()
    via = context_on(proxy.endpoint, s3_server.access_key, s3_server.secret_key, tmp_path / "via")
    try:
        result = Copier(via, dest_owner=seaweed_dest).copy(f"s3://{sb}/", f"s3://{db}/", recursive=True)
    finally:
        proxy.stop()
        via.close()
    assert result.succeeded == 2 and result.failed == 0
    tag_reads = proxy.requests_to("GET", lambda s: "tagging" in s.query)
    assert [s.path for s in tag_reads] == [f"/{sb}/tagged.jpg"]
    assert len(proxy.requests_to("GET", lambda s: s.path == f"/{sb}/plain.jpg")) == 1
    assert proxy.requests_to("HEAD", lambda s: s.path.endswith(".jpg")) == []  # the listing's size: no HEAD
    assert seaweed_dest.s3.get_tags(db, "tagged.jpg") == {"site": "a7"}
    assert seaweed_dest.s3.get_tags(db, "plain.jpg") == {}


def test_source_connections_broken_mid_body_are_read_again(src, s3_server, seaweed_dest, tmp_path: Path):
    """Answers of the source cut in the middle of their body: that range is read again. One part at a time,
    so that the proxy's seeded rolls fall on the same requests every run (the third roll, a GET, is cut)."""
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    data = random_bytes(3 * T + 11, 12)
    put(src, sb, "clip.mp4", data)
    proxy = FaultProxy(_port(s3_server.endpoint), reset_rate=0.5, seed=3).start()
    via = context_on(proxy.endpoint, s3_server.access_key, s3_server.secret_key, tmp_path / "via", max_retries=8)
    try:
        copied = copy_object(via, sb, "clip.mp4", seaweed_dest, db, "clip.mp4", CrossOptions(part_size=T, workers=1))
    finally:
        proxy.stop()
        via.close()
    assert proxy.counters.resets >= 1, proxy.counters
    assert copied.parts == 4 and copied.verified_by == "sha256"
    assert body(seaweed_dest, db, "clip.mp4") == data


def test_many_large_copies_share_one_small_budget(src, seaweed_dest, monkeypatch):
    """Three relays of three parts each at once, with a process budget of two parts: they take turns and
    all finish (each takes its parts' shares in part order, so none waits for a share held by a part that
    waits for it)."""
    from its_store.transfer import upload
    monkeypatch.setattr(upload.BUDGET, "capacity", 2 * T)
    sb, db = unique("xs"), unique("xd")
    src.s3.make_bucket(sb)
    blobs = {f"o{i}.bin": random_bytes(2 * T + 100 + i, 20 + i) for i in range(3)}
    for name, data in blobs.items():
        put(src, sb, name, data)
    done: dict[str, Any] = {}

    def one(name: str) -> None:
        try:
            done[name] = copy_object(src, sb, name, seaweed_dest, db, name, CrossOptions(part_size=T, workers=3))
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            done[name] = exc

    threads = [threading.Thread(target=one, args=(name,), daemon=True) for name in blobs]
    for thread in threads:
        thread.start()
    import time
    deadline = time.monotonic() + 120  # a safety net against a deadlock, not a timing
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert sorted(done) == sorted(blobs) and all(getattr(r, "parts", 0) == 3 for r in done.values()), done
    assert upload.BUDGET.used == 0
    for name, data in blobs.items():
        assert body(seaweed_dest, db, name) == data
