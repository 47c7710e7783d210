"""Session 32, second attacker: where a secret leaves the process in the clear.

An SSE-C key decrypts every object stored with it, so S3 takes it over TLS only (AWS refuses SSE-C over
HTTP; minio-py refuses it client-side: "SSE-C operations must be performed over a secure connection"; mc
too). its-store builds the SSE-C headers itself (codec/encryption.py) and sends them over plain HTTP, and
leaves it to the server to refuse: SeaweedFS takes them, and even a server that refuses has by then received
the key in clear text, as has anyone on the path.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest

from conftest import ServerInfo, plain_client


def test_an_sse_c_key_is_never_sent_over_plain_http(service: Any, bucket: str, s3_server: ServerInfo) -> None:
    """Fails on main (a83dc6e): on the suite's http:// SeaweedFS the upload succeeds (the key went out in the
    x-amz-server-side-encryption-customer-key header, in clear text), and so does a download with the key.
    Expected: refused before any request (InvalidInputError or EncryptionUnsupportedError, exit 2/78, hint
    "SSE-C needs HTTPS: use an https:// MINIO_ENDPOINT"), as minio-py and mc refuse; nothing stored."""
    from its_store import ItsStoreError, UploadRequest

    assert not service.settings.secure
    key = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(ItsStoreError):
        service.upload_object(UploadRequest(bucket=bucket, key="cam/secret.jpg", data=b"frame", sse="c",
                                            sse_c_key=key))
    assert [o.object_name for o in plain_client(s3_server).list_objects(bucket, recursive=True)] == []


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
