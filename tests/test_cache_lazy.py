"""The disk metadata cache is opened only when a command caches or reads something (state/cache.py, DiskCache):
importing diskcache and opening its database cost every command ~15 ms of CPU (issue 22). A command with
nothing to cache leaves no database behind and does not rewrite one that exists; and invalidation still
crosses processes, whichever of them created the database first.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from helpers import run_cli_process, write_file


def _db(env: dict[str, str]) -> Path:
    return Path(env["MINIO_CACHE_DIR"]) / "metadata" / "cache.db"


def _ok(run: Any) -> Any:
    assert run.exit_code == 0, run
    return run


def test_writes_with_no_cache_yet_create_none(cli: Any, env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    """Upload, upload -r, sync and rm only invalidate: with no database there is nothing to drop, so none is
    made (before, each of them created and wrote one)."""
    write_file(tmp_path / "one.bin", 100)
    for n in range(3):
        write_file(tmp_path / "d" / f"f{n}.bin", 50, seed=n)
    _ok(cli("--quiet", "upload", str(tmp_path / "one.bin"), f"s3://{bucket}/one.bin"))
    _ok(cli("--quiet", "upload", str(tmp_path / "d"), f"s3://{bucket}/d/", "-r"))
    _ok(cli("--quiet", "sync", str(tmp_path / "d"), f"s3://{bucket}/s/"))
    _ok(cli("--quiet", "rm", f"s3://{bucket}/one.bin"))
    assert not _db(env).parent.exists()
    _ok(cli("--quiet", "stat", f"s3://{bucket}/d/f0.bin"))  # a command that caches does make it
    assert _db(env).is_file()


def test_commands_that_cache_nothing_leave_the_database_as_it_was(cli: Any, env: dict[str, str], bucket: str,
                                                                   tmp_path: Path) -> None:
    """A sync with nothing to do, ls and get neither read nor write the cache: its file keeps its bytes
    (opening it through diskcache rewrites its Settings rows, so any open would change them)."""
    for n in range(2):
        write_file(tmp_path / "d" / f"f{n}.bin", 50, seed=n)
    _ok(cli("--quiet", "sync", str(tmp_path / "d"), f"s3://{bucket}/s/"))
    _ok(cli("--quiet", "stat", f"s3://{bucket}/s/f0.bin"))
    before = _db(env).read_bytes()
    run = _ok(cli("sync", str(tmp_path / "d"), f"s3://{bucket}/s/", "--json"))
    assert run.json()["copied"] == [], run
    _ok(cli("--quiet", "ls", f"s3://{bucket}/s/"))
    _ok(cli("--quiet", "get", f"s3://{bucket}/s/f1.bin", str(tmp_path / "got.bin")))
    assert _db(env).read_bytes() == before


def _service() -> Any:
    """Another user of the same cache folder: its own DiskCache and SQLite connection, as another process has."""
    from its_store import StorageService, load_settings
    return StorageService(load_settings())


def test_invalidation_reaches_a_database_another_user_created_later(env: dict[str, str], bucket: str) -> None:
    """A's cache is made while no database exists; B then creates it and caches a stat; A's overwrite must
    still drop that entry (the absence is checked at each invalidation, not once)."""
    from its_store import UploadRequest
    with _service() as a, _service() as b:
        a.upload_object(UploadRequest(bucket=bucket, key="k.bin", data=b"x" * 100))
        assert not _db(env).exists()  # A's upload had nothing to invalidate
        assert b.stat_object(bucket, "k.bin").size == 100  # B creates the database and caches the stat
        assert _db(env).is_file()
        a.upload_object(UploadRequest(bucket=bucket, key="k.bin", data=b"y" * 200))
        assert b.stat_object(bucket, "k.bin").size == 200


def test_another_process_overwriting_invalidates_what_this_one_cached(env: dict[str, str], bucket: str,
                                                                       tmp_path: Path) -> None:
    """Process A caches a stat (and holds the database open); process B (a CLI run) overwrites the object;
    A's next stat is fresh."""
    from its_store import UploadRequest
    with _service() as a:
        a.upload_object(UploadRequest(bucket=bucket, key="k.bin", data=b"x" * 100))
        assert a.stat_object(bucket, "k.bin").size == 100
        assert _db(env).is_file()
        done = run_cli_process(["--quiet", "upload", str(write_file(tmp_path / "new.bin", 300)),
                                f"s3://{bucket}/k.bin"], env, tmp_path)
        assert done.exit_code == 0, done
        assert a.stat_object(bucket, "k.bin").size == 300


def test_a_child_forked_while_another_thread_opens_the_cache_can_open_it(tmp_path: Path) -> None:
    """The lock that makes opening happen once is renewed in a forked child (core/forks.py): a fork while
    another thread of the parent held it must not leave the child waiting on it forever."""
    import os
    import threading

    from its_store.state.cache import DiskCache
    cache = DiskCache(tmp_path / "metadata")
    cache.put("g", "i", [1], 60)
    cache.close()
    cache = DiskCache(tmp_path / "metadata")
    held, release = threading.Event(), threading.Event()

    def opener() -> None:  # stands for a thread caught in the middle of opening
        with cache._opening:
            held.set()
            release.wait()

    thread = threading.Thread(target=opener)
    thread.start()
    held.wait()
    pid = os.fork()
    if pid == 0:  # the child: open and read, then report through the exit status
        os._exit(0 if cache.get("g", "i") == [1] else 1)
    release.set()
    thread.join()
    deadline = time.monotonic() + 60  # a safety net: the child either finishes at once or hangs for ever
    while (done := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if done == (0, 0):
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert done != (0, 0), "the child hung on the lock held at the fork"
    assert os.waitstatus_to_exitcode(done[1]) == 0
    cache.close()
