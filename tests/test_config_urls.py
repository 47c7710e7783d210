"""MINIO_ENDPOINT and MINIO_MODEL_WEBHOOK_URL are checked when the settings are read (core/netloc.py):
a typo is one configuration line, exit 78, that never repeats a password, a path or a query; and the
webhook's POST treats a URL it cannot parse as that delivery's failure, never the command's
(issue 19: "every error one line with a documented exit code, never 'unexpected'; secrets never in
output")."""

from __future__ import annotations

from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.core.settings import load_settings

TOKEN = "TOKEN-5e2d0c1a"


@pytest.mark.parametrize(("endpoint", "says"), [
    ("http://user:pw-x1@127.0.0.1:9000", "user info"),
    ("user:pw-x1@127.0.0.1:9000", "user info"),
    ("[::1", "unclosed '['"),
    ("::1", "in brackets"),
    ("[zz]:9000", "not an IPv6 address"),
    ("[::1]x:9000", "only ':port'"),
    ("a..b:9000", "empty label"),
    ("-a.example:9000", "not a host name"),
    ("ho st:9000", "space"),
    ("host:pw-x1", "not a number"),
    ("host:", "empty port"),
    ("host:99999", "out of range"),
])
def test_malformed_endpoint_is_one_config_line_without_the_secret(endpoint: str, says: str) -> None:
    with pytest.raises(E.ConfigError) as caught:
        load_settings(endpoint=endpoint)
    message = caught.value.message
    assert message.startswith("MINIO_ENDPOINT: ") and says in message, message
    assert "pw-x1" not in message and "\n" not in message, message


@pytest.mark.parametrize(("endpoint", "kept"), [
    ("[::1]:9000", "[::1]:9000"), ("minio_1:9000", "minio_1:9000"), ("s3.example.com.", "s3.example.com."),
    ("  localhost:9000 ", "localhost:9000"), ("https://s3.example.com/", "s3.example.com"),
])
def test_well_formed_endpoints_are_kept(endpoint: str, kept: str) -> None:
    """Surrounding spaces are removed (documented), a Docker service name with '_' is a host."""
    assert load_settings(endpoint=endpoint).endpoint == kept


def test_malformed_endpoint_through_the_cli_is_exit_78(cli) -> None:
    run = cli("ls", extra_env={"MINIO_ENDPOINT": "http://admin:pw-x1@127.0.0.1:9000"})
    assert run.exit_code == 78, run
    assert run.stderr.count("\n") == 1 and "pw-x1" not in run.stderr, run


@pytest.mark.parametrize(("url", "shown", "says"), [
    (f"http://127.0.0.1:99999/hook/{TOKEN}", "http://127.0.0.1:99999/...", "out of range"),
    (f"http://[::1/x/{TOKEN}", "http://[::1/...", "unclosed '['"),
    (f"ftp://hooks.example/{TOKEN}", "ftp://hooks.example/...", "http:// or https://"),
    (f"http:/hooks.example/{TOKEN}", "(not a scheme://host URL)", "http:// or https://"),
    (f"http:///{TOKEN}", "http:///...", "missing host"),
    (f"http://hooks.example/a b?t={TOKEN}", "http://hooks.example/...", "space"),
    (f"http://u:{TOKEN}/x@hooks.example/", "http://u:.../...", "not a number"),
])
def test_malformed_webhook_url_is_one_config_line_showing_only_its_origin(url: str, shown: str, says: str) -> None:
    with pytest.raises(E.ConfigError) as caught:
        load_settings(model_webhook_url=url)
    message = caught.value.message
    assert message.startswith(f"MINIO_MODEL_WEBHOOK_URL ({shown}): ") and says in message, message
    assert TOKEN not in message, message


def test_webhook_url_with_user_info_is_kept_and_never_shown() -> None:
    settings = load_settings(model_webhook_url=f"https://hook:{TOKEN}@hooks.example:8443/in?t={TOKEN}")
    assert settings.public_view()["MINIO_MODEL_WEBHOOK_URL"] == "https://hooks.example:8443/..."


def test_a_url_urllib3_cannot_parse_is_that_deliverys_failure(tmp_path: Path) -> None:
    """A library caller may set the URL after the settings were read (no validation on assignment): the
    POST then fails to parse it. Before: LocationParseError (its text the whole URL) escaped emit() and
    failed the registry command after its change was stored. Now: queued, reported, token never said."""
    from its_store.registry import webhooks
    from its_store.s3.webhook import WebhookDeliveryError, post
    settings = load_settings(cache_dir=str(tmp_path))
    bad = f"http://127.0.0.1:99999/hook/{TOKEN}"
    with pytest.raises(WebhookDeliveryError) as caught:
        post(settings, bad, b"{}", {}, 1.0)
    assert TOKEN not in caught.value.reason
    settings.model_webhook_url = bad
    event = webhooks.new_event("model.promote", bucket="b", model="det", version="1.0.0", actor="t", alias="p")
    report = webhooks.emit(settings, event, budget=1.0)
    assert report is not None and report.pending == 1 and report.delivered_ids == []
    assert report.last_error and TOKEN not in report.last_error and "not a valid URL" in report.last_error
