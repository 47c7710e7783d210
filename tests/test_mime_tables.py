"""core/mime.py reads the system MIME tables once, however many upload workers guess their first
content type at the same moment (mimetypes.guess_type alone would read them once per racing thread)."""

from __future__ import annotations

import mimetypes
import threading
from typing import Any

import pytest


def test_threads_guessing_at_once_read_the_tables_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.core import mime
    monkeypatch.setattr(mime, "_tables_read", False, raising=False)
    mime._by_suffix.cache_clear()  # each thread's suffix is looked up anew
    monkeypatch.setattr(mimetypes, "_db", None)  # as in a fresh process: the next guess reads the tables
    reads: list[str] = []
    inside, release, progressed = threading.Event(), threading.Event(), threading.Event()
    real_init = mimetypes.init

    def init(*args: Any) -> None:
        reads.append(threading.current_thread().name)
        if len(reads) == 1:
            inside.set()
            assert release.wait(30), "never released"
        else:
            progressed.set()  # a second reading of the tables: what the lock prevents
        real_init(*args)

    class Lock:  # the module's lock, telling when the second thread waits for the first's reading
        def __init__(self) -> None:
            self._lock = threading.Lock()

        def __enter__(self) -> None:
            if threading.current_thread().name == "second":
                progressed.set()
            self._lock.acquire()

        def __exit__(self, *exc: object) -> None:
            self._lock.release()

    monkeypatch.setattr(mimetypes, "init", init)
    monkeypatch.setattr(mime, "_TABLES", Lock(), raising=False)
    found: dict[str, str] = {}
    first = threading.Thread(target=lambda: found.update(a=mime.guess_content_type("a.zzfirst.jpg")), name="first")
    second = threading.Thread(target=lambda: found.update(b=mime.guess_content_type("b.png")), name="second")
    first.start()
    assert inside.wait(30)
    second.start()
    assert progressed.wait(30)  # the second thread waits on the lock (fixed) or reads the tables itself
    release.set()
    first.join(30)
    second.join(30)
    assert found == {"a": "image/jpeg", "b": "image/png"}
    assert reads == ["first"]
