"""verify_tls=False is a choice about one endpoint, not about the whole process: urllib3's
InsecureRequestWarning is silenced for our endpoint's host only."""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
from faultproxy import FaultProxy
from pydantic import SecretStr

from its_store import Settings, StorageService
from its_store.testing.devserver import self_signed_certificate

from conftest import ServerInfo


@pytest.fixture
def tls_endpoint(s3_server: ServerInfo, tmp_path: Path) -> Iterator[str]:
    """host:port of a TLS-terminating proxy (self-signed certificate) in front of the session's server."""
    cert, key = self_signed_certificate(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    proxy = FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), tls=context).start()
    try:
        yield proxy.endpoint
    finally:
        proxy.stop()


def test_verify_tls_off_silences_only_our_endpoints_host(s3_server: ServerInfo, tls_endpoint: str,
                                                         tmp_path: Path) -> None:
    port = tls_endpoint.rsplit(":", 1)[1]
    settings = Settings(endpoint=f"127.0.0.1:{port}", secure=True, verify_tls=False, max_retries=0,
                        access_key=s3_server.access_key, secret_key=SecretStr(s3_server.secret_key),
                        cache_dir=tmp_path / "cache", audit_log=tmp_path / "audit.log")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        svc = StorageService(settings)
        try:
            svc.s3.list_buckets()  # our client, certificate unchecked as asked: no warning
        finally:
            svc.close()
        ours = [str(w.message) for w in seen if issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)]
        assert ours == []
        # Another part of the program, another host name (the same server): urllib3 still warns it.
        with urllib3.PoolManager(cert_reqs="CERT_NONE") as other:
            other.request("GET", f"https://localhost:{port}/", retries=False)
    insecure = [str(w.message) for w in seen if issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)]
    assert len(insecure) == 1 and "'localhost'" in insecure[0], insecure
