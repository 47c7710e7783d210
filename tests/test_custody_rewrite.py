"""Chain of custody against a file rewritten in place while it is uploaded in parts.

The its-sha256 of a multipart upload travels in CreateMultipartUpload, so it is hashed by a read of the
file before any part is read. A writer that rewrites the file in place between the two (same size, its
mtime set back) must not leave an object whose bytes differ from its its-sha256: the parts' bytes are
hashed as they are read and compared before CompleteMultipartUpload (transfer/upload._hashed_parts);
on a mismatch the upload is aborted (nothing stored, no upload left open) and the command exits 5.

Deterministic without timing: the fault proxy's `answer` hook sees CreateMultipartUpload arrive (the
hash is done: it is in that request) and rewrites the file before passing it on; every part is read after
its answer.

The parts are compared by CRC32 (the first read takes one per part; upload_part computes each sent part's
for its checksum header): every accidental change is caught, whatever its kind (below), but a writer who
forges a CRC32 collision is not; the object then fails `verify` (the last test shows both).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from its_store.core import errors as E
from its_store.s3.crc import crc32
from its_store.transfer.upload import SHA256_HEADER, _crc_check, _hashed_parts, upload_file

from helpers import write_file

SIZE = 12 * 1024 * 1024 + 333  # two 8 MiB parts (multipart from 5 MiB in tests)


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _rewrite_on_create(path: Path) -> Any:
    """An `answer` hook: at CreateMultipartUpload, rewrite the end of `path` in place (same size) and set
    its mtime back, as a writer hiding its change from an fstat check would; then pass the request on."""
    def hook(seen: Seen) -> None:
        if seen.method == "POST" and "uploads" in seen.query:
            before = os.stat(path)
            with open(path, "r+b") as fh:
                fh.seek(SIZE - 1000)
                fh.write(b"\x00" * 1000)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            hook.rewrites += 1  # type: ignore[attr-defined]
        return None
    hook.rewrites = 0  # type: ignore[attr-defined]
    return hook


@pytest.mark.parametrize("command", ["upload", "upload-r", "cp", "mv", "sync"])
def test_a_file_rewritten_in_place_midway_stores_nothing(cli: Any, service: Any, bucket: str, s3_server: Any,
                                                        tmp_path: Path, command: str) -> None:
    src = write_file(tmp_path / "in" / "clip.mp4", SIZE, seed=7)
    args = {"upload": ["upload", str(src), f"s3://{bucket}/clip.mp4"],
            "upload-r": ["upload", str(src.parent), f"s3://{bucket}/", "-r"],
            "cp": ["cp", str(src), f"s3://{bucket}/clip.mp4"],
            "mv": ["mv", str(src), f"s3://{bucket}/clip.mp4"],
            "sync": ["sync", str(src.parent), f"s3://{bucket}/"]}[command]
    hook = _rewrite_on_create(src)
    with FaultProxy(_port(s3_server.endpoint), answer=hook) as proxy:
        run = cli(*args, extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert hook.rewrites == 1, run
    assert run.exit_code == E.EXIT_CONFLICT, run
    assert "clip.mp4 changed while it was uploaded" in run.stderr, run
    assert list(service.s3.list_objects(bucket)) == []  # nothing stored, not even a half object
    assert service.s3.list_multipart_uploads(bucket) == []  # and the upload was aborted
    assert src.exists()  # mv kept its source


def test_an_unchanged_file_still_uploads_through_the_same_path(cli: Any, service: Any, bucket: str,
                                                              tmp_path: Path) -> None:
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=8)
    run = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--json", "--compress", "none")
    assert run.exit_code == 0, run
    assert run.json()["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert service.stat_object(bucket, "clip.mp4").sha256 == run.json()["sha256"]


def test_a_single_put_checks_a_hash_made_by_an_earlier_read(service: Any, bucket: str, tmp_path: Path) -> None:
    """A file below the threshold whose its-sha256 was hashed before (SSE-C: service/encoded.py) is sent
    only if its bytes still hash to it."""
    src = write_file(tmp_path / "frame.jpg", 70_000, seed=9)
    stale = hashlib.sha256(b"what the file held when it was hashed").hexdigest()
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        upload_file(service.s3, bucket, "frame.jpg", src, {SHA256_HEADER: stale},
                    threshold=5 * 1024 * 1024, part_size=None, workers=2)
    assert list(service.s3.list_objects(bucket)) == []


def test_a_resumed_part_must_still_be_what_the_server_holds(tmp_path: Path) -> None:
    """--resume: a part already on the server is read again for the hash; bytes that no longer match its
    MD5 (the server's ETag) are not what is stored, so they cannot vouch for the its-sha256."""
    data = b"part one as read now"
    parts = _hashed_parts(lambda _n: data, 1, 5 * 1024 * 1024, {1: hashlib.md5(b"as stored").hexdigest()},
                          hashlib.sha256(data).hexdigest(), tmp_path / "f.bin", {})
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        list(parts)
    same = _hashed_parts(lambda _n: data, 1, 5 * 1024 * 1024, {1: hashlib.md5(data).hexdigest()},
                         hashlib.sha256(data).hexdigest(), tmp_path / "f.bin", {})
    assert list(same) == []  # nothing left to send, and the hash of what is stored matches

    assert list(_hashed_parts(lambda _n: data, 1, 5 * 1024 * 1024, {1: hashlib.md5(data).hexdigest()},
                              "", tmp_path / "f.bin", {}, (crc32(data),))) == []  # by its CRC32 (fd_hash's)
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        # what the server holds, read again, but not what the first read saw (rewritten between the reads)
        list(_hashed_parts(lambda _n: data, 1, 5 * 1024 * 1024, {1: hashlib.md5(data).hexdigest()},
                           "", tmp_path / "f.bin", {}, (crc32(b"part one as hashed before"),)))


def test_a_part_sent_by_a_client_that_gives_no_crc32_is_checked_all_the_same(tmp_path: Path) -> None:
    """S3Client.upload_part hands back the CRC32 of the bytes it sent on its PartETag; an ObjectIO whose ETag
    carries none (a plain str) has the CRC32 computed from the bytes sent instead."""
    check = _crc_check((crc32(b"as first read"),), tmp_path / "f.bin")
    check(1, b"as first read", "etag-without-crc32")
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        check(1, b"as read again", "etag-without-crc32")


MiB = 1024 * 1024


def _on_create(path: Path, change: Any) -> Any:
    """An `answer` hook: at CreateMultipartUpload, `change(path)` the file, then set its mtime back."""
    def hook(seen: Seen) -> None:
        if seen.method == "POST" and "uploads" in seen.query:
            before = os.stat(path)
            change(path)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            hook.rewrites += 1  # type: ignore[attr-defined]
    hook.rewrites = 0  # type: ignore[attr-defined]
    return hook


def _poke(at: int, data: bytes) -> Any:
    def change(path: Path) -> None:
        with open(path, "r+b") as fh:
            fh.seek(at)
            fh.write(data)
    return change


def _same_size_new_file(path: Path) -> None:
    """Truncated and written anew at the same size (an editor's or a recorder's rewrite)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + bytes(len(data) - len(data) // 2))


def _grows_and_changes(path: Path) -> None:
    _poke(0, b"\xff")(path)
    with open(path, "ab") as fh:
        fh.write(b"more" * 1000)


SIX = 13 * MiB + 333  # with 6 MiB parts: 6 + 6 + 1 MiB+333; the first read's 4 MiB blocks stop at each part's end


@pytest.mark.parametrize("change", [_poke(6 * MiB - 2, b"XXXX"), _poke(SIX - 1, b"\x00"), _poke(0, b"\x00"),
                                    _same_size_new_file, _grows_and_changes],
                         ids=["across-a-part-boundary", "last-byte-only", "first-byte-only", "same-size-new-file",
                              "grows-and-changes"])
def test_every_kind_of_change_between_the_reads_is_refused(cli: Any, service: Any, bucket: str, s3_server: Any,
                                                           tmp_path: Path, change: Any) -> None:
    """Part boundaries that are not a multiple of the first read's block (6 MiB parts), a change that
    touches two parts, only the short last part or only the first byte, a file written anew, a file that
    grows while a byte changes: each is refused, nothing stored."""
    src = write_file(tmp_path / "clip.mp4", SIX, seed=11)
    if src.read_bytes()[0] == 0:  # the first-byte change must be a change
        _poke(0, b"\x01")(src)
    hook = _on_create(src, change)
    with FaultProxy(_port(s3_server.endpoint), answer=hook) as proxy:
        run = cli("upload", str(src), f"s3://{bucket}/clip.mp4",
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_PART_SIZE": str(6 * MiB)})
    assert hook.rewrites == 1, run
    assert run.exit_code == E.EXIT_CONFLICT and "changed while it was uploaded" in run.stderr, run
    assert list(service.s3.list_objects(bucket)) == []
    assert service.s3.list_multipart_uploads(bucket) == []


def test_a_file_that_only_grows_stores_the_bytes_it_hashed(cli: Any, service: Any, bucket: str, s3_server: Any,
                                                         tmp_path: Path) -> None:
    """Appended to after the first read: the size was taken then, so the object is those first bytes, and its
    its-sha256 is theirs (a recorder still writing; `sync` waits for such files by their mtime)."""
    src = write_file(tmp_path / "clip.mp4", SIX, seed=12)
    first = src.read_bytes()

    def grow(path: Path) -> None:
        with open(path, "ab") as fh:
            fh.write(b"later frames" * 1000)
    hook = _on_create(src, grow)
    with FaultProxy(_port(s3_server.endpoint), answer=hook) as proxy:
        run = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--json",
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_PART_SIZE": str(6 * MiB)})
    assert hook.rewrites == 1 and run.exit_code == 0, run
    assert run.json()["sha256"] == hashlib.sha256(first).hexdigest()
    assert cli("verify", f"s3://{bucket}/clip.mp4").exit_code == 0  # the stored bytes are the ones hashed


def _crc32_neutral(part: bytes, changed: bytearray, fix: int) -> None:
    """Set the 4 bytes of `changed` at `fix` so that its CRC32 is `part`'s again: CRC32 is affine over GF(2),
    so those 32 bits can cancel any change elsewhere (a linear system, solved by elimination). What a
    writer who means to fool a CRC32 check does."""
    changed[fix:fix + 4] = bytes(4)
    tail = len(changed) - fix
    zero = crc32(bytes(tail))
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (CRC32 difference, the bits that make it)
    for bit in range(32):
        pattern = bytearray(tail)
        pattern[bit // 8] = 1 << (bit % 8)
        value, combo = crc32(pattern) ^ zero, 1 << bit
        while value and (value.bit_length() - 1) in basis:
            other, other_combo = basis[value.bit_length() - 1]
            value, combo = value ^ other, combo ^ other_combo
        if value:
            basis[value.bit_length() - 1] = (value, combo)
    want, fixed = crc32(part) ^ crc32(bytes(changed)), 0
    while want:
        other, other_combo = basis[want.bit_length() - 1]
        want, fixed = want ^ other, fixed ^ other_combo
    changed[fix:fix + 4] = fixed.to_bytes(4, "little")
    assert crc32(bytes(changed)) == crc32(part) and bytes(changed) != part


def test_a_forged_crc32_collision_is_stored_and_verify_finds_it(cli: Any, service: Any, bucket: str,
                                                               s3_server: Any, tmp_path: Path) -> None:
    """The limit of the part check, kept on purpose (docs/guides/evidence.md): a writer who rewrites a part
    between the two reads AND forges its CRC32 gets an object whose its-sha256 is not that of its bytes.
    `verify` (which always checks the its-sha256) reports it corrupt, exit 4."""
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=13)
    last = src.read_bytes()[8 * MiB:]  # the second, last part (8 MiB parts)

    def forge(path: Path) -> None:
        changed = bytearray(last)
        changed[100:1100] = bytes(1000)
        _crc32_neutral(last, changed, 2000)
        _poke(8 * MiB, bytes(changed))(path)
    hook = _on_create(src, forge)
    with FaultProxy(_port(s3_server.endpoint), answer=hook) as proxy:
        run = cli("upload", str(src), f"s3://{bucket}/clip.mp4", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert hook.rewrites == 1 and run.exit_code == 0, run  # not caught: the CRC32s match
    found = cli("verify", f"s3://{bucket}/clip.mp4")
    assert found.exit_code == E.EXIT_INTEGRITY, found


def test_the_first_read_takes_the_crc32_of_each_part_as_the_upload_cuts_them(tmp_path: Path) -> None:
    """fd_hash's part CRC32s are those of the parts as read again (6 MiB parts: not a multiple of its 4 MiB
    blocks; a short last part); a wrong cut would not be unsafe (the upload then hashes its parts again
    with SHA-256) but would lose what the first read was for."""
    from its_store.transfer.upload import fd_hash
    src = write_file(tmp_path / "clip.mp4", SIX, seed=14)
    data = src.read_bytes()
    with open(src, "rb") as fh:
        found = fd_hash(fh.fileno(), SIX, src, 6 * MiB)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert found.crcs == tuple(crc32(data[at:at + 6 * MiB]) for at in range(0, SIX, 6 * MiB))


def test_the_part_check_holds_on_every_server(object_cli: Any, object_server: Any, object_bucket: str,
                                              tmp_path: Path) -> None:
    """The CRC32 a part is compared by is the client's own (upload_part computes it from the bytes it sends),
    whatever the server does with the x-amz-checksum-crc32 header: moto, rclone and Ceph refuse the rewrite
    as SeaweedFS does, and keep nothing."""
    from its_store import StorageService, load_settings
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=15)
    hook = _on_create(src, _poke(100, b"\x00" * 8))
    with FaultProxy(_port(object_server.endpoint), answer=hook) as proxy:
        run = object_cli("upload", str(src), f"s3://{object_bucket}/clip.mp4",
                         extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert hook.rewrites == 1, run
    assert run.exit_code == E.EXIT_CONFLICT and "changed while it was uploaded" in run.stderr, run
    s3 = StorageService(load_settings(endpoint=object_server.endpoint, access_key=object_server.access_key,
                                      secret_key=object_server.secret_key)).s3
    assert list(s3.list_objects(object_bucket)) == []
    assert s3.list_multipart_uploads(object_bucket) == []


def _forge_last_part(src: Path) -> Any:
    """A change of the last part (8 MiB parts) whose CRC32 is forged to stay the first read's."""
    last = src.read_bytes()[8 * MiB:]

    def forge(path: Path) -> None:
        changed = bytearray(last)
        changed[100:1100] = bytes(1000)
        _crc32_neutral(last, changed, 2000)
        _poke(8 * MiB, bytes(changed))(path)
    return forge


@pytest.mark.parametrize("object_server", ["ceph"], indirect=True)  # of the four, the one that checks them
def test_a_forged_crc32_collision_is_refused_where_the_server_checks_payload_hashes(
        object_server: Any, object_bucket: str, tmp_path: Path) -> None:
    """Over plain HTTP a part whose SHA-256 the first read took (transfer/partsums.py) is signed with it, not
    with one of the bytes read again: a server that checks payload hashes refuses a part rewritten between the
    reads even when its CRC32 was forged, so nothing is stored, and the upload fails as for any change (exit
    5). Ceph RGW checks payload hashes (as MinIO and AWS S3 do); SeaweedFS, moto and rclone serve s3 check
    none: there such an object is stored, and `verify` finds it (test_a_forged_crc32_collision_is_stored_...).
    The upload takes those hashes only with a core to spare (PartSums); here every one (spare=False)."""
    from its_store import StorageService, load_settings
    from its_store.transfer.upload import Prehash
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=16)
    hook = _on_create(src, _forge_last_part(src))
    with FaultProxy(_port(object_server.endpoint), answer=hook) as proxy, open(src, "rb") as fh:
        s3 = StorageService(load_settings(endpoint=proxy.endpoint, access_key=object_server.access_key,
                                          secret_key=object_server.secret_key)).s3
        prehash = Prehash(fh.fileno(), SIZE, src, 8 * MiB, signed=True, spare=False)
        with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
            upload_file(s3, object_bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=8 * MiB, workers=2,
                        source=fh, prehash=prehash)
        assert hook.rewrites == 1
        assert list(s3.list_objects(object_bucket)) == []
        assert s3.list_multipart_uploads(object_bucket) == []


def test_the_first_read_takes_the_sha256_of_each_part_to_sign_it_with(tmp_path: Path) -> None:
    """fd_hash(signed=True): each part's SHA-256 as well, cut as the upload cuts them (6 MiB parts across 4 MiB
    blocks, a short last part), taken on a second thread (transfer/partsums.py; every one: spare=False);
    without `signed`, none."""
    from its_store.transfer.upload import fd_hash
    src = write_file(tmp_path / "clip.mp4", SIX, seed=17)
    data = src.read_bytes()
    with open(src, "rb") as fh:
        found = fd_hash(fh.fileno(), SIX, src, 6 * MiB, signed=True, spare=False)
        plain = fd_hash(fh.fileno(), SIX, src, 6 * MiB)
    assert found.sha256 == plain.sha256 == hashlib.sha256(data).hexdigest()
    assert found.crcs == plain.crcs
    assert found.part_sha256s == tuple(hashlib.sha256(data[at:at + 6 * MiB]).hexdigest()
                                       for at in range(0, SIX, 6 * MiB))
    assert plain.part_sha256s == ()


def test_a_part_the_hashing_thread_fell_behind_on_is_signed_as_before(tmp_path: Path) -> None:
    """PartSums never makes the first read wait (CreateMultipartUpload waits for that read): with every
    buffer of its ring still held by the part thread, `take` answers None at once, and a part not handed
    whole gets no hash (None: minio hashes it as it is sent); the parts handed whole get theirs."""
    from its_store.transfer.partsums import BLOCKS, PartSums
    sums = PartSums(16)
    held = [sums.take() for _ in range(BLOCKS)]
    assert all(held) and sums.take() is None  # the ring is empty: no wait
    first, second = held[0], held[1]
    assert first is not None and second is not None
    first[:5] = b"part1"
    sums.hand(first, 5)
    sums.close(True)
    second[:3] = b"abc"
    sums.hand(second, 3)  # a part of which a block went unhanded (the reader read it into its own buffer)
    sums.close(False)
    back: list[bytearray] = []
    while not any(buf is second for buf in back):  # given back once hashed: after part 1 was closed
        time.sleep(0.01)  # finish() does not wait for the thread (the next test): here it is let catch up
        back += [buf for buf in (sums.take(),) if buf is not None]
    assert sums.finish() == (hashlib.sha256(b"part1").hexdigest(), None)


def _refuse_part(number: int) -> Any:
    """An `answer` hook: every PUT of part `number` answered 503 SlowDown (a server busy: transient)."""
    from faultproxy import SLOWDOWN_BODY

    def hook(seen: Seen) -> bytes | None:
        if seen.method == "PUT" and seen.query.get("partNumber") == str(number):
            return (b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(SLOWDOWN_BODY) + SLOWDOWN_BODY)
        return None
    return hook


def test_a_signed_part_refused_for_another_reason_keeps_its_error(s3_server: Any, bucket: str,
                                                                 tmp_path: Path) -> None:
    """A part signed with the first read's SHA-256 (transfer/partsums.signer) that the server refuses while
    its bytes are still the ones hashed fails with the server's own error (here a 503: transient, what
    --resume keeps the parts for), not as a file changed (exit 5, the parts aborted)."""
    from its_store import StorageService, load_settings
    from its_store.transfer.upload import Prehash
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=18)
    second = src.read_bytes()[8 * MiB:]
    with FaultProxy(_port(s3_server.endpoint), answer=_refuse_part(2), record=True) as proxy, \
            open(src, "rb") as fh:
        s3 = StorageService(load_settings(endpoint=proxy.endpoint, access_key=s3_server.access_key,
                                          secret_key=s3_server.secret_key, max_retries=0)).s3
        prehash = Prehash(fh.fileno(), SIZE, src, 8 * MiB, signed=True, spare=False)
        assert prehash.hashed().part_sha256s[1] == hashlib.sha256(second).hexdigest()  # part 2 goes signed
        with pytest.raises(E.ServiceUnavailableError):
            upload_file(s3, bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=8 * MiB, workers=2,
                        source=fh, prehash=prehash)
        refused = proxy.requests_to("PUT", lambda seen: seen.query.get("partNumber") == "2")
        assert refused and refused[0].headers["x-amz-content-sha256"] == hashlib.sha256(second).hexdigest()


def test_the_first_read_does_not_wait_for_a_part_thread_that_fell_behind(tmp_path: Path) -> None:
    """`spare`: the part thread runs at the lowest priority, so on a busy machine the blocks handed to it may
    still wait for a core when the first read ends (12 MiB took 0.03-0.9 s here beside 4 busy processes). Its
    end (finish) does not wait for them: the parts not hashed by then get none (hashed as they are sent), and
    CreateMultipartUpload goes out. A thread that has no core at all stands for that (`Starved`); the
    timer only frees it should finish() wait for it after all (then the part has its hash: the test fails)."""
    import threading

    from its_store.transfer.partsums import PartSums

    class Starved(PartSums):
        gate = threading.Event()

        def _run(self) -> None:
            self.gate.wait()
            super()._run()

    sums = Starved(16)
    valve = threading.Timer(10, Starved.gate.set)
    valve.start()
    try:
        block = sums.take()
        assert block is not None
        block[:5] = b"part1"
        sums.hand(block, 5)
        sums.close(True)
        assert sums.finish() == (None,)
    finally:
        valve.cancel()
        Starved.gate.set()
    waited = PartSums(16, spare=False)  # not spare: every part's hash, waited for
    block = waited.take()
    assert block is not None
    block[:5] = b"part1"
    waited.hand(block, 5)
    waited.close(True)
    assert waited.finish() == (hashlib.sha256(b"part1").hexdigest(),)
