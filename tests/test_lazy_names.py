"""core/lazy.lazy_names: the one module __getattr__ of its_store/__init__.py, service/objects.py and
service/encoded.py (names imported on first use, then kept)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from its_store.core.lazy import lazy_names


def test_a_name_is_imported_on_first_use_and_kept() -> None:
    namespace: dict[str, object] = {"__name__": "example"}
    get = lazy_names(namespace, {"JSONDecoder": "decoder"}, "json")
    assert "JSONDecoder" not in namespace
    import json.decoder
    assert get("JSONDecoder") is json.decoder.JSONDecoder
    assert namespace["JSONDecoder"] is json.decoder.JSONDecoder  # kept: the next read is a plain attribute read


def test_any_other_name_is_an_attribute_error_worded_as_python_words_it() -> None:
    get = lazy_names({"__name__": "its_store.example"}, {}, "json")
    with pytest.raises(AttributeError, match=r"^module 'its_store.example' has no attribute 'nope'$"):
        get("nope")


def _printed(code: str) -> str:
    """What `code` prints in a fresh interpreter (nothing imported before it), stripped."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_split_modules_keep_their_old_names_and_the_package_its_api() -> None:
    code = ("import sys, its_store, its_store.service.objects as o, its_store.service.encoded as e\n"
            "assert o.download_into is __import__('its_store.service.object_download', fromlist=['x']).download_into\n"
            "assert e.UploadPlan is __import__('its_store.service.upload_plan', fromlist=['x']).UploadPlan\n"
            "assert its_store.StorageService.__name__ == 'StorageService'\n"
            "assert 'lazy_names' not in dir(its_store) and not hasattr(its_store, 'lazy_names')\n"
            "try:\n    its_store.nope\nexcept AttributeError as e:\n    print(e)\n")
    assert _printed(code) == "module 'its_store' has no attribute 'nope'"


def test_sync_engine_keeps_its_names_and_imports_no_transfer_code_up_front() -> None:
    """sync/engine.py split by concern: every name it offered still imports from it (the moved ones on first
    use), and importing it (a sync that sends nothing) imports neither the transfers nor the single upload."""
    code = ("import sys, its_store.sync.engine as g\n"
            "print(sorted(m for m in ('its_store.sync.transfers', 'its_store.sync.single') if m in sys.modules))\n"
            "from its_store.sync.engine import STATE_FILE, Location, Sync, not_comparable, open_state, sync\n"
            "from its_store.sync.engine import sync_request, upload_one\n"
            "from its_store.sync import location, single, transfers\n"
            "assert (Location, upload_one) == (location.Location, single.upload_one)\n"
            "assert sync_request is single.sync_request\n"
            "assert not_comparable is transfers.not_comparable and STATE_FILE == 'sync-state.sqlite'\n"
            "assert set(g.__all__) <= set(dir(g)), set(g.__all__) - set(dir(g))\n")
    assert _printed(code) == "[]"
