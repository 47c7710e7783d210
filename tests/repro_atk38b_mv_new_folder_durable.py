"""REPRODUCTION, NOT COLLECTED (FAILS on main at a62c62c; the fix belongs in core/localtree.py, w4/w5's):
rename to tests/test_atk38b_mv_new_folder_durable.py with the fix.

`mv s3://... LOCAL` and `mv -r` into a folder that does not exist yet: the folder is made (mkdir) and the file
renamed into it, the file and that folder flushed, then the object deleted. The new folder's own name, an entry
of its PARENT folder, was never flushed: after a power cut a filesystem that does not commit every metadata
change together (ext2, ext4 made without a journal to spare an SD card or eMMC of a roadside unit) may come back
without the folder, the file with it, while the object it was moved from is gone (ext4 with its journal and xfs
commit the mkdir with the folder's flush; POSIX promises nothing of the kind). fsync(2): a new entry is durable
once the folder that holds it is flushed, so every folder mv made must be flushed in its parent too, before the
DELETE. Read from the system calls (strace -f -y), as tests/test_mv_download_durable.py does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_mv_download_durable import first_line, traced_move


@pytest.mark.parametrize("recursive", [False, True], ids=["one", "recursive"])
def test_the_folder_a_move_made_is_flushed_in_its_parent_before_the_delete(env, bucket: str, tmp_path: Path,
                                                                          recursive: bool) -> None:
    dest, lines = traced_move(env, bucket, tmp_path, recursive, 50_000, extra="mkdir,mkdirat")
    made = first_line(lines, r'mkdir(at)?\((\d+<[^>]*>, )?"[^"]*dest"')  # the folder the move made
    delete = first_line(lines, r'sendto\(.*"DELETE ')
    parent = re.escape(str(dest.parent))
    flushed = [n for n, line in enumerate(lines) if n > made and re.search(rf"f(data)?sync\(\d+<{parent}>\)", line)]
    assert flushed and flushed[0] < delete, "the folder the move made was not flushed in its parent before the DELETE"
