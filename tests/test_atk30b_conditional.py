"""Attack on s3/conditional (session 30): a write-once PUT whose answer is lost while the server is still
storing it (a gateway's 504 in front of a busy backend). The read back finds nothing yet, so the PUT is sent
again; by then the first one has landed, and the second is refused (412). That refusal is of our own object:
it was read as "already exists" (registry: "version already registered", exit 5) although the one who wrote
it is us. After a lost answer, a refusal is judged by reading back, as the lost answer itself is: our bytes
(same MD5) are a success; anything else stays a conflict (and nothing is overwritten either way)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, response, s3_error

from conftest import ServerInfo, environment_for

GATEWAY = b"<html><body><h1>504 Gateway Time-out</h1></body></html>"


def late_landing(data_of_first: list[bytes]) -> Any:
    """The first write-once PUT is answered 504 and stored only when the second comes (which is refused)."""
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "PUT" or "if-none-match" not in req.headers:
            return False
        body = conn.read_body(req)
        if not data_of_first:
            data_of_first.append(body)
            conn.send(response(504, GATEWAY, content_type="text/html"))
            return True
        server.put_object(req.bucket, req.key, FakeObject(data_of_first[0]))  # the first one landed meanwhile
        conn.send(s3_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not "
                           "hold", req.path))
        return True
    return handler


def _service(fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from its_store import StorageService, load_settings
    names = {"default": "c-default", "video": "c-video", "models": "c-models", "logs": "c-logs"}
    environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch, tmp_path)
    return StorageService(load_settings(max_retries=2))


def test_a_write_once_put_that_landed_late_is_ours(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first: list[bytes] = []
    data = b'{"write": "once"}'
    with FaultServer(late_landing(first), buckets=("c-models",)) as fake, _service(fake, monkeypatch, tmp_path) as svc:
        etag = svc.s3.put_if_absent("c-models", "once.json", data, {"Content-Type": "application/json"})
        assert etag.strip('"') == hashlib.md5(data).hexdigest()
        assert fake.objects[("c-models", "once.json")].data == data


def test_someone_elses_object_is_still_a_conflict(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same sequence, but what landed is another writer's: AlreadyExistsError, their object untouched."""
    from its_store import AlreadyExistsError
    first = [b'{"theirs": 1}']  # the 504 is skipped: the first PUT seen is refused, the object is theirs
    with FaultServer(late_landing(first), buckets=("c-models",)) as fake, _service(fake, monkeypatch, tmp_path) as svc:
        with pytest.raises(AlreadyExistsError):
            svc.s3.put_if_absent("c-models", "once.json", b'{"ours": 1}', {"Content-Type": "application/json"})
        assert fake.objects[("c-models", "once.json")].data == b'{"theirs": 1}'
