"""Named remotes (issue 23): `remote add|ls|show|rm|test`, remotes.toml and ITS_STORE_REMOTE_* variables,
and NAME:BUCKET/KEY wherever a location is accepted.

The end-to-end tests point remotes at the session's SeaweedFS while the default endpoint (MINIO_*) is a
closed port with other keys: a command that used the default endpoint instead of the remote its location
names fails, and a command that never read the remote's name would not say "unknown remote".
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.core.refs import RemoteRef

from conftest import Run, ServerInfo, cli_runner, environment_for, one_line_error
from helpers import DEADLINE, ROOT, closed_port, inside, named_by, run_cli_process, write_file

SECRET = "remote-Secret-7f3a9c"  # the secret of the test remotes that are not the server's




@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty XDG_CONFIG_HOME for the test, and no ITS_STORE_REMOTE_* from outside; returns the path
    remotes.toml will have."""
    home = tmp_path.parent / f"{tmp_path.name}-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("ITS_STORE_REMOTE_"):
            monkeypatch.delenv(name)
    return home / "its-store" / "remotes.toml"


@dataclass
class World:
    server: ServerInfo
    env: dict[str, str]
    cli: Any
    file: Path
    tmp: Path
    bucket: str


@pytest.fixture
def world(s3_server: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
          config: Path) -> World:
    """The default endpoint dead (a closed port, other keys, no retries); the remote `edge` defined by
    variables alone (systemd, CI), pointing at SeaweedFS with a secret key file."""
    env = environment_for(s3_server, buckets, monkeypatch, tmp_path)
    for name, value in {"MINIO_ENDPOINT": f"127.0.0.1:{closed_port()}", "MINIO_ACCESS_KEY": "default-ak",
                        "MINIO_SECRET_KEY": "default-sk", "MINIO_MAX_RETRIES": "0",
                        "MINIO_CONNECT_TIMEOUT": "2"}.items():
        monkeypatch.setenv(name, value)
    key_file = tmp_path.parent / f"{tmp_path.name}-edge.key"
    key_file.write_text(s3_server.secret_key + "\n")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", f"http://{s3_server.endpoint}")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ACCESS_KEY", s3_server.access_key)
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY_FILE", str(key_file))
    cli = cli_runner({**env, "MINIO_SECRET_KEY": s3_server.secret_key})  # the runner checks it never shows
    return World(s3_server, env, cli, config, tmp_path, f"{buckets['default']}-r")


def ok(run: Run) -> Run:
    assert run.exit_code == 0, run
    return run


# -- addressing (no server) ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,local_ok,expected", [
    ("s3://bkt/a/b.jpg", False, (None, "bkt", "a/b.jpg", None)),
    ("bkt/a", False, (None, "bkt", "a", None)),
    ("bkt/a", True, (None, None, None, "bkt/a")),           # as today: cp/sync take it for a path
    ("edge:bkt/cam/f.jpg", False, ("edge", "bkt", "cam/f.jpg", None)),
    ("edge-07:bkt", True, ("edge-07", "bkt", "", None)),
    ("e:bkt/k:x", False, ("e", "bkt", "k:x", None)),         # a ':' in the key is the key's
    ("./a:b", True, (None, None, None, "./a:b")),           # rclone's way to a local path with ':'
    ("/data/a:b", True, (None, None, None, "/data/a:b")),
    ("dir/a:b", True, (None, None, None, "dir/a:b")),       # a '/' before the ':': a path
])
def test_parse_location(text: str, local_ok: bool, expected: tuple[Any, ...]) -> None:
    from its_store.core.remotes import parse_location
    loc = parse_location(text, local_ok=local_ok)
    got = (loc.remote, loc.ref.bucket if loc.ref else None, loc.ref.key if loc.ref else None, loc.path)
    assert got == expected


@pytest.mark.parametrize("text", ["Edge:bkt/k", "s3:bkt/k", ":bkt/k", "edge_07:bkt/k", "-e:bkt", "e\x1b[31m:bkt",
                                  "edge:s3://bkt/k", "http://bkt/k", "edge:bkt/../k", "edge:"])
def test_bad_locations_are_refused(text: str) -> None:
    from its_store.core.remotes import parse_location
    with pytest.raises(E.InvalidInputError) as caught:
        parse_location(text, local_ok=True)
    assert "\x1b" not in caught.value.message


def test_no_bucket_means_the_remotes_root() -> None:
    from its_store.core.remotes import parse_location
    assert parse_location("edge:", allow_no_bucket=True).ref == RemoteRef("", "")
    assert parse_location("edge:/k", allow_no_bucket=True).ref == RemoteRef("", "k")


def test_the_library_refuses_a_remotes_name(tmp_path: Path) -> None:
    """A Copier or a Sync works on its Context's endpoint: edge:B/K is refused, not read as a local path."""
    from its_store.sync.copy import parse_location
    from its_store.sync.engine import Location
    for parse in (parse_location, Location.parse):
        with pytest.raises(E.InvalidInputError, match="names the remote 'edge'"):
            parse("edge:bkt/k")
        assert parse("./edge:bkt").path == Path("edge:bkt")
        assert parse("s3://bkt/k").bucket == "bkt"


# -- the file and the environment (no server) -----------------------------------------------------------

def write_remotes(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


EDGE_TOML = f'[remotes.edge]\nendpoint = "10.7.0.2:9000"\naccess_key = "ak"\nsecret_key = "{SECRET}"\nregion = "eu-1"\n'


def test_environment_wins_field_by_field(tmp_path: Path) -> None:
    from its_store.core.remotes import load_remotes
    path = write_remotes(tmp_path / "remotes.toml", EDGE_TOML)
    key = tmp_path / "k"
    key.write_text("from-file\n")
    env = {"ITS_STORE_REMOTE_EDGE_ENDPOINT": "https://edge.local:9443",
           "ITS_STORE_REMOTE_EDGE_SECRET_KEY_FILE": str(key),
           "ITS_STORE_REMOTE_CAM_07_ENDPOINT": "cam7:9000", "ITS_STORE_REMOTE_CAM_07_ACCESS_KEY": "c",
           "ITS_STORE_REMOTE_CAM_07_SECRET_KEY": "s", "ITS_STORE_REMOTE_CAM_07_SECURE": "true"}
    remotes = load_remotes(env, path)
    edge, cam = remotes["edge"], remotes["cam-07"]
    assert (edge.endpoint, edge.secure, edge.region, edge.source) == ("edge.local:9443", True, "eu-1", "file+env")
    assert edge.secret().get_secret_value() == "from-file"  # the environment's secret file beats the file's secret
    assert (cam.endpoint, cam.secure, cam.source) == ("cam7:9000", True, "env")


@pytest.mark.parametrize("env,match", [
    ({"ITS_STORE_REMOTE_EDGE_ENDPIONT": "h:1"}, "names no field"),
    ({"ITS_STORE_REMOTE_edge_ENDPOINT": "h:1"}, "names no remote"),
    ({"ITS_STORE_REMOTE__ENDPOINT": "h:1"}, "names no remote"),
    ({"ITS_STORE_REMOTE_X_ENDPOINT": "http://h:1/bucket", "ITS_STORE_REMOTE_X_ACCESS_KEY": "a"}, "has a path"),
    ({"ITS_STORE_REMOTE_X_ENDPOINT": "ftp://h:1", "ITS_STORE_REMOTE_X_ACCESS_KEY": "a"}, "http:// or https://"),
    ({"ITS_STORE_REMOTE_X_ENDPOINT": "http://u:p@h:1", "ITS_STORE_REMOTE_X_ACCESS_KEY": "a"}, "user info"),
    ({"ITS_STORE_REMOTE_X_ACCESS_KEY": "a"}, "ITS_STORE_REMOTE_X_ENDPOINT is not set"),
    ({"ITS_STORE_REMOTE_X_ENDPOINT": "https://h:1", "ITS_STORE_REMOTE_X_SECURE": "false",
      "ITS_STORE_REMOTE_X_ACCESS_KEY": "a"}, "says http, but the endpoint's URL says https"),
])
def test_bad_variables_are_configuration_errors(tmp_path: Path, env: dict[str, str], match: str) -> None:
    from its_store.core.remotes import load_remotes
    with pytest.raises(E.ConfigError, match=match) as caught:
        load_remotes(env, tmp_path / "none.toml")
    assert caught.value.exit_code == E.EXIT_CONFIG
    assert "u:p" not in caught.value.message


def test_settings_for_keeps_the_base_options(tmp_path: Path) -> None:
    from its_store.core.remotes import UnknownRemoteError, settings_for
    from its_store.core.settings import Settings
    path = write_remotes(tmp_path / "remotes.toml", EDGE_TOML + 'proxy = "http://proxy:3128"\nbwlimit = "1M"\n')
    base = Settings(endpoint="central:9000", access_key="c", secret_key="cs", max_workers=3, part_size="16MiB",
                    video_bucket="its-video-x", cache_dir=tmp_path / "cache", https_proxy="http://other:1")
    got = settings_for("edge", base, environ={}, path=path)
    assert (got.endpoint, got.access_key, got.secret_key.get_secret_value(), got.region) == \
        ("10.7.0.2:9000", "ak", SECRET, "eu-1")
    assert (got.max_workers, got.part_size, got.video_bucket, got.cache_dir) == (3, 16 * 1024 ** 2, "its-video-x",
                                                                                 tmp_path / "cache")
    assert got.proxy() == "http://proxy:3128"
    assert settings_for(None, base) is base
    with pytest.raises(UnknownRemoteError) as caught:
        settings_for("central", base, environ={}, path=path)
    assert caught.value.exit_code == E.EXIT_CONFIG and "known: edge" in (caught.value.hint or "")


def test_a_missing_secret_file_is_said_when_the_remote_is_used(tmp_path: Path) -> None:
    from its_store.core.remotes import settings_for
    from its_store.core.settings import Settings
    env = {"ITS_STORE_REMOTE_X_ENDPOINT": "h:1", "ITS_STORE_REMOTE_X_ACCESS_KEY": "a",
           "ITS_STORE_REMOTE_X_SECRET_KEY_FILE": str(tmp_path / "missing.key")}
    with pytest.raises(E.ConfigError, match=r"cannot read its secret key file .*missing\.key: no such file"):
        settings_for("x", Settings(), environ=env, path=tmp_path / "none.toml")


@pytest.mark.parametrize("mode,text,refused", [
    (0o600, EDGE_TOML, None),
    (0o644, EDGE_TOML, "too open"),
    (0o640, EDGE_TOML, "too open"),
    (0o604, EDGE_TOML, "too open"),
    (0o644, '[remotes.edge]\nendpoint = "h:1"\naccess_key = "a"\nsecret_key_file = "/run/k"\n', None),  # no secret
    (0o644, '[remotes.edge]\nendpoint = "h:1"\naccess_key = "a"\nproxy = "http://u:pw@p:1"\n', "too open"),
    (0o664, '[remotes.edge]\nendpoint = "h:1"\naccess_key = "a"\n', "others may change it"),
])
def test_file_permissions(tmp_path: Path, mode: int, text: str, refused: str | None) -> None:
    from its_store.core.remotes import load_remotes, names
    path = write_remotes(tmp_path / "remotes.toml", text, mode)
    if refused is None:
        assert list(load_remotes({}, path)) == ["edge"]
        return
    with pytest.raises(E.ConfigError, match=refused) as caught:
        load_remotes({}, path)
    assert SECRET not in caught.value.message and "pw" not in caught.value.message
    assert names({}, path) == []  # completion: no names from a refused file, and no error


@pytest.mark.parametrize("text,match", [
    ("[remotes.edge\n", "not valid TOML"),
    ("[remotes.Edge]\nendpoint='h:1'\n", "invalid remote name"),
    ("[remotes.edge]\nendpoint='h:1'\nacess_key='a'\n", "unknown key 'acess_key'"),
    ("edge = 1\n", "unknown key 'edge'"),
    (f"[remotes.edge]\nendpoint='h:1'\naccess_key='a'\nsecret_key='{SECRET} x'\n", "without spaces"),
])
def test_bad_files_are_configuration_errors(tmp_path: Path, text: str, match: str) -> None:
    from its_store.core.remotes import load_remotes
    with pytest.raises(E.ConfigError, match=match) as caught:
        load_remotes({}, write_remotes(tmp_path / "remotes.toml", text))
    assert SECRET not in caught.value.message


def test_names_never_fail(tmp_path: Path) -> None:
    """Completion's names(): the file's and the environment's, sorted; a bad variable costs only itself."""
    from its_store.core.remotes import names
    path = write_remotes(tmp_path / "remotes.toml", EDGE_TOML)
    env = {"ITS_STORE_REMOTE_CAM_1_ENDPOINT": "h:1", "ITS_STORE_REMOTE_BAD_FIELD": "x", "HOME": str(tmp_path)}
    assert names(env, path) == ["cam-1", "edge"]
    assert names({"XDG_CONFIG_HOME": str(tmp_path / "nothing")}) == []


def test_private_files_are_private_from_their_first_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_atomic(..., 0o600): the temp file is created 0600, not 0644 and chmod-ed after the secret is in
    it (whoever opened it meanwhile would keep reading it)."""
    from its_store.core.files import write_atomic
    seen: list[int] = []
    real_open, real_pwrite = os.open, os.pwrite
    ours = inside(tmp_path)  # the patches are process-wide: not another thread's temp files and writes

    def spy_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        fd = real_open(path, flags, mode, **kw)
        if str(path).endswith(".its-tmp") and ours(named_by((fd,), {})):
            seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    def spy_pwrite(fd: int, data: Any, offset: int) -> int:
        if ours(named_by((fd,), {})):
            seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "pwrite", spy_pwrite)
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "secret.toml", "secret", 0o600)
    finally:
        os.umask(old)
    assert seen and set(seen) == {0o600}, [oct(m) for m in seen]


# -- the commands (no server) ----------------------------------------------------------------------------

@pytest.fixture
def offline_cli(config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "key").write_text(SECRET + "\n")
    return cli_runner({"MINIO_SECRET_KEY": SECRET})


def test_add_ls_show_rm(offline_cli: Any, config: Path) -> None:
    cli = offline_cli
    saved = ok(cli("remote", "add", "edge-07", "https://10.7.0.2:9000/", "--access-key", "ak", "--secret-key-file",
                   "key", "--region", "eu-1", "--proxy", "http://u:pw@proxy:3128", "--bwlimit", "08:00,1M 19:00,off",
                   "--no-verify-tls", "--json")).json()
    assert saved["secret_key"] == "********" and saved["proxy"] == "http://u:********@proxy:3128"
    assert (saved["url"], saved["bwlimit"], saved["verify_tls"], saved["replaced"]) == \
        ("https://10.7.0.2:9000", "08:00,1M 19:00,off", False, False)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert SECRET in config.read_text()
    again = cli("remote", "add", "edge-07", "http://h:1", "--access-key", "a", "--secret-key-file", "key")
    assert again.exit_code == E.EXIT_CONFLICT and "--replace" in one_line_error(again)
    ok(cli("remote", "add", "central", "h:9000", "--access-key", "c", "--secret-key-stdin", input=SECRET + "\n"))
    listed = ok(cli("remote", "ls", "--json")).jsonl()
    assert [r["name"] for r in listed] == ["central", "edge-07"]
    assert listed[0]["url"] == "http://h:9000"
    shown = ok(cli("remote", "show", "edge-07"))
    assert "********" in shown.stdout and "pw" not in shown.stdout
    assert ok(cli("remote", "rm", "edge-07", "--json")).json() == {"name": "edge-07", "path": str(config)}
    assert [r["name"] for r in ok(cli("remote", "ls", "--json")).jsonl()] == ["central"]
    gone = cli("remote", "show", "edge-07")
    assert gone.exit_code == E.EXIT_CONFIG and "unknown remote 'edge-07'" in one_line_error(gone)


HOSTILE_NAMES = ["a/b", "a:b", "Edge", "edge_07", "s3", "..", "-", "a" * 64, "e\x1b[31mdge", "edge\n", "ed ge", "é"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_write_nothing(offline_cli: Any, config: Path, name: str) -> None:
    run = offline_cli("remote", "add", "--access-key", "a", "--secret-key-file", "key", "--", name, "http://h:1")
    assert run.exit_code == E.EXIT_USAGE, run
    line = one_line_error(run)
    assert "\x1b" not in line and "invalid remote name" in line
    assert not config.parent.exists()  # not even the folder


K = ["--secret-key-file", "key"]


@pytest.mark.parametrize("args,match", [
    (["http://h:1/bucket"], "has a path"),                    # refused before the secret is asked for
    (["http://h:1?x=1"], "has a path"),
    (["ftp://h:1"], "http:// or https://"),
    (["http://ak:sk@h:1"], "user info"),
    (["http://h:1", "--secret-key-file", "missing.key"], "cannot read it: no such file"),
    (["http://h:1", *K, "--secret-key-stdin"], "not both"),
    (["http://h:1", *K, "--ca-bundle", "nope.pem"], "no such file"),
    (["http://h:1", *K, "--proxy", "ftp://p:1"], "proxy URL"),
    (["http://h:1", *K, "--region", "eu west"], "--region"),
    (["http://h:1", *K, "--region", "x/y"], "--region"),        # minio refused it at the first request
    (["http://h:1"], "no terminal to ask for the secret key"),   # CliRunner's stdin is no terminal
    (["http://h:1", "--secret-key-stdin"], "no secret key"),      # empty standard input
])
def test_bad_add_input_writes_nothing(offline_cli: Any, config: Path, args: list[str], match: str) -> None:
    run = offline_cli("remote", "add", "edge", *args, "--access-key", "a", input="")
    assert run.exit_code == E.EXIT_USAGE, run
    line = one_line_error(run)
    assert match in line and "sk@" not in line and SECRET not in line
    assert not config.parent.exists()


def test_a_file_too_open_is_refused_and_kept(offline_cli: Any, config: Path) -> None:
    write_remotes(config, EDGE_TOML, 0o644)
    before = config.read_bytes()
    for args in (["ls", "edge:its-bkt"], ["remote", "ls"], ["remote", "show", "edge"],
                 ["remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", "key"],
                 ["remote", "rm", "edge"]):
        run = offline_cli(*args)
        assert run.exit_code == E.EXIT_CONFIG, run
        assert "permissions 0644 are too open" in one_line_error(run) and "chmod 600" in run.stderr
    assert config.read_bytes() == before and stat.S_IMODE(config.stat().st_mode) == 0o644
    err = offline_cli("remote", "ls", "--json")
    assert json.loads(err.stdout)["error"]["code"] == "config_error" and SECRET not in err.stdout


def test_environment_only_remote_cannot_be_removed(offline_cli: Any, config: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITS_STORE_REMOTE_CI_ENDPOINT", "h:1")
    monkeypatch.setenv("ITS_STORE_REMOTE_CI_ACCESS_KEY", "a")
    monkeypatch.setenv("ITS_STORE_REMOTE_CI_SECRET_KEY", SECRET)
    assert ok(offline_cli("remote", "show", "ci", "--json")).json()["source"] == "env"
    run = offline_cli("remote", "rm", "ci")
    assert run.exit_code == E.EXIT_CONFIG and "ITS_STORE_REMOTE_CI_*" in one_line_error(run)
    assert not config.parent.exists()


# every command that takes a location, with an unknown remote's: each must read the name (exit 78, "unknown
# remote"), before anything is written or sent
B = "nosuch:its-bkt"
LOCATION_COMMANDS = [
    ["ls", f"{B}/p/"], ["ls", "nosuch:"], ["ls", f"{B}/p/", "--versions"], ["stat", f"{B}/k"],
    ["get", f"{B}/k", "out"], ["get", f"{B}/k", "-"], ["get", f"{B}/p/", "outdir", "-r"], ["upload", "key", f"{B}/k"],
    ["upload", "key", "nosuch:"],
    ["rm", f"{B}/k"], ["rm", f"{B}/p/", "-r", "--yes"], ["rm", f"{B}/k", "--all-versions", "--yes"],
    ["presign", f"{B}/k"], ["du", B], ["cp", f"{B}/k", "out"], ["cp", "key", f"{B}/k"], ["cp", f"{B}/k", f"{B}/k2"],
    ["mv", f"{B}/k", "out"], ["mv", "key", f"{B}/k"], ["sync", f"{B}/p/", "dir"], ["sync", "dir", f"{B}/p/"],
    ["sync", "dir", f"{B}/p/", "--watch"], ["tag", "set", f"{B}/k", "a=b"], ["tag", "get", B], ["tag", "rm", f"{B}/k"],
    ["restore", f"{B}/k", "--version-id", "v1"], ["retention", "set", f"{B}/k", "--mode", "governance", "--days", "1"],
    ["retention", "show", f"{B}/k"], ["legal-hold", "on", f"{B}/k"], ["legal-hold", "off", f"{B}/k"],
    ["legal-hold", "show", f"{B}/k"], ["bucket", "ls", "nosuch:"], ["bucket", "create", B], ["bucket", "rm", B],
    ["bucket", "info", B], ["bucket", "versioning", B, "on"], ["bucket", "lifecycle", "show", B],
    ["bucket", "lifecycle", "set", B, "--expire-days", "7"], ["bucket", "lifecycle", "rm", B],
    ["bucket", "policy", "show", B], ["bucket", "policy", "set", B, "--public-read", "share/"],
    ["bucket", "policy", "rm", B, "--yes"], ["bucket", "encryption", "show", B], ["bucket", "encryption", "set", B],
    ["bucket", "encryption", "rm", B], ["bucket", "retention", "show", B],
    ["bucket", "retention", "set", B, "--mode", "governance", "--days", "1"], ["bucket", "retention", "rm", B],
    ["verify", f"{B}/p/", "-r"], ["verify", "dir", f"{B}/p/"], ["remote", "show", "nosuch"],
    ["remote", "test", "nosuch"], ["remote", "rm", "nosuch"],
]


def test_every_location_names_its_remote(offline_cli: Any, config: Path, tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    for args in LOCATION_COMMANDS:
        run = offline_cli(*args)
        assert run.exit_code == E.EXIT_CONFIG, (args, run)
        assert "unknown remote 'nosuch'" in one_line_error(run), (args, run)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "key"]  # nothing written
    assert not config.parent.exists()


def test_locations_of_one_command_on_two_endpoints(offline_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITS_STORE_REMOTE_A_ENDPOINT", "h:1")
    run = offline_cli("rm", "a:its-bkt/k", "s3://its-bkt/k")
    assert run.exit_code == E.EXIT_USAGE and "different endpoints" in one_line_error(run)


# -- against the session's SeaweedFS ---------------------------------------------------------------------

def test_remotes_end_to_end(world: World) -> None:
    """The remote `edge` (variables only) and `central` (the file) both reach SeaweedFS; the default
    endpoint is dead: every command below must have used the remote its location named."""
    cli, b, tmp = world.cli, world.bucket, world.tmp
    secret_file = tmp / "central.key"
    secret_file.write_text(world.server.secret_key)
    ok(cli("remote", "add", "central", f"http://{world.server.endpoint}", "--access-key", world.server.access_key,
           "--secret-key-file", str(secret_file)))
    from its_store.core.remotes import names
    assert names() == ["central", "edge"]  # completion's view
    frame = write_file(tmp / "frame.jpg", 30_000, seed=3)
    make = write_file(tmp / "up" / "cam1" / "a.jpg", 1_000, seed=4), write_file(tmp / "up" / "b.jpg", 2_000, seed=5)
    assert make

    ok(cli("bucket", "create", f"edge:{b}"))
    assert b in [x["name"] for x in ok(cli("ls", "edge:", "--json")).jsonl()]
    assert b in [x["name"] for x in ok(cli("bucket", "ls", "central:", "--json")).jsonl()]
    ok(cli("upload", str(frame), f"edge:{b}/cam/frame.jpg", "--tag", "site=a4"))
    assert [x["key"] for x in ok(cli("ls", f"central:{b}/cam/", "--json")).jsonl()] == ["cam/frame.jpg"]
    assert ok(cli("stat", f"edge:{b}/cam/frame.jpg", "--json")).json()["size"] == 30_000
    ok(cli("get", f"central:{b}/cam/frame.jpg", str(tmp / "got.jpg")))
    assert (tmp / "got.jpg").read_bytes() == frame.read_bytes()
    assert ok(cli("get", f"edge:{b}/cam/frame.jpg", "-")).stdout_bytes == frame.read_bytes()
    assert ok(cli("tag", "get", f"central:{b}/cam/frame.jpg", "--json")).json()["tags"] == {"site": "a4"}
    ok(cli("cp", f"edge:{b}/cam/frame.jpg", f"central:{b}/copy/frame.jpg"))  # same URL and keys: server-side
    ok(cli("mv", f"central:{b}/copy/frame.jpg", str(tmp / "moved.jpg")))
    assert (tmp / "moved.jpg").read_bytes() == frame.read_bytes()
    report = ok(cli("sync", str(tmp / "up"), f"edge:{b}/synced/", "--json")).json()
    assert report["totals"]["copied"] == 2 and report["dest"] == f"edge:{b}/synced/"
    ok(cli("sync", f"central:{b}/synced/", str(tmp / "down")))
    assert (tmp / "down" / "cam1" / "a.jpg").read_bytes() == (tmp / "up" / "cam1" / "a.jpg").read_bytes()
    assert ok(cli("du", f"edge:{b}", "--json")).json()["total"]["objects"] == 3
    ok(cli("verify", f"edge:{b}/synced/", "-r"))
    ok(cli("verify", str(tmp / "up"), f"central:{b}/synced/"))
    assert "url" in ok(cli("presign", f"edge:{b}/cam/frame.jpg", "--json")).json()
    ok(cli("rm", f"edge:{b}/synced/", "-r", "--yes"))
    assert ok(cli("bucket", "versioning", f"central:{b}", "--json")).json()["versioning"]
    health = ok(cli("remote", "test", "edge", "--json")).json()
    assert health["remote"] == "edge" and health["checks"]["credentials"]["ok"]
    assert health["endpoint"] == world.server.endpoint

    dead = cli("ls", f"s3://{b}")  # the default endpoint really is dead
    assert dead.exit_code == E.EXIT_UNAVAILABLE, dead


def test_copy_between_two_endpoints_streams(world: World) -> None:
    """Two remotes on different URLs (localhost / 127.0.0.1 of one server) are two endpoints: cp, mv and
    sync between them stream through cli/locations.cross_endpoint (tests/test_xcopy_cli.py has the two
    servers); the default endpoint, dead here, as one side is exit 69 with nothing written."""
    cli, b = world.cli, world.bucket
    port = world.server.endpoint.rpartition(":")[2]
    (world.tmp / "k").write_text(world.server.secret_key)
    ok(cli("remote", "add", "other", f"http://localhost:{port}", "--access-key", world.server.access_key,
           "--secret-key-file", str(world.tmp / "k")))
    ok(cli("upload", "-", f"edge:{b}/cam/k", input=b"frame"))
    assert ok(cli("cp", f"edge:{b}/cam/k", f"other:{b}/k2", "--json")).json()["objects"][0]["verified"] is True
    ok(cli("mv", f"edge:{b}/k2", f"other:{b}/cam/k3"))
    report = ok(cli("sync", f"edge:{b}/cam/", f"other:{b}/copy/", "--json")).json()
    assert report["totals"]["copied"] == 2 and report["source"] == f"edge:{b}/cam/"
    dead = cli("cp", f"s3://{b}/cam/k", f"edge:{b}/k4")
    assert dead.exit_code == E.EXIT_UNAVAILABLE, dead
    assert [x["key"] for x in ok(cli("ls", f"other:{b}", "-r", "--json")).jsonl()] == \
        ["cam/k", "cam/k3", "copy/k", "copy/k3"]


def test_remote_test_of_a_dead_endpoint(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    run = world.cli("remote", "test", "edge", "--json")
    assert run.exit_code == E.EXIT_UNAVAILABLE and run.json()["status"] == "unhealthy"


def test_secrets_stay_out_of_output_logs_and_argv(world: World) -> None:
    """The secret key is never an argument (`ps` shows none), and neither --debug nor the audit log nor
    any --json shows it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "its_store", "remote", "add", "psx", f"http://{world.server.endpoint}",
                             "--access-key", world.server.access_key, "--secret-key-stdin"], env=env, cwd=world.tmp,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    argv = Path(f"/proc/{proc.pid}/cmdline").read_bytes()  # what `ps` shows, while it waits for the secret
    out, err = proc.communicate(world.server.secret_key.encode() + b"\n", timeout=DEADLINE)
    assert proc.returncode == 0, err
    assert world.server.secret_key.encode() not in argv + out + err
    assert world.server.secret_key in world.file.read_text()
    ok(world.cli("upload", "-", f"psx:{world.bucket}/k", input=b"frame"))
    for args in (["--debug", "-v", "ls", f"psx:{world.bucket}"], ["remote", "show", "psx", "--json"],
                 ["remote", "ls", "--json"], ["remote", "test", "psx", "--json"]):
        ok(world.cli(*args))  # cli_runner asserts the secret is in neither stream
    audit = Path(world.env["MINIO_AUDIT_LOG"])
    assert audit.exists() and world.server.secret_key not in audit.read_text()


def test_hidden_prompt_on_a_terminal(world: World) -> None:
    """On a terminal `remote add` asks for the secret without echoing it."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        os.chdir(world.tmp)
        os.execve(sys.executable, [sys.executable, "-m", "its_store", "remote", "add", "tty", "http://h:1",
                                   "--access-key", "a"], {**os.environ, "PYTHONPATH": str(ROOT)})
    seen = b""

    def read_until(marker: bytes | None) -> None:
        nonlocal seen
        while marker is None or marker not in seen:
            ready, _, _ = select.select([fd], [], [], DEADLINE)
            assert ready, f"no {marker!r} from the prompt: {seen!r}"
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            seen += chunk

    try:
        read_until(b"Secret key:")
        os.write(fd, SECRET.encode() + b"\n")
        read_until(None)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert SECRET.encode() not in seen
    assert SECRET in world.file.read_text()


NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
          "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]


@pytest.fixture
def nobody_home() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="its-remotes-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_unprivileged_user(world: World, nobody_home: Path) -> None:
    """As `nobody`: a config folder it cannot write is one line, exit 78, nothing made; a remotes file
    owned by another (non-root) user is refused; a remote from variables works."""
    key = nobody_home / "key"
    key.write_text(world.server.secret_key)
    key.chmod(0o644)
    env = {"XDG_CONFIG_HOME": str(nobody_home / "cfg"), "MINIO_CACHE_DIR": str(nobody_home / "cache"),
           "MINIO_AUDIT_LOG": str(nobody_home / "audit.log")}
    (nobody_home / "cfg").mkdir()  # root's: nobody cannot write it
    done = run_cli_process(["remote", "add", "x", "http://h:1", "--access-key", "a", "--secret-key-file", str(key)],
                           env, nobody_home, prefix=tuple(NOBODY))
    assert done.exit_code == E.EXIT_CONFIG, done
    assert done.stderr.count("\n") == 1 and "cannot write the remotes file's folder" in done.stderr
    assert list((nobody_home / "cfg").iterdir()) == []

    shutil.chown(nobody_home, "nobody", "nogroup")
    mine = nobody_home / "mine"
    write_remotes(mine / "its-store" / "remotes.toml", '[remotes.x]\nendpoint = "h:1"\naccess_key = "a"\n', 0o644)
    os.chown(mine / "its-store" / "remotes.toml", 4242, 4242)
    done = run_cli_process(["remote", "ls"], {**env, "XDG_CONFIG_HOME": str(mine)}, nobody_home, prefix=tuple(NOBODY))
    assert done.exit_code == E.EXIT_CONFIG and "owned by another user (uid 4242)" in done.stderr, done

    done = run_cli_process(["ls", f"edge:{world.bucket}"], env, nobody_home, prefix=tuple(NOBODY))
    assert done.exit_code == E.EXIT_NOT_FOUND and "bucket" in done.stderr, done  # reached SeaweedFS as edge


# -- a remote's bandwidth limit ------------------------------------------------------------------------

def test_a_remotes_bwlimit_is_checked_when_added_and_read(offline_cli: Any, config: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad limit is refused by `remote add` (exit 2, nothing written) and, from the environment, when the
    remote is read (exit 78): not at the first transfer hours later."""
    run = offline_cli("remote", "add", "edge", "http://10.0.0.2:9000", "--access-key", "ak", "--secret-key-file",
                      "key", "--bwlimit", "10KB")
    assert run.exit_code == 2 and "unknown unit 'KB'" in one_line_error(run)
    assert not config.exists()
    saved = ok(offline_cli("remote", "add", "edge", "http://10.0.0.2:9000", "--access-key", "ak",
                           "--secret-key-file", "key", "--bwlimit", "1.5m", "--json")).json()
    assert saved["bwlimit"] == "1536K"  # kept canonical: equal limits share one bucket
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_BWLIMIT", "Mon-8:00")
    run = offline_cli("remote", "show", "edge")
    assert run.exit_code == 78 and "bandwidth limit 'Mon-8:00'" in one_line_error(run)


def test_a_remotes_bwlimit_is_paced_on_top_of_the_process_budget(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote's own limit applies to its traffic, and the process's MINIO_BWLIMIT (its one budget)
    still counts the same bytes: the remote's settings keep both."""
    from its_store import DownloadRequest, StorageService, UploadRequest
    from its_store.core.bwlimit import shared_limiter
    from its_store.core.remotes import settings_for
    from its_store.core.settings import load_settings
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_BWLIMIT", "1023M")  # limits no test run: never waits
    monkeypatch.setenv("MINIO_BWLIMIT", "1021M:1022M")
    settings = settings_for("edge", load_settings())
    assert (settings.bwlimit, settings.endpoint_bwlimit) == ("1021M:1022M", "1023M")
    process, own = shared_limiter("1021M:1022M"), shared_limiter("1023M")
    assert process is not None and own is not None
    before = dict(process.moved), dict(own.moved)
    data = os.urandom(200_000)
    with StorageService(settings) as svc:
        svc.ensure_bucket(world.bucket, create=True)
        svc.upload_object(UploadRequest(data=data, bucket=world.bucket, key="paced.bin"))
        got = svc.download_object(DownloadRequest(bucket=world.bucket, key="paced.bin",
                                                  file_path=world.tmp / "paced.bin"))
        assert got.verified and (world.tmp / "paced.bin").read_bytes() == data
    for limiter, was in ((process, before[0]), (own, before[1])):
        assert limiter.moved["up"] - was["up"] >= len(data)
        assert limiter.moved["down"] - was["down"] == len(data)
