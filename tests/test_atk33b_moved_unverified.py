"""Session 33, attacker 2: `mv FILE s3://...` removes the file only once the object is seen on the server,
SSE-C too.

A move HEADs the object after its PUT (size and ETag as the PUT's answer gave them) before it removes the
local file, so that a server that answered 200 to a PUT it did not keep (a full or failing volume behind a
gateway, a proxy that answers for the server) costs nothing. With an SSE-C key that HEAD was skipped (the
object needs the key to be read), and the file was removed on the strength of the PUT's answer alone: exit 0,
"moved", the only copy gone. The HEAD is now made with the key, as `stat` and `get` make it.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from faultserver import Conn, FaultServer, Request, response

from helpers import fault_cli

KEY_B64 = base64.b64encode(b"k" * 32).decode()
SSE_C_ECHO = ("x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key-md5")


def _acknowledge_and_drop(server: FaultServer, req: Request, conn: Conn) -> bool:
    """A PUT of an object answered as S3 answers one it stored (the ETag of its body, the SSE-C echo
    headers), and not stored."""
    if req.method == "PUT" and req.key and not req.query:
        body = conn.read_body(req)
        echo = {name: req.headers[name] for name in SSE_C_ECHO if name in req.headers}
        conn.send(response(200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"', **echo}))
        return True
    return False


@pytest.mark.parametrize("sse_c", [False, True], ids=["plain", "sse-c"])
def test_mv_keeps_the_file_when_the_server_did_not_keep_the_object(sse_c: bool, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on main (6f7ffca) with SSE-C: exit 0, "moved", the file removed, nothing on the server.
    Expected (as without SSE-C): the move fails and the file is kept, byte for byte."""
    with FaultServer(_acknowledge_and_drop, buckets=("evidence",)) as server:
        extra = {"MINIO_ENABLE_COMPRESSION": "false", "MINIO_ENABLE_ENCRYPTION": "false"}
        cli = fault_cli(server, tmp_path, monkeypatch, **extra, **({"MINIO_SSE_C_KEY": KEY_B64} if sse_c else {}))
        source = tmp_path / "incident-42.bin"
        source.write_bytes(b"the only copy" * 100)
        run = cli("mv", str(source), "s3://evidence/incident-42.bin")
        assert server.seen("PUT"), run  # the upload was made (and dropped)
        assert not server.objects, "the fake kept the object: the test tests nothing"
        assert run.exit_code != 0, run
        assert source.read_bytes() == b"the only copy" * 100, run
        assert len([line for line in run.stderr.splitlines() if line.strip()]) == 1, run
