"""A local OS error on one item is that item's failure, on every command that writes local files.

Each place below refuses writes in its own way, for real: a key segment longer than the file system
allows (ENAMETOOLONG), a subfolder made immutable with `chattr +i` (refused even to root), a
read-only subfolder for an unprivileged user (the CLI run as `nobody`), and a full disk (a 1 MiB
tmpfs mounted by the test). Every command runs in a subprocess with a deadline, and with a pool of
two connections: a download that failed without returning its connection would hang the next ones,
and the deadline turns that hang into a failure instead of a stuck suite.

Batch commands (get -r, mv -r, sync) must copy every other item, report each refused one as a
`local_io_error` whose message names the path and the reason, leave no temp file, and exit 1.
Single-item commands (get, model pull) must fail with one line, exit 1, and leave nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpers import DEADLINE, ROOT, Done, immutable, run_cli_process, tiny_disk

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
          # nobody may traverse root's folders (the interpreter lives under /root in this image) but
          # gets no write privilege: mode bits are enforced on every write, as for any user
          "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
GOOD, BAD = 6, 4
SMALL = 1024
BIG = 1_200_000  # larger than the 1 MiB disk: never fits


def run_cli(args: list[str], env: dict[str, str], cwd: Path, *, as_nobody: bool = False) -> Done:
    """`python -m its_store ARGS` in a subprocess (two pool connections, two workers), killed at the deadline."""
    return run_cli_process(args, env, cwd, prefix=tuple(NOBODY) if as_nobody else ())


# ---------------------------------------------------------------------------------------- places
@dataclass
class Place:
    """A destination folder whose subfolder `bad` refuses writes, and the reason the OS gives."""

    kind: str
    root: Path
    bad: str
    reason: str
    env: dict[str, str] = field(default_factory=dict)
    as_nobody: bool = False
    size: int = SMALL  # of the objects meant for the bad subfolder


@contextmanager
def nobody_folder() -> Iterator[Path]:
    """A folder `nobody` owns, in /tmp (pytest's own folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="its-nobody-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        shutil.chown(folder, "nobody", "nogroup")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["long-name", "immutable", "read-only", "disk-full"])
def place(request: Any, env: dict[str, str], tmp_path: Path) -> Iterator[Place]:
    kind = request.param
    if kind == "long-name":
        yield Place(kind, tmp_path / "dest", "x" * 256, "file name too long")
    elif kind == "immutable":
        with immutable(tmp_path / "dest" / "locked"):
            yield Place(kind, tmp_path / "dest", "locked", "operation not permitted")
    elif kind == "disk-full":
        with tiny_disk(tmp_path / "dest" / "disk"):
            yield Place(kind, tmp_path / "dest", "disk", "no space left on device", size=BIG)
    else:
        with nobody_folder() as home:
            (home / "dest" / "ro").mkdir(parents=True)
            for folder in (home / "dest", home / "dest" / "ro"):
                shutil.chown(folder, "nobody", "nogroup")
            os.chmod(home / "dest" / "ro", 0o555)
            state = home / "state"
            state.mkdir()
            shutil.chown(state, "nobody", "nogroup")
            yield Place(kind, home / "dest", "ro", "permission denied", as_nobody=True,
                        env={"MINIO_CACHE_DIR": str(state / "cache"), "MINIO_AUDIT_LOG": str(state / "audit.log")})


def seed(service: Any, bucket: str, place: Place) -> tuple[list[str], list[str]]:
    """GOOD objects that fit anywhere, BAD ones whose local path falls in the refusing subfolder."""
    good = [f"p/ok/f{i}" for i in range(GOOD)]
    bad = [f"p/{place.bad}/f{i}" for i in range(BAD)]
    for key in good:
        service.s3.put(bucket, key, os.urandom(SMALL), {})
    for key in bad:
        service.s3.put(bucket, key, os.urandom(place.size), {})
    return good, bad


def temp_files(root: Path) -> list[str]:
    found = []
    for folder, _dirs, files in os.walk(root):
        found += [os.path.join(folder, f) for f in files if f.endswith(".its-tmp")]
    return found


def run(place: Place, env: dict[str, str], *args: str) -> Done:
    done = run_cli(list(args), {**env, **place.env}, place.root.parent, as_nobody=place.as_nobody)
    assert "Traceback" not in done.stderr, done
    assert "internal_error" not in done.stdout + done.stderr, done
    return done


def check_files(place: Place, good: list[str]) -> None:
    for key in good:
        assert (place.root / key[len("p/"):]).is_file(), key
    assert temp_files(place.root) == []


# --------------------------------------------------------------------------------- batch commands
def skipped_as_too_long(place: Place, bad: list[str], skipped: list[dict[str, Any]]) -> bool:
    """A name over 255 bytes is refused before any write by the key-to-path rule (core/refs.py): those
    keys are skipped, each with its reason, instead of failing on ENAMETOOLONG."""
    if place.kind != "long-name":
        return False
    assert sorted(item["key"] for item in skipped) == sorted(bad), skipped
    assert all("longer than 255 bytes" in item["reason"] for item in skipped), skipped
    return True


def test_get_recursive_goes_on_past_local_errors(service, bucket, env, place):
    good, bad = seed(service, bucket, place)
    done = run(place, env, "get", "-r", f"s3://{bucket}/p/", str(place.root), "--json", "-w", "2")
    assert done.exit_code == 1, done
    doc = done.json()
    if skipped_as_too_long(place, bad, doc["skipped_items"]):
        assert (doc["succeeded"], doc["failed"], doc["skipped"]) == (GOOD, 0, BAD), done
        check_files(place, good)
        return
    assert (doc["succeeded"], doc["failed"]) == (GOOD, BAD), done
    for error in doc["errors"]:
        assert error["key"] in bad and error["code"] == "local_io_error", error
        assert place.reason in error["message"] and place.bad in error["message"], error
    check_files(place, good)


def test_mv_recursive_goes_on_past_local_errors(service, bucket, env, place):
    good, bad = seed(service, bucket, place)
    done = run(place, env, "mv", "-r", f"s3://{bucket}/p/", str(place.root) + "/", "--json", "-w", "2")
    assert done.exit_code == 1, done
    doc = done.json()
    if skipped_as_too_long(place, bad, doc["skipped_items"]):
        assert (doc["succeeded"], doc["failed"], doc["skipped"]) == (GOOD, 0, BAD), done
    else:
        assert (doc["succeeded"], doc["failed"]) == (GOOD, BAD), done
    for error in doc["errors"]:
        assert error["key"] in bad and error["code"] == "local_io_error", error
        assert place.reason in error["message"], error
    check_files(place, good)
    left = sorted(o.key for o in service.s3.list_objects(bucket, "p/", recursive=True))
    assert left == sorted(bad)  # moved ones gone, refused ones kept


def test_sync_down_goes_on_past_local_errors(service, bucket, env, place):
    good, bad = seed(service, bucket, place)
    done = run(place, env, "sync", f"s3://{bucket}/p/", str(place.root), "--json", "-w", "2")
    assert done.exit_code == 1, done
    doc = done.json()
    if skipped_as_too_long(place, bad, doc["skipped"]):
        assert (doc["totals"]["copied"], doc["totals"]["failed"], doc["totals"]["skipped"]) == (GOOD, 0, BAD), done
    else:
        assert (doc["totals"]["copied"], doc["totals"]["failed"]) == (GOOD, BAD), done
    for item in doc["failed"]:
        assert item["key"] in bad and item["code"] == "local_io_error", item
        assert place.reason in item["reason"], item
    check_files(place, good)


# --------------------------------------------------------------------------------- single items
def one_line_error(done: Done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: "), done
    return lines[0]


def test_get_one_object_fails_with_one_line(service, bucket, env, place):
    _good, bad = seed(service, bucket, place)
    target = place.root / place.bad / "one.bin"
    done = run(place, env, "get", f"s3://{bucket}/{bad[0]}", str(target))
    assert done.exit_code == 1, done
    assert place.reason in one_line_error(done)
    assert temp_files(place.root) == []


def test_model_pull_fails_with_one_line(service, bucket, env, place, tmp_path):
    weights = tmp_path / "model.pt"
    weights.write_bytes(os.urandom(place.size))
    registered = run_cli(["model", "register", str(weights), "--name", "refused", "--version", "1.0.0", "--json"],
                         env, tmp_path)
    assert registered.exit_code == 0, registered
    done = run(place, env, "model", "pull", "refused@1.0.0", str(place.root / place.bad / "model.pt"))
    assert done.exit_code == 1, done
    assert place.reason in one_line_error(done)
    assert temp_files(place.root) == []
    assert not (place.root / place.bad / "model.pt").exists() if place.kind != "long-name" else True


def test_a_name_that_fits_is_written_though_its_temp_name_would_not(service, bucket, env, tmp_path):
    """A 250-byte name is legal; the temp file beside it (".NAME.<pid>-<n>.its-tmp") must be too."""
    name = "y" * 250
    service.s3.put(bucket, f"p/{name}", b"frame", {})
    done = run_cli(["get", "-r", f"s3://{bucket}/p/", "many", "--json"], env, tmp_path)
    assert done.exit_code == 0, done
    done = run_cli(["get", f"s3://{bucket}/p/{name}", "one/"], env, tmp_path)
    assert done.exit_code == 0, done
    assert (tmp_path / "many" / name).read_bytes() == (tmp_path / "one" / name).read_bytes() == b"frame"
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"weights")
    registered = run_cli(["model", "register", str(weights), "--name", "fits", "--version", "1.0.0"], env, tmp_path)
    assert registered.exit_code == 0, registered
    done = run_cli(["model", "pull", "fits@1.0.0", f"pulled/{name}"], env, tmp_path)
    assert done.exit_code == 0, done
    assert (tmp_path / "pulled" / name).read_bytes() == b"weights"


def test_get_to_stdout_on_a_full_disk_fails_with_one_line(service, bucket, env, tmp_path):
    """`get KEY - > file` where the file's disk fills: one line naming stdout and the reason, exit 1."""
    service.s3.put(bucket, "big", os.urandom(BIG), {})
    with tiny_disk(tmp_path / "disk"):
        with open(tmp_path / "disk" / "out.bin", "wb") as sink:
            proc = subprocess.run([sys.executable, "-m", "its_store", "get", f"s3://{bucket}/big", "-"],
                                  env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, stdout=sink,
                                  stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=DEADLINE)
    done = Done(proc.returncode, "", proc.stderr.decode(errors="replace"))
    assert done.exit_code == 1, done
    line = one_line_error(done)
    assert "<stdout>" in line and "no space left on device" in line, line
