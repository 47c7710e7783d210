"""What `upload -r` costs per file beyond its one PUT (issue 22): every system call that releases the GIL is a
hand-over among the batch's 16 threads, so a file is looked at once (the fstat of its open's check, which the
upload takes over) and read through an unbuffered reader (no isatty/tell of a buffered one). Counted, never timed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import inside, named_by, write_file

FILES = 40


def test_each_file_of_a_batch_is_fstat_ed_once_and_read_unbuffered(service: Any, bucket: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(FILES):
        write_file(src / f"f{i:02d}.jpg", 300 + i, seed=i)
    service.batch().upload_directory(src, bucket, "warm/", workers=4)  # bucket known, pool and cache open
    calls: dict[str, list[str]] = {"fstat": [], "fdopen": []}
    real_fstat, real_fdopen = os.fstat, os.fdopen
    ours = inside(src, itself=False)  # its files, not the folder (the walk's, once)

    # only the batch's files: the timer-driven stats and audit flushes fstat and fdopen their own files, more
    # often on a loaded machine (they flush by time), as does the flush of a service the collector takes, in
    # whichever thread it runs; those are no per-file cost
    def fstat(fd: int) -> os.stat_result:
        if ours(named := named_by((fd,), {})):
            calls["fstat"].append(named)
        return real_fstat(fd)

    def fdopen(*args: Any, **kwargs: Any) -> Any:
        if ours(named := named_by(args, kwargs)):
            calls["fdopen"].append(named)
        return real_fdopen(*args, **kwargs)

    monkeypatch.setattr(os, "fstat", fstat)
    monkeypatch.setattr(os, "fdopen", fdopen)
    result = service.batch().upload_directory(src, bucket, "per-file/", workers=4)
    monkeypatch.undo()
    assert result.succeeded == FILES and not result.errors
    assert calls["fdopen"] == [], calls
    assert len(calls["fstat"]) == FILES, calls  # its open's check, taken over by the upload (was 3, then 2 per file)
    stored = service.stat_object(bucket, "per-file/f07.jpg")
    assert stored.sha256 == hashlib.sha256((src / "f07.jpg").read_bytes()).hexdigest()


def test_a_plain_upload_makes_no_file_object_and_a_compressed_one_reads_through_one(
        service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small file's one PUT reads by position on the descriptor (no io.FileIO: its own fstat per file);
    a compressed upload still reads and seeks through one, and stores the file's bytes."""
    import io
    src = tmp_path / "src"
    for i in range(6):
        (src / f"t{i}.log").parent.mkdir(parents=True, exist_ok=True)
        (src / f"t{i}.log").write_bytes(b"line of a log %d\n" % i * 400)
    made = []
    real = io.FileIO
    ours = inside(src)  # not another thread's FileIO (process-wide patch): only over a file of this batch

    def fileio(*args: Any, **kwargs: Any) -> Any:
        if ours(named := named_by(args, kwargs)):
            made.append(named)
        return real(*args, **kwargs)

    monkeypatch.setattr(io, "FileIO", fileio)
    plain = service.batch().upload_directory(src, bucket, "plain/", workers=3, options={"compression": "none"})
    assert plain.succeeded == 6 and not made, made
    packed = service.batch().upload_directory(src, bucket, "zstd/", workers=3, options={"compression": "zstd"})
    monkeypatch.undo()
    assert packed.succeeded == 6 and len(made) == 6
    stored = service.stat_object(bucket, "zstd/t3.log")
    assert stored.sha256 == hashlib.sha256((src / "t3.log").read_bytes()).hexdigest()
