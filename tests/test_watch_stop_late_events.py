"""A kernel event that comes late, while a file's upload is in flight, and a stop (its_store/sync/watch.py).

Kernel events come late: the IN_MODIFY / IN_CLOSE_WRITE of the write that made a file complete may reach
the watcher after the file was handed to an upload thread (a loaded machine: tests/test_watch_faults.py's
SIGTERM test saw backlog 2 where 1 was owed). While running, the watcher re-checks such a file once its
upload ends and drops it if it is unchanged since it was sent. A stop checks no waiting file any more: it
left such a file owed in the journal, and the next start sent it a second time. Driven turn by turn
(tests/watchstep.py), so the late event arrives exactly while the upload is in flight, and the stop comes
after the upload finished but before the scheduler heard of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_watch import Events, make_watcher, owed_paths, read_object
from test_watch_stop import Hold, _proxied_watcher, _put_of, _stop_now
from watchstep import Stepper

from helpers import random_bytes

pytestmark = pytest.mark.timeout(120)


def _stop(st: Stepper) -> None:
    """stop(), then the end of run() as _watch runs it: the loop until nothing is in flight, then the
    uploads finished meanwhile are recorded."""
    st.w.stop("SIGTERM")
    st.w._loop(st.pool)
    st.w.outcomes.record_finished()


def _late_event_then_stop(service: Any, bucket: str, tmp_path: Path, change: bool) -> tuple[list[str], Events, bytes]:
    """big.jpg sent, a kernel event for it heard while in flight, then a stop: what stays owed."""
    folder = tmp_path / "drop"
    folder.mkdir()
    data = random_bytes(50_000, seed=7)
    (folder / "big.jpg").write_bytes(data)
    events = Events()
    watcher = make_watcher(service, folder, bucket, events)
    with Stepper(watcher) as st:
        st.event("added", "big.jpg")
        st.in_flight("big.jpg")
        st.finished_unheard()  # on the server; the scheduler still counts it in flight
        if change:  # written again after the upload read it: owed, whatever the stop
            with open(folder / "big.jpg", "ab") as f:
                f.write(b"more")
        st.event("modified", "big.jpg")  # late (unchanged file) or real (changed file)
        st.w._drain_changes(0)  # heard while in flight
        assert "big.jpg" in st.w._again
        _stop(st)
        owed = owed_paths(watcher.journal)
    return owed, events, data


def test_a_late_event_during_the_upload_leaves_nothing_owed_at_stop(service: Any, bucket: str,
                                                                     tmp_path: Path) -> None:
    owed, events, data = _late_event_then_stop(service, bucket, tmp_path, change=False)
    assert [e["key"] for e in events.of("uploaded")] == ["cams/big.jpg"]
    assert read_object(service, bucket, "cams/big.jpg") == data
    assert owed == []  # was ["big.jpg"]: sent again by the next start


def test_a_file_changed_after_its_upload_read_it_stays_owed_at_stop(service: Any, bucket: str,
                                                                    tmp_path: Path) -> None:
    owed, events, data = _late_event_then_stop(service, bucket, tmp_path, change=True)
    assert [e["key"] for e in events.of("uploaded")] == ["cams/big.jpg"]
    assert read_object(service, bucket, "cams/big.jpg") == data  # what was read; the rest is owed
    assert owed == ["big.jpg"]


def test_a_late_event_during_an_upload_the_stop_abandoned_leaves_nothing_owed(
        env: dict[str, str], bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same late event, but the upload outlives STOP_GRACE: it is abandoned, then reaches the server
    before run() ends (Outcomes.record_finished). Unchanged since it was read, the file is not owed."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "big.jpg").write_bytes(random_bytes(50_000, seed=8))
    hold = Hold(_put_of)
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=hold) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket)
        with Stepper(watcher) as st:
            try:
                st.event("added", "big.jpg")
                st.in_flight("big.jpg")
                hold.wait("big.jpg")  # its PUT is held in the proxy
                st.event("modified", "big.jpg")  # the late event of the write that made it complete
                st.w._drain_changes(0)
                assert "big.jpg" in st.w._again
                _stop_now(st, monkeypatch)
                assert watcher._abandoned == 1
                hold.release("big.jpg")  # the abandoned PUT now reaches the server
                st.finished_unheard()
                watcher.outcomes.record_finished()  # as run() ends
                assert owed_paths(watcher.journal) == []  # was ["big.jpg"]
            finally:
                hold.release("big.jpg")
        watcher.service.close()
