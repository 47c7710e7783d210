"""One table of file kinds (core/overwrite.KINDS, kind_of): a state file (core/statefile) and a file to read
(core/files) that is a folder, a FIFO, a socket or a device are named in the same words. core/statefile had a
table of its own, which said "a directory" where every other message says "a folder"."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from its_store.core.files import not_a_file
from its_store.core.statefile import NotRegularFile, open_state


def _make(kind: str, tmp_path: Path) -> tuple[Path, socket.socket | None]:
    path = tmp_path / kind
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        return path, sock
    elif kind == "device":
        return Path(os.devnull), None
    return path, None


@pytest.mark.parametrize(("kind", "words"), [("folder", "a folder"), ("fifo", "a named pipe (FIFO)"),
                                             ("socket", "a socket"), ("device", "a character device")])
def test_state_files_and_read_files_name_a_kind_alike(kind: str, words: str, tmp_path: Path) -> None:
    path, sock = _make(kind, tmp_path)
    try:
        assert not_a_file(path) == words
        with pytest.raises(NotRegularFile) as caught:
            open_state(path)
        assert str(caught.value) == f"{path} is {words}, not a regular file"
    finally:
        if sock is not None:
            sock.close()


def test_a_link_as_a_state_file_is_named_a_symbolic_link(tmp_path: Path) -> None:
    target = tmp_path / "stats.json"
    target.write_text("{}")
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(NotRegularFile, match="is a symbolic link, not a regular file"):
        open_state(tmp_path / "link")
