"""A download killed with SIGKILL leaves its temp file (`.NAME.<pid>-<n>.its-tmp`; a pull its staging folder
`.DEST.<pid>-<n>.its-tmp/`): nothing of the dead process can remove it, and every walk passes it over, so it
stayed for good (one partial file per killed `get -r` on a small edge disk). The next `get -r`, sync s3 -> local
or model pull into that folder now removes the temps whose run is provably dead (core/stale_temps.py), says so
in one line, and leaves alone what is not provably dead or not its own: a temp whose process lives, a temp
another process holds a lock on, a lookalike name, a link.

The kill is real: the command runs under strace, which sends SIGKILL at the rename of its first downloaded file
(the temp file is complete and about to be renamed into place)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from helpers import DEADLINE, ROOT, run_cli_process, write_file


def killed_at_rename(args: list[str], env: dict[str, str], cwd: Path, nth: int = 1) -> int:
    """`its-store ARGS`, killed (SIGKILL) by strace at its `nth` rename; the exit status strace reports."""
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT), "MINIO_MAX_WORKERS": "1", "MINIO_MAX_POOL_CONNECTIONS": "1"}
    done = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null",
                           "-e", f"inject=rename,renameat,renameat2:signal=SIGKILL:when={nth}",
                           sys.executable, "-m", "its_store", *args],
                          env=full, cwd=cwd, capture_output=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    return done.returncode


def temps_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".its-tmp"))


def dead_pid() -> int:
    """The id of a process that has ended (and was waited for)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_get_r_removes_the_temp_a_killed_get_r_left(env, bucket: str, tmp_path: Path) -> None:
    data = write_file(tmp_path / "src" / "frame.bin", 3 * 1024 * 1024, seed=5)
    from conftest import cli_runner
    assert cli_runner(env)("upload", str(data), f"s3://{bucket}/p/frame.bin").exit_code == 0
    dest = tmp_path / "dst"
    killed_at_rename(["get", "-r", f"s3://{bucket}/p/", str(dest)], env, tmp_path)
    left = temps_in(dest)
    assert len(left) == 1 and left[0].startswith(".frame.bin."), left  # what the kill leaves: the whole temp
    assert (dest / left[0]).stat().st_size == 3 * 1024 * 1024
    # what must stay: a lookalike (a user's file), a temp of a live process (this one), a temp whose pid is dead
    # here but that another process holds locked (a run in another pid namespace), a link in the temp form
    (dest / ".draft.its-tmp").write_bytes(b"mine")
    live = dest / f".cam.{os.getpid()}-0.its-tmp"
    live.write_bytes(b"live")
    locked = dest / f".other.{dead_pid()}-0.its-tmp"
    locked.write_bytes(b"held")
    link = dest / f".link.{dead_pid()}-0.its-tmp"
    link.symlink_to(data)
    elsewhere = dest / "other" / f".old.{dead_pid()}-0.its-tmp"  # a folder this run writes nothing into
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"old")
    with open(locked, "rb+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        again = run_cli_process(["get", "-r", f"s3://{bucket}/p/", str(dest)], env, tmp_path)
    assert again.exit_code == 0, again
    assert (dest / "frame.bin").read_bytes() == data.read_bytes()
    assert left[0] not in temps_in(dest), "the dead run's temp file is still there"
    assert sorted(temps_in(dest)) == sorted([".draft.its-tmp", live.name, locked.name, link.name])
    assert data.exists() and link.is_symlink() and elsewhere.exists()
    said = [line for line in again.stderr.splitlines() if "temp file" in line]
    assert len(said) == 1 and "removed 1 temp file(s)" in said[0] and "3.0 MiB" in said[0], again.stderr


def test_sync_into_the_folder_removes_the_temp_a_killed_sync_left(env, bucket: str, tmp_path: Path) -> None:
    data = write_file(tmp_path / "src" / "a" / "frame.bin", 200_000, seed=6)
    from conftest import cli_runner
    assert cli_runner(env)("upload", str(data), f"s3://{bucket}/p/a/frame.bin").exit_code == 0
    dest = tmp_path / "dst"
    killed_at_rename(["sync", f"s3://{bucket}/p/", str(dest)], env, tmp_path)
    left = temps_in(dest / "a")
    assert len(left) == 1, left
    again = run_cli_process(["sync", f"s3://{bucket}/p/", str(dest)], env, tmp_path)
    assert again.exit_code == 0, again
    assert (dest / "a" / "frame.bin").read_bytes() == data.read_bytes()
    assert temps_in(dest / "a") == []
    assert "removed 1 temp file(s)" in again.stderr, again.stderr


def test_model_pull_removes_the_staging_folder_a_killed_pull_left(env, tmp_path: Path) -> None:
    weights = tmp_path / "model"
    write_file(weights / "w.onnx", 100_000, seed=7)
    write_file(weights / "cfg.json", 1_000, seed=8)
    from conftest import cli_runner
    assert cli_runner(env)("model", "register", str(weights), "--name", "det", "--version", "1.0.0").exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    killed_at_rename(["model", "pull", "det@1.0.0", str(out / "det")], env, tmp_path, nth=2)  # 1: the manifest cached
    left = temps_in(out)
    assert len(left) == 1 and left[0].startswith(".det.") and (out / left[0]).is_dir(), left
    again = run_cli_process(["model", "pull", "det@1.0.0", str(out / "det")], env, tmp_path)
    assert again.exit_code == 0, again
    assert temps_in(out) == []
    assert (out / "det" / "w.onnx").read_bytes() == (weights / "w.onnx").read_bytes()
    assert "removed 1 temp file(s)" in again.stderr, again.stderr



SWEEP = """
import os, sys
from its_store.core.stale_temps import sweep_folder
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
swept = sweep_folder(fd)
print(os.getpid(), swept.count, swept.freed)
"""


def test_a_process_id_used_again_does_not_keep_a_dead_temp(tmp_path: Path) -> None:
    """The pid in a temp's name may belong, now, to a later process (a container's pid 1 on every run): a temp
    that last changed before that process started is dead. The sweep runs as pid 1 of a new pid namespace,
    started after the temps were written; the one another process holds locked stays."""
    (tmp_path / ".frame.bin.1-0.its-tmp").write_bytes(b"x" * 10)
    locked = tmp_path / ".cam.1-1.its-tmp"
    locked.write_bytes(b"held")
    time.sleep(1.5)  # orders the events only: the new pid 1 starts more than the sweep's margin (1 s) later
    with open(locked, "rb+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", SWEEP,
                               str(tmp_path)], capture_output=True, text=True, timeout=DEADLINE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["1", "1", "10"], done
    assert temps_in(tmp_path) == [locked.name]


def test_a_live_process_keeps_its_temp(tmp_path: Path) -> None:
    """The pid in the name runs and started before the temp last changed: it may be writing it, kept."""
    (tmp_path / f".frame.bin.{os.getpid()}-0.its-tmp").write_bytes(b"x")
    done = subprocess.run([sys.executable, "-c", SWEEP, str(tmp_path)], capture_output=True, text=True,
                          timeout=DEADLINE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split()[1:] == ["0", "0"], done
    assert len(temps_in(tmp_path)) == 1
