"""What an upload reads: a regular file, opened once and checked on the descriptor (core.files.open_regular).

A FIFO swapped in after a stat check used to block open() forever; every function that opens a local
file to upload or hash it must now refuse a FIFO at once. The race itself is not needed to show it:
each of those functions is handed the FIFO directly, in a subprocess with a deadline (a blocked open
cannot be interrupted in-process). Symbolic links are refused unless asked for (--follow-symlinks),
and a recursive upload or copy says what it skipped (links, FIFOs, devices, broken links), as sync does.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import its_store

ROOT = Path(its_store.__file__).resolve().parents[1]
DEADLINE = 120  # a safety net against a blocked open(), never a timing assertion

# Each opens `path` the way one upload path reads a file; `s3` is a client only where one is needed.
READERS = {
    "transfer.upload_file": "from its_store.transfer.upload import upload_file\n"
                            "upload_file(s3, bucket, 'k', path, {}, threshold=1, part_size=None, workers=1)",
    "service.upload_object": "from its_store.core.models import UploadRequest\n"
                             "svc.upload_object(UploadRequest(bucket=bucket, key='k', file_path=path))",
    "core.localtree.open_file": "from its_store.core.localtree import LocalTree\n"
                                "LocalTree(path.parent).open_file(path.name)",
    "registry.manifest.sha256_file": "from its_store.registry.manifest import sha256_file\nsha256_file(path)",
    "core.files.open_regular": "from its_store.core.files import open_regular\nopen_regular(path)",
}

PROLOGUE = """
import sys
from pathlib import Path
from its_store import StorageService, load_settings
from its_store.core import errors as E
svc = StorageService(load_settings())
s3, bucket, path = svc.s3, sys.argv[1], Path(sys.argv[2])
try:
{body}
except E.InvalidInputError as exc:
    print("refused:", exc.message)
    sys.exit(2)
print("read it")
"""


def _python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-c", code, *args], env={**os.environ, "PYTHONPATH": str(ROOT)},
                              cwd=cwd, capture_output=True, text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"blocked on the FIFO for {DEADLINE} s: {code.strip().splitlines()[-6]}")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_reader_refuses_a_fifo_at_once(reader, env, bucket, tmp_path):
    fifo = tmp_path / "frame.jpg"
    os.mkfifo(fifo)  # nobody ever opens it for writing: a blocking open() would wait forever
    body = "\n".join("    " + line for line in READERS[reader].splitlines())
    done = _python(PROLOGUE.format(body=body), bucket, str(fifo), cwd=tmp_path)
    assert done.returncode == 2, done
    assert "named pipe (FIFO)" in done.stdout, done


def test_upload_of_a_fifo_is_one_line_and_exit_2(env, bucket, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "its_store", "upload", str(fifo), f"s3://{bucket}/k"],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, capture_output=True,
                          text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done
    assert done.stderr.count("\n") == 1 and "is a named pipe (FIFO), not a regular file" in done.stderr, done


def test_a_symlink_is_uploaded_only_when_asked(cli, bucket, tmp_path):
    (tmp_path / "real.jpg").write_bytes(b"frame")
    (tmp_path / "link.jpg").symlink_to(tmp_path / "real.jpg")
    refused = cli("upload", "link.jpg", f"s3://{bucket}/link.jpg")
    assert refused.exit_code == 2, refused
    assert "symbolic link" in refused.stderr and "--follow-symlinks" in refused.stderr, refused
    assert cli("stat", f"s3://{bucket}/link.jpg").exit_code == 3  # nothing was stored
    followed = cli("upload", "link.jpg", f"s3://{bucket}/link.jpg", "--follow-symlinks")
    assert followed.exit_code == 0, followed
    assert cli("get", f"s3://{bucket}/link.jpg", "-").stdout_bytes == b"frame"


def _odd_folder(root: Path) -> None:
    """A regular file, links to a file and a folder, a broken link, a FIFO and a device."""
    (root / "sub").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"a")
    (root / "sub" / "b.jpg").write_bytes(b"b")
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not meant to leave")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linked-dir").symlink_to(outside)
    (root / "broken").symlink_to(root / "nowhere")
    os.mkfifo(root / "pipe")
    os.mknod(root / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))


SKIPS = {"link.txt": "symlink", "linked-dir/": "symlink to a folder", "broken": "broken symlink",
         "pipe": "not a regular file", "null": "not a regular file"}


def _skipped(doc: dict, root: Path) -> dict[str, str]:
    return {item["path"][len(str(root)) + 1:]: item["reason"] for item in doc["skipped_items"]}


@pytest.mark.parametrize("command", ["upload", "cp", "mv"])
def test_recursive_upload_skips_links_and_odd_files_and_says_so(cli, bucket, tmp_path, command):
    root = tmp_path / "frames"
    _odd_folder(root)
    args = ["upload", str(root), f"s3://{bucket}/f/", "-r"] if command == "upload" else \
        [command, str(root), f"s3://{bucket}/f/", "-r"]
    done = cli(*args, "--json")
    assert done.exit_code == 0, done
    doc = done.json()
    keys = sorted(o.get("key") or o["dest"][len(f"s3://{bucket}/"):] for o in doc["objects"])
    assert keys == ["f/a.jpg", "f/sub/b.jpg"]
    skipped = _skipped(doc, root)
    assert doc["skipped"] == len(SKIPS) and set(skipped) == set(SKIPS), doc
    for rel, reason in SKIPS.items():
        assert skipped[rel].startswith(reason), (rel, skipped[rel])
    assert (root / "link.txt").is_symlink() and (tmp_path / "outside" / "secret.txt").exists()  # mv kept them
    human = cli(*args)
    assert "skipped: " in human.stderr and "link.txt: symlink (not followed; use --follow-symlinks)" in human.stderr


def test_recursive_upload_follows_links_when_asked(cli, bucket, tmp_path):
    root = tmp_path / "frames"
    _odd_folder(root)
    done = cli("upload", str(root), f"s3://{bucket}/f/", "-r", "--follow-symlinks", "--json")
    assert done.exit_code == 0, done
    doc = done.json()
    assert sorted(o["key"] for o in doc["objects"]) == ["f/a.jpg", "f/link.txt", "f/linked-dir/secret.txt",
                                                        "f/sub/b.jpg"]
    assert set(_skipped(doc, root)) == {"broken", "pipe", "null"}


def test_recursive_upload_fails_on_a_folder_it_cannot_read(env, bucket, tmp_path):
    """An unreadable subfolder is a failure (exit 1), not a silent gap; the rest is uploaded. Run as
    root without the capabilities that override mode bits, so that a mode-000 folder really refuses."""
    root = tmp_path / "frames"
    (root / "locked").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"a")
    (root / "locked" / "b.jpg").write_bytes(b"b")
    os.chmod(root / "locked", 0)
    try:
        done = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
                               "its_store", "upload", str(root), f"s3://{bucket}/f/", "-r", "--json"],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, capture_output=True,
                              text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    finally:
        os.chmod(root / "locked", 0o755)
    assert done.returncode == 1, done
    doc = json.loads(done.stdout)
    assert [o["key"] for o in doc["objects"]] == ["f/a.jpg"]
    assert [e["key"] for e in doc["errors"]] == [str(root / "locked") + "/"], doc
    assert "permission denied" in doc["errors"][0]["message"].lower()
