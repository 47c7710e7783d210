"""model rm / model gc report what their deletes did through registry/removal.hidden_fields: when the key may
not read the bucket's versioning (RegistryContext.leaves_delete_markers -> None, versions.markers_said), a
made delete is reported unknown (null), never "erased" (hidden false, 0 bytes still stored); a dry run made
none, so nothing is hidden either way (follow-up of test_atk35_markers for the registry's callers)."""

from __future__ import annotations

from its_store.registry.removal import hidden_fields


def test_unknown_markers_are_reported_unknown() -> None:
    assert hidden_fields(None, 50, done=True) == {"delete_markers": None, "hidden": None, "hidden_bytes": None}
    assert hidden_fields(None, 50, done=False) == {"delete_markers": None, "hidden": False, "hidden_bytes": 0}
    assert hidden_fields(True, 50, done=True) == {"delete_markers": True, "hidden": True, "hidden_bytes": 50}
    assert hidden_fields(False, 50, done=True) == {"delete_markers": False, "hidden": False, "hidden_bytes": 0}
