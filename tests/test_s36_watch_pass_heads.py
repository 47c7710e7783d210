"""Session 36 (gapsb 2): the watcher's first pass plans as `sync --dry-run` does (the watcher alone sends), and
since a user's dry run writes nothing to the sync state store (tests/test_s36_dry_run_heads.py) the pass kept
no HEAD answer either: every watcher start HEADed again each object the store did not know (another tool's,
the same size as the file: compared by the mtime its HEAD gives). The pass is no user's dry run: it keeps what
its HEADs answered (SyncOptions.keep_heads), so a second start HEADs none of them, counted at a FaultProxy.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_watch import Events, make_watcher, running

from conftest import plain_client

pytestmark = pytest.mark.timeout(120)

MTIME = 1765000000


def _start(env: dict[str, str], proxy: FaultProxy, folder: Path, bucket: str,
           monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One watcher start through the proxy, stopped once its first pass reported; that report."""
    from its_store import StorageService, load_settings
    monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
    events = Events()
    with StorageService(load_settings()) as service, \
            running(make_watcher(service, folder, bucket, events, first_pass=True)):
        events.wait(lambda: bool(events.of("pass")))
    return events.of("pass")[0]


def test_a_second_watcher_start_heads_nothing_the_first_pass_learnt(env: dict[str, str], bucket: str,
                                                                      s3_server: Any, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    client = plain_client(s3_server)
    names = [f"f{n}.jpg" for n in range(3)]
    for name in names:  # another tool's objects, as the files are: unchanged, unknown to the state store
        data = name.encode() * 100
        (folder / name).write_bytes(data)
        os.utime(folder / name, ns=(MTIME * 10**9, MTIME * 10**9))
        client.put_object(bucket, f"cams/{name}", io.BytesIO(data), len(data),
                          metadata={"mtime": f"{MTIME}.000000000"})
    host, port = env["MINIO_ENDPOINT"].rsplit(":", 1)
    with FaultProxy(int(port), upstream_host=host, record=True) as proxy:
        def heads() -> int:
            return len(proxy.requests_to("HEAD", lambda seen: "/cams/" in seen.target))

        first = _start(env, proxy, folder, bucket, monkeypatch)
        assert first["ok"] is True and "unchanged 3" in first["reason"], first
        assert heads() == len(names)  # each object HEADed once, its answer kept
        second = _start(env, proxy, folder, bucket, monkeypatch)
        assert second["ok"] is True and "unchanged 3" in second["reason"], second
        assert heads() == len(names)  # none again
