"""Named remotes (issue 23), second attack: what was still kept per address alone when two remotes share one
behind two proxies, the default endpoint's broken settings stopping commands on a remote, a health check
that waited a whole read timeout, `remote add` asking for the secret before refusing the rest, TLS options
on an http:// remote, and a proxy URL's query (a token) shown in clear.

No real S3 server: tests/faultserver.py (and tests/faultproxy.py as the forward proxy of each depot).
No timing: a held answer waits on an Event the test releases; the health deadline is a setting made small.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from faultserver import FakeObject, FaultServer

from its_store.core import errors as E
from its_store.core.settings import Settings

from conftest import cli_runner, one_line_error
from helpers import closed_port

SECRET = "hostile-Secret-4b1d"
TOKEN = "tok-5e3a9c"
HOLD = 8.0  # seconds a held answer waits at most: a safety net, the check under test gives up long before




def remote_env(monkeypatch: pytest.MonkeyPatch, name: str, **fields: str) -> None:
    for field, value in fields.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{name.upper()}_{field.upper()}", value)


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty XDG_CONFIG_HOME, no ITS_STORE_REMOTE_* or MINIO_* from outside, a dead default endpoint,
    local state under the test's folder; returns the path remotes.toml will have."""
    for name in list(os.environ):
        if name.startswith(("ITS_STORE_REMOTE_", "MINIO_")) or name.upper() in ("HTTP_PROXY", "HTTPS_PROXY",
                                                                                "NO_PROXY", "REDIS_URL"):
            monkeypatch.delenv(name)
    home, state = tmp_path / "config", tmp_path / "state"
    for name, value in {"XDG_CONFIG_HOME": str(home), "MINIO_ENDPOINT": f"127.0.0.1:{closed_port()}",
                        "MINIO_ACCESS_KEY": "default-ak", "MINIO_SECRET_KEY": "default-sk", "MINIO_MAX_RETRIES": "0",
                        "MINIO_CACHE_DIR": str(state / "cache"), "MINIO_AUDIT_LOG": str(state / "audit.log")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "key").write_text(SECRET + "\n")
    return home / "its-store" / "remotes.toml"


@pytest.fixture
def cli(config: Path) -> Any:
    return cli_runner({"MINIO_SECRET_KEY": SECRET})


@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch, config: Path) -> Iterator[FaultServer]:
    """The remote `edge`: the fake S3 with bucket `bkt` holding k."""
    with FaultServer(buckets=("bkt",)) as server:
        server.put_object("bkt", "k", FakeObject(b"kk"))
        remote_env(monkeypatch, "edge", endpoint=f"http://{server.endpoint}", access_key="ak", secret_key="edge-sk")
        yield server


@pytest.fixture
def depots() -> Iterator[tuple[FaultServer, FaultServer, FaultProxy, FaultProxy]]:
    """Two stores behind two forward proxies: cloned edge boxes, one LAN address, a proxy each."""
    one, two = FaultServer(buckets=("bkt",)).start(), FaultServer(buckets=("bkt",)).start()
    p1, p2 = (FaultProxy(int(s.endpoint.rpartition(":")[2])).start() for s in (one, two))
    try:
        yield one, two, p1, p2
    finally:
        for thing in (p1, p2, one, two):
            thing.stop()


def depot(proxy: FaultProxy | None, tmp_path: Path) -> Settings:
    """Settings (built in code) of the box at depot.invalid:9000 reached through `proxy` (None: directly)."""
    return Settings(endpoint="depot.invalid:9000", access_key="minioadmin", secret_key="minioadmin", max_retries=0,
                    http_proxy=f"http://{proxy.endpoint}" if proxy else None, cache_dir=tmp_path / "cache",
                    audit_log=tmp_path / "audit.log")


# -- 1. state kept per endpoint is kept per server (endpoint + proxy) ------------------------------------------

def test_state_of_two_boxes_behind_two_proxies_is_kept_apart(tmp_path: Path, depots: Any) -> None:
    """The metadata cache was keyed by endpoint + proxy, but the upload journal, the watch journal, the sync
    state, the registry's offline copy and document memo, the cross-endpoint test and the object-lock memo
    were keyed by the address alone: box 2 resumed box 1's multipart upload, watched into box 1's journal,
    and wrote to box 2 after box 1's bucket was seen locked (the lock never checked there)."""
    from its_store import StorageService
    from its_store.registry.docs import RegistryDocs
    from its_store.registry.offline import OfflineStore
    from its_store.service.context import Context
    from its_store.service.lockcheck import LockCheck, require_bucket_lock
    from its_store.service.xcopy import is_cross
    from its_store.sync.engine import open_state
    from its_store.sync.watch import Watcher
    one, _two, p1, p2 = depots
    s1, s2 = depot(p1, tmp_path), depot(p2, tmp_path)
    c1, c2 = Context(s1), Context(s2)
    c1.journal().save("bkt", "big", {"upload_id": "u-1"})
    assert c1.journal().load("bkt", "big") is not None and c2.journal().load("bkt", "big") is None
    assert OfflineStore(s1, "models").root != OfflineStore(s2, "models").root
    assert open_state(c1).endpoint != open_state(c2).endpoint
    assert is_cross(c1, c2)
    (tmp_path / "cam").mkdir()
    with StorageService(s1) as svc1, StorageService(s2) as svc2:
        folders = {Watcher(svc, tmp_path / "cam", "bkt").journal.folder for svc in (svc1, svc2)}
    assert len(folders) == 2

    asked: list[str] = []

    class Memo:  # the registry's in-process document memo, recording what it is asked for
        def get(self, key: str) -> Any:
            asked.append(key)
            return {"cached": True}

        def set(self, key: str, value: Any) -> None:
            raise AssertionError("nothing is fetched here")

    for ctx in (c1, c2):
        RegistryDocs(ctx, "models", cache=Memo()).fetch("m/1/manifest.json", "etag-1")
    assert len(set(asked)) == 2

    one.locked.add("bkt")
    lock = LockCheck(mode="GOVERNANCE", retain_until=datetime.now(UTC) + timedelta(days=1))
    require_bucket_lock(c1, "bkt", lock)
    with pytest.raises(E.ObjectLockNotEnabledError):
        require_bucket_lock(c2, "bkt", lock)
    for ctx in (c1, c2):
        ctx.close()


def test_without_a_proxy_the_state_keys_are_what_they_were(tmp_path: Path) -> None:
    """No migration: for settings without a proxy the server is the endpoint, so journals, the sync state
    and the offline copy written before are found where they were (their keys pinned here)."""
    from its_store.registry.offline import OfflineStore
    from its_store.service.context import Context
    from its_store.sync.engine import open_state
    from its_store.sync.watch_journal import journal_dir
    settings = depot(None, tmp_path)
    assert settings.server_id() == settings.endpoint == "depot.invalid:9000"
    ctx = Context(settings)
    ctx.journal().save("bkt", "big", {"upload_id": "u-1"})
    digest = hashlib.sha256(b"depot.invalid:9000\0bkt\0big").hexdigest()[:32]
    assert (tmp_path / "cache" / "uploads" / f"{digest}.json").is_file()
    assert OfflineStore(settings, "models").root.name == hashlib.sha256(b"depot.invalid:9000/models").hexdigest()[:16]
    assert open_state(ctx).endpoint == "http://depot.invalid:9000"
    folder = journal_dir(tmp_path, settings.server_id(), tmp_path, "bkt", "p/")
    assert folder == journal_dir(tmp_path, "depot.invalid:9000", tmp_path, "bkt", "p/")
    ctx.close()


def test_the_audit_line_names_the_remote_and_its_proxy(config: Path, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                       depots: Any) -> None:
    """An audit line said only `endpoint`: two boxes at one address were one in the log. A remote's line
    adds `remote` (its name) and, reached through a proxy, `server` (endpoint via the proxy's origin, no
    password); the default endpoint's lines are as they were."""
    _one, _two, p1, p2 = depots
    for name, proxy in (("d1", p1), ("d2", p2)):
        remote_env(monkeypatch, name, endpoint="depot.invalid:9000", access_key="minioadmin",
                   secret_key="minioadmin", proxy=f"http://depot:pw-0b7e@{proxy.endpoint}")
    for name in ("d1", "d2"):
        assert cli("upload", "-", f"{name}:bkt/k", input=b"x").exit_code == 0
    run = cli("audit", "tail", "--json")
    lines = [line for line in run.jsonl() if line["operation"] == "upload"]
    assert [(line["endpoint"], line["remote"]) for line in lines] == [("depot.invalid:9000", "d1"),
                                                                      ("depot.invalid:9000", "d2")]
    assert [line["server"] for line in lines] == [f"depot.invalid:9000 via http://{p.endpoint}" for p in (p1, p2)]
    assert "pw-0b7e" not in run.stdout


# -- 2. a command on a remote does not need the default endpoint's connection settings ---------------------------

def test_a_broken_default_endpoint_does_not_stop_a_remote(edge: FaultServer, cli: Any) -> None:
    """MINIO_SECRET_KEY_FILE naming a missing file, or a MINIO_ENDPOINT with user info, stopped every command on
    a remote (78), though a remote replaces every one of those settings. The default endpoint's own settings
    are not read for a command whose locations are all a remote's; the rest of MINIO_* still is."""
    broken = [{"MINIO_SECRET_KEY_FILE": str(Path("no-such.key").absolute())}, {"MINIO_ENDPOINT": "http://u:p@h:1"},
              {"MINIO_SECURE": "maybe"}, {"MINIO_CA_BUNDLE": "/no/such/ca.pem", "MINIO_SECURE": "true"},
              {"MINIO_ENDPOINT_BWLIMIT": "10KB"}]
    for env in broken:
        for args in (["ls", "edge:bkt"], ["stat", "edge:bkt/k"], ["remote", "test", "edge"]):
            run = cli(*args, extra_env=env)
            assert run.exit_code == 0, (env, args, run)
        default = cli("ls", "s3://bkt", extra_env=env)  # the default endpoint's, still read and checked there
        assert default.exit_code != 0 and "MINIO_" in one_line_error(default), (env, default)
    bad_other = cli("ls", "edge:bkt", extra_env={"MINIO_MAX_WORKERS": "many"})
    assert bad_other.exit_code == E.EXIT_CONFIG and "MINIO_MAX_WORKERS" in one_line_error(bad_other), bad_other


# -- 3. remote test (and health) give up after a short deadline -------------------------------------------------

def test_remote_test_of_a_hanging_server_gives_up_after_the_health_timeout(edge: FaultServer, cli: Any) -> None:
    """A server that accepts the connection and never answers held `remote test` for the whole read timeout
    (60 s), then again for each retry. The check waits MINIO_HEALTH_TIMEOUT (made small here) per request
    and retries nothing: unhealthy, exit 69, one ListBuckets sent."""
    release = threading.Event()

    def hold(server: FaultServer, request: Any, conn: Any) -> bool:
        release.wait(HOLD)
        return False  # then answered as usual

    edge.handler = hold
    try:
        for args in (["remote", "test", "edge", "--json"], ["health", "--json"]):
            before = len(edge.requests)
            env = {"MINIO_HEALTH_TIMEOUT": "0.3", "MINIO_MAX_RETRIES": "3"}
            if args[0] == "health":
                env["MINIO_ENDPOINT"] = edge.endpoint
            run = cli(*args, extra_env=env)
            assert run.exit_code == E.EXIT_UNAVAILABLE, (args, run)
            report = run.json()
            assert report["status"] == "unhealthy" and "timed out" in report["checks"]["endpoint"]["detail"], report
            assert len(edge.requests) - before == 1, edge.requests[before:]
    finally:
        release.set()


def test_the_public_access_checks_stop_at_the_health_deadline(edge: FaultServer, cli: Any) -> None:
    """A server that lists its buckets but holds GET ?policy: one bucket's policy after another was waited
    for (4 x the read timeout). After the deadline the rest are unknown, said so, without a request."""
    from fakes3 import s3_call
    release = threading.Event()
    buckets = ("its-camera-ai", "its-video", "its-models", "its-logs")
    edge.buckets.update(buckets)

    def hold_policy(server: FaultServer, request: Any, conn: Any) -> bool:
        if s3_call(request) == "GetBucketPolicy":
            release.wait(HOLD)
        return False

    edge.handler = hold_policy
    try:
        run = cli("remote", "test", "edge", "--json", extra_env={"MINIO_HEALTH_TIMEOUT": "0.3"})
    finally:
        release.set()
    assert run.exit_code == 0, run
    report = run.json()
    assert report["status"] == "healthy" and sorted(report["public_unknown"]) == sorted(buckets), report
    assert sum("deadline" in why for why in report["public_unknown"].values()) == 3, report
    assert len(edge.seen(predicate=lambda r: s3_call(r) == "GetBucketPolicy")) == 1


def test_the_health_timeout_is_a_checked_setting(config: Path, cli: Any) -> None:
    from its_store.core.settings import load_settings
    assert load_settings().health_timeout == 5.0
    for bad in ("0", "-1", "soon", "inf"):
        run = cli("config", extra_env={"MINIO_HEALTH_TIMEOUT": bad})
        assert run.exit_code == E.EXIT_CONFIG and "MINIO_HEALTH_TIMEOUT" in one_line_error(run), (bad, run)
    assert cli("config", "--json", extra_env={"MINIO_HEALTH_TIMEOUT": "2.5"}).json()["MINIO_HEALTH_TIMEOUT"] == 2.5


# -- 4. remote add checks everything but the secret before asking for it ------------------------------------------

def test_remote_add_refuses_the_rest_before_asking_for_the_secret(config: Path, cli: Any) -> None:
    """The name's being taken (and a bad --region, --proxy or --bwlimit) was found only after the secret was
    read: typed at the prompt for nothing, or, without a terminal, refused as 'no terminal to ask for the
    secret key on' instead of the real mistake."""
    assert cli("remote", "add", "edge", "http://h:1", "--access-key", "a", "--secret-key-file", "key").exit_code == 0
    before = config.read_bytes()
    taken = cli("remote", "add", "edge", "http://h:2", "--access-key", "a")  # no terminal: no secret to be had
    assert taken.exit_code == E.EXIT_CONFLICT and "exists" in one_line_error(taken), taken
    for option, says in (("--region", "region"), ("--proxy", "proxy"), ("--bwlimit", "bwlimit")):
        run = cli("remote", "add", "x", "http://h:1", "--access-key", "a", option, "bad value")
        assert run.exit_code == E.EXIT_USAGE and says in one_line_error(run) and "terminal" not in run.stderr, run
    spaced = cli("remote", "add", "x", "http://h:1", "--access-key", "a b")
    assert spaced.exit_code == E.EXIT_USAGE and "access key" in one_line_error(spaced), spaced
    assert config.read_bytes() == before


# -- 5. TLS options on an http:// remote ------------------------------------------------------------------------

def test_tls_options_on_an_http_remote_are_refused(config: Path, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """--no-verify-tls and --ca-bundle on an http:// URL were stored and silently meant nothing (a user who
    thought the link was TLS with a private CA was told nothing). Refused like contradicting flags (2); in
    the file or the environment, 78 naming the setting."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    for extra in (["--no-verify-tls"], ["--ca-bundle", str(bundle)]):
        run = cli("remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", "key", *extra)
        assert run.exit_code == E.EXIT_USAGE and "https" in one_line_error(run) and extra[0] in run.stderr, run
        assert cli("remote", "add", "x", "https://h:1", "--access-key", "a", "--secret-key-file", "key", *extra,
                   "--replace").exit_code == 0
    remote_env(monkeypatch, "y", endpoint="h:1", access_key="a", secret_key="s", verify_tls="false")
    run = cli("ls", "y:bkt")
    assert run.exit_code == E.EXIT_CONFIG and "ITS_STORE_REMOTE_Y_VERIFY_TLS" in one_line_error(run), run


# -- 6. a proxy URL's query is no one's to see --------------------------------------------------------------------

def test_a_proxy_url_with_a_path_or_query_is_refused_and_never_shown(config: Path, cli: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`--proxy http://proxy:3128/?token=...` was stored and shown whole by `remote show`, `remote ls --json`
    and `config`. A proxy is scheme://[user:password@]host[:port]: a remote's is refused with a path or a
    query (2 from remote add, 78 from the environment), without repeating it; HTTP_PROXY (which other
    programs read too, and curl takes with a path) is shown with its query and path masked."""
    for proxy in (f"http://proxy:3128/?token={TOKEN}", f"http://proxy:3128/{TOKEN}", f"proxy:3128?{TOKEN}"):
        run = cli("remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", "key", "--proxy", proxy)
        assert run.exit_code == E.EXIT_USAGE and "path" in one_line_error(run) and TOKEN not in run.stderr, run
    assert not config.exists()
    assert cli("remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", "key",
               "--proxy", "http://proxy:3128/").exit_code == 0
    remote_env(monkeypatch, "y", endpoint="h:1", access_key="a", secret_key="s", proxy=f"http://proxy:1/?t={TOKEN}")
    for args in (["remote", "show", "y"], ["remote", "ls", "--json"], ["ls", "y:bkt"]):
        run = cli(*args)
        assert run.exit_code == E.EXIT_CONFIG and TOKEN not in run.stdout + run.stderr, (args, run)
    monkeypatch.delenv("ITS_STORE_REMOTE_Y_PROXY")
    monkeypatch.setenv("HTTP_PROXY", f"http://u:pw-77@proxy:3128/p/{TOKEN}?token={TOKEN}")
    for args in (["config"], ["config", "--json"]):
        run = cli(*args)
        assert run.exit_code == 0 and TOKEN not in run.stdout and "pw-77" not in run.stdout, run
        assert "proxy:3128" in run.stdout
