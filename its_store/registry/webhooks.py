"""Webhooks of the model registry: register, promote and rm POST a JSON event to MINIO_MODEL_WEBHOOK_URL.

An event is first written to an outbox on disk (`<cache dir>/webhooks/outbox/<target>/`, one file per
event, atomic write), then sent; its file is removed only after a 2xx answer. So a webhook that is down
never fails the registry operation and never loses the event: the next model command, or
`its-store model webhooks flush`, sends what is waiting, oldest first. Delivery is at least once (a
crash between the 2xx and the removal sends it again): receivers deduplicate on the event `id`.

An event belongs to the webhook URL it was queued for: `<target>` is a fingerprint of that URL (a
SHA-256, never the URL or the secret), and a sender reads only the folder of its own configured URL.
Two configurations sharing one cache folder (prod and staging, say) never deliver each other's
events, and each event is signed with the secret configured beside its own URL. Events queued for
another URL (or by an its-store older than this rule, directly in `outbox/`) are only counted.

Each POST carries `X-Its-Event-Id` and `X-Its-Timestamp` (the event's id and time, both also inside
the signed body) and, when MINIO_MODEL_WEBHOOK_SECRET is set, `X-Its-Signature: sha256=<hex
HMAC-SHA256(secret, body)>`. The secret and the URL's path (often a token) never reach output or logs.
The HTTP request itself is s3/webhook.py (the only layer that may speak HTTP).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.jsontext import loads
from its_store.core.retry import Backoff, retry_call
from its_store.registry.results import WebhookFlush

if TYPE_CHECKING:
    from its_store.core.settings import Settings

log = logging.getLogger("its_store.registry.webhooks")

EVENTS = ("model.register", "model.promote", "model.rm")
SEND_BUDGET = 5.0      # seconds a registry command may spend delivering after its change
PIGGYBACK_BUDGET = 2.0  # seconds any other model command may spend sending what waits in the outbox
ATTEMPT_TIMEOUT = 2.0
TRIES = 5
BACKOFF = Backoff(initial=0.25, cap=2.0, spread=0.2)  # pauses of 0.25, 0.5, 1 and 2 s, each +-20%


def outbox_base(settings: Settings) -> Path:
    """<cache dir>/webhooks/outbox: one folder per webhook URL below it (see target_of)."""
    return Path(settings.cache_dir or Path.home() / ".cache" / "its-store") / "webhooks" / "outbox"


def target_of(url: str) -> str:
    """The outbox folder name of a webhook URL: a fingerprint (first 32 hex of its SHA-256), so neither the
    URL (its path or query is often a token) nor the secret is written in a file name."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def outbox_dir(settings: Settings) -> Path:
    """The outbox of the configured webhook URL (it must be set)."""
    return outbox_base(settings) / target_of(str(settings.model_webhook_url))


def waiting_elsewhere(settings: Settings) -> int:
    """Events waiting for any other URL than the configured one (all of them when none is configured),
    including those an older its-store left directly in outbox/."""
    base = outbox_base(settings)
    own = target_of(str(settings.model_webhook_url)) if settings.model_webhook_url else None
    count = len(Outbox(base).waiting())
    try:
        folders = [p for p in base.iterdir() if p.is_dir() and p.name != own]
    except OSError:
        folders = []
    return count + sum(len(Outbox(folder).waiting()) for folder in folders)


def new_event(kind: str, *, bucket: str, model: str, version: str | None, actor: str,
              alias: str | None = None, **extra: Any) -> dict[str, Any]:
    """The event document: {event, model, version, alias?, actor, time, id, bucket}. A `model.rm` event must
    say whether the data is gone: `hidden` (true in a bucket that leaves delete markers: the files are still
    stored) and `hidden_bytes` (registry/removal.rm_event_fields)."""
    if kind not in EVENTS:
        raise ValueError(f"unknown webhook event {kind!r}")
    if kind == "model.rm" and not {"hidden", "hidden_bytes"} <= set(extra):
        raise ValueError("a model.rm event says whether its data is gone or hidden (hidden, hidden_bytes)")
    event = {"event": kind, "model": model, "version": version, "actor": actor, "bucket": bucket,
             "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
             "id": secrets.token_hex(16)}
    if alias is not None:
        event["alias"] = alias
    event.update(extra)
    return event


def sign(secret: str, body: bytes) -> str:
    """The X-Its-Signature value: sha256=<hex HMAC-SHA256 of the body, keyed by the secret>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Outbox:
    """Events waiting for delivery, one JSON file each, named so that they sort oldest first."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, event: dict[str, Any]) -> Path:
        from its_store.core.files import write_atomic
        from its_store.core.private_dirs import make_private_folder
        make_private_folder(self.root)
        path = self.root / f"{time.time_ns():020d}-{event['id']}.json"
        write_atomic(path, json.dumps(event, sort_keys=True, separators=(",", ":")), 0o600, durable=True)
        return path

    def foreign(self) -> str | None:
        """Why this outbox folder is not ours to send from (another user's, or others may write it: see
        core/private_dirs), None when it is, or is not there."""
        from its_store.core.private_dirs import foreign_reason
        try:
            return foreign_reason(os.stat(self.root))
        except OSError:
            return None

    def waiting(self) -> list[Path]:
        try:
            return sorted(p for p in self.root.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
        except OSError:
            return []


def emit(settings: Settings, event: dict[str, Any], *, budget: float = SEND_BUDGET) -> WebhookFlush | None:
    """Queue one event and try to send the outbox within `budget` seconds. Never raises: a webhook that
    is down (or a full disk) must not fail the registry change that already happened."""
    if not settings.model_webhook_url or not enqueue(settings, event):
        return None
    return flush(settings, budget=budget, quiet=True)


def enqueue(settings: Settings, event: dict[str, Any]) -> bool:
    """Write one event to the outbox of the configured URL (durably); False, with a warning, when the disk
    refuses (or no URL is configured: then there is no one to send it to)."""
    if not settings.model_webhook_url:
        return False
    try:
        Outbox(outbox_dir(settings)).put(event)
        return True
    except (E.ItsStoreError, OSError) as exc:
        log.warning("webhook event %s not queued: %s", event["id"], getattr(exc, "message", None) or exc)
        return False


def flush(settings: Settings, *, budget: float = SEND_BUDGET, quiet: bool = False) -> WebhookFlush:
    """Send waiting events, oldest first, until the outbox is empty, one stays undelivered, or the budget
    is spent. Runs under a lock file so that two processes never send the same event at once."""
    from its_store.core.files import file_lock
    from its_store.core.settings_urls import webhook_origin
    if not settings.model_webhook_url:
        report = WebhookFlush(pending=waiting_elsewhere(settings))
        if quiet or not report.pending:
            return report
        raise E.ConfigError(f"{report.pending} webhook event(s) wait in {outbox_base(settings)} but "
                            "MINIO_MODEL_WEBHOOK_URL is not set",
                            hint="set the webhook URL they were queued for, then run `its-store model webhooks flush`")
    outbox = Outbox(outbox_dir(settings))
    report = WebhookFlush(webhook=webhook_origin(settings.model_webhook_url),
                          waiting_for_other_webhooks=0 if quiet else waiting_elsewhere(settings))
    if not outbox.waiting():
        return report
    refused = outbox.foreign()
    if refused is not None:  # whoever may write it may queue events: the signature would vouch for them
        report.pending = len(outbox.waiting())
        report.last_error = f"outbox {outbox.root}: {refused}"
        log.warning("webhook outbox %s: %s; its %d event(s) are not sent", outbox.root, refused, report.pending)
        return report
    deadline = time.monotonic() + budget
    try:
        with file_lock(outbox.root.parent / f".{outbox.root.name}.lock"):
            _send_waiting(settings, outbox, report, deadline)
    except OSError as exc:
        report.last_error = f"outbox: {exc.strerror or exc}"
    report.pending = len(outbox.waiting())
    if report.pending:
        log.warning("webhook %s: %d event(s) kept in the outbox (%s); `its-store model webhooks flush` sends them",
                    report.webhook, report.pending, report.last_error or "time budget spent")
    return report


def _send_waiting(settings: Settings, outbox: Outbox, report: WebhookFlush, deadline: float) -> None:
    from its_store.core.private_dirs import foreign_reason
    from its_store.core.statefile import NotRegularFile, read_state
    for path in outbox.waiting():
        try:
            refused = foreign_reason(os.lstat(path))
            if refused is not None:  # an event file another user wrote, or may rewrite: never signed
                raise NotRegularFile(f"{path.name}: {refused}")
            body = read_state(path)  # never blocks: a FIFO here would hang every model command
            doc = loads(body)
            event_id = doc["id"]
            bad = _no_header_value(event_id, "id") or _no_header_value(str(doc.get("time", "")), "time", empty=True)
            if bad is not None:  # it would be refused before sending, every time, and hold up every later event
                raise NotRegularFile(f"{path.name}: {bad}")
        except NotRegularFile as exc:
            _set_aside(path, str(exc))
            continue
        except (OSError, ValueError, KeyError, TypeError):
            continue  # gone (another flush sent it) or not ours: left alone
        if not _deliver(settings, body, str(event_id), report, deadline):
            return  # keep the order: later events wait behind the first undelivered one
        path.unlink(missing_ok=True)
        report.delivered_ids.append(str(event_id))
        report.delivered = len(report.delivered_ids)


def _no_header_value(value: Any, name: str, *, empty: bool = False) -> str | None:
    """Why an event's `name` cannot be sent as an HTTP header value (X-Its-Event-Id, X-Its-Timestamp); None
    if it can: printable ASCII, no line break, at most 256 characters (our ids are 32 hex digits)."""
    if not isinstance(value, str) or not (value or empty) or len(value) > 256 or not all(
            " " <= c <= "~" for c in value) or value != value.strip():
        return f"its {name} {value!r:.80} cannot be an HTTP header value"
    return None


def _set_aside(path: Path, why: str) -> None:
    """An outbox entry that is no file of ours (a FIFO, a link), or an event that can never be sent (an id
    that is no header value): renamed to a dot name, which waiting() skips,
    with one warning, so that it is neither read nor counted as an event again. Nothing is deleted."""
    aside = path.with_name(f".{path.name}.unusable")
    try:
        os.replace(path, aside)
        done = f"set aside as {aside.name}"
    except OSError as exc:
        done = f"cannot set it aside: {exc.strerror or exc}"
    log.warning("webhook outbox: %s; %s", why, done)


def _deliver(settings: Settings, body: bytes, event_id: str, report: WebhookFlush, deadline: float) -> bool:
    """POST one event with retries and backoff inside the deadline; True after a 2xx answer."""
    from its_store.s3.webhook import WebhookDeliveryError, post
    headers = {"Content-Type": "application/json", "User-Agent": "its-store-webhook",
               "X-Its-Event-Id": event_id, "X-Its-Timestamp": str(json.loads(body).get("time", ""))}
    if settings.model_webhook_secret is not None and settings.model_webhook_secret.get_secret_value():
        headers["X-Its-Signature"] = sign(settings.model_webhook_secret.get_secret_value(), body)

    def attempt() -> bool:
        left = deadline - time.monotonic()
        if left <= 0.05:
            return False
        try:
            status = post(settings, str(settings.model_webhook_url), body, headers, min(ATTEMPT_TIMEOUT, left))
        except WebhookDeliveryError as exc:
            report.last_error = exc.reason
            raise _TryAgain from exc
        if 200 <= status < 300:
            return True
        report.last_error = f"HTTP {status}"
        if 400 <= status < 500 and status not in (408, 425, 429):
            return False  # the receiver refuses it: retrying now will not help; it stays queued
        raise _TryAgain

    try:
        return retry_call(attempt, retry_if=lambda exc: isinstance(exc, _TryAgain), attempts=TRIES,
                          backoff=BACKOFF, deadline=deadline)
    except _TryAgain:
        return False  # tries or time used up: the event stays queued


class _TryAgain(Exception):
    """No answer, a 5xx, or 408/425/429: worth another POST after a pause."""


def has_waiting(settings: Settings) -> bool:
    """Cheap check (one directory read) used before any model command sends the outbox."""
    return bool(settings.model_webhook_url) and not settings.offline and bool(
        Outbox(outbox_dir(settings)).waiting())


def pending_count(settings: Settings) -> int:
    """Events waiting for the configured URL (for all URLs when none is configured)."""
    if not settings.model_webhook_url:
        return waiting_elsewhere(settings)
    return len(Outbox(outbox_dir(settings)).waiting())

