"""`sync -q` (session 30, gaps item 4).

-q/--quiet is documented as "no talk on stderr; errors only" (docs/concepts/commands.md, the CLI's help),
and the batch commands (upload -r, cp -r, get -r, rm -r) follow it: with -q they print nothing per item,
only each failure on stderr. sync printed a `copy`/`delete` line per item on stdout even with -q (only
`skip` lines were hidden), so a quiet cron job still mailed one line per file. Now -q leaves sync's stdout
empty except the plan of a --dry-run (the output asked for, as `rm -r --dry-run -q` lists its keys); each
failure is still named on stderr; --json is never silenced by -q.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helpers import write_file


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    for n in range(3):
        write_file(folder / f"f{n}.bin", 100, seed=n)
    return folder


def test_quiet_sync_prints_nothing_per_item(cli: Any, bucket: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    dest = f"s3://{bucket}/q/"
    run = cli("-q", "sync", str(folder), dest)
    assert run.exit_code == 0 and run.stdout == "" and run.stderr == "", run
    os.unlink(folder / "f0.bin")
    write_file(folder / "f3.bin", 10, seed=9)
    run = cli("-q", "sync", str(folder), dest, "--delete")
    assert run.exit_code == 0 and run.stdout == "" and run.stderr == "", run
    # without -q the same lines as before
    write_file(folder / "f4.bin", 10, seed=10)
    run = cli("sync", str(folder), dest)
    assert run.exit_code == 0 and run.stdout.split("\t")[:2] == ["copy", "f4.bin"], run


def test_quiet_sync_still_names_each_failure_on_stderr(cli: Any, bucket: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "bad").symlink_to("/sys/devices/system/cpu/online")  # a file refused at its open (exit 2)
    run = cli("-q", "sync", str(folder), f"s3://{bucket}/q/", "--follow-symlinks")
    assert run.exit_code == 2 and run.stdout == "", run
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("failed: bad: "), run


def test_quiet_dry_run_prints_its_plan_and_json_is_never_silenced(cli: Any, bucket: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    run = cli("-q", "sync", str(folder), f"s3://{bucket}/q/", "--dry-run")
    assert run.exit_code == 0 and run.stderr == "", run
    assert sorted(line.split("\t")[:2] for line in run.stdout.splitlines()) == [
        ["copy", "f0.bin"], ["copy", "f1.bin"], ["copy", "f2.bin"]], run
    run = cli("-q", "sync", str(folder), f"s3://{bucket}/q/", "--json")
    assert run.exit_code == 0 and run.stderr == "", run
    assert sorted(i["path"] for i in run.json()["copied"]) == ["f0.bin", "f1.bin", "f2.bin"]
