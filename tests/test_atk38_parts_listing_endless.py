"""ListParts (`upload --resume`, s3/multipart.list_parts) that pages for ever with markers that never repeat.

A repeated NextPartNumberMarker is the endless-listing error since atk32 (listing.once), but a server (or a
proxy) that answers every page IsTruncated with a NEW marker each time (10001, 10002, ...: no part number S3
allows, which ends at 10,000) was followed for ever: `upload --resume` hung, one request after another. A part
listing has at most 10,000 parts; a marker must be a part number (1-10,000) beyond the one before, so it ends
within 10,000 pages whatever the server says; any other marker is a bad answer (exit 1, one line naming it).
The fake (test_atk32_lying_server.parts_server) stops answering after CAP pages, so the test ends either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_atk32_lying_server import parts_server, resumed

from conftest import one_line_error


@pytest.fixture
def parts_endless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], Any]]:
    with parts_server(tmp_path, monkeypatch, lambda n: 10_000 + n) as found:  # new every time, never a part number
        yield found


def test_a_parts_listing_with_ever_new_markers_ends(parts_endless: tuple[dict[str, Any], Any],
                                                    tmp_path: Path) -> None:
    state, _cli = parts_endless
    run = resumed(parts_endless, tmp_path)
    assert state["lists"] <= 2, f"ListParts asked {state['lists']} times for pages that never end: {run}"
    assert run.exit_code == 1 and "NextPartNumberMarker" in one_line_error(run), run  # a bad answer
