"""Named remotes (issue 23) attacked as someone else's input: hostile secret files and proxy URLs, two
remotes that differ only by their proxy, locations shown for a remote, whitespace around a location,
non-ASCII host names, garbage in remotes.toml and a config folder others may write.

No real S3 server: the fake of tests/faultserver.py (and tests/faultproxy.py as a forward proxy) where a
command must get as far as the network, nothing where it must not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from faultserver import FakeObject, FaultServer, s3_error

from its_store.core import errors as E

from conftest import cli_runner, one_line_error
from helpers import closed_port

SECRET = "hostile-Secret-4b1d"
PROXY_PASSWORD = "Proxy-Pw-93ac"




@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty XDG_CONFIG_HOME, no ITS_STORE_REMOTE_* or MINIO_* from outside, a dead default endpoint,
    local state under the test's folder; returns the path remotes.toml will have."""
    for name in list(os.environ):
        if name.startswith(("ITS_STORE_REMOTE_", "MINIO_")) or name.upper() in ("HTTP_PROXY", "HTTPS_PROXY",
                                                                                "NO_PROXY", "REDIS_URL"):
            monkeypatch.delenv(name)
    home = tmp_path.parent / f"{tmp_path.name}-config"
    state = tmp_path.parent / f"{tmp_path.name}-state"
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


def remote_env(monkeypatch: pytest.MonkeyPatch, name: str, **fields: str) -> None:
    for field, value in fields.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{name.upper()}_{field.upper()}", value)


# -- secret key files -------------------------------------------------------------------------------------

@pytest.fixture
def not_secret_files(tmp_path: Path) -> dict[str, Path]:
    """Files no secret key is read from: each was read whole (a FIFO: waited on forever, /dev/zero: until
    memory ran out; a 5,000-byte file became a 5,000-byte key)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.key"
    huge.write_text("k" * 5000)
    return {"larger than 4096 bytes": huge, "named pipe (FIFO)": fifo, "character device": Path("/dev/null"),
            "a folder": tmp_path}


def test_secret_key_files_are_small_regular_files(config: Path, cli: Any, not_secret_files: dict[str, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote's secret_key_file, MINIO_SECRET_KEY_FILE and `remote add --secret-key-file`: one line each
    (78 for configuration, 2 for the command's input), read at most 4 KiB, never waited on."""
    from its_store.core.remotes import settings_for
    from its_store.core.settings import Settings, load_settings
    for says, path in not_secret_files.items():
        env = {"ITS_STORE_REMOTE_X_ENDPOINT": "h:1", "ITS_STORE_REMOTE_X_ACCESS_KEY": "a",
               "ITS_STORE_REMOTE_X_SECRET_KEY_FILE": str(path)}
        with pytest.raises(E.ConfigError, match=rf"remote x: cannot read its secret key file .*{re.escape(says)}"):
            settings_for("x", Settings(), environ=env, path=config)
        with pytest.raises(E.ConfigError, match=rf"MINIO_SECRET_KEY_FILE: cannot read .*{re.escape(says)}"):
            load_settings(secret_key_file=path)
        run = cli("remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", str(path))
        assert run.exit_code == E.EXIT_USAGE and says in one_line_error(run), run
        assert "--secret-key-stdin" in run.stderr
    assert not config.parent.exists()


def test_a_bom_is_no_part_of_a_secret_key(config: Path, tmp_path: Path) -> None:
    """A key file saved by Notepad starts with a UTF-8 BOM: it was kept in the key, which then signed
    nothing ('access denied', the server blamed) or was refused as not printable by remote add."""
    from its_store.core.remotes import settings_for
    from its_store.core.settings import Settings, load_settings
    key = tmp_path / "bom.key"
    key.write_bytes(b"\xef\xbb\xbf" + SECRET.encode() + b"\r\n")
    env = {"ITS_STORE_REMOTE_X_ENDPOINT": "h:1", "ITS_STORE_REMOTE_X_ACCESS_KEY": "a",
           "ITS_STORE_REMOTE_X_SECRET_KEY_FILE": str(key)}
    assert settings_for("x", Settings(), environ=env, path=config).secret_key.get_secret_value() == SECRET
    assert load_settings(secret_key_file=key).secret_key.get_secret_value() == SECRET


# -- proxies -----------------------------------------------------------------------------------------------

def test_a_proxy_password_without_a_scheme_is_masked(config: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`user:pw@host:port` (no http://) is how proxies are often written: urlsplit reads no password there,
    and `remote add --json`, `remote show` and `config` printed it."""
    proxy = f"depot:{PROXY_PASSWORD}@proxy.depot:3128"
    saved = cli("remote", "add", "edge", "http://h:1", "--access-key", "a", "--secret-key-file", "key",
                "--proxy", proxy, "--json")
    assert saved.exit_code == 0, saved
    assert saved.json()["proxy"] == "depot:********@proxy.depot:3128"
    for args in (["remote", "show", "edge"], ["remote", "show", "edge", "--json"], ["remote", "ls", "--json"]):
        run = cli(*args)
        assert run.exit_code == 0 and PROXY_PASSWORD not in run.stdout + run.stderr, (args, run)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    for args in (["config"], ["config", "--json"]):
        run = cli(*args)
        assert run.exit_code == 0 and PROXY_PASSWORD not in run.stdout + run.stderr, (args, run)
    monkeypatch.setenv("HTTP_PROXY", f"http://depot:{PROXY_PASSWORD}@[::1")  # does not parse: origin only
    run = cli("config")
    assert run.exit_code == 0 and PROXY_PASSWORD not in run.stdout + run.stderr, run


@pytest.mark.parametrize("proxy", [f"http://depot:{PROXY_PASSWORD}@[::1", f"http://depot:{PROXY_PASSWORD}@proxy:31 28",
                                   f"depot:{PROXY_PASSWORD}@proxy:port", "socks5://proxy:1080"])
def test_a_malformed_environment_proxy_is_one_config_line(config: Path, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                          proxy: str) -> None:
    """A remote's proxy is checked when read; HTTP_PROXY (which a remote without one of its own uses) was
    not: every command failed with 'unexpected LocationParseError/ValueError' (exit 1). Now 78, naming the
    variable, never its password; `config` still shows it; NO_PROXY bypassing it leaves it unused."""
    monkeypatch.setenv("HTTP_PROXY", proxy)
    remote_env(monkeypatch, "edge", endpoint="127.0.0.1:1", access_key="a", secret_key="s")
    for target in ("s3://bkt", "edge:bkt"):
        run = cli("ls", target)
        assert run.exit_code == E.EXIT_CONFIG, run
        assert one_line_error(run).startswith("its-store: error: HTTP_PROXY: the proxy URL"), run
        assert PROXY_PASSWORD not in run.stderr
    shown = cli("config")
    assert shown.exit_code == 0 and PROXY_PASSWORD not in shown.stdout, shown
    monkeypatch.setenv("NO_PROXY", "*")
    assert cli("ls", "s3://bkt").exit_code == E.EXIT_UNAVAILABLE  # the dead default endpoint, reached directly


@pytest.fixture
def two_depots() -> Iterator[tuple[FaultServer, FaultServer, FaultProxy, FaultProxy]]:
    """Two stores behind two forward proxies: one at each depot."""
    one, two = FaultServer(buckets=("bkt",)).start(), FaultServer(buckets=("bkt",)).start()
    p1, p2 = (FaultProxy(int(s.endpoint.rpartition(":")[2])).start() for s in (one, two))
    try:
        yield one, two, p1, p2
    finally:
        for thing in (p1, p2, one, two):
            thing.stop()


def test_two_remotes_told_apart_only_by_their_proxies(config: Path, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                       two_depots: tuple[FaultServer, FaultServer, FaultProxy,
                                                                         FaultProxy]) -> None:
    """Cloned edge boxes: one LAN address, the same keys, a proxy each. They are two endpoints: `cp` between
    them was a server-side copy inside the first box (exit 0, nothing reached the second), and `stat` on
    the second answered from what the first had put in the metadata cache."""
    one, two, p1, p2 = two_depots
    one.put_object("bkt", "k", FakeObject(b"only-on-one"))
    for name, proxy in (("d1", p1), ("d2", p2)):
        remote_env(monkeypatch, name, endpoint="depot.invalid:9000", access_key="minioadmin",
                   secret_key="minioadmin", proxy=f"http://{proxy.endpoint}")
    assert cli("stat", "d1:bkt/k").exit_code == 0
    missing = cli("stat", "d2:bkt/k")
    assert missing.exit_code == E.EXIT_NOT_FOUND, missing
    copy = cli("cp", "d1:bkt/k", "d2:bkt/k2")
    assert copy.exit_code == 0, copy  # streamed from one box to the other, not copied inside the first
    assert sorted(one.objects) == [("bkt", "k")] and sorted(two.objects) == [("bkt", "k2")]
    assert two.objects[("bkt", "k2")].data == b"only-on-one"



# -- what a command shows of a remote's location ------------------------------------------------------------

@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch, config: Path) -> Iterator[FaultServer]:
    """The remote `edge`: the fake S3 with bucket `bkt` holding p/a and p/b."""
    with FaultServer(buckets=("bkt",)) as server:
        server.put_object("bkt", "p/a", FakeObject(b"aa"))
        server.put_object("bkt", "p/b", FakeObject(b"bbb"))
        remote_env(monkeypatch, "edge", endpoint=f"http://{server.endpoint}", access_key="ak", secret_key="edge-sk")
        yield server


def test_a_remotes_locations_are_shown_as_the_remotes(edge: FaultServer, cli: Any) -> None:
    """`s3://B/K` is the default endpoint's: printed for a remote's object (stat, upload, du, rm --dry-run,
    errors), it named another store's object once pasted into the next command; and a hint naming
    MINIO_ACCESS_KEY sent the user to the default endpoint's keys."""
    shown = [cli("stat", "edge:bkt/p/a"), cli("upload", "-", "edge:bkt/p/c", input=b"c"),
             cli("du", "edge:bkt/p/"), cli("rm", "edge:bkt/p/", "-r", "--dry-run")]
    for run in shown:
        assert run.exit_code == 0, run
        assert "edge:bkt/p/" in run.stdout + run.stderr and "s3://" not in run.stdout + run.stderr, run
    missing = cli("stat", "edge:bkt/p/zz")
    assert missing.exit_code == E.EXIT_NOT_FOUND and "object not found: edge:bkt/p/zz" in one_line_error(missing)
    edge.handler = lambda server, request, conn: bool(conn.send(s3_error(403, "SignatureDoesNotMatch", "no")) or True)
    denied = cli("ls", "edge:bkt")
    line = one_line_error(denied)
    assert denied.exit_code == E.EXIT_ACCESS and "edge:bkt" in line and "remote edge's secret_key" in line, denied
    assert "MINIO_" not in line and "s3://" not in line
    # the default endpoint's own error, on its own location (on a remote's it is not read: test_attack23b.py)
    bad_default = cli("ls", "s3://bkt", extra_env={"MINIO_ENDPOINT": "http://u:p@h:1"})
    assert "MINIO_ENDPOINT: user info" in one_line_error(bad_default), bad_default


def test_a_location_is_taken_as_written(edge: FaultServer, cli: Any) -> None:
    """A space at the end of a location is the key's (S3 allows it; other clients store such keys): it was
    stripped, so `rm 'edge:bkt/p/a '` deleted p/a and `upload - 'edge:bkt/p/b '` overwrote p/b. A space
    before the bucket makes the location invalid, never another one."""
    edge.put_object("bkt", "p/a ", FakeObject(b"spaced"))
    assert cli("rm", "edge:bkt/p/a ").exit_code == 0
    assert cli("upload", "-", "edge:bkt/p/b ", input=b"new").exit_code == 0
    assert sorted(edge.objects) == [("bkt", "p/a"), ("bkt", "p/b"), ("bkt", "p/b ")]
    assert edge.objects[("bkt", "p/b")].data == b"bbb"
    for text in ("edge: bkt/p/a", " s3://bkt/p/a", "s3:// bkt/p/a"):
        run = cli("rm", text)
        assert run.exit_code == E.EXIT_USAGE, (text, run)
    assert ("bkt", "p/a") in edge.objects


@pytest.mark.parametrize("host", ["l\u043ecalhost", "m\u00fcnchen.de", "\uff45dge-07"])
def test_a_host_name_is_ascii(config: Path, cli: Any, host: str) -> None:
    """A non-ASCII host passed the check (str.isalnum), was stored, and every later use failed with 'a header
    value is not ASCII' (exit 2, as if the command were wrong); a Cyrillic 'о' in 'localhost' looks like
    the real one in `remote ls`. Refused where it is given, with the character spelled out."""
    from its_store.core.settings import load_settings
    run = cli("remote", "add", "edge", f"http://{host}:9000", "--access-key", "a", "--secret-key-file", "key")
    assert run.exit_code == E.EXIT_USAGE and "ASCII" in one_line_error(run), run
    assert not config.parent.exists()
    with pytest.raises(E.ConfigError, match="ASCII"):
        load_settings(endpoint=f"{host}:9000")


# -- the remotes file and its folder ----------------------------------------------------------------------------

def write_remotes(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_file_nested_too_deeply_is_one_config_line(config: Path) -> None:
    """tomllib recurses per level: 5,000 '[' made 'unexpected RecursionError' (exit 1)."""
    from its_store.core.remotes import load_remotes, names
    path = write_remotes(config, "x = " + "[" * 5000)
    with pytest.raises(E.ConfigError, match="nested too deeply"):
        load_remotes({}, path)
    assert names({}, path) == []


@pytest.mark.parametrize("change", ["world-writable", "group-writable", "another user's"])
def test_a_folder_others_may_write_is_refused(config: Path, cli: Any, change: str) -> None:
    """ssh's rule for ~/.ssh: whoever may write the folder can swap remotes.toml for a link to a file of
    their choosing, or put a link where `remote add` makes its lock file. Reading and writing were both
    done as if the folder were private."""
    write_remotes(config, '[remotes.edge]\nendpoint = "h:1"\naccess_key = "a"\n')
    folder = config.parent
    if change == "another user's":
        os.chown(folder, 4242, 4242)
        folder.chmod(0o755)
    else:
        folder.chmod(0o777 if change == "world-writable" else 0o770)
    before = sorted(p.name for p in folder.iterdir())
    for args in (["remote", "ls"], ["ls", "edge:bkt"],
                 ["remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", "key"]):
        run = cli(*args)
        assert run.exit_code == E.EXIT_CONFIG, (args, run)
        assert str(folder) in one_line_error(run) and ("another user" in run.stderr or "chmod 700" in run.stderr)
    assert sorted(p.name for p in folder.iterdir()) == before and "x" not in config.read_text()


def test_errors_about_a_long_name_stay_short(config: Path, cli: Any) -> None:
    """A 5,000-character remote name (in a location, in remote add, in remotes.toml) was repeated whole:
    one error line of 10 KB. It is cut, and says how long it was."""
    long = "a" * 5000
    write_remotes(config, f"[remotes.{long}]\nendpoint = 'h:1'\n")
    for args in (["ls", f"{long}:bkt"], ["remote", "add", long, "http://h:1", "--access-key", "a",
                                        "--secret-key-file", "key"], ["remote", "ls"]):
        line = one_line_error(cli(*args))
        assert len(line) < 500 and "(5000 characters)" in line, (args, line[:300])


def test_a_ca_bundle_that_is_no_file_is_one_config_line(edge: FaultServer, cli: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote's ca_bundle (or MINIO_CA_BUNDLE) naming a FIFO hung the first TLS handshake forever; a folder
    failed it as 'TLS with the endpoint failed' (69: the server blamed). Both are 78 before any connection;
    `remote add --ca-bundle` says what the path is, not 'no such file'."""
    fifo = tmp_path / "ca.fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", f"https://{edge.endpoint}")  # it accepts TCP
    for bundle in (tmp_path, fifo):
        monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_CA_BUNDLE", str(bundle))
        run = cli("ls", "edge:bkt")
        assert run.exit_code == E.EXIT_CONFIG, run
        assert "remote edge: its ca_bundle" in one_line_error(run) and "not a PEM file" in run.stderr
    added = cli("remote", "add", "x", "https://h:1", "--access-key", "a", "--secret-key-file", "key",
                "--ca-bundle", str(fifo))
    assert added.exit_code == E.EXIT_USAGE and "not a regular file" in one_line_error(added), added
