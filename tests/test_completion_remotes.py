"""Completion on named remotes (issue 23): `NAME:` offers that remote's buckets (`NAME:BUCKET/`), and
`NAME:BUCKET/PRE` its keys one level under PRE, as `s3://` does for the default endpoint, through the
remote's own endpoint and credentials (core/remotes), with the same cache (keyed by that endpoint's
identity), the same deadline and the same silence: an unknown remote, a refused remotes file or a server
that is down offer nothing. The scripts' side (bash's COMP_WORDBREAKS split at ':', zsh and fish) is in
test_completion_shells.py and test_completion_tmux.py.

Remotes here are the environment's alone (ITS_STORE_REMOTE_EDGE_*), with XDG_CONFIG_HOME an empty folder of
the test, so no remotes.toml of the machine is read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from its_store.cli.completion import complete
from its_store.cli.completion.complete import CACHE_FILE

from helpers import patient_completion, seed_completion_cache, silent_tcp_server

BIN = Path(sys.executable).parent
DOWN = "127.0.0.1:9"  # the discard port: nothing listens there
EDGE_KEY, EDGE_SECRET = "edge-user", "edge-secret-for-tests"


@pytest.fixture
def no_remotes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No remote but those the test defines: an empty XDG_CONFIG_HOME, no ITS_STORE_REMOTE_* from outside.
    Returns the remotes.toml path (absent)."""
    for name in list(os.environ):
        if name.startswith("ITS_STORE_REMOTE_"):
            monkeypatch.delenv(name)
    config = tmp_path.parent / f"{tmp_path.name}-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config / "its-store" / "remotes.toml"


def define_remote(mp: pytest.MonkeyPatch, name: str, endpoint: str, access_key: str = EDGE_KEY,
                  secret: str = EDGE_SECRET) -> None:
    """The remote `name` from the environment alone, as systemd or CI would set it."""
    var = f"ITS_STORE_REMOTE_{name.upper().replace('-', '_')}_"
    mp.setenv(var + "ENDPOINT", f"http://{endpoint}")
    mp.setenv(var + "ACCESS_KEY", access_key)
    mp.setenv(var + "SECRET_KEY", secret)


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Network limits for a loaded CI machine, where a test needs the server's real answer; the real ones
    (300 ms) are exercised by test_a_remote_whose_server_is_down_offers_nothing."""
    patient_completion(monkeypatch)


@pytest.fixture
def ask(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> Any:
    """ask(WORD, *GLOBAL_OPTIONS): what `_ITS_STORE_COMPLETE=names its-store object WORD ...` answers,
    in-process; asserts that nothing reached stderr."""
    def run(word: str, *root: str) -> list[str]:
        found = complete.answer(["object", word, *root])
        assert capfd.readouterr().err == ""
        return found
    return run


def put_keys(service: Any, bucket: str, keys: list[str]) -> None:
    from its_store import UploadRequest
    for key in keys:
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"x"))


@pytest.fixture
def silent_server() -> Iterator[str]:
    with silent_tcp_server() as endpoint:
        yield endpoint


@pytest.fixture
def edge(s3_server, service, bucket, no_remotes, monkeypatch, patient) -> str:
    """The remote `edge`: the session's SeaweedFS, reached as a remote (its own URL and keys), and a bucket
    there with keys in two folders. Returns the bucket."""
    put_keys(service, bucket, ["camera_001/a.jpg", "camera_001/b.jpg", "camera_002/c.jpg", "top.txt"])
    define_remote(monkeypatch, "edge", s3_server.endpoint, s3_server.access_key, s3_server.secret_key)
    return bucket


def test_a_remote_offers_its_buckets_then_its_keys(edge, ask):
    b = edge
    assert ask("ed") == ["edge:"]
    assert f"edge:{b}/" in ask("edge:")
    assert ask(f"edge:{b[:-2]}") == [f"edge:{b}/"]
    assert ask(f"edge:{b}/cam") == [f"edge:{b}/camera_001/", f"edge:{b}/camera_002/"]
    assert ask(f"edge:{b}/camera_001/") == [f"edge:{b}/camera_001/a.jpg", f"edge:{b}/camera_001/b.jpg"]
    assert ask(f"edge:{b}/t") == [f"edge:{b}/top.txt"]
    assert ask("edge:Bad_Bucket/") == [] and ask("edge:/x") == []


def test_a_remote_is_asked_with_its_own_endpoint_and_keys(edge, s3_server, env, ask):
    """The answers are filed under the remote's endpoint identity (its endpoint, access key and a fingerprint
    of its secret), never the secret; a wrong secret for the remote is refused by the server and offered
    nothing, not even what the right one was shown."""
    from its_store.core.identity import identity_of
    b = edge
    assert ask(f"edge:{b}/cam") == [f"edge:{b}/camera_001/", f"edge:{b}/camera_002/"]
    doc = (Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE).read_text()
    who = f"{s3_server.endpoint}|{identity_of(s3_server.endpoint, s3_server.access_key, s3_server.secret_key)}"
    assert f"{who}\\nkeys\\n{b}\\ncam" in doc and s3_server.secret_key not in doc
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY", s3_server.secret_key + "-wrong")
        assert ask(f"edge:{b}/cam") == [] and ask(f"edge:{b[:-2]}") == []
    assert ask(f"edge:{b}/cam") == [f"edge:{b}/camera_001/", f"edge:{b}/camera_002/"]


def test_the_default_endpoint_and_a_remote_never_mix_answers(service, bucket, env, no_remotes, patient,
                                                              moto_server_info, monkeypatch, ask):
    """The tester's worry: two endpoints with the same bucket names. `s3://B/` lists the default endpoint's
    keys, `edge:B/` the remote's, from the servers and then from the cache, which files each under its
    endpoint's identity."""
    from its_store import StorageService, UploadRequest, load_settings
    put_keys(service, bucket, ["central/a.jpg", "shared.txt"])
    moto = moto_server_info
    other = StorageService(load_settings(endpoint=moto.endpoint, access_key=moto.access_key,
                                         secret_key=moto.secret_key))
    other.s3.make_bucket(bucket)
    other.upload_object(UploadRequest(bucket=bucket, key="edge_only/z.jpg", data=b"x"))
    define_remote(monkeypatch, "edge", moto.endpoint, moto.access_key, moto.secret_key)
    default_keys = [f"s3://{bucket}/central/", f"s3://{bucket}/shared.txt"]
    edge_keys = [f"edge:{bucket}/edge_only/"]
    for _ in range(2):  # from the servers, then from the cache
        assert sorted(ask(f"s3://{bucket}/")) == default_keys and ask(f"edge:{bucket}/") == edge_keys
        assert ask(f"s3://{bucket[:-2]}") == [f"s3://{bucket}/"] and ask(f"edge:{bucket[:-2]}") == [f"edge:{bucket}/"]
    monkeypatch.setattr(complete, "TTL_SECONDS", 24 * 3600)  # fresh however slow the machine: never asked again
    put_keys(service, bucket, ["later.txt"])
    other.upload_object(UploadRequest(bucket=bucket, key="later.txt", data=b"x"))
    assert sorted(ask(f"s3://{bucket}/")) == default_keys and ask(f"edge:{bucket}/") == edge_keys


def test_cached_names_of_a_remote_come_without_pydantic_or_minio(env, no_remotes, tmp_path):
    """Through the real console script: a fresh cache entry of the remote's endpoint answers with that
    endpoint down, and neither the settings, pydantic nor minio are imported for it."""
    cache = Path(env["MINIO_CACHE_DIR"])
    seed_completion_cache(cache, DOWN, EDGE_KEY, EDGE_SECRET,
                          {"buckets": ["edge-video"], "keys\nedge-video\n": ["cam_07/", "top.txt"]})
    seed_completion_cache(cache, env["MINIO_ENDPOINT"], env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"],
                          {"buckets": ["central-video"]})
    request = {**{k: v for k, v in os.environ.items() if not k.startswith("_ITS_STORE")},
               "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "_ITS_STORE_COMPLETE": "names",
               "ITS_STORE_REMOTE_EDGE_ENDPOINT": DOWN, "ITS_STORE_REMOTE_EDGE_ACCESS_KEY": EDGE_KEY,
               "ITS_STORE_REMOTE_EDGE_SECRET_KEY": EDGE_SECRET}
    for word, answer in (("edge:", "edge:edge-video/\n"), ("edge:edge-video/", "edge:edge-video/cam_07/\n"
                                                                                  "edge:edge-video/top.txt\n")):
        out = subprocess.run([str(BIN / "its-store"), "object", word], env=request, capture_output=True, text=True,
                             timeout=60)
        assert (out.returncode, out.stdout, out.stderr) == (0, answer, ""), word
    mods = subprocess.run(
        [sys.executable, "-c", "import runpy, sys; sys.argv=['its-store', 'object', 'edge:e']\ntry:\n runpy."
         "run_module('its_store', run_name='__main__')\nexcept SystemExit: pass\nprint(sorted(sys.modules), "
         "file=sys.stderr)"], env=request, capture_output=True, text=True, timeout=60)
    assert mods.stdout == "edge:edge-video/\n"
    for heavy in ("'minio'", "'pydantic'", "'its_store.core.settings'", "'its_store.core.remote_model'"):
        assert heavy not in mods.stderr, heavy


def test_an_unknown_remote_offers_nothing(env, no_remotes, monkeypatch, ask):
    """A name nobody defines offers nothing, even when its endpoint's answers are still in the cache (the
    remote was removed)."""
    seed_completion_cache(Path(env["MINIO_CACHE_DIR"]), DOWN, EDGE_KEY, EDGE_SECRET, {"buckets": ["edge-video"]})
    define_remote(monkeypatch, "edge", DOWN)
    assert ask("edge:") == ["edge:edge-video/"]
    for name in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY"):
        monkeypatch.delenv(f"ITS_STORE_REMOTE_EDGE_{name}")
    for word in ("edge:", "edge:edge-video/", "nope:", "nope:edge-video/", "Edge:", "ed"):
        assert ask(word) == [], word


def test_a_refused_remotes_file_offers_nothing(env, no_remotes, monkeypatch, ask):
    """A remotes file that is refused (it holds a secret and others may read it) stops every remote, as it
    stops `its-store ls edge:`: nothing is offered for one, even one the environment defines. Nor for a
    misspelt variable of remotes."""
    seed_completion_cache(Path(env["MINIO_CACHE_DIR"]), DOWN, EDGE_KEY, EDGE_SECRET, {"buckets": ["edge-video"]})
    define_remote(monkeypatch, "edge", DOWN)
    assert ask("edge:") == ["edge:edge-video/"]
    no_remotes.parent.mkdir(parents=True)
    no_remotes.write_text('[remotes.central]\nendpoint = "h:1"\naccess_key = "a"\nsecret_key = "s"\n')
    no_remotes.chmod(0o644)
    assert ask("edge:") == [] and ask("central:") == []
    no_remotes.chmod(0o600)
    assert ask("edge:") == ["edge:edge-video/"]
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPIONT", "h:1")  # a typo: the remotes are not read
    assert ask("edge:") == []


def test_a_remote_whose_server_is_down_offers_nothing(env, no_remotes, monkeypatch, silent_server, ask):
    """With the real limits: a remote whose server refuses connections, or accepts and never answers, is
    offered nothing within the deadline, and never an error; once the remote's endpoint was shown names, a
    stale answer is offered (as for s3://), only to that endpoint's identity."""
    from its_store.core.identity import identity_of
    for endpoint in (DOWN, silent_server):
        define_remote(monkeypatch, "edge", endpoint)
        assert ask("edge:") == [] and ask("edge:edge-video/") == [], endpoint
    cache = Path(env["MINIO_CACHE_DIR"])
    seed_completion_cache(cache, silent_server, EDGE_KEY, EDGE_SECRET,
                          {"buckets": ["edge-video"], "keys\nedge-video\n": ["cam_07/"]}, age=complete.TTL_SECONDS * 5)
    assert ask("edge:") == ["edge:edge-video/"] and ask("edge:edge-video/") == ["edge:edge-video/cam_07/"]
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY", EDGE_SECRET + "-other")
    assert ask("edge:") == []
    assert identity_of(silent_server, EDGE_KEY, EDGE_SECRET) in (cache / CACHE_FILE).read_text()


def test_a_remote_whose_secret_cannot_be_read_offers_nothing(env, no_remotes, monkeypatch, tmp_path, ask):
    """A remote's secret key file that is missing: no cache for it (its identity is unknown) and no server
    asked (the remote cannot be used): nothing."""
    seed_completion_cache(Path(env["MINIO_CACHE_DIR"]), DOWN, EDGE_KEY, EDGE_SECRET, {"buckets": ["edge-video"]})
    define_remote(monkeypatch, "edge", DOWN)
    monkeypatch.delenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY_FILE", str(tmp_path / "missing.key"))
    assert ask("edge:") == []
    (tmp_path / "missing.key").write_text(EDGE_SECRET + "\n")
    assert ask("edge:") == ["edge:edge-video/"]
