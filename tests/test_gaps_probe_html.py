"""A conditional-write probe answered by a proxy's or portal's HTML page (session 30, gaps item 1).

`model register` first asks the server whether it honours If-None-Match / If-Match (s3/conditional.py).
When that PUT is answered by an HTML page (a captive portal, a proxy's error or login page, 200 or 4xx),
the answer is no S3 server's: the command must say so (exit 69, unavailable / bad answer), not "object
not found" (exit 3) from reading the probe key back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer, response

from conftest import ServerInfo, cli_runner, environment_for, one_line_error
from helpers import write_file

PAGE = b"<!DOCTYPE html><html><head><title>Login</title></head><body>Sign in to the network</body></html>"


def html_to_conditional_puts(status: int, headers: tuple[str, ...] = ("if-none-match", "if-match")) -> Any:
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method == "PUT" and any(h in req.headers for h in headers):
            conn.read_body(req)
            conn.send(response(status, PAGE, content_type="text/html; charset=utf-8"))
            return True
        return False
    return handler


@pytest.mark.parametrize(("status", "headers"), [
    (200, ("if-none-match", "if-match")), (403, ("if-none-match", "if-match")), (404, ("if-none-match", "if-match")),
    (412, ("if-none-match", "if-match")), (200, ("if-match",)), (403, ("if-match",))])
def test_register_probe_answered_with_html_is_a_bad_server_answer(status: int, headers: tuple[str, ...],
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """Also when only If-Match PUTs meet the page (the write-once steps pass): the read back then finds the
    probe's first object, unchanged, which is no proof of a refusal (412) nor of a success."""
    names = {"default": "h-default", "video": "h-video", "models": "h-models", "logs": "h-logs"}
    with FaultServer(html_to_conditional_puts(status, headers), buckets=("h-models",)) as fake:
        env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch,
                              tmp_path)
        weights = write_file(tmp_path / "w.onnx", 1_000, seed=8)
        run = cli_runner(env)("model", "register", str(weights), "--name", "x", "--version", "1.0.0",
                              extra_env={"MINIO_MAX_RETRIES": "0"})  # one PUT: the read back finds nothing
        line = one_line_error(run)
        assert run.exit_code == 69, (run.exit_code, line)
        assert "not found" not in line and "HTML" in line, line
        assert not [r for r in fake.requests if r.method == "PUT" and ".probe-" not in r.path], "wrote past the gate"
