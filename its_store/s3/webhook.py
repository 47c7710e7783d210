"""The one HTTP POST that is not an S3 request: a model-registry webhook (registry/webhooks.py).

It lives in the s3 seam because only this package may speak HTTP (DESIGN.md): it uses urllib3 with the
same CA (MINIO_CA_BUNDLE, SSL_CERT_FILE/DIR, certifi), TLS verification and proxy variables as the pool
of the S3 client (s3/pool.py), and no retries of its own: the caller retries with its own budget, so
that a webhook that is down never holds a registry command for long. No urllib3 type leaves here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from its_store.core.settings import Settings


class WebhookDeliveryError(Exception):
    """One delivery attempt failed (connection, timeout, TLS); `reason` is short and holds no URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def post(settings: Settings, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` once; the HTTP status, or WebhookDeliveryError when no answer came."""
    import urllib3

    from its_store.core.settings import bypasses_proxy
    from its_store.s3.pool import _proxy_auth, _trust, _without_auth

    parts = urllib3.util.parse_url(url)
    if parts.scheme not in ("http", "https") or not parts.host:
        raise WebhookDeliveryError("MINIO_MODEL_WEBHOOK_URL is not an http(s) URL")
    kw = {"timeout": urllib3.Timeout(connect=min(timeout, settings.connect_timeout), read=timeout),
          "retries": False, "cert_reqs": "CERT_REQUIRED" if settings.verify_tls else "CERT_NONE",
          **_trust(settings)}
    proxy = settings.https_proxy if parts.scheme == "https" else settings.http_proxy
    host = f"{parts.host}:{parts.port}" if parts.port else parts.host
    if proxy and not bypasses_proxy(host, settings.no_proxy or ""):
        proxy = proxy if "://" in proxy else f"http://{proxy}"
        manager: urllib3.PoolManager = urllib3.ProxyManager(_without_auth(proxy), proxy_headers=_proxy_auth(proxy),
                                                              **kw)
    else:
        manager = urllib3.PoolManager(**kw)
    try:
        resp = manager.request("POST", url, body=body, headers=headers, redirect=False, preload_content=True)
        return int(resp.status)
    except urllib3.exceptions.HTTPError as exc:
        raise WebhookDeliveryError(_reason(exc)) from None
    except OSError as exc:
        raise WebhookDeliveryError(exc.strerror or type(exc).__name__) from None
    finally:
        manager.clear()


def _reason(exc: Exception) -> str:
    """A short cause without the URL (it may carry a token): 'connection refused', 'timed out', ..."""
    text = str(getattr(exc, "reason", None) or exc).lower()
    for needle, reason in (("refused", "connection refused"), ("timed out", "timed out"),
                           ("timeout", "timed out"), ("certificate", "TLS certificate not trusted"),
                           ("name or service", "host not found"), ("resolution", "host not found"),
                           ("reset", "connection reset")):
        if needle in text:
            return reason
    return type(exc).__name__
