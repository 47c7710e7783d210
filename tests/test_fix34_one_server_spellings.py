"""Session 34, fix: one server under two spellings of one address is one endpoint (Settings.server_id).

Settings.server_id, what tells two endpoints apart, was MINIO_ENDPOINT as written: `http://LocalHost:09000/` and
`http://localhost:9000`, `[::ffff:127.0.0.1]:9000` and `127.0.0.1:9000`, `http://host:80` and `http://host`,
`host.` and `host` were two endpoints. Between two endpoints mv, cp and sync --delete see an overlap only when both
answer with the same first object (service/xmove.one_server), and an object stored with SSE-C is no answer: on
SeaweedFS (a HEAD without the key: 400 BadRequest) `sync num:B/p/ name:B/ --delete` and `cp -r` failed with exit 1
"server refused the request" (a 403 there the probe takes for "two servers", and the copy would go on); `mv` of the
object onto itself, which the probe refuses when given the key, was refused as SSE-C over plain HTTP to a non-
loopback address under `[::ffff:127.0.0.1]`. Now the address is written one way (core/netloc.same_server_netloc),
the two spellings are one endpoint, and the overlap is refused as on one (exit 2) whatever the objects are.
(`host.` is checked without a server: `localhost.` does not resolve on every machine.) Real SeaweedFS, reached
under both spellings; no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import as_two_remotes, one_line_error, unique

SPELLINGS = {
    "case-port-slash": ("http://localhost:{port}", "http://LocalHost:0{port}/"),
    "ipv4-mapped": ("http://127.0.0.1:{port}", "http://[::ffff:127.0.0.1]:{port}"),
    "port-digits": ("http://127.0.0.1:{port}", "http://127.0.0.1:0{port}"),
    "two-names": ("http://127.0.0.1:{port}", "http://localhost:{port}"),  # two endpoints: told by what they list
}


@pytest.fixture(params=sorted(SPELLINGS))
def spelled(request: pytest.FixtureRequest, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> str:
    """The session's SeaweedFS as remotes `num` and `name`, two spellings of one address."""
    as_two_remotes(env, monkeypatch, tmp_path, *SPELLINGS[request.param])
    return str(request.param)


def _listed(service: Any, bucket: str) -> list[str]:
    return sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True))


@pytest.fixture
def sealed(cli: Any, service: Any, tmp_path: Path) -> tuple[str, Path]:
    """A bucket whose first key is stored with SSE-C (no endpoint can read it without its key), then p/a.jpg,
    p/b.jpg and q/c.jpg; and the key file."""
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    key_file = tmp_path / "sse-c.key"
    key_file.write_bytes(bytes(range(32)))
    (tmp_path / "sealed.jpg").write_bytes(b"sealed frame")
    run = cli("upload", str(tmp_path / "sealed.jpg"), f"s3://{bucket}/0-sealed.jpg", "--sse", "c",
              "--sse-c-key-file", str(key_file))
    assert run.exit_code == 0, run
    for key in ("p/a.jpg", "p/b.jpg", "q/c.jpg"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=key.encode()).exit_code == 0
    return bucket, key_file


@pytest.mark.parametrize("args", [
    ("sync", "num:{b}/p/", "name:{b}/", "--delete"), ("sync", "num:{b}/", "name:{b}/p/", "--delete"),
    ("cp", "-r", "num:{b}/", "name:{b}/p/"), ("mv", "-r", "num:{b}/p/", "name:{b}/"),
], ids=["sync-delete-outer", "sync-delete-inner", "cp-r", "mv-r"])
def test_nested_prefixes_between_two_spellings_are_an_overlap(cli: Any, service: Any, spelled: str,
                                                               sealed: tuple[str, Path], args: tuple[str, ...]) -> None:
    bucket, _ = sealed
    before = _listed(service, bucket)
    run = cli(*(a.format(b=bucket) for a in args))
    assert run.exit_code == 2 and "overlap" in one_line_error(run), run
    assert _listed(service, bucket) == before


def test_mv_onto_itself_between_two_spellings_is_refused(cli: Any, service: Any, spelled: str,
                                                          sealed: tuple[str, Path]) -> None:
    """The object the move would be copied onto is the source itself: refused before anything is written."""
    bucket, key_file = sealed
    before = cli("ls", "-r", "--versions", "--json", f"s3://{bucket}/").jsonl()
    run = cli("mv", f"num:{bucket}/0-sealed.jpg", f"name:{bucket}/0-sealed.jpg", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 2 and "itself" in one_line_error(run), run
    assert cli("ls", "-r", "--versions", "--json", f"s3://{bucket}/").jsonl() == before
    got = cli("get", f"s3://{bucket}/0-sealed.jpg", "-", "--sse-c-key-file", str(key_file))
    assert got.exit_code == 0 and got.stdout_bytes == b"sealed frame", got


@pytest.mark.parametrize(("one", "two"), [
    ("http://LOCALHOST:9000", "http://localhost:9000"), ("http://h", "http://h:80"), ("https://h", "https://h:443"),
    ("http://h:9000/", "http://h.:9000"), ("http://[::1]:9000", "http://[0:0:0:0:0:0:0:1]:9000"),
    ("http://[::1]", "http://[::1]:80"), ("http://[::ffff:10.0.0.1]:9000", "http://10.0.0.1:9000"),
    ("http://h:09000", "http://h:9000"),
])
def test_spellings_of_one_address_are_one_server(one: str, two: str) -> None:
    from its_store.core.settings import Settings
    assert Settings(endpoint=one).server_id() == Settings(endpoint=two).server_id()


@pytest.mark.parametrize(("one", "two"), [
    ("http://h", "http://h:443"), ("https://h", "https://h:80"), ("http://h:9000", "http://h:9001"),
    ("http://localhost:9000", "http://127.0.0.1:9000"), ("http://[::1]:9000", "http://[::2]:9000"),
])
def test_other_addresses_stay_other_servers(one: str, two: str) -> None:
    """Nothing is resolved, and a port that is not the scheme's default is kept."""
    from its_store.core.settings import Settings
    assert Settings(endpoint=one).server_id() != Settings(endpoint=two).server_id()


def test_the_usual_spellings_keep_their_server_id() -> None:
    """The state kept per server (cache, journals, sync state, registry copies) is keyed by server_id: the
    spellings most endpoints are written with keep the key they had, so that state is found where it was."""
    from its_store.core.settings import Settings
    for endpoint, secure in (("localhost:9000", False), ("127.0.0.1:9000", False), ("s3.example.com", True),
                             ("[::1]:9000", False), ("minio.lan:9000", True)):
        assert Settings(endpoint=endpoint, secure=secure).server_id() == endpoint


def test_an_ipv4_mapped_loopback_endpoint_may_carry_a_key(cli: Any, service: Any, env: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           sealed: tuple[str, Path]) -> None:
    """SSE-C over plain HTTP is allowed to a loopback endpoint only: `[::ffff:127.0.0.1]` is 127.0.0.1, and was
    refused ("the key would travel in clear", exit 78) before anything was sent."""
    as_two_remotes(env, monkeypatch, tmp_path, *SPELLINGS["ipv4-mapped"])
    bucket, key_file = sealed
    got = cli("get", f"name:{bucket}/0-sealed.jpg", "-", "--sse-c-key-file", str(key_file))
    assert got.exit_code == 0 and got.stdout_bytes == b"sealed frame", got


def test_a_sealed_first_object_on_two_servers_is_two_servers(service: Any, second_seaweed: Any,
                                                             sealed: tuple[str, Path]) -> None:
    """What the listing tells when the first object cannot be read: another server whose bucket lists another
    first object, or has no such bucket, is another server (the copy between them goes on)."""
    from its_store import StorageService
    from its_store.core.settings import Settings
    from its_store.service.xmove import one_server
    bucket, _ = sealed
    other = StorageService(Settings(endpoint=second_seaweed.endpoint, access_key=second_seaweed.access_key,
                                    secret_key=second_seaweed.secret_key, cache_dir=service.ctx.settings.cache_dir,
                                    audit_log=service.ctx.settings.audit_log))
    try:
        assert one_server(service, service, bucket, "")  # the same endpoint: alike, by the listing
        assert not one_server(service, other, bucket, "")  # no such bucket there
        other.s3.make_bucket(bucket)
        other.s3.put(bucket, "0-sealed.jpg", b"another frame", {})
        assert not one_server(service, other, bucket, "")  # another object first
    finally:
        other.close()
