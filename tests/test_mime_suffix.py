"""core/mime.suffix_of is PurePath(name).suffix without the PurePath (a walk's file path is a str: a PurePath made
per camera frame to read its suffix cost ~21k instructions, issue 22). Compared here over the names where the
two could part: dots first and last, hidden files, trailing separators, "." and ".." components."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from its_store.core.mime import guess_content_type, suffix_of

NAMES = ["frame_00001.jpg", "/tmp/src/frame_00001.jpg", "a/b.c/d", "a/b.c/d.", "a/.hidden", "a/.hidden.txt",
         ".jpg", "x.", "x..", "..", ".", "", "/", "a/", "a.jpg/", "a.jpg/.", "a.jpg/./", "a/..", "a/...",
         "archive.tar.gz", "weights.PT", "dir//x.png", "x.y.z", "a/b/c.d/e.f.g", "é/ü.JPEG", "k/ey with space.mp4",
         "a\\b.txt", "a.b\\c"]


@pytest.mark.parametrize("name", NAMES)
def test_suffix_of_is_purepaths(name: str) -> None:
    assert suffix_of(name) == PurePath(name).suffix


@pytest.mark.parametrize("name", NAMES)
def test_a_str_and_its_path_get_one_type(name: str) -> None:
    assert guess_content_type(name) == guess_content_type(PurePath(name))
