"""Attack on the model webhook's answer (session 37): a listener (MINIO_MODEL_WEBHOOK_URL) that answers
`200 OK` with a body that never ends: a URL that names a streaming service by mistake, a broken proxy.
Only the answer's status decides a delivery (s3/webhook.post), but the POST read the whole body first
(preload_content): under a 1 GB address-space limit the delivery ended in MemoryError after ~15 s; without
one, it took the machine's memory. Now the body is not read: the status is taken, the connection closed."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from faultserver import FaultServer

from tests.helpers import DEADLINE, ROOT

SCRIPT = """
import sys
from its_store.core.settings import load_settings
from its_store.s3.webhook import post
print(post(load_settings(), sys.argv[1], b'{"event": "registered"}', {"Content-Type": "application/json"}, 5.0))
"""


def _endless(server: FaultServer, req: Any, conn: Any) -> bool:
    conn.read_body(req)
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    try:
        while True:
            conn.send(b"x" * 65_536)
    except OSError:  # the client hung up
        return True


def test_a_webhook_answer_that_never_ends_is_not_read() -> None:
    """Fails on main (e7ffee0): MemoryError in the child (exit 1), no status printed."""
    with FaultServer(_endless) as server:
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "MINIO_ENDPOINT": "127.0.0.1:9",
               "MINIO_ACCESS_KEY": "fakeaccess", "MINIO_SECRET_KEY": "fake-secret-key-0123", "MINIO_SECURE": "false",
               "HOME": "/tmp"}
        done = subprocess.run(["prlimit", "--as=1000000000", sys.executable, "-c", SCRIPT,
                               f"http://{server.endpoint}/hooks/its?token=t"], env=env, capture_output=True, text=True,
                              timeout=DEADLINE, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout.strip()) == (0, "200"), done
