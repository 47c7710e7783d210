"""sync --watch keeps its promises on every path (issue 19):

- one close, one upload: a file is sent again only if its content signature changed since what was
  sent, whatever order the kernel events, the uploads in flight and the first pass come in (driven step by
  step with tests/watchstep.py; PUTs counted as versions in the versioned test bucket);
- symbolic links are not followed unless asked (--follow-symlinks): a link in the watched folder, a link
  swapped in after the file was heard of, a linked folder in the path; skipped files are reported;
- without a read lease (no CAP_LEASE for files of other users) the watcher says so, at start and per
  file, and --remove-source refuses to start unless --remove-after-settle (real processes without
  CAP_LEASE, through setpriv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_watch import Events, make_watcher, read_object, running
from watchstep import Stepper

from its_store.core import errors as E
from its_store.sync import watch_pass as P

from helpers import random_bytes

pytestmark = pytest.mark.timeout(120)

ITS_STORE = str(Path(sys.executable).parent / "its-store")
NO_LEASE = ["setpriv", "--inh-caps=-lease", "--bounding-set=-lease"]  # root, minus CAP_LEASE


def versions(service: Any, bucket: str, key: str) -> int:
    """How many versions of `key` the (versioned) bucket holds: one per PUT."""
    return sum(1 for e in service.s3.list_objects(bucket, key, include_versions=True)
               if e.key == key and not e.is_delete_marker)


# ------------------------------------------------------------------------------ one close, one upload
def test_event_for_a_file_in_flight_does_not_send_it_again(service: Any, bucket: str, tmp_path: Path) -> None:
    """The IN_MODIFY of a write, delivered in a later batch than the IN_CREATE, arrives while the
    (closed, complete) file is being uploaded: nothing changed, so it is not sent again."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    (folder / "a.jpg").write_bytes(random_bytes(100_000, seed=1))
    with Stepper(make_watcher(service, folder, bucket, events, workers=1)) as st:
        st.event("added", "a.jpg")
        st.in_flight("a.jpg")
        st.finished_unheard()
        st.event("modified", "a.jpg")  # late: the scheduler still counts a.jpg as in flight
        st.idle()
    assert events.uploaded_keys() == ["cams/a.jpg"]
    assert versions(service, bucket, "cams/a.jpg") == 1


def test_late_event_after_the_upload_does_not_send_it_again(service: Any, bucket: str, tmp_path: Path) -> None:
    """A kernel event for a file already uploaded (and so no longer owed) with the same size, mtime,
    inode and ctime: dropped."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    (folder / "b.jpg").write_bytes(random_bytes(100_000, seed=2))
    with Stepper(make_watcher(service, folder, bucket, events)) as st:
        st.event("added", "b.jpg")
        st.idle()
        assert events.uploaded_keys() == ["cams/b.jpg"]
        st.event("modified", "b.jpg")
        st.event("modified", "b.jpg")
        st.idle()
    assert events.uploaded_keys() == ["cams/b.jpg"]
    assert versions(service, bucket, "cams/b.jpg") == 1


def test_first_pass_and_kernel_event_send_a_file_once(service: Any, bucket: str, tmp_path: Path) -> None:
    """A file written just after the kernel watch was set up is both found by the first pass and
    reported by the kernel: one upload."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    (folder / "c.jpg").write_bytes(random_bytes(100_000, seed=3))
    with Stepper(make_watcher(service, folder, bucket, events)) as st:
        P.sync_pass(st.w)  # what the first-pass thread runs
        st.event("added", "c.jpg")
        st.idle()
        st.event("modified", "c.jpg")
        st.idle()
    assert events.uploaded_keys() == ["cams/c.jpg"]
    assert versions(service, bucket, "cams/c.jpg") == 1


def test_a_file_changed_while_in_flight_is_sent_again(service: Any, bucket: str, tmp_path: Path) -> None:
    """The rule drops only what is unchanged: a file written again while its upload was in flight is
    sent again, and the bucket ends with the new content."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    path = folder / "d.jpg"
    path.write_bytes(random_bytes(100_000, seed=4))
    with Stepper(make_watcher(service, folder, bucket, events, workers=1)) as st:
        st.event("added", "d.jpg")
        st.in_flight("d.jpg")
        st.finished_unheard()  # the old content is on the server
        path.write_bytes(random_bytes(120_000, seed=5))
        st.event("modified", "d.jpg")
        st.idle()
    assert events.uploaded_keys() == ["cams/d.jpg", "cams/d.jpg"]
    assert versions(service, bucket, "cams/d.jpg") == 2
    assert read_object(service, bucket, "cams/d.jpg") == random_bytes(120_000, seed=5)


# ------------------------------------------------------------------------------ symbolic links
def _secret(tmp_path: Path) -> Path:
    """A file outside the watched folder that the watcher can read (it runs as root here): what a link
    planted in the folder must not leak."""
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"MINIO_SECRET_KEY=not-for-the-bucket\n")
    return secret


def _absent(service: Any, bucket: str, key: str) -> bool:
    try:
        service.stat_object(bucket, key, include_tags=False)
    except E.ObjectNotFoundError:
        return True
    return False


def test_link_in_the_folder_is_skipped_reported_and_kept(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "frame_0001.jpg").symlink_to(_secret(tmp_path))
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events, remove_source=True)) as st:
        st.event("added", "frame_0001.jpg")
        st.idle()
    assert [(e["key"], e["reason"]) for e in events.of("skipped")] == \
        [("cams/frame_0001.jpg", "symlink (not followed; use --follow-symlinks)")]
    assert events.uploaded_keys() == []
    assert _absent(service, bucket, "cams/frame_0001.jpg")
    assert (folder / "frame_0001.jpg").is_symlink()  # --remove-source did not touch it


def test_link_swapped_in_after_the_check_is_not_read(service: Any, bucket: str, tmp_path: Path) -> None:
    """The file was a regular one when it was checked and found complete; the name is then replaced by
    a link to the secret before an upload thread opens it: what is opened is checked, not the name."""
    folder = tmp_path / "drop"
    folder.mkdir()
    path = folder / "frame_0002.jpg"
    path.write_bytes(random_bytes(5_000, seed=6))
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events, remove_source=True)) as st:
        st.event("added", "frame_0002.jpg")
        st.ready("frame_0002.jpg")  # checked (a regular file, closed), not yet handed to an upload thread
        (folder / ".swap.tmp").symlink_to(_secret(tmp_path))
        os.replace(folder / ".swap.tmp", path)
        st.idle()
    assert [e["key"] for e in events.of("skipped")] == ["cams/frame_0002.jpg"]
    assert events.uploaded_keys() == []
    assert _absent(service, bucket, "cams/frame_0002.jpg")
    assert path.is_symlink()


def test_linked_folder_in_the_path_is_skipped(service: Any, bucket: str, tmp_path: Path) -> None:
    """The kernel watch follows a linked folder (watchfiles reports cam/x.jpg through it): a file
    reached that way is skipped too."""
    folder, outside = tmp_path / "drop", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "x.jpg").write_bytes(b"not in the camera folder")
    (folder / "cam").symlink_to(outside)
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events)) as st:
        st.event("added", "cam/x.jpg")
        st.idle()
    [skipped] = events.of("skipped")
    assert skipped["key"] == "cams/cam/x.jpg" and skipped["reason"].endswith(": cam")
    assert events.uploaded_keys() == [] and _absent(service, bucket, "cams/cam/x.jpg")


def test_fifo_is_skipped_and_reported(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    os.mkfifo(folder / "pipe.jpg")
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events)) as st:
        st.event("added", "pipe.jpg")
        st.idle()
    assert [(e["key"], e["reason"]) for e in events.of("skipped")] == [("cams/pipe.jpg", "not a regular file")]


def test_follow_symlinks_sends_the_target_and_removes_only_the_link(service: Any, bucket: str,
                                                                    tmp_path: Path) -> None:
    folder, target = tmp_path / "drop", tmp_path / "real.jpg"
    folder.mkdir()
    target.write_bytes(random_bytes(7_000, seed=7))
    (folder / "link.jpg").symlink_to(target)
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events, remove_source=True, follow_symlinks=True)) as st:
        st.event("added", "link.jpg")
        st.idle()
    assert [e["removed"] for e in events.of("uploaded")] == [True]
    assert read_object(service, bucket, "cams/link.jpg") == random_bytes(7_000, seed=7)
    assert not os.path.lexists(folder / "link.jpg") and target.exists()


def test_file_above_the_multipart_threshold_is_read_from_its_descriptor(service: Any, bucket: str,
                                                                        tmp_path: Path) -> None:
    """12 MiB, above the tests' 5 MiB threshold: streamed from the open descriptor (multipart), then
    verified (sha256) and removed."""
    folder = tmp_path / "drop"
    folder.mkdir()
    data = random_bytes(12 * 1024 * 1024, seed=8)
    (folder / "clip.mp4").write_bytes(data)
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events, remove_source=True)) as st:
        st.event("added", "clip.mp4")
        st.idle()
    assert [(e["key"], e["size"], e["removed"]) for e in events.of("uploaded")] == [("cams/clip.mp4", len(data), True)]
    assert read_object(service, bucket, "cams/clip.mp4") == data
    assert list(folder.iterdir()) == []


def test_kernel_reported_link_is_skipped(service: Any, bucket: str, tmp_path: Path) -> None:
    """The same through the real kernel watch, with --remove-source."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    with running(make_watcher(service, folder, bucket, events, remove_source=True)):
        (folder / "frame_0003.jpg").symlink_to(_secret(tmp_path))
        (folder / "frame_0004.jpg").write_bytes(b"a frame")
        events.wait(lambda: bool(events.of("skipped")) and bool(events.uploaded_keys()))
    assert {e["key"] for e in events.of("skipped")} == {"cams/frame_0003.jpg"}
    assert events.uploaded_keys() == ["cams/frame_0004.jpg"]
    assert (folder / "frame_0003.jpg").is_symlink() and _absent(service, bucket, "cams/frame_0003.jpg")


def test_sync_walk_and_first_pass_skip_links_unless_asked(cli: Any, service: Any, bucket: str,
                                                          tmp_path: Path) -> None:
    """`sync` (no --watch) and the watcher's first pass walk the folder by the same rule: a link is
    skipped and reported, and followed only with --follow-symlinks, whose help says so."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"a frame")
    (folder / "frame_0005.jpg").symlink_to(_secret(tmp_path))
    run = cli("sync", str(folder), f"s3://{bucket}/s/", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert [i["path"] for i in doc["copied"]] == ["a.jpg"]
    assert [(i["path"], i["reason"]) for i in doc["skipped"]] == \
        [("frame_0005.jpg", "symlink (not followed; use --follow-symlinks)")]
    run = cli("sync", str(folder), f"s3://{bucket}/s/", "--follow-symlinks", "--json")
    assert [i["path"] for i in run.json()["copied"]] == ["frame_0005.jpg"]
    events = Events()
    with Stepper(make_watcher(service, folder, bucket, events)) as st:
        P.sync_pass(st.w)
        st.idle()
    assert [(e["key"], e["reason"]) for e in events.of("skipped")] == \
        [("cams/frame_0005.jpg", "symlink (not followed; use --follow-symlinks)")]
    assert events.uploaded_keys() == ["cams/a.jpg"]
    import typer

    from its_store.cli.app import app
    command = typer.main.get_command(app).commands["sync"]  # type: ignore[attr-defined]
    [option] = [p for p in command.params if p.name == "follow_symlinks"]
    assert option.help == "Follow symbolic links (default: a link is skipped and reported)"


# ------------------------------------------------------------------------------ no read lease
def _no_lease_cli(folder: Path, dest: str, *extra: str) -> subprocess.Popen[str]:
    """`its-store sync FOLDER DEST --watch ...` as root without CAP_LEASE: a lease on a file of another
    user is refused (EACCES), as for a service user without AmbientCapabilities=CAP_LEASE."""
    return subprocess.Popen([*NO_LEASE, ITS_STORE, "sync", str(folder), dest, "--watch", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _next_event(proc: subprocess.Popen[str], seen: list[dict[str, Any]], want: Any) -> dict[str, Any]:
    """Read JSON Lines events into `seen` until one for which want(event) is true."""
    while True:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line, f"the watcher ended: {seen[-10:]} {proc.stderr.read() if proc.stderr else ''}"
        event = json.loads(line)
        seen.append(event)
        if want(event):
            return event


def _of_another_user(tmp_path: Path, name: str, data: bytes) -> Path:
    """A complete file owned by nobody (uid 65534), written outside the folder, to be renamed in."""
    path = tmp_path / name
    path.write_bytes(data)
    os.chown(path, 65534, 65534)
    return path


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        rest, _err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return rest


def test_remove_source_without_lease_refuses_to_start(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    proc = _no_lease_cli(folder, f"s3://{bucket}/cams/", "--remove-source")
    try:
        lines = []
        while line := (proc.stderr.readline() if proc.stderr else ""):
            lines.append(line)
            assert " watching " not in line, f"it started: {lines}"  # it must not (a watcher never ends)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 78, lines
    assert len(lines) == 1 and lines[0].startswith("its-store: error: --remove-source: "), lines
    assert "--remove-after-settle" in lines[0] and "no CAP_LEASE" in lines[0]
    assert list(folder.iterdir()) == []  # the lease probe left nothing behind


def test_without_lease_the_watcher_says_so_at_start_and_per_file(env: dict[str, str], service: Any, bucket: str,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    proc = _no_lease_cli(folder, f"s3://{bucket}/cams/", "--json", "--settle", "0.3")
    seen: list[dict[str, Any]] = []
    try:
        started = _next_event(proc, seen, lambda e: e["event"] == "started")
        assert started["lease"] == "own" and started["lease_reason"] == "no CAP_LEASE"
        assert started["complete"] == ("closed (read lease) for files of uid 0, else settled 0.3 s "
                                       "(no read lease: no CAP_LEASE)")
        _next_event(proc, seen, lambda e: e["event"] == "pass")
        (folder / "mine.jpg").write_bytes(b"a frame of the watcher's own user")  # a lease works on it
        _next_event(proc, seen, lambda e: e.get("key") == "cams/mine.jpg")
        os.rename(_of_another_user(tmp_path, "theirs.jpg", b"a frame of another user"), folder / "theirs.jpg")
        settling = _next_event(proc, seen, lambda e: e.get("key") == "cams/theirs.jpg")
        _next_event(proc, seen, lambda e: e["event"] == "uploaded" and e["key"] == "cams/theirs.jpg")
    finally:
        rest = _stop(proc)
    assert settling["event"] == "settling" and settling["seconds"] == 0.3
    assert settling["reason"] == "the file belongs to uid 65534 and the watcher has no CAP_LEASE"
    kinds = [(e["event"], e.get("key")) for e in seen]
    assert kinds.count(("uploaded", "cams/mine.jpg")) == 1 and ("settling", "cams/mine.jpg") not in kinds
    assert proc.returncode == 0, rest
    from its_store.sync.watch_report import format_line
    assert format_line(started).endswith("(owed 0, complete = closed (read lease) for files of uid 0, else "
                                         "settled 0.3 s (no read lease: no CAP_LEASE), up to 16 uploads at once)")
    assert format_line(settling).endswith(" settling cams/theirs.jpg 0.3s (no read lease: the file belongs to "
                                          "uid 65534 and the watcher has no CAP_LEASE)")


def test_remove_after_settle_is_the_opt_in(env: dict[str, str], service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    proc = _no_lease_cli(folder, f"s3://{bucket}/cams/", "--json", "--settle", "0.3", "--remove-source",
                         "--remove-after-settle")
    seen: list[dict[str, Any]] = []
    try:
        _next_event(proc, seen, lambda e: e["event"] == "pass")
        os.rename(_of_another_user(tmp_path, "theirs.jpg", b"another user's frame"), folder / "theirs.jpg")
        uploaded = _next_event(proc, seen, lambda e: e["event"] == "uploaded")
    finally:
        _stop(proc)
    assert [e["event"] for e in seen if e.get("key") == "cams/theirs.jpg"] == ["settling", "uploaded"]
    assert uploaded["removed"] is True and list(folder.iterdir()) == []
    assert read_object(service, bucket, "cams/theirs.jpg") == b"another user's frame"


GUARD_RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[4])
from pathlib import Path
from its_store import StorageService, load_settings
from its_store.sync.watch import Watcher
from watchstep import Stepper
folder, bucket, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
watcher = Watcher(StorageService(load_settings()), folder, bucket, "cams/", settle=0.3, remove_source=True,
                  first_pass=False, on_event=lambda e: print(json.dumps(e.model_dump(mode="json")), flush=True))
with Stepper(watcher) as st:
    st.event("added", name)
    st.idle()
"""


def test_no_file_is_removed_on_the_settle_rule_alone(env: dict[str, str], service: Any, bucket: str,
                                                     tmp_path: Path) -> None:
    """Past the start check (driven step by step, as if leases had worked when it started), a file the
    kernel cannot say is closed is uploaded but kept: removal needs a read lease or the opt-in."""
    folder = tmp_path / "drop"
    folder.mkdir()
    os.rename(_of_another_user(tmp_path, "theirs.jpg", b"frame"), folder / "theirs.jpg")
    runner = tmp_path / "guard.py"
    runner.write_text(GUARD_RUNNER)
    run = subprocess.run([*NO_LEASE, sys.executable, str(runner), str(folder), bucket, "theirs.jpg",
                          str(Path(__file__).parent)], capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert [e["event"] for e in events] == ["settling", "uploaded", "kept"]
    assert events[1]["removed"] is False
    assert events[2]["reason"].endswith("not removed on the settle rule alone (--remove-after-settle)")
    assert (folder / "theirs.jpg").read_bytes() == b"frame"
    assert read_object(service, bucket, "cams/theirs.jpg") == b"frame"
