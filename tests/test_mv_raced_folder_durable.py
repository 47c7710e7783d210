"""A durable write (a move's download, LocalTree.write(durable=True)) flushes the name of every folder the run made
in its parent before the object is deleted (core/folder_flush). `mv -r -w N`: thread A mkdirs folder x, thread B's
mkdir of x meets FileExistsError; B wrote, flushed and went on to the DELETE before A had added x to the folders
made, so x's name in its parent was never flushed before B's DELETE. A folder whose mkdir raced is now flushed as
if made. The race is made deterministic: os.mkdir of x makes the folder and then raises FileExistsError, as if
another thread had won; the flushes are read from os.fsync (the inode of each descriptor flushed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from its_store.core.localtree import LocalTree


def _flushed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    inodes: list[int] = []
    fsync = os.fsync

    def counted(fd: int) -> None:
        inodes.append(os.fstat(fd).st_ino)
        fsync(fd)
    monkeypatch.setattr(os, "fsync", counted)
    return inodes


def _lost_race(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """os.mkdir of `name` (in a folder's descriptor) makes it, then answers as if another thread had made it."""
    mkdir: Callable[..., None] = os.mkdir

    def raced(path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        mkdir(path, mode, dir_fd=dir_fd)
        if path == name:
            raise FileExistsError(17, "File exists", path)
    monkeypatch.setattr(os, "mkdir", raced)


def _write(dest: Path) -> None:
    with LocalTree(dest, create=True) as tree, tree.write("x/f.bin", durable=True) as fd:
        os.write(fd, b"frame")


def test_a_folder_whose_mkdir_raced_is_flushed_in_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    _lost_race(monkeypatch, "x")
    inodes = _flushed(monkeypatch)
    _write(dest)
    assert (dest / "x" / "f.bin").read_bytes() == b"frame"
    assert dest.stat().st_ino in inodes, "x's name in dest was not flushed: its mkdir raced another thread's"


def test_a_folder_that_was_there_is_not_made_and_its_parent_not_flushed(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "dest"
    (dest / "x").mkdir(parents=True)
    made: list[Any] = []
    mkdir = os.mkdir
    monkeypatch.setattr(os, "mkdir", lambda *a, **k: (made.append(a[0]), mkdir(*a, **k))[1])
    inodes = _flushed(monkeypatch)
    _write(dest)
    assert made == []
    assert dest.stat().st_ino not in inodes
    assert len(inodes) == 2  # the file, then its folder x: nothing more


def test_a_root_whose_mkdir_raced_is_flushed_in_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The destination folder itself made by another thread or process first (mv -r of two sources into one new
    folder): its name in its parent is flushed as if this run had made it."""
    dest = tmp_path / "dest"
    mkdir: Callable[..., None] = os.mkdir

    def raced(path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        mkdir(path, mode, dir_fd=dir_fd)
        if os.fspath(path) == os.fspath(dest):
            raise FileExistsError(17, "File exists", path)
    monkeypatch.setattr(os, "mkdir", raced)
    inodes = _flushed(monkeypatch)
    _write(dest)
    assert (dest / "x" / "f.bin").read_bytes() == b"frame"
    assert tmp_path.stat().st_ino in inodes, "dest's name in its parent was not flushed: its mkdir raced another's"
