"""A sync state store that cannot be used is said, once (sync/state.SyncState._off).

The store (sync-state.sqlite in the cache folder) is an optimisation: any failure turns it off for the run, and
the run HEADs each object instead. That was silent: a store that could never be written (here its -wal path is
taken by a folder, as root too: SQLite's WAL cannot be made) made every run HEAD everything, with nothing said.
Now one warning line names the store and why, once a run, whatever the number of objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import unique


def _state(tmp_path: Path) -> Path:
    """sync-state.sqlite under MINIO_CACHE_DIR of environment_for (tests/conftest.py)."""
    return tmp_path.parent / f"{tmp_path.name}-state" / "cache" / "sync-state.sqlite"


def _warnings(run: Any) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("its-store: warning: ")]


def test_a_store_that_cannot_be_written_is_said_once(cli: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for n in range(3):
        (src / f"f{n}.txt").write_bytes(b"frame %d" % n)
    wal = Path(f"{_state(tmp_path)}-wal")
    wal.mkdir(parents=True)  # the store's WAL cannot be made: the store cannot be opened
    prefix = unique("p")
    run = cli("sync", str(src), f"s3://{bucket}/{prefix}/")
    assert run.exit_code == 0, run
    said = _warnings(run)
    assert len(said) == 1 and "sync state" in said[0] and str(_state(tmp_path)) in said[0], run
    assert "Traceback" not in run.stderr
    quiet = cli("-q", "sync", str(src), f"s3://{bucket}/{prefix}/", "--json")
    assert quiet.exit_code == 0 and not _warnings(quiet), quiet  # -q silences talk; --json still says it
    assert "sync-state.sqlite" not in (quiet.json()["state_off"] or "x"), quiet  # why, never a path twice
    assert quiet.json()["state_off"], quiet
    wal.rmdir()
    fine = cli("sync", str(src), f"s3://{bucket}/{prefix}/", "--json")
    assert fine.exit_code == 0 and not _warnings(fine), fine  # a usable store says nothing
    assert fine.json()["state_off"] is None, fine
