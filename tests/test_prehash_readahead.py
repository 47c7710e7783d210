"""The custody hash's read asks the kernel for the file ahead of it (transfer/partsums._read_ahead, issue 22 W2).

A 1 GiB file not in the page cache, read by 4 MiB preads that alternate with hashing, cost 0.5-3.7 s of
system time from one run to the next (the bench's W2 samples with "doubled CPU"); with the next 64 MiB
asked for ahead (POSIX_FADV_WILLNEED), 0.21-0.28 s. What must hold: the same digest and part CRC32s as
before for any size (the windows cross blocks and parts), a file that shrank is still an error, and every
byte of the file is asked for ahead of the read that needs it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import zlib
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.transfer import upload
from its_store.transfer.partsums import READ_AHEAD
from its_store.transfer.upload import HASH_BUF, fd_hash

from helpers import inside, named_by

MiB = 1024 * 1024


def _sparse(path: Path, size: int) -> Path:
    """A file of `size` bytes, mostly a hole (cheap to write and read), with data around each window's edge."""
    with open(path, "wb") as fh:
        fh.truncate(size)
        for at in (0, READ_AHEAD // 2 - 3, READ_AHEAD - 5, 2 * READ_AHEAD + 7, size - 11):
            if not 0 <= at <= size - 11:
                continue
            fh.seek(at)
            fh.write(hashlib.sha256(str(at).encode()).digest()[:11])
    return path


@pytest.mark.parametrize("size,part", [(READ_AHEAD + 3 * MiB + 1, 6 * MiB), (READ_AHEAD // 2 + 1, 0),
                                       (HASH_BUF - 1, 5 * MiB)])
def test_the_digest_and_part_crcs_are_those_of_the_file(tmp_path: Path, size: int, part: int) -> None:
    path = _sparse(tmp_path / "f.bin", size)
    data = path.read_bytes()
    with open(path, "rb") as fh:
        found = fd_hash(fh.fileno(), size, path, part)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    step = part or size
    assert found.crcs == (tuple(zlib.crc32(data[i:i + step]) for i in range(0, size, step)) if part else ())


def test_every_byte_is_asked_for_ahead_of_its_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = 2 * READ_AHEAD + 1
    path = _sparse(tmp_path / "f.bin", size)
    asked: list[tuple[int, int]] = []
    reads: list[int] = []
    real_fadvise, real_preadv = os.posix_fadvise, os.preadv

    ours = inside(path)  # the patches are process-wide (upload.os is os): only the reads of this file count

    def fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        if ours(named_by((fd,), {})):
            asked.append((offset, offset + length))
        real_fadvise(fd, offset, length, advice)

    def preadv(fd: int, buffers: list[memoryview], offset: int) -> int:
        if ours(named_by((fd,), {})):
            end = offset + sum(len(b) for b in buffers)
            assert any(a <= offset and end <= b for a, b in asked), (offset, asked)  # asked for before it is read
            reads.append(offset)
        return real_preadv(fd, buffers, offset)

    monkeypatch.setattr(upload.os, "posix_fadvise", fadvise)
    monkeypatch.setattr(upload.os, "preadv", preadv)
    with open(path, "rb") as fh:
        fd_hash(fh.fileno(), size, path)
    assert asked[0][0] == 0 and asked[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(asked))  # contiguous, none twice
    assert len(reads) == -(-size // HASH_BUF)


def test_a_file_that_shrank_is_still_an_error(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "f.bin", READ_AHEAD + 5)
    with open(path, "rb") as fh, pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        fd_hash(fh.fileno(), 2 * READ_AHEAD, path)
