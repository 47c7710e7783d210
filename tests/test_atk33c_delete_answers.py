"""A non-quiet DeleteObjects answer names each key asked: a <Deleted> or an <Error>. One that names a key in
neither (a server that dropped it, an answer cut short, a canned 200) has not said that key was deleted:
it is a failure of that key, never "deleted". Fault proxy (tests/faultproxy.py) in front of SeaweedFS answers
the POST ?delete itself, so nothing is deleted while its answer names only some of the keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_gaps33_denied_settings import _port

from helpers import put_stdin

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def _answer(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n" % len(body)) + body


def _naming(*keys: str) -> Any:
    body = (f'<?xml version="1.0"?><DeleteResult {NS}>'
            + "".join(f"<Deleted><Key>{k}</Key></Deleted>" for k in keys) + "</DeleteResult>").encode()

    def answer(seen: Seen) -> bytes | None:
        return _answer(body) if seen.method == "POST" and "delete" in seen.query else None
    return answer


def test_a_key_the_answer_does_not_name_is_not_deleted() -> None:
    """s3/deleted.read, no server: an answer naming a, not b nor the version v/1: b and v/1 fail."""
    from its_store.s3 import deleted
    answer = f'<DeleteResult {NS}><Deleted><Key>a</Key></Deleted></DeleteResult>'.encode()
    failures = deleted.read(answer, [("a", None), ("b", None), ("v", "1")], {})
    assert sorted((k, v) for k, v, _ in failures) == [("b", None), ("v", "1")], failures
    assert all(m.startswith("BadAnswer") for _, _, m in failures), failures
    marked = answer.replace(b"<Key>a</Key>", b"<Key>a</Key><VersionId>m</VersionId>")  # a marker's id, say
    assert deleted.read(marked, [("a", None)], {}) == []
    both = f'<DeleteResult {NS}><Deleted><Key>v</Key><VersionId>1</VersionId></Deleted></DeleteResult>'.encode()
    assert deleted.read(both, [("v", "1")], {}) == []


def test_library_and_cli_report_unnamed_keys_failed(cli, s3_server, bucket, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    put_stdin(cli, bucket, "d/a.bin", data=b"a" * 10)
    put_stdin(cli, bucket, "d/b.bin", data=b"b" * 20)
    with FaultProxy(_port(s3_server.endpoint), answer=_naming("d/a.bin")) as proxy:
        through = {"MINIO_ENDPOINT": proxy.endpoint}
        from its_store import StorageService, load_settings
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        svc = StorageService(load_settings())
        try:
            done = {r.key: r.deleted for r in svc.delete_objects(bucket, ["d/a.bin", "d/b.bin"])}
        finally:
            svc.close()
        (tmp_path / "src").mkdir()
        synced = cli("sync", str(tmp_path / "src"), f"s3://{bucket}/d/", "--delete", "--allow-empty-source",
                     "--json", extra_env=through)
    assert done == {"d/a.bin": True, "d/b.bin": False}, done
    assert synced.exit_code != 0, synced
    deleted_keys = [i.get("key") for i in synced.json()["deleted"]]
    assert "d/b.bin" not in deleted_keys, synced.stdout


def test_a_key_named_only_by_an_element_of_another_kind_is_not_deleted() -> None:
    """s3/deleted.read: only a <Deleted> or an <Error> names a key; a key the answer names in another element
    (a buggy server's <Foo><Key>k</Key></Foo>) was counted as named and so reported deleted (last read of
    session 33)."""
    from its_store.s3 import deleted
    answer = (b'<?xml version="1.0"?><DeleteResult><Foo><Key>k</Key></Foo>'
              b"<Deleted><Key>j</Key></Deleted></DeleteResult>")
    said: deleted.Said = {}
    failures = deleted.read(answer, [("k", None), ("j", None)], said)
    assert [key for key, _, _ in failures] == ["k"], failures
    assert said == {"j": None}
