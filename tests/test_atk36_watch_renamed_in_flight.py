"""Attack on the watcher (session 36): a file renamed while its upload is in flight (a camera's writer
that renames frames after the fact, an operator tidying the folder). The upload stores the object under
the old name; the check after it sees the file's ctime moved (a rename changes it) and calls the file
changed, to be sent again once complete; but under its old name the file is gone, so the watcher dropped
it without a word: the bucket held cams/a.jpg, the audit log said so, and the watcher's log had no line
for it (one line per event). Now that drop is one `vanished` line naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_watch import Events, make_watcher
from watchstep import Stepper

from helpers import random_bytes


def test_a_file_renamed_while_its_upload_is_in_flight_is_not_dropped_silently(
        env: dict[str, str], service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store import StorageService, load_settings
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(random_bytes(50_000, seed=1))

    def rename_during_put(seen: Any) -> None:
        if seen.method == "PUT" and seen.target.split("?")[0].endswith("/cams/a.jpg"):
            (folder / "a.jpg").rename(folder / "b.jpg")  # read already, in flight to the server
        return None

    host, port = env["MINIO_ENDPOINT"].rsplit(":", 1)
    with FaultProxy(int(port), upstream_host=host, answer=rename_during_put) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        proxied = StorageService(load_settings())
        events = Events()
        try:
            with Stepper(make_watcher(proxied, folder, bucket, events, workers=1)) as st:
                st.event("added", "a.jpg")
                st.in_flight("a.jpg")
                st.idle()
        finally:
            proxied.close()
    assert service.stat_object(bucket, "cams/a.jpg", include_tags=False).size == 50_000  # stored under the old name
    said = [(e["event"], e.get("key")) for e in events.items]
    assert ("vanished", "cams/a.jpg") in said, said
