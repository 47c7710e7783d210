"""mv's sweep of stale If-Match probe markers (service/delete_guard._sweep_probes) judges a marker's age against
the probe's own marker's Last-Modified less STALE_PROBE. A server that lists that marker with Go's zero time
(0001-01-01T00:00:00Z: the date of a time.Time never set, what a Go server writes for a date it did not keep)
made that subtraction overflow: mv failed after its copy with "unexpected OverflowError" (exit 1, the source
kept), before the probe's own marker was removed, so every such run left one more marker. The sweep is best
effort: with no date to judge by it sweeps nothing, and the move goes on.

tests/faultserver.py plays a versioned server that ignores If-Match on DELETE (the probe leaves a marker) and lists
the probe's marker with the zero time, beside another probe-shaped key's marker dated 2026.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from probe_fake import ProbeMarkers, page


def _marker(key: str, version: str, at: str) -> str:
    return (f"<DeleteMarker><Key>{key}</Key><VersionId>{version}</VersionId><IsLatest>true</IsLatest>"
            f"<LastModified>{at}</LastModified></DeleteMarker>")


def test_a_probe_marker_dated_year_one_does_not_fail_the_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.service.delete_guard import PROBE_NAME
    other = f"in/{PROBE_NAME}ffffffffffffffff"

    def listing(prefix: str) -> bytes:
        return page(_marker(fake.probes[0], "m-probe", "0001-01-01T00:00:00Z")
                    + _marker(other, "m-other", "2026-01-01T00:00:00.000Z"))

    fake = ProbeMarkers(listing)
    run, moved = fake.move(tmp_path, monkeypatch)
    probes, removed = fake.probes, fake.removed
    assert run.exit_code == 0 and moved, run
    assert probes and (probes[0], "m-probe") in removed, removed  # the probe's own marker removed
    assert (other, "m-other") not in removed, removed  # no age to judge it by
