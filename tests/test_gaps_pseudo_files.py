"""Files of pseudo filesystems (session 30, gaps item 2).

A /sys file says 4096 bytes (st_size) and reads a few; a /proc file says 0 and reads more. Neither size is
known before the file is read, so neither can be uploaded as it is. Such a file said "changed while it was
uploaded" (exit 5: the message of a file still being written) or "0 bytes but has content". Now every open
of a file to upload (core/files.open_checked_stat: upload, cp, sync, upload -r, the watcher) asks the
filesystem's type (fstatfs, once per device) and refuses a pseudo filesystem's file up front: exit 2, one
line naming it; the watcher skips and reports it. A regular file that really shrinks while it is read is
still "changed while it was uploaded" (exit 5: tests/test_custody_rewrite.py, tests/test_prehash.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import FaultServer
from test_watch import Events, make_watcher
from watchstep import Stepper

from conftest import ServerInfo, cli_runner, environment_for, one_line_error
from helpers import write_file

SYS_FILE = "/sys/devices/system/cpu/online"  # st_size 4096, reads "0-1\n": on every Linux with sysfs
PROC_FILE = "/proc/self/status"  # st_size 0, reads ~1 KB


def test_the_examples_are_what_this_test_says_they_are() -> None:
    """The premise: a /sys file's stat says more than it holds, a /proc file's says 0."""
    assert os.stat(SYS_FILE).st_size > len(Path(SYS_FILE).read_bytes()) > 0
    assert os.stat(PROC_FILE).st_size == 0 < len(Path(PROC_FILE).read_bytes())


@pytest.mark.parametrize(("path", "fs"), [(SYS_FILE, "sysfs"), (PROC_FILE, "proc")])
@pytest.mark.parametrize("command", ["upload", "cp"])
def test_upload_and_cp_refuse_a_pseudo_filesystem_file(cli: Any, service: Any, bucket: str, command: str,
                                                        path: str, fs: str) -> None:
    run = cli(command, path, f"s3://{bucket}/p/x")
    line = one_line_error(run)
    assert run.exit_code == 2, (run.exit_code, line)
    assert f"{fs} pseudo filesystem" in line and "changed while" not in line, line
    assert not list(service.s3.list_objects(bucket, "p/")), "something was stored"


def test_sync_and_upload_r_refuse_it_and_send_the_rest(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """Reached through a followed link: that one file fails (invalid_input), the others are sent."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"kept")
    (folder / "online").symlink_to(SYS_FILE)
    for args, field in ((["sync", str(folder), f"s3://{bucket}/s/"], "failed"),
                        (["upload", "-r", str(folder), f"s3://{bucket}/u/"], "errors")):
        run = cli(*args, "--follow-symlinks", "--json")
        assert run.exit_code == 2, run  # as every bad input: the run's exit code is its failures' worst
        failed = run.json()[field]
        assert len(failed) == 1 and failed[0]["code"] == "invalid_input", failed
        assert "sysfs pseudo filesystem" in str(failed[0]), failed
        assert "changed while" not in run.stdout + run.stderr
    assert sorted(e.key for e in service.s3.list_objects(bucket, "", recursive=True)) == ["s/a.txt", "u/a.txt"]


def test_the_watcher_skips_it_and_reports_why(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "online").symlink_to(SYS_FILE)
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events, follow_symlinks=True)) as st:
        st.event("added", "online")
        st.idle()
    skipped = [(e["key"], e["reason"]) for e in events.of("skipped")]
    assert len(skipped) == 1 and skipped[0][0] == "cams/online", skipped
    assert "sysfs pseudo filesystem" in skipped[0][1], skipped
    assert not events.of("uploaded") and not events.of("failed")
    assert not list(service.s3.list_objects(bucket, "cams/"))


def test_a_regular_file_that_shrinks_while_uploaded_is_still_a_change(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    """The other side of the rule: a regular file cut short after it was hashed (the server truncates it
    when the multipart upload is created, before any part is read) is exit 5, "changed while it was
    uploaded", and nothing is stored."""
    path = write_file(tmp_path / "clip.mp4", 11 * 1024 * 1024, seed=5)

    def cut(server: Any, req: Any, conn: Any) -> bool:
        if s3_call(req) == "CreateMultipartUpload":
            os.truncate(path, 1024 * 1024)
        return False

    names = {"default": "s-default", "video": "s-video", "models": "s-models", "logs": "s-logs"}
    with FaultServer(cut, buckets=("s-video",)) as fake:
        env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch,
                              tmp_path)
        run = cli_runner(env)("upload", str(path), "s3://s-video/clip.mp4", "--part-size", "5MiB",
                              extra_env={"MINIO_MULTIPART_THRESHOLD": "5MiB"})
        assert run.exit_code == 5 and "changed while it was uploaded" in one_line_error(run), run
        assert ("s-video", "clip.mp4") not in fake.objects
