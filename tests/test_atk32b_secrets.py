"""Session 32, second attacker: where a secret leaves the process in the clear.

An SSE-C key decrypts every object stored with it, so S3 takes it over TLS only (AWS refuses SSE-C over
HTTP; mc too). its-store built the SSE-C headers and sent them over plain HTTP, leaving it to the server to
refuse. The rule now (codec/encryption.resolve_key): refused before any request, exit 78, for a plain-http
endpoint that is not this machine; a loopback endpoint (127.0.0.0/8, ::1, localhost: a local TLS sidecar,
this suite's servers) may carry it, since nothing crosses a network. tests/test_fix32.py holds that rule's
tests (CLI and library, against a TEST-NET address that is never contacted); this file's own SSE-C test
asserted a refusal on the suite's loopback server and was replaced by them.
"""

from __future__ import annotations


def test_settings_do_not_show_the_passwords_in_their_urls() -> None:
    """Fails on main (a83dc6e): repr(settings), str(settings) and settings.model_dump_json() hold the Redis
    password (redis://:PW-redis@...), the proxy password (http://u:PW-proxy@...) and the webhook URL's token
    (?token=PW-hook), while secret_key, sse_c_key and model_webhook_secret print as '**********'. A script
    that logs its settings at start-up (`log.info("storage settings: %s", settings)`) writes them to its log.
    Expected: these three print as the CLI's `config` shows them (credentials masked), as SecretStr does."""
    from its_store import Settings

    settings = Settings(endpoint="127.0.0.1:9000", access_key="ak", secret_key="sk-hidden",
                        redis_url="redis://:PW-redis@10.0.0.5:6379/0", http_proxy="http://u:PW-proxy@10.0.0.6:3128",
                        model_webhook_url="https://hooks.example/its?token=PW-hook")
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "sk-hidden" not in shown
        assert "PW-" not in shown, shown
