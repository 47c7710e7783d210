"""A dry run whose sync state store cannot be read says nothing of it and leaves it as it was.

(sync/state.SyncState._off.) A store that cannot be used is said once a run (tests/test_sync_state_off_said.py),
because a store never written makes every run HEAD everything. A dry run only reads the store, read-only and
never written nor set aside (tests/test_s36_dry_run_untouched.py): one it cannot read (here not a database)
costs that dry run HEADs and nothing more, and the next real run says it (and sets it aside). So the dry run
prints no warning, and the file is untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_sync_state_off_said import _state, _warnings

from conftest import unique


def test_a_dry_run_says_nothing_of_a_store_it_cannot_read(cli: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for n in range(3):
        (src / f"f{n}.txt").write_bytes(b"frame %d" % n)
    prefix = unique("p")
    assert cli("sync", str(src), f"s3://{bucket}/{prefix}/").exit_code == 0
    store = _state(tmp_path)
    junk = b"not a database, " * 512
    store.write_bytes(junk)
    run = cli("sync", str(src), f"s3://{bucket}/{prefix}/", "--dry-run")
    assert run.exit_code == 0 and "Traceback" not in run.stderr, run
    assert _warnings(run) == [], run
    assert store.read_bytes() == junk
    real = cli("sync", str(src), f"s3://{bucket}/{prefix}/")  # the real run does say it (and sets it aside)
    assert real.exit_code == 0 and len(_warnings(real)) == 1, real
