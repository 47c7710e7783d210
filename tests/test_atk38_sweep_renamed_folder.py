"""The dead-temp sweep (core/stale_temps) as a deputy: another user who may write the folder a run writes into,
but not the run's own subfolders, renames one of them (its files, the run's earlier downloads) to a temp
folder's name `.NAME.<a dead pid>-0.its-tmp`. Renaming an entry within a folder one may write needs no right
on the entry itself (a folder's own `..` only changes when it moves to another parent), and no sticky bit
stops it in such a shared folder (a group-writable /srv/frames of an ITS site; a user's folder a root job
downloads into). The victim's next get -r, sync or model pull into that folder removed the whole subtree: its
owner is the victim, its pid is dead, nobody holds it locked; files the other user could never remove.

A temp FOLDER is removed only where no other user can rename entries: the folder it is in is the run's own
(or root's) and not writable by group or others, or sticky. A temp FILE there is removed as before (whoever
may rename it may remove it anyway). Real parts: the other user is uid 65534 (setpriv), the sweep this process.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from its_store.core.stale_temps import sweep_folder

OTHER = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         # may pass through the test's private folders (pytest makes them 0700); no other right
         "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _sweep(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return sweep_folder(fd).count
    finally:
        os.close(fd)


def _shared(tmp_path: Path, mode: int) -> Path:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    return shared


def test_a_folder_another_user_renamed_to_a_temp_name_is_kept(tmp_path: Path) -> None:
    shared = _shared(tmp_path, 0o777)  # writable by the other user, no sticky bit
    mine = shared / "cam-07"
    mine.mkdir(mode=0o755)
    (mine / "frame.jpg").write_bytes(b"an earlier download")
    hidden = shared / f".cam-07.{_dead_pid()}-0.its-tmp"
    done = subprocess.run([*OTHER, "mv", str(mine), str(hidden)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # the other user may do that, and not remove the files
    gone = subprocess.run([*OTHER, "rm", "-rf", str(hidden)], capture_output=True, text=True, timeout=60)
    assert gone.returncode != 0 and (hidden / "frame.jpg").exists(), gone
    assert _sweep(shared) == 0
    assert (hidden / "frame.jpg").read_bytes() == b"an earlier download"


def test_a_dead_staging_folder_in_a_folder_of_ones_own_is_still_removed(tmp_path: Path) -> None:
    for mode in (0o755, 0o1777):  # not writable by others; or sticky (others may not rename our entries)
        folder = tmp_path / oct(mode)
        folder.mkdir()
        os.chmod(folder, mode)
        staging = folder / f".yolo.{_dead_pid()}-0.its-tmp"
        staging.mkdir(mode=0o700)
        (staging / "weights.bin").write_bytes(b"w" * 100)
        assert _sweep(folder) == 1, oct(mode)
        assert not staging.exists()


def test_a_dead_temp_file_in_a_shared_folder_is_still_removed(tmp_path: Path) -> None:
    shared = _shared(tmp_path, 0o777)
    (shared / f".frame.jpg.{_dead_pid()}-0.its-tmp").write_bytes(b"half")
    assert _sweep(shared) == 1
    assert os.listdir(shared) == []


def test_a_temp_folder_in_a_group_writable_folder_is_kept(tmp_path: Path) -> None:
    """A member of the folder's group may rename our entries as `other` may: 0o770 (no sticky bit) is shared
    too (a mask of others' write alone, 0o002, passed every test above)."""
    shared = _shared(tmp_path, 0o770)
    staging = shared / f".cam-07.{_dead_pid()}-0.its-tmp"
    staging.mkdir(mode=0o755)
    (staging / "frame.jpg").write_bytes(b"maybe an earlier download renamed by a group member")
    assert _sweep(shared) == 0
    assert (staging / "frame.jpg").exists()
