"""mv's sweep of stale If-Match probe markers (service/delete_guard._sweep_probes) removes only markers of a
probe-shaped key (PROBE_NAME + exactly 16 hex digits) at least STALE_PROBE older than the probe's own marker. No
test held either rule: with the age check at `> now` (a marker of a run probing right now removed under it) or
the shape matched by a prefix (`match`, not `fullmatch`: a key such as PROBE_NAME + 17 hex digits, someone's
own object's marker, removed, bringing back what they deleted) the probe tests passed.

tests/faultserver.py plays a versioned server that ignores If-Match on DELETE (the probe leaves a marker, dated
12:00) and lists beside it: a stale probe's marker (00:00, removed: the control), a fresh one (11:30, kept),
and stale markers of keys one character off the shape (kept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from probe_fake import ProbeMarkers, page


def _marker(key: str, version: str, at: str) -> str:
    return (f"<DeleteMarker><Key>{key}</Key><VersionId>{version}</VersionId><IsLatest>true</IsLatest>"
            f"<LastModified>2026-01-01T{at}:00.000Z</LastModified></DeleteMarker>")


def test_the_sweep_keeps_fresh_markers_and_keys_off_the_probe_shape(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.service.delete_guard import PROBE_NAME
    stale, fresh = f"in/{PROBE_NAME}{'a' * 16}", f"in/{PROBE_NAME}{'b' * 16}"
    longer, other = f"in/{PROBE_NAME}{'c' * 17}", f"in/{PROBE_NAME}{'d' * 16}x"

    def listing(prefix: str) -> bytes:
        listed = sorted([(fake.probes[0], "m-probe", "12:00"), (stale, "m-stale", "00:00"), (fresh, "m-fresh", "11:30"),
                         (longer, "m-longer", "00:00"), (other, "m-other", "00:00")])
        return page("".join(_marker(*m) for m in listed))

    fake = ProbeMarkers(listing)
    run, _ = fake.move(tmp_path, monkeypatch)
    probes, removed = fake.probes, fake.removed
    assert run.exit_code == 0, run
    assert probes and (probes[0], "m-probe") in removed, removed  # the probe's own marker removed
    assert (stale, "m-stale") in removed, removed  # the control: a stale probe marker is swept
    kept = {(fresh, "m-fresh"), (longer, "m-longer"), (other, "m-other")}
    assert not kept & set(removed), removed
