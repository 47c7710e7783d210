"""A batch's exit code by one rule (core/errors.batch_error), for every batch command (attack finding):
with a read-only key, `rm -r --all-versions --yes` exited 1 where `rm --version-id` and `rm -r --yes`
exit 6 for the same AccessDenied. Now: every failure of one kind, that kind's exit code (all access
denied: 6); failures of mixed kinds: 1.

The fake server (tests/faultserver.py) holds two objects and answers each key of a DeleteObjects with
the S3 error the test names (a 200 DeleteResult with one <Error> per key, as S3 answers a refusal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from faultserver import XML, Conn, FakeObject, FaultServer, Request, response

from helpers import fault_cli

BUCKET = "refuse"
KEYS = ("p/a.txt", "p/b.txt")


def delete_result(body: bytes, codes: dict[str, str]) -> bytes:
    """A DeleteResult refusing each key of the request with codes[key] (deleting none)."""
    errors = ""
    for raw in re.findall(rb"<Object>(.*?)</Object>", body, re.S):
        key = unquote(re.search(rb"<Key>(.*?)</Key>", raw).group(1).decode())  # type: ignore[union-attr]
        version = re.search(rb"<VersionId>(.*?)</VersionId>", raw)
        vid = f"<VersionId>{version.group(1).decode()}</VersionId>" if version else ""
        errors += (f"<Error><Key>{key}</Key>{vid}<Code>{codes[key]}</Code>"
                   f"<Message>{codes[key]} for this test</Message></Error>")
    return response(200, ('<?xml version="1.0" encoding="UTF-8"?><DeleteResult '
                          f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{errors}</DeleteResult>').encode(),
                    content_type=XML)


@pytest.fixture
def refusing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, dict[str, str]]]:
    """(cli, codes): the server refuses the delete of each key with codes[key]; the CLI runs in-process
    (helpers.fault_cli: no retries, two connections and workers)."""
    codes = dict.fromkeys(KEYS, "AccessDenied")

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method == "POST" and "delete" in req.query:
            conn.send(delete_result(conn.read_body(req), codes))
            return True
        return False

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        for key in KEYS:
            server.put_object(BUCKET, key, FakeObject(b"x"))
        yield fault_cli(server, tmp_path, monkeypatch, MINIO_DEFAULT_BUCKET=BUCKET, MINIO_MAX_POOL_CONNECTIONS="2",
                        MINIO_MAX_WORKERS="2"), codes


COMMANDS = {"rm": ("rm", "-r", "--yes", f"s3://{BUCKET}/p/"),
            "rm-all-versions": ("rm", "-r", "--all-versions", "--yes", f"s3://{BUCKET}/p/")}


def error_line(done: Any) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("its-store: error: ")]
    assert len(lines) == 1, done
    return lines[0]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_item_denied_exits_6(refusing: Any, command: str) -> None:
    cli, _ = refusing
    done = cli(*COMMANDS[command])
    assert done.exit_code == 6, done
    assert "AccessDenied" in error_line(done) or "access denied" in error_line(done), done


@pytest.mark.parametrize("command", list(COMMANDS))
def test_failures_of_mixed_kinds_exit_1(refusing: Any, command: str) -> None:
    cli, codes = refusing
    codes[KEYS[1]] = "InvalidArgument"  # not InternalError: an entry failed with that is sent again alone
    done = cli(*COMMANDS[command])
    assert done.exit_code == 1, done
    error_line(done)


def test_the_rule_itself() -> None:
    from its_store.core import errors as E
    denied = [E.AccessDeniedError("a"), E.ObjectLockedError("b")]
    assert E.batch_error("2 failed", denied).exit_code == 6
    assert E.batch_error("2 failed", denied).code == "access_denied"  # the first's class and code
    assert E.batch_error("2 failed", [E.ObjectNotFoundError("c")]).exit_code == 3
    mixed = E.batch_error("2 failed", [E.AccessDeniedError("a"), E.ServiceUnavailableError("d")])
    assert (mixed.exit_code, mixed.code, type(mixed)) == (1, "error", E.ItsStoreError)


def test_a_refusal_naming_no_key_deletes_nothing_in_the_report(tmp_path: Path) -> None:
    """A DeleteResult <Error> without <Key> (a server that breaks the spec) cannot be matched to a key: it
    was dropped, so every key of the batch was reported deleted while the server deleted none (rm -r saw it
    by listing again; delete_objects, sync --delete and the registry's deletes did not). Now such a
    failure stands for every key of the batch that no other entry names."""
    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method == "POST" and "delete" in req.query:
            conn.read_body(req)
            conn.send(response(200, (b'<?xml version="1.0" encoding="UTF-8"?><DeleteResult '
                                     b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error><Code>AccessDenied'
                                     b'</Code><Message>no key named</Message></Error></DeleteResult>'),
                               content_type=XML))
            return True
        return False

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        for key in KEYS:
            server.put_object(BUCKET, key, FakeObject(b"x"))
        from its_store import Settings, StorageService
        settings = Settings(endpoint=server.endpoint, access_key="fakeaccess", secret_key="fake-secret-key-0123",
                            secure=False, max_retries=0, cache_dir=tmp_path / "cache", audit_log=tmp_path / "audit.log")
        with StorageService(settings) as svc:
            results = svc.delete_objects(BUCKET, list(KEYS))  # one DeleteObjects (sync --delete, gc: the same)
        assert sorted(k for _, k in server.objects) == sorted(KEYS)  # the server deleted none
    assert [(r.key, r.deleted) for r in results] == [(k, False) for k in KEYS], results
    assert all("AccessDenied" in (r.error or "") for r in results), results
