"""Registry webhooks against a real HTTP listener on loopback: delivered once, signed (HMAC verified here),
kept in the outbox while the listener is down and sent by the next command or `model webhooks flush`."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from servers import free_port

from conftest import one_line_error
from helpers import write_file

SECRET = "whsec-7f3a9c-do-not-print"
TOKEN = "tok-51d0e2"


class Listener:
    """A webhook receiver: records every POST; answers `statuses` in turn (then 204)."""

    def __init__(self, port: int, statuses: list[int] | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                listener.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = listener.statuses.pop(0) if listener.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        # poll 0.05 s: shutdown() waits for serve_forever to poll (0.5 s by default, at every stop)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.received]


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses of 5-40 ms between a webhook's tries instead of 0.25-2 s: each delivery to a listener that is
    down (or not trusted) spent ~3.75 s pausing, ~25 s of this file. The CLI runs in this process, so it is
    the real retry loop with the same tries and budgets; only the pauses are shorter (no test here times them)."""
    from its_store.core.retry import Backoff
    from its_store.registry import webhooks
    monkeypatch.setattr(webhooks, "BACKOFF", Backoff(initial=0.005, cap=0.04, spread=0.2))


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def hook_env(env: dict[str, str], port: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}/hooks/its?token={TOKEN}"
    monkeypatch.setenv("MINIO_MODEL_WEBHOOK_URL", url)
    monkeypatch.setenv("MINIO_MODEL_WEBHOOK_SECRET", SECRET)
    return {**env, "MINIO_MODEL_WEBHOOK_URL": url}


@pytest.fixture
def listener(port: int) -> Iterator[Listener]:
    server = Listener(port)
    yield server
    server.stop()


def outbox(env: dict[str, str]) -> list[Path]:
    """Every event waiting, whatever webhook URL it was queued for (one folder per URL)."""
    return sorted((Path(env["MINIO_CACHE_DIR"]) / "webhooks" / "outbox").rglob("*.json"), key=lambda p: p.name)


def no_secret(*runs: Any) -> None:
    for run in runs:
        assert SECRET not in run.stdout + run.stderr and TOKEN not in run.stdout + run.stderr, run


def verify(record: dict[str, Any]) -> dict[str, Any]:
    """Check the signature as a receiver would, and that the id/timestamp headers match the signed body."""
    expected = "sha256=" + hmac.new(SECRET.encode(), record["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(record["headers"]["X-Its-Signature"], expected)
    event = json.loads(record["body"])
    assert record["headers"]["X-Its-Event-Id"] == event["id"]
    assert record["headers"]["X-Its-Timestamp"] == event["time"]
    assert record["headers"]["Content-Type"] == "application/json"
    return event


def test_register_promote_rm_post_signed_events_once(cli, hook_env, listener, buckets, tmp_path: Path):
    src = write_file(tmp_path / "w.pt", 2000, seed=1)
    runs = [cli("model", "register", str(src), "--name", "hooked", "--version", "1.0.0", "--json"),
            cli("model", "register", str(src), "--name", "hooked", "--version", "1.1.0"),
            cli("model", "promote", "hooked@1.1.0", "production"),
            cli("model", "promote", "hooked@1.1.0", "production"),  # unchanged: no event
            cli("model", "rm", "hooked@1.0.0", "--yes")]
    assert [r.exit_code for r in runs] == [0] * 5, runs
    no_secret(*runs)
    assert [r["path"] for r in listener.received] == [f"/hooks/its?token={TOKEN}"] * 4
    events = [verify(r) for r in listener.received]
    assert [(e["event"], e["model"], e["version"], e.get("alias")) for e in events] == [
        ("model.register", "hooked", "1.0.0", None), ("model.register", "hooked", "1.1.0", None),
        ("model.promote", "hooked", "1.1.0", "production"), ("model.rm", "hooked", "1.0.0", None)]
    assert len({e["id"] for e in events}) == 4  # each delivered once
    assert all(e["actor"] and e["time"].endswith("Z") and e["bucket"] == buckets["models"] for e in events)
    assert events[2]["previous"] is None
    assert outbox(hook_env) == []
    # gc sends one model.rm per removed version, with reason gc.
    assert cli("model", "register", str(src), "--name", "hooked", "--version", "1.2.0").exit_code == 0
    gc = cli("model", "gc", "hooked", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert gc.exit_code == 0 and [r["version"] for r in gc.json()["removed"]] == []  # 1.1.0 is aliased
    assert cli("model", "promote", "hooked@1.2.0", "production").exit_code == 0
    gc = cli("model", "gc", "hooked", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert gc.exit_code == 0 and [r["version"] for r in gc.json()["removed"]] == ["1.1.0"]
    last = verify(listener.received[-1])
    assert (last["event"], last["version"], last["reason"]) == ("model.rm", "1.1.0", "gc")
    assert len(listener.received) == 7 and outbox(hook_env) == []
    # A receiver checking the signature refuses a body that was changed on the way.
    tampered = dict(listener.received[0], body=listener.received[0]["body"].replace(b"1.0.0", b"9.9.9"))
    with pytest.raises(AssertionError):
        verify(tampered)

    config = cli("config", "--json")
    assert config.exit_code == 0
    no_secret(config)
    assert config.json()["MINIO_MODEL_WEBHOOK_SECRET"] == "********"
    audit = Path(hook_env["MINIO_AUDIT_LOG"]).read_text()
    assert SECRET not in audit and TOKEN not in audit


def test_listener_down_never_fails_the_change_and_flush_redelivers(cli, hook_env, port, tmp_path: Path):
    src = write_file(tmp_path / "w.pt", 1000, seed=2)
    first = cli("model", "register", str(src), "--name", "later", "--version", "1.0.0", "--json")
    assert first.exit_code == 0, first
    assert first.json()["version"] == "1.0.0"
    assert "kept in the outbox" in first.stderr
    second = cli("model", "promote", "later@1.0.0", "production")
    assert second.exit_code == 0, second
    no_secret(first, second)
    waiting = outbox(hook_env)
    assert len(waiting) == 2
    ids = [json.loads(p.read_bytes())["id"] for p in waiting]

    down = cli("model", "webhooks", "flush", "--json")
    assert down.exit_code == 69, down
    assert (down.json()["delivered"], down.json()["pending"]) == (0, 2)
    assert down.json()["last_error"] == "connection refused"
    assert down.json()["webhook"] == f"http://127.0.0.1:{port}/..."
    no_secret(down)

    server = Listener(port)
    try:
        up = cli("model", "webhooks", "flush", "--json")
        assert up.exit_code == 0, up
        assert (up.json()["delivered"], up.json()["pending"], up.json()["delivered_ids"]) == (2, 0, ids)
        assert [verify(r)["id"] for r in server.received] == ids  # oldest first, once each
        assert [e["event"] for e in server.events()] == ["model.register", "model.promote"]
        assert outbox(hook_env) == []
        again = cli("model", "webhooks", "flush", "--json")
        assert again.exit_code == 0 and again.json()["delivered"] == 0
        assert cli("model", "list", "--json").exit_code == 0
        assert len(server.received) == 2  # nothing sent twice
    finally:
        server.stop()


def test_next_model_command_sends_the_outbox(cli, hook_env, port, tmp_path: Path):
    src = write_file(tmp_path / "w.pt", 1000, seed=3)
    assert cli("model", "register", str(src), "--name", "piggy", "--version", "1.0.0").exit_code == 0
    assert len(outbox(hook_env)) == 1
    assert cli("model", "list", "--offline", "--json").exit_code == 69  # offline: never sends (nor lists)
    server = Listener(port)
    try:
        assert len(outbox(hook_env)) == 1 and server.received == []
        run = cli("model", "list", "--json")
        assert run.exit_code == 0 and [r["version"] for r in run.jsonl()] == ["1.0.0"]
        assert [e["version"] for e in server.events()] == ["1.0.0"] and outbox(hook_env) == []
    finally:
        server.stop()


def test_retried_after_a_server_error(cli, hook_env, port, tmp_path: Path):
    server = Listener(port, statuses=[503, 500])
    try:
        src = write_file(tmp_path / "w.pt", 1000, seed=4)
        run = cli("model", "register", str(src), "--name", "retry", "--version", "1.0.0")
        assert run.exit_code == 0, run
        assert len(server.received) == 3  # two answers 5xx, delivered by the third attempt
        assert len({verify(r)["id"] for r in server.received}) == 1 and outbox(hook_env) == []
    finally:
        server.stop()


def test_refused_event_stays_queued_and_unconfigured_flush(cli, hook_env, port, monkeypatch, tmp_path: Path):
    server = Listener(port, statuses=[400])
    try:
        src = write_file(tmp_path / "w.pt", 1000, seed=5)
        assert cli("model", "register", str(src), "--name", "refused", "--version", "1.0.0").exit_code == 0
        assert len(server.received) == 1 and len(outbox(hook_env)) == 1  # a 4xx is not retried at once
    finally:
        server.stop()
    monkeypatch.delenv("MINIO_MODEL_WEBHOOK_URL")
    run = cli("model", "webhooks", "flush")
    assert run.exit_code == 78 and "MINIO_MODEL_WEBHOOK_URL is not set" in one_line_error(run)
    assert len(outbox(hook_env)) == 1


def test_https_webhook_trusts_the_configured_ca(cli, hook_env, port, monkeypatch, tmp_path: Path):
    """The POST uses the S3 connection's trust settings: a private CA is refused until MINIO_CA_BUNDLE names it."""
    import ssl

    from faultproxy import FaultProxy

    from its_store.testing.devserver import self_signed_certificate
    cert, key = self_signed_certificate(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Listener(port)
    tls = FaultProxy(port, tls=context, record=True).start()  # TLS in front of the plain listener
    try:
        monkeypatch.setenv("MINIO_MODEL_WEBHOOK_URL", f"https://{tls.endpoint}/hooks/its?token={TOKEN}")
        src = write_file(tmp_path / "w.pt", 1000, seed=6)
        run = cli("model", "register", str(src), "--name", "tls", "--version", "1.0.0")
        assert run.exit_code == 0, run
        assert server.received == [] and tls.seen == [] and len(outbox(hook_env)) == 1  # nothing sent untrusted
        refused = cli("model", "webhooks", "flush", "--json")
        assert refused.exit_code == 69 and refused.json()["last_error"] == "TLS certificate not trusted"
        trusted = cli("model", "webhooks", "flush", "--json", extra_env={"MINIO_CA_BUNDLE": str(cert)})
        assert trusted.exit_code == 0 and trusted.json()["delivered"] == 1, trusted
        assert [verify(r)["model"] for r in server.received] == ["tls"] and len(tls.seen) == 1
        no_secret(run, refused, trusted)
    finally:
        tls.stop()
        server.stop()


def test_webhook_goes_through_the_proxy_settings(cli, hook_env, port, monkeypatch, tmp_path: Path):
    """HTTP_PROXY / NO_PROXY apply as for the endpoint: the name below resolves only at the proxy."""
    from faultproxy import FaultProxy
    server = Listener(port)
    forward = FaultProxy(port, record=True).start()  # a forward proxy whose upstream is the listener
    try:
        monkeypatch.setenv("MINIO_MODEL_WEBHOOK_URL", f"http://hooks.its.example:{port}/in?token={TOKEN}")
        monkeypatch.setenv("HTTP_PROXY", f"http://{forward.endpoint}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the S3 endpoint goes direct
        src = write_file(tmp_path / "w.pt", 1000, seed=7)
        run = cli("model", "register", str(src), "--name", "proxied", "--version", "1.0.0")
        assert run.exit_code == 0, run
        assert [verify(r)["model"] for r in server.received] == ["proxied"]
        assert [s.target for s in forward.seen] == [f"http://hooks.its.example:{port}/in?token={TOKEN}"]
        assert forward.counters.proxied == 1 and outbox(hook_env) == []
    finally:
        forward.stop()
        server.stop()


def test_debug_log_never_shows_the_webhook_path_or_token(cli, hook_env, listener, tmp_path: Path):
    """--debug turns on urllib3's own log lines ("POST /path?query HTTP/1.1"): docs/guides/model-registry.md
    promises that only scheme://host:port/... of the webhook URL is ever shown."""
    src = write_file(tmp_path / "w.pt", 1000, seed=8)
    run = cli("--debug", "model", "register", str(src), "--name", "debugged", "--version", "1.0.0")
    assert run.exit_code == 0, run
    assert [verify(r)["model"] for r in listener.received] == ["debugged"]
    assert "urllib3.connectionpool" in run.stderr and '"POST ' in run.stderr  # the lines are there...
    assert TOKEN not in run.stderr and "/hooks/its" not in run.stderr, run.stderr  # ...without the target
    assert SECRET not in run.stderr
    flush = cli("--debug", "model", "webhooks", "flush")
    assert flush.exit_code == 0 and TOKEN not in flush.stderr and "/hooks/its" not in flush.stderr


def test_two_registries_sharing_a_cache_folder_never_deliver_each_others_events(cli, hook_env, port, monkeypatch,
                                                                                 tmp_path: Path):
    """The tester's report: "prod" (webhook down) and "staging" used the default cache folder; staging's
    next command delivered prod's waiting event to staging's URL, signed with staging's secret."""
    staging_port, staging_secret = free_port(), "whsec-staging-other"
    prod = {"MINIO_MODEL_WEBHOOK_URL": hook_env["MINIO_MODEL_WEBHOOK_URL"], "MINIO_MODEL_WEBHOOK_SECRET": SECRET}
    staging = {"MINIO_MODEL_WEBHOOK_URL": f"http://127.0.0.1:{staging_port}/staging?token=other",
               "MINIO_MODEL_WEBHOOK_SECRET": staging_secret, "MINIO_MODELS_BUCKET": hook_env["MINIO_MODELS_BUCKET"]
               + "-stg"}
    src = write_file(tmp_path / "w.pt", 1000, seed=9)
    staging_hook = Listener(staging_port)
    try:
        down = cli("model", "register", str(src), "--name", "prodm", "--version", "1.0.0", extra_env=prod)
        assert down.exit_code == 0 and len(outbox(hook_env)) == 1, down  # prod's hook is down: queued
        for args in (["model", "register", str(src), "--name", "stgm", "--version", "1.0.0"],
                     ["model", "list", "--json"], ["model", "webhooks", "flush", "--json"]):
            run = cli(*args, extra_env=staging)
            assert run.exit_code == 0, run
        assert [e["model"] for e in staging_hook.events()] == ["stgm"]  # never prod's event
        for record in staging_hook.received:
            expected = "sha256=" + hmac.new(staging_secret.encode(), record["body"], hashlib.sha256).hexdigest()
            assert record["headers"]["X-Its-Signature"] == expected
        assert flush_report(cli, staging)["waiting_for_other_webhooks"] == 1
        assert len(outbox(hook_env)) == 1  # still waiting for its own URL
    finally:
        staging_hook.stop()
    prod_hook = Listener(port)
    try:
        sent = cli("model", "webhooks", "flush", "--json", extra_env=prod)
        assert sent.exit_code == 0 and sent.json()["delivered"] == 1, sent
        assert [verify(r)["model"] for r in prod_hook.received] == ["prodm"]  # to its URL, with its secret
        assert outbox(hook_env) == []
    finally:
        prod_hook.stop()


def flush_report(cli: Any, extra_env: dict[str, str]) -> dict[str, Any]:
    run = cli("model", "webhooks", "flush", "--json", extra_env=extra_env)
    assert run.exit_code == 0, run
    return run.json()


def test_an_event_whose_id_is_no_header_value_is_set_aside_and_the_rest_are_sent(cli, hook_env, port,
                                                                                 tmp_path: Path):
    """An outbox file whose `id` cannot be sent as X-Its-Event-Id (a line break, from a hand edit or another
    writer) blocked every later event, flush after flush. It is set aside (one warning) and the rest go."""
    src = write_file(tmp_path / "w.pt", 1000, seed=5)
    assert cli("model", "register", str(src), "--name", "stuck", "--version", "1.0.0").exit_code == 0
    assert cli("model", "promote", "stuck@1.0.0", "production").exit_code == 0
    first, second = outbox(hook_env)
    doc = json.loads(first.read_bytes())
    doc["id"] = "abc\r\nX-Injected: 1"
    first.write_text(json.dumps(doc))
    good = json.loads(second.read_bytes())["id"]
    server = Listener(port)
    try:
        run = cli("model", "webhooks", "flush", "--json")
        assert run.exit_code == 0, run
        assert (run.json()["delivered"], run.json()["pending"], run.json()["delivered_ids"]) == (1, 0, [good])
        assert [verify(r)["id"] for r in server.received] == [good]
        assert run.stderr.count("set aside") == 1, run
        assert outbox(hook_env) == []
        assert (first.parent / f".{first.name}.unusable").read_text() == json.dumps(doc)  # kept, not deleted
    finally:
        server.stop()
