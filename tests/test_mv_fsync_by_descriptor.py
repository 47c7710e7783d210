"""`mv s3://... LOCAL` and `mv -r` flush the downloaded file before the object is deleted (power cut:
tests/test_mv_download_durable.py). The flush opened the file again by its name after the rename: were the name
renamed or replaced in between (another program in the folder), another file was flushed and the object deleted
while the downloaded bytes might not be on disk. Now the descriptor that wrote the bytes is flushed before the
rename, and the folder by the very descriptor the rename was made in; the final name is never opened again.
Read from the system calls (strace -f -y), as that test does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_mv_download_durable import first_line, traced_move


@pytest.mark.parametrize("recursive", [False, True], ids=["one", "recursive"])
def test_a_moved_download_is_flushed_by_the_descriptors_that_wrote_and_renamed_it(env, bucket: str, tmp_path: Path,
                                                                                 recursive: bool) -> None:
    dest, lines = traced_move(env, bucket, tmp_path, recursive, 200_000, extra="open,openat")
    folder = re.escape(str(dest))
    delete = first_line(lines, r'sendto\(.*"DELETE ')
    renamed = first_line(lines, r"rename.*its-tmp")
    flushed = first_line(lines, rf"f(data)?sync\(\d+<{folder}/\.f\.bin\.[0-9-]+\.its-tmp>\)")
    assert flushed < renamed, "the file was flushed after its rename (by its name opened again), not by the " \
                              "descriptor that wrote it"
    reopened = [line for line in lines[renamed:delete] if re.search(rf'open(at)?\(.*"{folder}/f\.bin"', line)
                or re.search(r'openat\(\d+<[^>]*>, "f\.bin"', line)]
    assert not reopened, f"the moved file was opened again by its name before the DELETE: {reopened}"
    rename_dir = re.search(rf"renameat2?\((\d+)<{folder}>", lines[renamed])
    assert rename_dir, f"the rename was not made in the folder's descriptor: {lines[renamed]}"
    synced = first_line(lines[renamed:], rf"f(data)?sync\({rename_dir.group(1)}<{folder}>\)") + renamed
    assert synced < delete, "the folder the rename was made in was not flushed (by that descriptor) before the DELETE"
