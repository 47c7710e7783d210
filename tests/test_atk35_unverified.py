"""Finding of an attack on 868c688 (the watcher's `unverified` journal table: files uploaded and kept with
--remove-source and a key that may not read them back). A row is written for each such file and removed
only when the same path is later uploaded AND verified: a file that leaves the folder (the camera's own
rotation, an operator clearing the drop folder: the usual end of a kept file on an edge box whose key can
never verify) keeps its row for ever. Fails now (left failing). Server: test_atk34_least_privilege's
SeaweedFS, `writer` (Write only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_atk34_least_privilege import _bucket, _service_as, keys, least_server  # noqa: F401
from test_watch import Events, make_watcher, running

from helpers import random_bytes


def test_an_unverified_file_gone_from_the_folder_is_forgotten(service: Any, keys: dict[str, dict[str, str]],  # noqa: F811
                                                              monkeypatch: pytest.MonkeyPatch, cli: Any,
                                                              tmp_path: Path) -> None:
    """`sync DROP s3://B/cams/ --watch --remove-source` with a write-only key: f.jpg is uploaded, kept ('not
    verified: the key may not read it back'), recorded in journal table `unverified`. The file is then
    removed from the folder and the watcher hears it gone (the scan/event path: _check_pending finds no file
    and calls journal.done, which clears `owed` only): the `unverified` row stays. On an edge box that
    never verifies (its key may not read), every frame it ever sent leaves a row: the journal (and each
    lookup) grows without bound, a slow disk leak of the very box the rule was written for. Promised
    (watch_journal's own bounds: TIDY_AFTER, CACHE_KIB): the journal holds what is owed or pending, not
    history. Fix (shallow): where the watcher finds a path gone (watch._check_pending `found is None`, and
    the scan's vanished), call journal.sent_unverified(rel, None) as well as done(rel)."""
    from watchstep import Stepper
    bucket = _bucket(cli, keys)
    folder = tmp_path / "drop"
    folder.mkdir()
    writer = _service_as(monkeypatch, keys["writer"])
    events = Events()
    with running(make_watcher(writer, folder, bucket, events, remove_source=True)):
        (folder / "f.jpg").write_bytes(random_bytes(2_000, seed=36))
        events.wait(lambda: bool(events.of("kept") or events.of("failed")))
    assert events.of("kept"), events.items
    (folder / "f.jpg").unlink()
    watcher = make_watcher(writer, folder, bucket, Events(), remove_source=True)
    with Stepper(watcher) as step:
        assert watcher.journal.unverified_sig("f.jpg") is not None  # recorded by the first run (fine)
        watcher.feed.put("scan", "f.jpg")  # what a rescan (or the deletion's event) hands over
        step.turn()
        step.until(lambda: "f.jpg" not in watcher._pending, "the gone file checked")
        assert watcher.journal.unverified_sig("f.jpg") is None, "row of a file no longer in the folder kept"
