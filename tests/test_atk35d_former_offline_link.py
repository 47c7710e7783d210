"""Session 35 (atk4): the offline registry copy of an endpoint's former spelling that is a symbolic link.

The merge (registry/offline.OfflineStore._merge) takes in what the former copy knows, then removes its
manifests/, aliases/ and index.json. Through a link (a user who keeps that copy elsewhere and links it in)
it removed the linked folder's files, those no index named included, and left its lock there. Now a former
copy that is not a folder of its own is left alone, with one warning; the current copy is used as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

FORMER = "S3.Example.com:443"  # https: server_id() "s3.example.com" (as tests/test_former_spelling_merge.py)


def test_a_former_copy_that_is_a_link_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from its_store.core.settings import Settings
    from its_store.registry.offline import OfflineStore, models_cache_root
    settings = Settings(endpoint=FORMER, secure=True, access_key="edge", secret_key="edge-secret-0123",
                        cache_dir=str(tmp_path / "cache"))

    def named(server: str) -> Path:
        return models_cache_root(settings) / "offline" / hashlib.sha256(f"{server}/models".encode()).hexdigest()[:16]

    current = named(settings.server_id())
    (current / "manifests").mkdir(parents=True)
    (current / "index.json").write_text(json.dumps({"models": {}}))
    elsewhere = tmp_path / "elsewhere"
    stamp = "2026-12-01T00:00:00.000+00:00"
    files = {"manifests/old.json": json.dumps({"versions": {"1.0.0": "e1"}}), "manifests/notes.txt": "mine",
             "aliases/old.json": json.dumps({"seen_at": stamp, "doc": "e1"}),
             "index.json": json.dumps({"models": {"old": {"as_of": stamp, "versions": {"1.0.0": "e1"}}}})}
    for rel, text in files.items():
        (elsewhere / rel).parent.mkdir(parents=True, exist_ok=True)
        (elsewhere / rel).write_text(text)
    named(FORMER).symlink_to(elsewhere, target_is_directory=True)
    with caplog.at_level(logging.WARNING, logger="its_store.registry.offline"):
        store = OfflineStore(settings, "models")
    assert store.root == current
    assert {str(p.relative_to(elsewhere)): p.read_text() for p in elsewhere.rglob("*") if p.is_file()} == files
    assert named(FORMER).is_symlink() and "left alone" in caplog.text, caplog.text
