"""fix3: a path the source walk passed over (core/files' own temp names, a symlink not followed) is in the
source, only not copied: sync --delete must never delete it on the other side (sync/walk.Walk.passed_over),
as filtered paths are never deleted either."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from its_store.core.files import TEMP_NAME, is_own_temp, temp_name

from conftest import unique


def _keys(service: Any, bucket: str) -> set[str]:
    return {o.key for o in service.s3.list_objects(bucket, "", recursive=True)}


def test_temp_names_are_one_exact_form() -> None:
    made = temp_name("a.b", 12, 3)
    assert made == ".a.b.12-3.its-tmp" and is_own_temp(made) and TEMP_NAME.fullmatch(made)
    for name in (".draft.its-tmp", ".x.12.its-tmp", ".x.a-1.its-tmp", "x.1-2.its-tmp", ".x.1-2.its-tmp.bak"):
        assert not is_own_temp(name), name


def test_sync_delete_keeps_what_the_source_walk_passed_over(cli: Any, service: Any, tmp_path: Path) -> None:
    bucket = unique("skipk")
    service.s3.make_bucket(bucket)
    folder = tmp_path / "src"
    (folder / "real").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"a")
    (folder / "real" / "f.txt").write_bytes(b"f")
    temp = temp_name("b.txt", 4242, 7)  # an interrupted download's leftover: skipped, never uploaded
    (folder / temp).write_bytes(b"half")
    os.symlink(folder / "a.txt", folder / "link.txt")      # a link to a file, not followed
    os.symlink(folder / "real", folder / "linkdir")         # a link to a folder, not followed
    for key in (temp, "link.txt", "linkdir/f.txt", "gone.txt"):
        service.s3.put(bucket, f"p/{key}", b"old", {})
    run = cli("sync", str(folder), f"s3://{bucket}/p/", "--delete", "--json")
    assert run.exit_code == 0, run
    # only gone.txt is really not in the source
    assert _keys(service, bucket) == {f"p/{temp}", "p/link.txt", "p/linkdir/f.txt", "p/a.txt",
                                      "p/real/f.txt"}, run
