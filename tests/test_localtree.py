"""core/localtree.LocalTree: the folder a command walks or writes into, held by descriptors (issue 19,
"a key is not a path": nothing escapes a folder, nothing is written through a symlink, nothing is
removed outside it), and the commands that go through it when the tree changes during a run.

Unit tests swap folders for links between two steps of the tree themselves (no timing); the
command tests force the race with FaultProxy `answer` hooks, as tests/test_attack_findings.py does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from faultproxy import FaultProxy, Seen

from its_store.core import errors as E
from its_store.core.files import NotRegularError, atomic_target, io_error, pwrite_all
from its_store.core.localtree import LinkInPathError, LocalTree
from its_store.core.refs import UnsafeNameError, local_key, local_name_problem, validate_key

from helpers import boto3_client, fds_under


def _swap_for_link(folder: Path, target: Path) -> Path:
    """Another local user's move: `folder` renamed away (returned), a link to `target` in its place."""
    away = folder.with_name(folder.name + ".before")
    os.rename(folder, away)
    os.symlink(target, folder)
    return away


def _write(tree: LocalTree, rel: str, data: bytes) -> None:
    with atomic_target(tree.file(rel)) as fd:
        pwrite_all(fd, data, 0)


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """root/cam/a.jpg and a folder outside the root holding a secret b.jpg."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "cam").mkdir(parents=True)
    outside.mkdir()
    (root / "cam" / "a.jpg").write_bytes(b"frame a")
    (outside / "a.jpg").write_bytes(b"SECRET")
    return root, outside


# -- reading ------------------------------------------------------------------------------------------

def test_a_folder_that_is_a_link_is_not_read_through(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    _swap_for_link(root / "cam", outside)
    with LocalTree(root) as tree, pytest.raises(LinkInPathError) as caught:
        tree.open_file("cam/a.jpg")
    assert caught.value.exit_code == 1 and caught.value.relative == "cam"
    assert str(root / "cam" / "a.jpg") in caught.value.message and "symbolic link" in caught.value.message
    with LocalTree(root, follow_symlinks=True) as tree, tree.open_file("cam/a.jpg") as opened:
        assert os.pread(opened.fd, 100, 0) == b"SECRET"  # --follow-symlinks: the user's choice


def test_a_kept_folder_descriptor_reads_the_folder_that_was_checked(layout: tuple[Path, Path]) -> None:
    """Opened once, the folder is kept: swapped for a link afterwards, the tree still reads the folder it
    checked (where the walk listed the file), never the link's target."""
    root, outside = layout
    with LocalTree(root) as tree:
        with tree.open_file("cam/a.jpg"):
            pass
        _swap_for_link(root / "cam", outside)
        with tree.open_file("cam/a.jpg") as opened, opened.reader() as fh:
            assert fh.read() == b"frame a"


def test_the_file_itself_a_link_or_a_fifo_is_refused(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "cam" / "l.jpg").symlink_to(outside / "a.jpg")
    os.mkfifo(root / "cam" / "p.jpg")
    with LocalTree(root) as tree:
        with pytest.raises(NotRegularError) as link:
            tree.open_file("cam/l.jpg")
        with pytest.raises(NotRegularError) as fifo:  # refused at once: O_NONBLOCK, then fstat
            tree.open_file("cam/p.jpg")
        with pytest.raises(E.LocalFileNotFoundError):
            tree.open_file("cam/gone.jpg")
    assert link.value.kind == "a symbolic link" and fifo.value.kind == "a named pipe (FIFO)"


def test_the_walk_lists_through_the_trees_descriptors(layout: tuple[Path, Path]) -> None:
    """sync/walk.walk_local with the run's tree: a folder swapped for a link between the listing of its
    parent and the descent (forced from `prune`, asked right before) is noted, and what the link leads
    to is never listed (a listing by path listed outside/a.jpg as cam/a.jpg)."""
    from its_store.sync.walk import Walk, walk_local
    root, outside = layout
    (root / "top.jpg").write_bytes(b"t")

    def swap(rel: str) -> bool:
        if rel == "cam" and not (root / "cam").is_symlink():
            _swap_for_link(root / "cam", outside)
        return False

    walk = Walk()
    with LocalTree(root) as tree:
        listed = [(f.rel, f.size) for f in walk_local(root, walk, prune=swap, tree=tree)]
    assert listed == [("top.jpg", 1)]
    assert [(rel, reason) for rel, reason, _ in walk.notes] == [
        ("cam/", "replaced by a symbolic link since it was listed (not followed)")]


# -- removing -----------------------------------------------------------------------------------------

def test_remove_only_while_the_name_holds_the_file_that_was_read(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    with LocalTree(root) as tree:
        with tree.open_file("cam/a.jpg") as opened:
            (root / "cam" / "new.jpg").write_bytes(b"another frame")
            os.replace(root / "cam" / "new.jpg", root / "cam" / "a.jpg")  # replaced while it was read
            assert opened.remove_if() is False
        assert (root / "cam" / "a.jpg").read_bytes() == b"another frame"
        with tree.open_file("cam/a.jpg") as opened:
            (root / "cam" / "a.jpg").unlink()
            assert opened.remove_if() is None  # gone: nothing to remove
        (root / "cam" / "a.jpg").write_bytes(b"frame")
        with tree.open_file("cam/a.jpg") as opened:
            assert opened.remove_if() is True
        assert not (root / "cam" / "a.jpg").exists()


def test_remove_through_a_swapped_folder_removes_nothing_outside(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    with LocalTree(root) as tree:  # nothing kept yet: the link is met on the way
        _swap_for_link(root / "cam", outside)
        with pytest.raises(LinkInPathError):
            tree.remove("cam/a.jpg")
    assert (outside / "a.jpg").read_bytes() == b"SECRET"


# -- writing ------------------------------------------------------------------------------------------

def test_a_write_never_goes_through_a_folder_swapped_for_a_link(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    with LocalTree(root, create=True) as tree:
        _write(tree, "new/deep/x.jpg", b"one")  # folders made from the root's descriptor
        assert (root / "new" / "deep" / "x.jpg").read_bytes() == b"one"
    _swap_for_link(root / "cam", outside)
    with LocalTree(root, create=True) as tree:
        with pytest.raises(LinkInPathError):
            _write(tree, "cam/b.jpg", b"two")
    assert sorted(os.listdir(outside)) == ["a.jpg"]  # nothing written there, no temp file left


def test_a_kept_folder_is_written_even_when_renamed_away(layout: tuple[Path, Path]) -> None:
    """The folder the tree made and checked keeps its descriptor: a link put in its place afterwards
    is never written through (the file lands in the folder that was checked)."""
    root, outside = layout
    with LocalTree(root, create=True) as tree:
        _write(tree, "cam/b.jpg", b"two")
        away = _swap_for_link(root / "cam", outside)
        _write(tree, "cam/c.jpg", b"three")
    assert sorted(os.listdir(outside)) == ["a.jpg"]
    assert (away / "c.jpg").read_bytes() == b"three"


def test_a_folder_in_the_files_place_is_a_conflict(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "cam" / "d.jpg").mkdir()
    with LocalTree(root, create=True) as tree, pytest.raises(E.ConflictError):
        _write(tree, "cam/d.jpg", b"x")
    assert [p.name for p in (root / "cam").iterdir() if p.name.endswith(".its-tmp")] == []


def test_a_kept_folder_removed_before_a_write_is_made_again(layout: tuple[Path, Path]) -> None:
    """Another process cleans up dest/cam between two writes: the kept descriptor leads nowhere, so the
    folder is made again from the folders above (checked as the first time) and the file written."""
    root, _ = layout
    with LocalTree(root, create=True) as tree:
        _write(tree, "cam/deep/b.jpg", b"two")
        shutil.rmtree(root / "cam")
        _write(tree, "cam/deep/c.jpg", b"three")
    assert (root / "cam" / "deep" / "c.jpg").read_bytes() == b"three"


def test_a_folder_removed_while_written_is_a_write_failure_not_not_found(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    with LocalTree(root, create=True) as tree:
        with pytest.raises(E.LocalIOError) as caught, atomic_target(tree.file("cam/c.jpg")) as fd:
            pwrite_all(fd, b"three", 0)
            shutil.rmtree(root / "cam")  # the temp file goes with it
    assert not isinstance(caught.value, E.NotFoundError) and caught.value.exit_code == 1
    assert "removed while the run went on" in caught.value.message


def test_a_root_that_allows_no_new_folders_is_exit_1() -> None:
    """/proc refuses new entries with ENOENT: that is a write failure (exit 1), never "not found"."""
    with LocalTree("/proc/self/its-store-x", create=True) as tree, pytest.raises(E.ItsStoreError) as caught:
        _write(tree, "a.jpg", b"x")
    assert caught.value.exit_code == 1 and "does not allow new" in caught.value.message


def test_a_write_error_with_enoent_is_never_not_found() -> None:
    """io_error: only a read that finds nothing is "not found" (exit 3); a write meeting ENOENT is a
    local I/O failure (exit 1), which sync does not take for a source that vanished."""
    missing = FileNotFoundError(2, "No such file or directory")
    assert isinstance(io_error("cannot read", "x", missing), E.LocalFileNotFoundError)
    for action in ("cannot write", "cannot write to", "cannot create folder"):
        error = io_error(action, "x", missing)
        assert type(error) is E.LocalIOError and error.exit_code == 1


def test_kept_descriptors_are_bounded_and_released(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"f{i}" / "x").mkdir(parents=True)
        (tmp_path / f"f{i}" / "x" / "a.jpg").write_bytes(b"a")
    tree = LocalTree(tmp_path, keep=4)
    for i in range(12):
        with tree.open_file(f"f{i}/x/a.jpg"):
            pass
    assert len(fds_under(tmp_path)) <= 4 + 1  # the kept folders and the root
    tree.close()
    assert fds_under(tmp_path) == []


# -- names: one rule both ways --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a\\b.txt", "frame\udcff\udcfe.jpg", "x\ny.jpg", "\u202egpj.exe"])
def test_a_local_name_that_cannot_be_a_key_is_refused_by_name(name: str) -> None:
    assert local_name_problem(name) is not None
    with pytest.raises(UnsafeNameError) as caught:
        local_key("up/", name)
    assert caught.value.code == "invalid_input" and "cannot be an object key" in caught.value.message


def test_a_key_that_is_not_utf8_is_refused_everywhere() -> None:
    with pytest.raises(E.InvalidInputError, match="not UTF-8"):
        validate_key("up/frame\udcff.jpg")
    assert local_key("up/", "cam/é.jpg") == "up/cam/é.jpg"


# -- commands over a tree that changes while they run ------------------------------------------------------

def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _bucket_with(s3_server, keys: dict[str, bytes]) -> str:
    client = boto3_client(s3_server)
    name = f"tree-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=name)
    for key, body in keys.items():
        client.put_object(Bucket=name, Key=key, Body=body)
    return name


def test_a_destination_folder_removed_midway_is_a_failure_or_made_again(cli, s3_server, tmp_path: Path) -> None:
    """s3 -> local: dest/cam is made for cam/a.jpg, then removed (another process cleaning up) while the
    GET of cam/b.jpg is in flight. Never "vanished" (sync said so, exit 0, with nothing on disk), never
    exit 3 ("not found"), never a deleted object: `sync` and `mv -r` (one GET, then the temp file: the
    GET's answer stands for the HEAD, service/fetch.py) make the folder again and write b. (A temp file
    already open in the removed folder fails with one line naming it: test_localtree's unit test above.)"""
    for argv in (["--json", "sync", "-w", "1"], ["mv", "-r", "-w", "1"]):
        name = _bucket_with(s3_server, {"cam/a.jpg": b"FRAME A", "cam/b.jpg": b"FRAME B"})
        dest = tmp_path / argv[1] / "dest"
        removed: list[str] = []

        def answer(seen: Seen, dest: Path = dest, removed: list[str] = removed) -> bytes | None:
            if seen.method == "GET" and seen.path.endswith("/cam/b.jpg") and not removed:
                removed.append(seen.path)
                shutil.rmtree(dest / "cam")
            return None

        with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
            run = cli(*argv, f"s3://{name}/", str(dest), extra_env={"MINIO_ENDPOINT": proxy.endpoint})
        assert removed, run
        assert "unexpected" not in run.stderr and "vanished" not in run.stdout + run.stderr, run
        assert run.exit_code == 0, run
        assert (dest / "cam" / "b.jpg").read_bytes() == b"FRAME B"


def test_sync_delete_never_deletes_through_a_folder_swapped_for_a_link(cli, s3_server, tmp_path: Path) -> None:
    """sync s3 -> local --delete: dest/old/x.jpg is not in the source, so it is deleted at the end. The
    folder dest/old is replaced by a link to another folder (holding its own x.jpg) after the walk, while
    a GET is in flight: the delete must not reach through the link (it did: os.unlink(path))."""
    name = _bucket_with(s3_server, {"cam/a.jpg": b"FRAME A"})
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    (dest / "old").mkdir(parents=True)
    (dest / "old" / "x.jpg").write_bytes(b"stale")
    outside.mkdir()
    (outside / "x.jpg").write_bytes(b"NOT YOURS")
    swapped: list[Path] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "GET" and seen.path.endswith("/cam/a.jpg") and not swapped:
            swapped.append(_swap_for_link(dest / "old", outside))
        return None

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli("sync", f"s3://{name}/", str(dest), "--delete", "-w", "1",
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert swapped, run
    assert "unexpected" not in run.stderr, run
    assert (outside / "x.jpg").read_bytes() == b"NOT YOURS", run
    assert (dest / "cam" / "a.jpg").read_bytes() == b"FRAME A"


def test_mv_r_keeps_a_file_replaced_while_it_was_uploaded(cli, bucket: str, s3_server, tmp_path: Path) -> None:
    """mv -r local -> s3: src/a.jpg is replaced by another file of the same size and mtime (a rename
    over it) while its PUT is in flight. The upload sent what was opened; the new file is not the one
    uploaded (another inode), so it is kept (it was deleted: the check compared size and mtime by
    path)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jpg").write_bytes(b"first")
    mtime = (src / "a.jpg").stat().st_mtime_ns
    replaced: list[str] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "PUT" and seen.path.endswith("/a.jpg") and not replaced:
            replaced.append(seen.path)
            (tmp_path / "next.jpg").write_bytes(b"secnd")
            os.utime(tmp_path / "next.jpg", ns=(mtime, mtime))
            os.replace(tmp_path / "next.jpg", src / "a.jpg")
        return None

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli("mv", "-r", str(src), f"s3://{bucket}/mv/", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert replaced, run
    assert run.exit_code != 0 and "unexpected" not in run.stderr, run
    assert (src / "a.jpg").read_bytes() == b"secnd"
    assert boto3_client(s3_server).get_object(Bucket=bucket, Key="mv/a.jpg")["Body"].read() == b"first"


def test_sync_down_a_local_file_gone_during_the_compare_is_not_a_vanished_source(cli, s3_server,
                                                                                tmp_path: Path) -> None:
    """sync s3 -> local --checksum: the local copy is removed while the object's HEAD is in flight, so the
    compare cannot read it (LocalFileNotFoundError). That is the DESTINATION missing, not the source: it
    was `skip cam/a.jpg vanished`, exit 0, with the object on the server and nothing on disk. It is that
    item's failure now, naming the path (sync/engine._guarded: vanished only for the source's side), and
    the next run downloads it."""
    name = _bucket_with(s3_server, {"cam/a.jpg": b"FRAME"})
    dest = tmp_path / "dest"
    (dest / "cam").mkdir(parents=True)
    (dest / "cam" / "a.jpg").write_bytes(b"FRAMX")  # same size: the compare reads the content
    gone: list[str] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "HEAD" and seen.path.endswith("/cam/a.jpg") and not gone:
            gone.append(seen.path)
            (dest / "cam" / "a.jpg").unlink()
        return None

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli("--json", "sync", f"s3://{name}/", str(dest), "--checksum", "-w", "1",
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert gone, run
    report = run.json()
    assert run.exit_code != 0 and not report["skipped"], run  # 3: the local file the compare read is gone
    assert [(item["path"], item["code"]) for item in report["failed"]] == [("cam/a.jpg", "local_file_not_found")]
    again = cli("sync", f"s3://{name}/", str(dest), "--checksum")
    assert again.exit_code == 0 and (dest / "cam" / "a.jpg").read_bytes() == b"FRAME", again


@pytest.mark.parametrize("command", ["sync", "verify"])
def test_checksum_compare_never_reads_through_a_folder_swapped_for_a_link(cli, s3_server, tmp_path: Path,
                                                                          command: str) -> None:
    """`sync --checksum` (local -> s3) and `verify` hash the local side of a pair after the walk. Its folder
    src/cam is swapped for a link to another folder while the object's HEAD is in flight; the hash must be
    of the file walked (read in the folder's kept descriptor), never of outside/a.jpg through the link (it
    was: sync said "content differs", verify said "different", both from the other folder's file)."""
    name = _bucket_with(s3_server, {"cam/a.jpg": b"FRAME A"})
    src, outside = tmp_path / "src", tmp_path / "outside"
    (src / "cam").mkdir(parents=True)
    (src / "cam" / "a.jpg").write_bytes(b"FRAME A")
    outside.mkdir()
    (outside / "a.jpg").write_bytes(b"OTHER A")  # same size: only its content tells it apart
    swapped: list[Path] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "HEAD" and seen.path.endswith("/cam/a.jpg") and not swapped:
            swapped.append(_swap_for_link(src / "cam", outside))
        return None

    args = (["sync", str(src), f"s3://{name}/", "--checksum"] if command == "sync"
            else ["verify", str(src), f"s3://{name}/"])
    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli("--json", *args, "-w", "1", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert swapped, run
    report = run.json()
    if command == "sync":
        assert run.exit_code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, run
    else:
        assert run.exit_code == 0 and report["counts"]["same"] == 1 and report["counts"]["different"] == 0, run
    assert boto3_client(s3_server).get_object(Bucket=name, Key="cam/a.jpg")["Body"].read() == b"FRAME A"
