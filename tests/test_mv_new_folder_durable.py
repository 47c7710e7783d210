"""`mv s3://... LOCAL` and `mv -r` into a folder that does not exist yet: the folder is made (mkdir) and the file
renamed into it, the file and that folder flushed, then the object deleted. The new folder's own name, an entry
of its PARENT folder, was never flushed: after a power cut a filesystem that does not commit every metadata
change together (ext2, ext4 made without a journal to spare an SD card or eMMC of a roadside unit) may come back
without the folder, the file with it, while the object it was moved from is gone (ext4 with its journal and xfs
commit the mkdir with the folder's flush; POSIX promises nothing of the kind). fsync(2): a new entry is durable
once the folder that holds it is flushed, so every folder mv made is now flushed in its parent too (up to the
first folder that was there), before the DELETE (core/folder_flush). Read from the system calls (strace -f -y),
as tests/test_mv_download_durable.py does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_mv_download_durable import first_line, traced_cli, traced_move

from helpers import write_file


@pytest.mark.parametrize("recursive", [False, True], ids=["one", "recursive"])
def test_the_folder_a_move_made_is_flushed_in_its_parent_before_the_delete(env, bucket: str, tmp_path: Path,
                                                                          recursive: bool) -> None:
    dest, lines = traced_move(env, bucket, tmp_path, recursive, 50_000, extra="mkdir,mkdirat")
    made = first_line(lines, r'mkdir(at)?\((\d+<[^>]*>, )?"[^"]*dest"')  # the folder the move made
    delete = first_line(lines, r'sendto\(.*"DELETE ')
    parent = re.escape(str(dest.parent))
    flushed = [n for n, line in enumerate(lines) if n > made and re.search(rf"f(data)?sync\(\d+<{parent}>\)", line)]
    assert flushed and flushed[0] < delete, "the folder the move made was not flushed in its parent before the DELETE"


def test_the_folders_made_below_an_existing_folder_are_flushed_in_their_parents(env, bucket: str,
                                                                                tmp_path: Path) -> None:
    """`mv -r` of cam/ into a folder that is there, its key cam/x/y/f.bin: x is made in dest, y in x; both names
    flushed (dest's and x's fsync after the mkdirs) before the DELETE; dest itself was there (its parent not)."""
    data = write_file(tmp_path / "src" / "f.bin", 20_000, seed=38)
    from conftest import cli_runner
    assert cli_runner(env)("upload", str(data), f"s3://{bucket}/cam/x/y/f.bin").exit_code == 0
    dest = tmp_path / "dest"
    dest.mkdir()
    trace = tmp_path / "trace.txt"
    done = traced_cli(["mv", "-r", f"s3://{bucket}/cam/", str(dest)], env, tmp_path, trace, "mkdir,mkdirat")
    assert done.returncode == 0, done.stderr.decode()
    assert (dest / "x" / "y" / "f.bin").read_bytes() == data.read_bytes()
    lines = trace.read_text(errors="replace").splitlines()
    made = first_line(lines, r'mkdirat\(\d+<[^>]*>, "y"')
    delete = first_line(lines, r'sendto\(.*"DELETE ')
    for folder in (dest, dest / "x"):
        flushed = [n for n, line in enumerate(lines)
                   if n > made and re.search(rf"f(data)?sync\(\d+<{re.escape(str(folder))}>\)", line)]
        assert flushed and flushed[0] < delete, f"{folder} was not flushed after the folders were made"
    assert not any(re.search(rf"f(data)?sync\(\d+<{re.escape(str(tmp_path))}>\)", line) for line in lines)
