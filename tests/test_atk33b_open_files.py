"""Session 33, attacker 2: `--workers N` under a low soft limit of open files.

Started with a soft RLIMIT_NOFILE of 48 (a service manager's or a shell's `ulimit -Sn`; the hard limit well
above), `upload -r --workers 32` failed 74 of the first 118 files with "too many open files", one of them
named as "cannot write .../its_store/state/audit.py" (a lazy import that found no descriptor), and the walk
stopped reading folders: exit 1. The command line now raises its soft limit to the hard one first, as every
Go program does (s5cmd, rclone, mc).
"""

from __future__ import annotations

import resource
from pathlib import Path

from tests.helpers import run_cli_process


def test_upload_r_with_many_workers_under_a_low_soft_limit(env: dict[str, str], service, bucket: str,
                                                           tmp_path: Path) -> None:
    """Fails on main (6f7ffca): exit 1, "N of M objects failed ... too many open files"."""
    for i in range(200):
        path = tmp_path / "frames" / f"cam{i % 4}" / f"f{i:03d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"jpeg" * (i + 1))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard == resource.RLIM_INFINITY or hard >= 1024, "the test needs a hard limit above the soft one"
    done = run_cli_process(["upload", "-r", str(tmp_path / "frames"), f"s3://{bucket}/f/", "--workers", "32"],
                           env, tmp_path, prefix=("prlimit", f"--nofile=48:{'unlimited' if hard < 0 else hard}"),
                           pool=32)
    assert done.exit_code == 0, done
    assert "too many open files" not in done.stderr, done
    assert len(list(service.s3.list_objects(bucket, "f/", recursive=True))) == 200
