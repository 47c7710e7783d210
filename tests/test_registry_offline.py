"""Offline answers (--offline, ITS_STORE_OFFLINE=1): pull, show and list from the local cache with the server
stopped, no S3 client built at all, the age of what is known, exit 69 for what was never seen."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy

from its_store.testing.devserver import SeaweedServer

from conftest import cli_runner, environment_for, one_line_error
from helpers import write_file


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[SeaweedServer]:
    """A server of this test's own, which the test stops."""
    server = SeaweedServer(workdir=tmp_path / "server").start()
    yield server
    server.kill()  # SIGKILL: the folder stays in tmp_path for a look, no clean stop needed (~2 s)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call with the endpoint the test uses: from then on MINIO_ENDPOINT is a recording proxy in front of
    it, so that the test can prove that offline did not even try (`proxy.counters.requests`)."""
    proxies: list[FaultProxy] = []

    def through(endpoint: str) -> FaultProxy:
        host, port = endpoint.rsplit(":", 1)
        proxy = FaultProxy(int(port), upstream_host=host, record=True).start()
        proxies.append(proxy)
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        return proxy
    yield through
    for proxy in proxies:
        proxy.stop()


def test_offline_pull_show_list_with_the_server_stopped(own_server, buckets, monkeypatch, tmp_path, wire):
    (tmp_path / "work").mkdir()
    env = environment_for(own_server, buckets, monkeypatch, tmp_path / "work")
    proxy = wire(own_server.endpoint)  # every request of the test crosses it: offline ones must not
    cli = cli_runner(env)
    v1 = write_file(tmp_path / "v1.pt", 50_000, seed=1)
    v2 = write_file(tmp_path / "v2.pt", 60_000, seed=2)
    assert cli("model", "register", str(v1), "--name", "cam", "--version", "1.0.0", "-m", "acc=0.9").exit_code == 0
    assert cli("model", "register", str(v2), "--name", "cam", "--version", "1.1.0", "-m", "acc=0.95").exit_code == 0
    assert cli("model", "register", str(v1), "--name", "gone", "--version", "1.0.0").exit_code == 0
    assert cli("model", "promote", "cam@1.1.0", "production").exit_code == 0
    # What this machine sees online: a listing, then a pull of production (which caches its file).
    online = cli("model", "list", "--json").jsonl()
    assert [r["version"] for r in online if r["model_name"] == "cam"] == ["1.1.0", "1.0.0"]
    assert online[0]["offline"] is None  # an online answer: not marked (the field is there, null)
    assert cli("model", "pull", "cam@production", "first.pt").exit_code == 0
    assert cli("model", "rm", "gone@1.0.0", "--yes").exit_code == 0  # forgotten offline too

    own_server.kill()  # gone (SIGKILL: a clean stop takes ~2 s and offline must not care how it went)
    online = proxy.counters.requests
    assert online > 0

    listed = cli("model", "list", "--offline", "--json")
    assert listed.exit_code == 0, listed
    records = listed.jsonl()
    assert [(r["model_name"], r["version"], r["aliases"]) for r in records] == [
        ("cam", "1.1.0", ["production"]), ("cam", "1.0.0", [])]
    assert all(r["offline"] is True and r["as_of"] and r["age_seconds"] >= 0 for r in records)
    assert records[0]["metrics"] == {"acc": 0.95}
    filtered = cli("model", "list", "cam", "--offline", "--where", "acc>0.92", "--json").jsonl()
    assert [r["version"] for r in filtered] == ["1.1.0"]
    human = cli("model", "list", "--offline")
    assert human.exit_code == 0 and "1.1.0" in human.stdout
    assert "offline: answered from the local cache as of" in human.stderr and "ago" in human.stderr

    shown = cli("model", "show", "cam@production", "--offline", "--json")
    assert shown.exit_code == 0, shown
    assert (shown.json()["version"], shown.json()["offline"]) == ("1.1.0", True)
    assert shown.json()["age_seconds"] >= 0

    pulled = cli("model", "pull", "cam@production", "offline.pt", "--json", extra_env={"ITS_STORE_OFFLINE": "1"})
    assert pulled.exit_code == 0, pulled
    doc = pulled.json()
    assert (doc["version"], doc["cached_files"], doc["downloaded_bytes"], doc["offline"]) == ("1.1.0", 1, 0, True)
    assert (tmp_path / "work" / "offline.pt").read_bytes() == v2.read_bytes()
    latest = cli("model", "pull", "cam", "latest.pt", "--offline", "--json").json()
    assert latest["version"] == "1.1.0"

    assert cli("model", "list", "gone", "--offline", "--json").jsonl() == []  # its only version was removed
    # Known but never pulled: its manifest is known, its bytes are not. Nothing is written.
    not_cached = cli("model", "pull", "cam@1.0.0", "old.pt", "--offline")
    assert not_cached.exit_code == 69 and "not in the local cache" in one_line_error(not_cached)
    assert not (tmp_path / "work" / "old.pt").exists()
    for args in (["model", "pull", "never@1.0.0", "--offline"], ["model", "show", "cam@staging", "--offline"],
                 ["model", "pull", "gone@1.0.0", "--offline"], ["model", "show", "cam@2.0.0", "--offline"],
                 ["model", "list", "nothing", "--offline"]):
        run = cli(*args)
        assert run.exit_code == 69, (args, run)
        assert "never seen online" in one_line_error(run)
        assert "hint" in run.stderr or "while the server is reachable" in run.stderr
    as_json = cli("model", "pull", "never@1.0.0", "--offline", "--json")
    assert as_json.exit_code == 69 and as_json.json()["error"]["code"] == "not_cached_offline"
    assert "while the server is reachable" in as_json.json()["error"]["hint"]
    assert proxy.counters.requests == online  # offline did not even try the server


def test_offline_never_online_and_unroutable_endpoint(env, monkeypatch, tmp_path, wire):
    """A fresh machine knows nothing; an endpoint that would hang is never contacted."""
    proxy = wire("10.255.255.1:9000")  # unroutable: a request would hang, then fail
    monkeypatch.setenv("ITS_STORE_OFFLINE", "1")
    cli = cli_runner(env)
    run = cli("model", "list", "--json")
    assert run.exit_code == 69 and run.json()["error"]["code"] == "not_cached_offline"
    from its_store import ModelRegistry, StorageService, load_settings
    from its_store.core.errors import NotCachedError
    svc = StorageService(load_settings())
    reg = ModelRegistry(svc)
    assert reg.offline is True
    with pytest.raises(NotCachedError):
        reg.get_model("cam", "production", tmp_path / "x.pt")
    assert not svc.ctx.s3_opened and not (tmp_path / "x.pt").exists()  # no S3 client built at all
    assert proxy.counters.requests == 0


def test_offline_cache_follows_what_online_commands_see(service, buckets, tmp_path: Path):
    """A version added after the last listing is unknown offline until seen; a moved alias is followed."""
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    src = write_file(tmp_path / "a.pt", 1000, seed=3)
    (tmp_path / "card.md").write_text("# follow\n\nNight-time traffic detector.\n")
    for version in ("1.0.0", "1.0.1"):
        reg.register_model(src, "follow", version, card=tmp_path / "card.md")
    reg.promote("follow", "1.0.0", "production")
    reg.list_models("follow")
    other = write_file(tmp_path / "b.pt", 2000, seed=4)
    reg.register_model(other, "follow", "1.0.2")
    offline = ModelRegistry(service, offline=True)
    assert [r["version"] for r in offline.list_models("follow")] == ["1.0.1", "1.0.0"]
    assert offline.show_model("follow")["version"] == "1.0.1"  # latest as last listed
    assert offline.show_model("follow", "1.0.0")["card"] is None  # never shown online: not known
    assert reg.show_model("follow", "1.0.0")["card"].startswith("# follow")
    reg.list_models("follow")  # a listing keeps the card it did not read
    assert offline.show_model("follow", "1.0.0")["card"] == "# follow\n\nNight-time traffic detector.\n"
    reg.promote("follow", "1.0.2", "production")  # seen by this machine as it makes the change
    assert offline.show_model("follow", "production")["version"] == "1.0.2"
    reg.get_model("follow", "production", tmp_path / "p.pt")
    pulled = offline.get_model("follow", "production", tmp_path / "q.pt")
    assert hashlib.sha256((tmp_path / "q.pt").read_bytes()).hexdigest() == pulled["sha256"]
    reg.list_models()  # a full listing now knows 1.0.2
    assert [r["version"] for r in offline.list_models("follow")] == ["1.0.2", "1.0.1", "1.0.0"]
