"""The one HTTP POST that is not an S3 request: a model-registry webhook (registry/webhooks.py).

It lives in the s3 seam because only this package may speak HTTP (DESIGN.md): it uses urllib3 with the
same CA (MINIO_CA_BUNDLE, SSL_CERT_FILE/DIR, certifi), TLS verification and proxy variables as the pool
of the S3 client (s3/pool.py), and no retries of its own: the caller retries with its own budget, so
that a webhook that is down never holds a registry command for long. No urllib3 type leaves here.

The URL's path and query often are the credential (a token in the query, or a Slack-style secret path),
and urllib3 logs every request it makes ("POST /path?query HTTP/1.1" at DEBUG, with --debug). So while
a thread POSTs, a filter on urllib3's own loggers rewrites that thread's records to show the webhook
as scheme://host:port/... only. It sits on the loggers, not on a handler, so the promise holds for
every handler: the CLI's stderr (cli/logs.py), pytest's log capture, an application's own logging.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from urllib3 import PoolManager
    from urllib3.util import Url

    from its_store.core.settings import Settings

URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.connection", "urllib3.util.retry")
_posting = threading.local()  # .hidden: [(text, shown instead)] of the webhook this thread is POSTing


class _HideTarget(logging.Filter):
    """Rewrites the records logged by this thread during a webhook POST; other threads' are untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        hidden = getattr(_posting, "hidden", None)
        if hidden:
            text = record.getMessage()
            for secret, shown in hidden:
                text = text.replace(secret, shown)
            record.msg, record.args = text, ()
        return True


_FILTER = _HideTarget()


def _hidden_parts(url: str, parts: Url) -> list[tuple[str, str]]:
    """What of the URL must not be logged, longest first, each with what is shown instead: the URL, its
    request target, path and query, as given and as urllib3 normalised them (it may re-encode)."""
    from urllib.parse import urlsplit

    from its_store.core.settings_urls import webhook_origin
    origin, raw = webhook_origin(url), urlsplit(url)
    found = {url: origin, str(parts.url): origin}
    for path, query in ((raw.path, raw.query), (parts.path or "", parts.query or "")):
        for text, shown in ((f"{path or '/'}?{query}" if query else "", "/..."), (path, "/..."), (query, "...")):
            if text and text != "/":
                found[text] = shown
    found.update({t: "/..." for t in (parts.request_uri,) if t and t != "/"})
    return sorted(found.items(), key=lambda item: -len(item[0]))


def _guard_logs(hidden: list[tuple[str, str]] | None) -> None:
    """Set (or clear, None) what this thread's urllib3 records hide; the filter is added once per logger."""
    for name in URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _posting.hidden = hidden


class WebhookDeliveryError(Exception):
    """One delivery attempt failed (connection, timeout, TLS); `reason` is short and holds no URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def post(settings: Settings, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` once; the HTTP status, or WebhookDeliveryError when no answer came.

    Everything that can fail here is that delivery's failure, never the caller's command: a URL urllib3
    cannot parse (settings check it first, but a library caller may hand in anything), a proxy URL it
    cannot parse, a header value http.client refuses. Their messages hold the URL, so none is kept."""
    import urllib3

    try:
        parts = urllib3.util.parse_url(url)
        if parts.scheme not in ("http", "https") or not parts.host:
            raise WebhookDeliveryError("MINIO_MODEL_WEBHOOK_URL is not an http(s) URL")
        hidden = _hidden_parts(url, parts)
        manager = _manager(settings, parts, timeout)
    except ValueError:  # urllib3's LocationParseError is one; its text is the whole URL
        raise WebhookDeliveryError("MINIO_MODEL_WEBHOOK_URL (or its proxy) is not a valid URL") from None
    _guard_logs(hidden)
    try:
        # only the status decides; the body is never read: a listener whose answer does not end (a streaming
        # service named by mistake) took the machine's memory (tests/test_atk37_webhook_answer.py)
        resp = manager.request("POST", url, body=body, headers=headers, redirect=False, preload_content=False)
        resp.close()  # not back to the pool: manager.clear() below drops every connection anyway
        return int(resp.status)
    except urllib3.exceptions.HTTPError as exc:
        raise WebhookDeliveryError(_reason(exc)) from None
    except OSError as exc:
        raise WebhookDeliveryError(exc.strerror or type(exc).__name__) from None
    except ValueError as exc:  # a header value with a line break, a URL only the request found wrong
        raise WebhookDeliveryError(f"request refused before sending ({type(exc).__name__})") from None
    finally:
        manager.clear()
        _guard_logs(None)


def _manager(settings: Settings, parts: Url, timeout: float) -> PoolManager:
    """The urllib3 pool manager for one POST: same CA, TLS verification and proxy rules as the S3 pool."""
    import urllib3

    from its_store.core.settings_urls import bypasses_proxy
    from its_store.s3.pool import _proxy_auth, _trust, _without_auth
    kw: dict[str, Any] = {"timeout": urllib3.Timeout(connect=min(timeout, settings.connect_timeout), read=timeout),
          "retries": False, "cert_reqs": "CERT_REQUIRED" if settings.verify_tls else "CERT_NONE",
          **_trust(settings)}
    proxy = settings.https_proxy if parts.scheme == "https" else settings.http_proxy
    host = f"{parts.host}:{parts.port}" if parts.port else parts.host or ""
    if proxy and not bypasses_proxy(host, settings.no_proxy or ""):
        proxy = proxy if "://" in proxy else f"http://{proxy}"
        return urllib3.ProxyManager(_without_auth(proxy), proxy_headers=_proxy_auth(proxy), **kw)
    return urllib3.PoolManager(**kw)


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
