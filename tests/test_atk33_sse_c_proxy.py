"""atk33: an SSE-C key sent to a loopback endpoint THROUGH a plain-http proxy that is not this machine.

The rule (codec/encryption.require_tls_for_key): an SSE-C key is refused over plain http unless nothing
crosses a network. With HTTP_PROXY set (and NO_PROXY not naming the endpoint) every request to
http://127.0.0.1:PORT goes to the proxy, in clear, headers and key included: the key crosses the network
to the proxy's host. The check looks at the endpoint only (core/netloc.is_loopback(settings.endpoint)),
never at Settings.proxy(), so the key is sent. These tests fail now."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import cli_runner, one_line_error

FAR_PROXY = "http://192.0.2.1:9"  # TEST-NET-1: never routed (a connection would time out: exit 69)
CLEAR = "its-store: error: SSE-C needs an https endpoint: the key would travel in clear"


def _settings(tmp_path: Path) -> Any:
    from its_store.core.settings import Settings
    return Settings(endpoint="http://127.0.0.1:9", access_key="fakeaccess", secret_key="fake-secret-0123",
                    http_proxy=FAR_PROXY, no_proxy="", connect_timeout=0.5, read_timeout=0.5, max_retries=0,
                    cache_dir=tmp_path / "c", audit_log=tmp_path / "a.log")


def test_the_key_is_refused_for_a_loopback_endpoint_behind_a_far_proxy(tmp_path: Path) -> None:
    from its_store.codec.encryption import resolve_key
    from its_store.core.errors import ConfigError
    settings = _settings(tmp_path)
    assert settings.proxy() == FAR_PROXY  # every request goes to 192.0.2.1, in clear
    with pytest.raises(ConfigError, match="SSE-C needs an https endpoint"):
        resolve_key(settings, key=os.urandom(32))


def test_the_cli_refuses_the_key_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MINIO_") or n.upper() in ("HTTP_PROXY", "NO_PROXY")]:
        monkeypatch.delenv(name)
    key = tmp_path / "sse-c.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    env = {"MINIO_ENDPOINT": "http://127.0.0.1:9", "MINIO_ACCESS_KEY": "fakeaccess",
           "MINIO_SECRET_KEY": "fake-secret-0123", "MINIO_CONNECT_TIMEOUT": "0.5", "MINIO_READ_TIMEOUT": "0.5",
           "MINIO_MAX_RETRIES": "0", "HTTP_PROXY": FAR_PROXY, "NO_PROXY": "",
           "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"), "MINIO_AUDIT_LOG": str(tmp_path / "a.log")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    run = cli_runner(env)("stat", "--sse-c-key-file", str(key), "s3://atk33-b/f.bin")
    assert run.exit_code == 78, run  # now: 69, after trying to reach the proxy with the key in a header
    one_line_error(run)
    assert run.stderr.startswith(CLEAR), run
