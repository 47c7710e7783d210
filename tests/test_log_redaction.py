"""What --verbose/--debug print never carries a credential, whichever logger wrote the line (cli/logs.py).

The webhook URL's own redaction (urllib3's request lines) is tested end to end with a real listener in
tests/test_registry_webhooks.py; here, the generic rules on records of any logger.
"""

from __future__ import annotations

import logging

import pytest

from its_store.cli import logs

LINES = {
    "GET http://user:hunter2@h:9000/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F2025"
    "&X-Amz-Signature=0a1b2c3d4e&versionId=v1 HTTP/1.1": ["hunter2", "AKIAEXAMPLE", "0a1b2c3d4e"],
    "headers: {'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/2025/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=feedface', 'Host': 'h'}": ["AKIAEXAMPLE", "feedface"],
    "Authorization: Bearer eyJhbGciOi.secret-jwt": ["eyJhbGciOi", "secret-jwt"],
    "X-Its-Signature: sha256=9f86d081884c7d65": ["9f86d081884c7d65"],
    "X-Amz-Server-Side-Encryption-Customer-Key: c2VjcmV0LWtleQ==": ["c2VjcmV0LWtleQ=="],
    "redis unreachable at redis://:r3dispass@cache:6379/0": ["r3dispass"],
    "POST https://hooks.example/in?token=tok-123&sig=abc HTTP/1.1": ["tok-123", "=abc"],
}


@pytest.fixture
def debug_logging():
    logs.configure(verbose=True, debug=True)
    yield
    logs.configure(verbose=False, debug=False)


@pytest.mark.parametrize("logger", ["minio", "urllib3.connectionpool", "its_store.state.cache", "someone.else"])
def test_no_credential_reaches_stderr_from_any_logger(debug_logging, capsys, logger):
    for line, secrets in LINES.items():
        logging.getLogger(logger).warning("%s", line)
        err = capsys.readouterr().err
        assert err.startswith("its-store: ") and err.count("\n") == 1, err
        for secret in secrets:
            assert secret not in err, (line, err)
        assert logs.MASK in err


def test_ordinary_lines_are_left_alone(debug_logging, capsys):
    line = 'http://127.0.0.1:9000 "PUT /b/cam1/frame_0001.jpg?partNumber=2&uploadId=abc HTTP/1.1" 200 0'
    logging.getLogger("urllib3.connectionpool").debug("%s", line)
    assert line in capsys.readouterr().err
