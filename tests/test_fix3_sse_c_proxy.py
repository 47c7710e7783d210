"""fix3: the SSE-C clear-text rule with a proxy (codec/encryption.require_tls_for_key): a loopback endpoint
behind a loopback proxy keeps nothing from crossing a network (allowed); https through any proxy is a CONNECT
tunnel (allowed); NO_PROXY naming the endpoint sends straight to it (allowed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def _settings(tmp_path: Path, endpoint: str, proxy: str, no_proxy: str = "") -> Any:
    from its_store.core.settings import Settings
    return Settings(endpoint=endpoint, access_key="fakeaccess", secret_key="fake-secret-0123",
                    http_proxy=proxy, https_proxy=proxy, no_proxy=no_proxy,
                    cache_dir=tmp_path / "c", audit_log=tmp_path / "a.log")


@pytest.mark.parametrize(("endpoint", "proxy", "no_proxy"), [
    ("http://127.0.0.1:9", "http://127.0.0.1:3128", ""),
    ("http://localhost:9", "http://user:pw@[::1]:3128", ""),
    ("https://127.0.0.1:9", "http://192.0.2.1:9", ""),
    ("https://s3.example.com", "http://192.0.2.1:9", ""),
    ("http://127.0.0.1:9", "http://192.0.2.1:9", "127.0.0.1"),
])
def test_the_key_is_allowed_where_nothing_travels_in_clear(tmp_path: Path, endpoint: str, proxy: str,
                                                           no_proxy: str) -> None:
    from its_store.codec.encryption import resolve_key
    assert resolve_key(_settings(tmp_path, endpoint, proxy, no_proxy), key=os.urandom(32)) is not None


def test_a_far_proxy_is_named_in_the_refusal(tmp_path: Path) -> None:
    from its_store.codec.encryption import resolve_key
    from its_store.core.errors import ConfigError
    with pytest.raises(ConfigError, match="to the proxy requests go through") as caught:
        resolve_key(_settings(tmp_path, "http://127.0.0.1:9", "http://192.0.2.1:9"), key=os.urandom(32))
    assert "192.0.2.1" not in str(caught.value)
