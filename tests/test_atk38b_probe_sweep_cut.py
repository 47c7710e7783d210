"""mv's sweep of stale If-Match probe markers (service/delete_guard._sweep_probes) reads one listing of the probe
folder's versions, cut at 1,000 entries, and removes the delete markers of a probe-shaped key whose listed
versions are all delete markers. A key whose versions went on past that cut was judged on the first of them only:
its delete marker was listed, the version with data below it was not, and the marker was removed: an object
someone had deleted came back (a key of that shape that holds data is never ours: the sweep must keep it).

The server (tests/faultserver.py) is a versioned one that ignores If-Match on DELETE (Ceph RGW 16.2,
MinIO): the probe's DELETE leaves a marker (its answer names it), and the sweep's listing, sorted as S3 sorts,
holds the probe's marker, 998 markers of keys of another shape (never swept), then a probe-shaped key whose
delete marker, an hour older than the probe's, is the 1,000th entry and its version with data the 1,001st.
Real servers show the same (Ceph: 998 DeleteObjects entries, then that key; ~7 s, so a fake here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from probe_fake import ProbeMarkers, page

OLD, NOW = "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z"


def _entry(kind: str, key: str, version: str, at: str, latest: bool) -> str:
    extra = "<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>16</Size>" if kind == "Version" else ""
    return (f"<{kind}><Key>{key}</Key><VersionId>{version}</VersionId><IsLatest>{str(latest).lower()}</IsLatest>"
            f"<LastModified>{at}</LastModified>{extra}</{kind}>")


def test_a_key_whose_versions_go_past_the_listing_cut_is_not_swept(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.service.delete_guard import PROBE_NAME
    held = f"in/{PROBE_NAME}ffffffffffffffff"  # someone's deleted object: a marker over a version with data

    def listing(prefix: str) -> bytes:
        entries = [_entry("DeleteMarker", fake.probes[0], "m-probe", NOW, True)]
        entries += [_entry("DeleteMarker", f"in/{PROBE_NAME}fffffffffffffffe-{i:04d}", f"f{i}", OLD, True)
                    for i in range(998)]
        entries += [_entry("DeleteMarker", held, "m-held", OLD, True), _entry("Version", held, "v-held", OLD, False)]
        return page("".join(entries), prefix)

    fake = ProbeMarkers(listing)
    run, _ = fake.move(tmp_path, monkeypatch)
    probes, removed = fake.probes, fake.removed
    assert probes and (probes[0], "m-probe") in removed, (run, removed)
    assert (held, "m-held") not in removed, "the delete marker over someone's object was removed: it came back"
