"""sync s3 -> local sets only the mtime of a same-size file whose content is the object's (transfers.Transfers._touch).
The mtime goes on the file whose bytes were hashed: a file renamed over it while it was hashed (an editor's or
a camera's atomic save, same size, other bytes) keeps its own mtime. Set by name after the hash, the new file
got the object's mtime: every later sync took it as unchanged (same size, same mtime) and never fetched the
object over it, and a sync local -> s3 never sent the new bytes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Any

import pytest
from test_sync_safety import sync_json

from helpers import write_file


def test_a_file_renamed_over_while_hashed_keeps_its_mtime(cli: Any, bucket: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.sync import compare
    src, back = tmp_path / "src", tmp_path / "back"
    write_file(src / "a.bin", 3000, seed=1)
    assert cli("upload", "-r", str(src), f"s3://{bucket}/t/").exit_code == 0  # the object: no x-amz-meta-mtime
    assert cli("get", "-r", f"s3://{bucket}/t/", str(back)).exit_code == 0
    later = (int(time.time()) + 3600) * 10**9  # another second than the object's LastModified
    os.utime(back / "a.bin", ns=(later, later))
    saved = tmp_path / "saved.bin"
    write_file(saved, 3000, seed=2)  # the new version another program saves: same size, other bytes
    new_mtime = later + 5 * 10**9 + 123  # its own mtime: neither the object's nor the file's it replaces
    os.utime(saved, ns=(new_mtime, new_mtime))
    digests = compare.file_digests

    def hashed_while_replaced(fh: IO[bytes], md5: bool) -> tuple[str, str | None]:
        if saved.exists():  # once: renamed over the file being hashed
            os.replace(saved, back / "a.bin")
        return digests(fh, md5)

    monkeypatch.setattr(compare, "file_digests", hashed_while_replaced)
    code, report = sync_json(cli, f"s3://{bucket}/t/", str(back))
    assert code == 0, report
    assert (back / "a.bin").stat().st_mtime_ns == new_mtime, "the object's mtime set on another file"
    code, report = sync_json(cli, f"s3://{bucket}/t/", str(back))  # the new file differs: fetched over it
    assert code == 0 and [i["path"] for i in report["copied"]] == ["a.bin"], report
    assert (back / "a.bin").read_bytes() == (src / "a.bin").read_bytes()


@pytest.mark.parametrize("mode", [0o644, 0o600], ids=["readable", "unreadable"])
def test_a_file_of_another_user_is_fetched_when_its_mtime_cannot_be_set(env: dict[str, str], service: Any,
                                                                        bucket: str, mode: int) -> None:
    """The same bytes, in a file of another user (root's) in the user's own folder: only its owner may set
    its mtime (EPERM), but the folder lets the download replace it, as every sync did before the mtime-only
    path. That path failed the file ("cannot set the time of", or "cannot read" when it may not read it either:
    exit 1); it now fetches it instead."""
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    from its_store import UploadRequest
    if os.geteuid() != 0 and shutil.which("setpriv") is None:
        raise AssertionError("needs root (to switch to nobody) or setpriv")
    data = b"same bytes" * 300
    service.upload_object(UploadRequest(bucket=bucket, key="t/a.bin", data=data))
    top = Path(tempfile.mkdtemp(prefix="its-atk33c-"))
    try:
        top.chmod(0o755)
        for name in ("back", "state"):
            (top / name).mkdir(mode=0o700)
            os.chown(top / name, 65534, 65534)
        (top / "back" / "a.bin").write_bytes(data)  # root's: nobody may not set its times (nor read it: 0600)
        (top / "back" / "a.bin").chmod(mode)
        later = (int(time.time()) + 3600) * 10**9
        os.utime(top / "back" / "a.bin", ns=(later, later))
        run_env = {**os.environ, **env, "MINIO_CACHE_DIR": str(top / "state" / "cache"),
                   "MINIO_AUDIT_LOG": str(top / "state" / "audit.log"), "HOME": str(top / "state")}
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "its_store",
               "sync", f"s3://{bucket}/t/", str(top / "back"), "--json"]
        done = subprocess.run(cmd, env=run_env, capture_output=True, text=True, cwd=top, timeout=120)
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert [i["path"] for i in json.loads(done.stdout)["copied"]] == ["a.bin"], done.stdout
        assert (top / "back" / "a.bin").read_bytes() == data
        assert (top / "back" / "a.bin").stat().st_mtime_ns != later
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("swap", ["removed", "fifo"])
def test_a_file_gone_or_swapped_before_its_touch_is_fetched(cli: Any, bucket: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, swap: str) -> None:
    """A file removed (or replaced by a FIFO) between the walk and the content check: downloaded, as before the
    mtime-only path, not a failed item with exit 1 (last read of session 33)."""
    from its_store.core.localtree import LocalTree
    src, back = tmp_path / "src", tmp_path / "back"
    write_file(src / "a.bin", 3000, seed=1)
    assert cli("upload", "-r", str(src), f"s3://{bucket}/g{swap}/").exit_code == 0
    assert cli("get", "-r", f"s3://{bucket}/g{swap}/", str(back)).exit_code == 0
    later = (int(time.time()) + 3600) * 10**9
    os.utime(back / "a.bin", ns=(later, later))
    opened = LocalTree.open_file

    def gone_first(tree: Any, rel: str, *args: Any, **kwargs: Any) -> Any:
        if (back / "a.bin").is_file() and rel == "a.bin":
            os.remove(back / "a.bin")
            if swap == "fifo":
                os.mkfifo(back / "a.bin")
        return opened(tree, rel, *args, **kwargs)

    monkeypatch.setattr(LocalTree, "open_file", gone_first)
    code, report = sync_json(cli, f"s3://{bucket}/g{swap}/", str(back))
    monkeypatch.undo()
    if swap == "removed":
        assert code == 0 and [i["path"] for i in report["copied"]] == ["a.bin"], report
        assert (back / "a.bin").read_bytes() == (src / "a.bin").read_bytes()
    else:  # a FIFO now stands there: the download decides, as for a FIFO found by the walk
        assert code == 2 and report["copied"] == [], report
        assert [f["reason"] for f in report["failed"]] == [
            f"{back / 'a.bin'} is a named pipe (FIFO): not replaced by a downloaded file"], report
        assert (back / "a.bin").is_fifo()
