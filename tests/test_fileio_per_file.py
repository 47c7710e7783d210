"""What a file of `upload -r`, `get -r` and `sync` costs on the local side (issue 22): each system call on a
batch's 16-thread path also hands the GIL over, so the folder's kept descriptor is lent, not duplicated and
closed per file; a regular file's O_NONBLOCK is left set on Linux (no fcntl pair); a temp file's name does not
ask the pid again; a write does not stat its target first (the rename says EISDIR); a walked file is read
unbuffered. Counted on the real paths, never timed; and the safety the kept descriptors promise, checked."""

from __future__ import annotations

import fcntl
import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.core.files import atomic_target, create_temp, open_checked_stat, pwrite_all
from its_store.core.localtree import LocalTree

from helpers import fds_under, inside, named_by, write_file

FILES = 30


class Calls:
    """Counts calls of os functions (and fcntl.fcntl) while installed, each seen call listed in `seen` (the
    failure messages show them). The patch is process-wide, so the count is narrowed to the test's own calls:
    `under` keeps those whose path or descriptor (helpers.named_by) is in that folder; `mine` those made by
    the thread that installed it. Without them, another thread's call counted too: a leftover thread of an
    earlier test, the flush of a service the collector took (its stats file: fcntl, dup, fdopen, stat), the
    stdlib's linecache stat-ing .py files while a warning or a logged traceback is formatted (CI failed on
    {'stat': 4} so). What was left out is in `others`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *names: str, under: Path | None = None,
                 mine: bool = False) -> None:
        self.n = dict.fromkeys(names, 0)
        self.seen: list[str] = []
        self.others: list[str] = []
        installer = threading.get_ident()
        ours = inside(under) if under is not None else None
        for name in names:
            owner = fcntl if name == "fcntl" else os
            real = getattr(owner, name)

            def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                named = named_by(args, kwargs) if ours is not None else ""
                call = f"{_name}{args!r} {named} [{threading.current_thread().name}]"
                if (ours is None or ours(named)) and (not mine or threading.get_ident() == installer):
                    self.n[_name] += 1
                    self.seen.append(call)
                else:
                    self.others.append(call)
                return _real(*args, **kwargs)
            monkeypatch.setattr(owner, name, counted)


def test_upload_r_lends_the_folder_and_keeps_o_nonblock(service: Any, bucket: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(FILES):
        write_file(src / "cam" / f"f{i:02d}.jpg", 200 + i, seed=i)
    service.batch().upload_directory(src, bucket, "warm/", workers=4)
    calls = Calls(monkeypatch, "dup", "fcntl", under=tmp_path)
    result = service.batch().upload_directory(src, bucket, "fio/", workers=4)
    monkeypatch.undo()
    assert result.succeeded == FILES and not result.errors
    assert calls.n["fcntl"] <= 4, calls.seen  # was 2 per file (F_GETFL, F_SETFL)
    assert calls.n["dup"] <= 6, calls.seen  # the walk's and the first open of each folder; was 1 per file


def test_get_r_writes_without_dup_or_stat_per_file(service: Any, bucket: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(FILES):
        write_file(src / f"g{i:02d}.jpg", 200 + i, seed=i)
    service.batch().upload_directory(src, bucket, "down/", workers=4)
    service.batch().download_prefix(bucket, "down/", tmp_path / "warm", workers=4)
    calls = Calls(monkeypatch, "dup", "stat", under=tmp_path)
    result = service.batch().download_prefix(bucket, "down/", tmp_path / "dst", workers=4)
    monkeypatch.undo()
    assert result.succeeded == FILES and not result.errors
    assert (tmp_path / "dst" / "g07.jpg").read_bytes() == (src / "g07.jpg").read_bytes()
    assert calls.n["dup"] <= 3, calls.seen  # was 1 per file
    assert calls.n["stat"] <= 3, calls.seen  # the folder-in-the-way check before each temp file: gone
    assert not [p for p in (tmp_path / "dst").iterdir() if p.name.endswith(".its-tmp")]


def test_a_walked_file_is_read_unbuffered(service: Any, bucket: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """sync's upload and --checksum read through OpenFile.reader(): no os.fdopen (isatty, lseek)."""
    src = tmp_path / "src"
    for i in range(5):
        write_file(src / f"s{i}.jpg", 300 + i, seed=i)
    calls = Calls(monkeypatch, "fdopen", under=tmp_path)
    report = service.sync(str(src), f"s3://{bucket}/fio-sync/")
    monkeypatch.undo()
    assert calls.n["fdopen"] == 0, calls.seen
    assert len(report.copied) == 5
    with LocalTree(src) as tree, tree.open_file("s3.jpg") as opened, opened.reader() as fh:
        assert isinstance(fh, io.FileIO) and fh.read(10) == (src / "s3.jpg").read_bytes()[:10]
        fh.seek(0)
        assert fh.read() == (src / "s3.jpg").read_bytes()
        assert not fh.closefd


def test_o_nonblock_left_on_a_regular_file_reads_it_whole(tmp_path: Path) -> None:
    """The descriptor keeps O_NONBLOCK (Linux: no effect on a regular file) and reads all of a 3 MiB file,
    by position and sequentially; a FIFO is still refused at once."""
    data = os.urandom(3 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(data)
    fd, info = open_checked_stat(tmp_path / "big.bin")
    try:
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK and info.st_size == len(data)
        assert os.pread(fd, len(data), 0) == data
        with io.FileIO(fd, "rb", closefd=False) as fh:
            assert fh.read() == data
    finally:
        os.close(fd)
    os.mkfifo(tmp_path / "p")
    with pytest.raises(E.InvalidInputError):
        open_checked_stat(tmp_path / "p")


def test_a_temp_name_carries_the_pid_of_the_process_that_made_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The pid is asked once per process (not once per temp file of a get -r), and again in a fork's child
    (two processes never race for one temp name)."""
    calls = Calls(monkeypatch, "getpid", mine=True)  # create_temp runs in this thread
    made = [create_temp(f"{i}.jpg", folder=tmp_path) for i in range(20)]
    monkeypatch.undo()
    assert calls.n["getpid"] == 0, calls.seen
    for fd, _ in made:
        os.close(fd)
    mine = made[0][1]
    assert f".{os.getpid()}-" in mine
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        try:
            cfd, theirs = create_temp("a.jpg", folder=tmp_path)
            os.close(cfd)
            os.write(write, f"{os.getpid()} {theirs}".encode())
        finally:
            os._exit(0)
    os.close(write)
    got = os.read(read, 4096).decode()
    os.close(read)
    os.waitpid(child, 0)
    pid, theirs = got.split(" ", 1)
    assert f".{pid}-" in theirs and pid != str(os.getpid())


# -- the lent descriptors: never closed under their user -------------------------------------------------

def test_a_lent_folder_dropped_while_in_use_stays_open_until_given_back(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.jpg").write_bytes(name.encode())
    before = fds_under(tmp_path)
    tree = LocalTree(tmp_path, keep=1)
    with tree.open_file("a/x.jpg"), tree.open_file("a/x.jpg") as opened:  # a's kept descriptor, lent twice
        for other in ("b/x.jpg", "c/x.jpg"):  # a is dropped from the one kept slot while lent
            with tree.open_file(other):
                pass
        tree.close()  # the tree closed mid-use too
        assert os.read(os.open("x.jpg", os.O_RDONLY, dir_fd=opened.folder_fd), 10) == b"a"
        (tmp_path / "a" / "y.jpg").write_bytes(b"y")
        assert opened.remove_if() is True  # in the folder it was read from
    assert not (tmp_path / "a" / "x.jpg").exists() and (tmp_path / "b" / "x.jpg").exists()
    left = fds_under(tmp_path)  # another thread's descriptors, opened or closed meanwhile, do not count
    assert len(left) - len(before) <= 1, left  # the one os.open above; every descriptor of the tree is closed


def test_a_folder_in_the_files_place_fails_at_the_rename_untouched(tmp_path: Path) -> None:
    (tmp_path / "cam" / "d.jpg").mkdir(parents=True)
    (tmp_path / "cam" / "d.jpg" / "inside").write_bytes(b"keep")
    with LocalTree(tmp_path, create=True) as tree, pytest.raises(E.ConflictError) as caught:
        with atomic_target(tree.file("cam/d.jpg")) as fd:
            pwrite_all(fd, b"x", 0)
    assert "is a folder" in caught.value.message
    assert sorted(os.listdir(tmp_path / "cam")) == ["d.jpg"]
    assert (tmp_path / "cam" / "d.jpg" / "inside").read_bytes() == b"keep"


# -- auto compression: a small file is read once ----------------------------------------------------------

@pytest.mark.parametrize("payload", ["jpeg", "text"])
def test_auto_compression_reads_a_small_file_once(service: Any, bucket: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, payload: str) -> None:
    """`auto` looked at a 64 KiB sample, then read the file again for its one PUT (or its hash): a file
    within HEAD_BUDGET is read once, and that read is what is hashed and sent."""
    from its_store.core.models import DownloadRequest, UploadRequest
    path = tmp_path / ("f.jpg" if payload == "jpeg" else "f.log")
    data = (b"\xff\xd8\xff\xe0" + os.urandom(100_000) if payload == "jpeg"
            else b"".join(b"cam %05d frame ok\n" % i for i in range(6000)))
    path.write_bytes(data)
    calls = Calls(monkeypatch, "pread", "preadv", under=tmp_path)
    resp = service.upload_object(UploadRequest(bucket=bucket, key=f"auto/{path.name}", file_path=path,
                                               compression="auto"))
    monkeypatch.undo()
    assert resp.codec == ("none" if payload == "jpeg" else "zstd")
    # one positional read of the whole file (was the sample, then the file for the PUT or the hash);
    # a compressed upload still streams the file through its compressor, which checks it against that hash
    assert calls.n["pread"] == 1 and calls.n["preadv"] == 0, calls.seen
    service.download_object(DownloadRequest(bucket=bucket, key=f"auto/{path.name}", file_path=tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == data
