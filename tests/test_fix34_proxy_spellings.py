"""Session 34, fix: one proxy written two ways is one proxy (Settings.server_id's `via ...` part).

server_id is the endpoint in one spelling (core/netloc.same_server_netloc) and, when requests go through a proxy,
` via ` that proxy: it was kept as written (core/netloc.shown_origin), so `HTTP://127.0.0.1:03128/` and
`http://127.0.0.1:3128` were two servers to service/xcopy.is_cross (a copy streamed through this process, its
cache and journals kept twice) and, past the CLI's lower-casing, to `sync`/`cp`/`mv` between two remotes: nested
prefixes on one server were not refused as an overlap when the first object cannot be read (SSE-C), and the run
failed with exit 1. Now the proxy is in one spelling too (core/netloc.same_proxy_origin), compared in one place.
Real SeaweedFS reached through tests/faultproxy.py as a forward proxy; no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_fix34_one_server_spellings import sealed  # noqa: F401 (a fixture)

from conftest import as_two_remotes, one_line_error, unique

PROXY_SPELLINGS = {
    "case": ("http://127.0.0.1:{port}", "HTTP://127.0.0.1:{port}/"),
    "port-digits": ("http://127.0.0.1:{port}", "http://127.0.0.1:0{port}"),
}


@pytest.mark.parametrize(("one", "two"), [
    ("http://Proxy.Lan:3128", "HTTP://proxy.lan:03128/"), ("http://proxy.", "http://proxy:80"),
    ("https://u:pw@proxy:443", "HTTPS://proxy"), ("http://[0:0::1]:3128", "http://[::1]:3128"),
])
def test_spellings_of_one_proxy_are_one_server(one: str, two: str) -> None:
    from its_store.core.settings import Settings
    a, b = (Settings(endpoint="http://10.0.0.9:9000", http_proxy=p, no_proxy="") for p in (one, two))
    assert a.server_id() == b.server_id() and " via " in a.server_id()


@pytest.mark.parametrize("two", ["http://proxy:3129", "http://proxy2:3128", "https://proxy:3128"])
def test_other_proxies_stay_other_servers(two: str) -> None:
    from its_store.core.settings import Settings
    a, b = (Settings(endpoint="http://10.0.0.9:9000", http_proxy=p, no_proxy="") for p in ("http://proxy:3128", two))
    assert a.server_id() != b.server_id()


def test_the_usual_proxy_spelling_keeps_its_server_id() -> None:
    """The state kept per server is keyed by server_id: a proxy written the usual way keeps the key it had."""
    from its_store.core.settings import Settings
    s = Settings(endpoint="http://10.0.0.9:9000", http_proxy="http://u:pw@proxy.lan:3128", no_proxy="")
    assert s.server_id() == "10.0.0.9:9000 via http://proxy.lan:3128"


@pytest.fixture(params=sorted(PROXY_SPELLINGS))
def proxied(request: pytest.FixtureRequest, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Any:
    """The session's SeaweedFS as remotes `num` and `name`, each reached through one forward proxy written two ways."""
    proxy = FaultProxy(int(env["MINIO_ENDPOINT"].rpartition(":")[2]), record=True).start()
    as_two_remotes(env, monkeypatch, tmp_path, "http://127.0.0.1:{port}", "http://127.0.0.1:{port}")
    port = proxy.endpoint.rpartition(":")[2]
    for remote, url in zip(("NUM", "NAME"), PROXY_SPELLINGS[request.param], strict=True):
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_PROXY", url.format(port=port))
    yield proxy
    proxy.stop()


def test_is_cross_sees_one_proxy(proxied: Any) -> None:
    """The library's test of 'another store': the two remotes are one (a copy between them stays on the server)."""
    from its_store.core.remotes import settings_for
    from its_store.core.settings import Settings
    from its_store.service.context import Context
    from its_store.service.xcopy import is_cross
    base = Settings()
    a, b = settings_for("num", base), settings_for("name", base)
    assert a.proxy() != b.proxy()  # written two ways
    assert not is_cross(Context(a), Context(b))


@pytest.mark.parametrize("args", [("sync", "num:{b}/p/", "name:{b}/", "--delete"),
                                  ("cp", "-r", "num:{b}/", "name:{b}/p/")], ids=["sync-delete", "cp-r"])
def test_nested_prefixes_through_one_proxy_are_an_overlap(cli: Any, service: Any, proxied: Any,
                                                          sealed: tuple[str, Path], args: tuple[str, ...]) -> None:  # noqa: F811
    bucket, _ = sealed
    before = sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True))
    run = cli(*(a.format(b=bucket) for a in args))
    assert run.exit_code == 2 and "overlap" in one_line_error(run), run
    assert sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True)) == before


def test_cp_between_two_spellings_of_one_proxy_copies_on_the_server(cli: Any, service: Any, proxied: Any) -> None:
    """One store: the copy is a server-side copy (a PUT with x-amz-copy-source), the bytes never come through
    this process (no GET of the source); two stores would have streamed it."""
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    assert cli("upload", "-", f"s3://{bucket}/a.jpg", input=b"one frame").exit_code == 0
    run = cli("cp", f"num:{bucket}/a.jpg", f"name:{bucket}/b.jpg")
    assert run.exit_code == 0, run
    sent = [(s.method, "x-amz-copy-source" in s.headers) for s in proxied.seen
            if not s.query and s.path.endswith(("/a.jpg", "/b.jpg"))]
    assert ("PUT", True) in sent and ("GET", False) not in sent, sent
    got = cli("get", f"s3://{bucket}/b.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"one frame", got
