"""Session 35 (lock): what a relay's error promises about its parts is true in each case.

A relay (transfer/relay.py) that stops short keeps its parts for a rerun when the failure is transient.
One stopped because an abort claimed its upload (a stop abandoned it: sync/watch_source.abort_uploads, or
another run's upload of the key) used to say "the parts sent so far are kept ...: the same copy, run again,
continues from them" while the abort deleted them: the rerun started anew. Now the hint follows the
journal (UploadJournal.continues): an abort sent says the rerun starts anew; an abort that failed leaves
the upload to the rerun, which continues it.

The relay goes to the second SeaweedFS through a fault proxy holding its part 2 (it is provably between its
journal record and its Complete); the abort is held there too, or refused with a 503.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Holds
from faultserver import response
from test_xcopy import body, context_on, put

from its_store.core import errors as E
from its_store.service.xcopy import CrossOptions, copy_object

from conftest import SMALL_THRESHOLD as T
from conftest import unique
from helpers import DEADLINE, random_bytes


def _until(condition: Any, running: Any) -> None:
    """Until `condition()` (a request the proxy holds), failing at once if `running` ended first."""
    deadline = time.monotonic() + DEADLINE  # a safety net against a hang, never a timing assertion
    while not condition():
        assert not running.done(), running.result()
        assert time.monotonic() < deadline, "the proxy never held the request"
        time.sleep(0.05)  # the pace of the poll: the condition decides


def _copy(src: Any, sb: str, via: Any, db: str) -> Any:
    return copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", CrossOptions(part_size=T, workers=1))


@pytest.mark.parametrize("abort_fails", [False, True])
def test_the_hint_of_a_relay_whose_upload_an_abort_claimed(service: Any, second_seaweed: Any, tmp_path: Path,
                                                           abort_fails: bool) -> None:
    src = service.ctx
    sb, db = unique("hs"), unique("hd")
    src.s3.make_bucket(sb)
    data = random_bytes(3 * T, 35)
    put(src, sb, "clip.mp4", data, part_size=T)
    holds = Holds()
    part = holds.add(lambda s: s.query.get("partNumber") == "2", "PUT")
    refuse = threading.Event()
    if abort_fails:
        refuse.set()

    def answer(seen: Any) -> bytes | None:
        if refuse.is_set() and seen.method == "DELETE" and "uploadId" in seen.query:
            return response(503, b"<html>down</html>", content_type="text/html")
        return holds(seen)
    abort = holds.add(lambda s: "uploadId" in s.query, "DELETE")
    proxy = FaultProxy(int(second_seaweed.endpoint.rsplit(":", 1)[1]), answer=answer, record=True).start()
    via = context_on(proxy.endpoint, second_seaweed.access_key, second_seaweed.secret_key, tmp_path / "state")
    try:
        via.s3.make_bucket(db)
        with ThreadPoolExecutor(2) as pool:
            copying = pool.submit(_copy, src, sb, via, db)
            _until(lambda: bool(part.picked), copying)
            stopping = pool.submit(via.journal().abandon, via.s3, db, "clip.mp4")  # a stop abandons it
            if abort_fails:
                with pytest.raises(E.ServiceUnavailableError):
                    stopping.result()
            else:
                _until(lambda: bool(abort.picked), stopping)
            part.release()
            with pytest.raises(E.InterruptedError_) as stopped:
                copying.result()
            abort.release()
            if not abort_fails:
                stopping.result()
        refuse.clear()
        hint = stopped.value.hint or ""
        again = _copy(src, sb, via, db)
    finally:
        proxy.stop()
        via.close()
    if abort_fails:  # the upload is still there, recorded: the rerun continues it
        assert "continues from them" in hint and again.resumed_parts >= 1, (hint, again)
    else:  # aborted: the rerun starts anew, as the hint says
        assert "starts anew" in hint and "continues" not in hint and again.resumed_parts == 0, (hint, again)
    direct = context_on(second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key,
                        tmp_path / "direct")
    try:
        assert body(direct, db, "clip.mp4") == data
        assert direct.s3.list_multipart_uploads(db) == []
    finally:
        direct.close()
