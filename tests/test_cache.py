"""Metadata cache: one interface test suite for DiskCache and RedisCache (real redis-server), then the cache
as the CLI uses it: warm listings without HEADs, invalidation after every mutation, Redis dying mid-command,
a corrupt cache folder, and the rule that downloads and deletes never trust the cache.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from faultproxy import FaultProxy
from redisserver import RedisServer, free_port

from its_store.state import cache as cache_mod
from its_store.state.cache import DiskCache
from its_store.state.redis_cache import RedisCache
from its_store.state.service_cache import ServiceCache

from conftest import one_line_error, unique
from helpers import random_bytes, write_file

# ------------------------------------------------------------------------------ interface, both backends


@pytest.fixture(params=["disk", "redis"])
def backend(request: Any, tmp_path: Path) -> Any:
    if request.param == "disk":
        cache = DiskCache(tmp_path / "metadata")
    else:
        cache = RedisCache(request.getfixturevalue("redis_server").url)
    yield cache
    cache.close()


def _group(*parts: str) -> str:
    return json.dumps(["obj", "ep-" + parts[0], *parts[1:]])


def test_roundtrip_and_misses(backend):
    group = _group(unique(), "bucket", "cam/frame.jpg")
    value = {"size": 12, "etag": "abc", "metadata": {"camera_id": "cam_ü"}, "list": [1, 2.5, None]}
    assert backend.get(group, "stat:") is None
    backend.put(group, "stat:", value, 60)
    assert backend.get(group, "stat:") == value
    assert backend.get(group, "stat:v1") is None
    assert backend.get(_group(unique(), "bucket", "cam/frame.jpg"), "stat:") is None


def test_entries_expire_after_the_ttl(backend, monkeypatch):
    group = _group(unique(), "b", "k")
    backend.put(group, "stat:", {"size": 1}, 60)
    real = cache_mod._now()
    monkeypatch.setattr(cache_mod, "_now", lambda: real + 61)
    assert backend.get(group, "stat:") is None
    monkeypatch.setattr(cache_mod, "_now", lambda: real + 59)
    assert backend.get(group, "stat:") == {"size": 1}


def test_invalidate_drops_every_item_of_a_group_and_nothing_else(backend):
    tag = unique()
    one, two = _group(tag, "b", "k1"), _group(tag, "b", "k2")
    for item in ("stat:", "stat:v1", "tags:"):
        backend.put(one, item, {"i": item}, 60)
    backend.put(two, "stat:", {"i": 2}, 60)
    backend.invalidate([one])
    assert [backend.get(one, i) for i in ("stat:", "stat:v1", "tags:")] == [None, None, None]
    assert backend.get(two, "stat:") == {"i": 2}


def test_invalidate_prefix_is_exact_even_with_glob_characters(backend):
    tag = unique()
    bucket = "b*[x]?\\"
    doomed = [json.dumps(["obj", tag, bucket, k]) for k in ("k1", "deep/k2")]
    kept = [json.dumps(["obj", tag, bucket + "z", "k1"]), json.dumps(["obj", tag, "b", "k1"])]
    for group in doomed + kept:
        backend.put(group, "stat:", {"g": group}, 60)
    removed = backend.invalidate_prefix(json.dumps(["obj", tag, bucket])[:-1] + ", ")
    assert removed == 2
    assert [backend.get(g, "stat:") for g in doomed] == [None, None]
    assert [backend.get(g, "stat:") for g in kept] == [{"g": g} for g in kept]


def test_clear_and_info(backend):
    tag = unique()
    for n in range(3):
        backend.put(_group(tag, "b", f"k{n}"), "stat:", {"n": n}, 60)
    info = backend.info()
    assert info.backend == backend.backend and info.entries is not None and info.entries >= 3
    assert backend.clear() >= 3
    assert backend.info().entries == 0
    assert backend.get(_group(tag, "b", "k0"), "stat:") is None


def test_threads_share_one_cache(backend):
    tag = unique()
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for n in range(40):
                group = _group(tag, "b", f"t{t}/k{n}")
                backend.put(group, "stat:", {"t": t, "n": n}, 60)
                assert backend.get(group, "stat:") == {"t": t, "n": n}
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_corrupt_disk_cache_is_rebuilt(tmp_path):
    folder = tmp_path / "metadata"
    cache = DiskCache(folder)
    cache.put("g", "i", {"v": 1}, 60)
    cache.close()
    for name in ("cache.db-wal", "cache.db-shm"):
        (folder / name).unlink(missing_ok=True)
    (folder / "cache.db").write_bytes(b"this is not a database " * 100)
    cache = DiskCache(folder)
    assert cache.get("g", "i") is None  # opened on first use: rebuilt then
    assert cache.rebuilt is True
    cache.put("g", "i", {"v": 2}, 60)
    assert cache.get("g", "i") == {"v": 2}
    cache.close()


def test_disk_cache_where_a_file_is_in_the_way_is_rebuilt(tmp_path):
    (tmp_path / "metadata").write_text("junk")
    cache = DiskCache(tmp_path / "metadata")
    cache.put("g", "i", [1], 60)
    assert cache.get("g", "i") == [1] and cache.rebuilt
    cache.close()


def test_service_cache_keys_separate_endpoints_and_versions(tmp_path):
    disk = DiskCache(tmp_path / "metadata")
    a = ServiceCache(disk, endpoint="a:9000", access_key="k", ttl=60)
    b = ServiceCache(disk, endpoint="b:9000", access_key="k", ttl=60)
    assert a.tags("bkt", "key", None, lambda: {"site": "a"}) == {"site": "a"}
    assert a.tags("bkt", "key", "v2", lambda: {"site": "v2"}) == {"site": "v2"}
    assert b.tags("bkt", "key", None, lambda: {"site": "b"}) == {"site": "b"}
    assert a.tags("bkt", "key", None, lambda: pytest.fail("should be cached")) == {"site": "a"}
    assert a.tags("bkt", "key", "v2", lambda: pytest.fail("should be cached")) == {"site": "v2"}
    a.invalidate_object("bkt", "key")
    assert a.tags("bkt", "key", "v2", lambda: {"site": "fresh"}) == {"site": "fresh"}
    assert b.tags("bkt", "key", None, lambda: pytest.fail("b untouched")) == {"site": "b"}
    disk.close()


# ------------------------------------------------------------------------------ through the service / CLI


class Heads:
    """The object HEADs (HEAD /bucket/key) that crossed the wire since the last clear(), as (bucket, key),
    counted by a recording proxy in front of the server: every service of this process and the CLI's."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy, self.start = proxy, 0

    def _all(self) -> list[tuple[str, str]]:
        split = (unquote(seen.path.lstrip("/")).split("/", 1) for seen in self.proxy.requests_to("HEAD"))
        return [(parts[0], parts[1]) for parts in split if len(parts) == 2 and parts[1]]

    def calls(self) -> list[tuple[str, str]]:
        return self._all()[self.start:]

    def clear(self) -> None:
        self.start = len(self._all())

    def __len__(self) -> int:
        return len(self.calls())

    def __eq__(self, other: object) -> bool:
        return self.calls() == other

    def __repr__(self) -> str:
        return repr(self.calls())


@pytest.fixture
def wire(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A recording proxy between this test's services (and CLI runs) and the server."""
    host, port = env["MINIO_ENDPOINT"].rsplit(":", 1)
    proxy = FaultProxy(int(port), upstream_host=host, record=True).start()
    monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
    yield proxy
    proxy.stop()


@pytest.fixture(params=["disk", "redis"])
def cache_env(request: Any, wire: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the disk cache, then again with the session's Redis."""
    if request.param == "redis":
        monkeypatch.setenv("MINIO_REDIS_URL", request.getfixturevalue("redis_server").url)
    return request.param


@pytest.fixture
def svc(cache_env: str) -> Any:
    from its_store import StorageService, load_settings
    service = StorageService(load_settings())
    yield service
    service.close()


@pytest.fixture
def heads(wire: FaultProxy) -> Heads:
    """Every object HEAD issued by any service in this process (counted on the wire)."""
    return Heads(wire)


def _put(svc: Any, bucket: str, key: str, size: int, kind: str = "video_frame", seed: int = 0) -> None:
    from its_store import ObjectType, UploadRequest
    svc.upload_object(UploadRequest(bucket=bucket, key=key, data=random_bytes(size, seed),
                                    object_type=ObjectType(kind)))


def _frames(svc: Any, bucket: str) -> None:
    for n in range(5):
        _put(svc, bucket, f"cam1/frame_{n}.jpg", 1000 + n, seed=n)
    for n in range(3):
        _put(svc, bucket, f"cam1/set_{n}.bin", 500 + n, kind="dataset", seed=10 + n)


def _ls_frames(cli: Any, bucket: str) -> list[str]:
    run = cli("ls", f"s3://{bucket}/cam1/", "-r", "--type", "video_frame", "--json")
    assert run.exit_code == 0, run
    return [o["key"] for o in run.jsonl()]


def test_warm_ls_type_issues_no_heads(cli, svc, heads):
    bucket = unique("b")
    _frames(svc, bucket)
    heads.clear()
    expected = [f"cam1/frame_{n}.jpg" for n in range(5)]
    assert _ls_frames(cli, bucket) == expected
    assert len(heads) == 8  # cold: one HEAD per listed object
    heads.clear()
    assert _ls_frames(cli, bucket) == expected
    assert heads == []  # warm: none
    report = cli("cache", "stats", "--json").json()
    assert (report["hits"], report["misses"], report["hit_rate"]) == (8, 8, 50.0)
    assert report["backend"] == svc.cache.backend.backend and report["entries"] >= 8

    src = write_file(Path("f.bin"), 777)
    assert cli("upload", str(src), f"s3://{bucket}/cam1/frame_0.jpg", "--type", "dataset").exit_code == 0
    heads.clear()
    assert _ls_frames(cli, bucket) == expected[1:]
    assert heads == [(bucket, "cam1/frame_0.jpg")]  # only what the upload touched


def test_listing_notices_a_change_made_behind_our_back(cli, svc, heads):
    from its_store.s3.client import object_headers
    bucket = unique("b")
    _frames(svc, bucket)
    assert len(_ls_frames(cli, bucket)) == 5
    headers = object_headers("application/octet-stream", {"its-type": "dataset"}, {})
    svc.s3.put(bucket, "cam1/frame_3.jpg", b"changed by another tool", headers)  # no invalidation
    heads.clear()
    assert "cam1/frame_3.jpg" not in _ls_frames(cli, bucket)
    assert heads == [(bucket, "cam1/frame_3.jpg")]


def _stat_size(cli: Any, ref: str) -> int:
    run = cli("stat", ref, "--json")
    assert run.exit_code == 0, run
    return int(run.json()["size"])


def test_every_mutation_invalidates_what_it_touched(cli, svc, heads, tmp_path):
    bucket = unique("b")
    ref = f"s3://{bucket}/cam/a.jpg"
    assert cli("upload", str(write_file(tmp_path / "a.jpg", 1000)), ref).exit_code == 0
    assert _stat_size(cli, ref) == 1000
    heads.clear()
    assert _stat_size(cli, ref) == 1000 and heads == []  # served by the cache

    assert cli("upload", str(write_file(tmp_path / "b.jpg", 2000, seed=2)), ref).exit_code == 0
    assert _stat_size(cli, ref) == 2000  # upload invalidated

    assert cli("rm", ref).exit_code == 0
    assert one_line_error(cli("stat", ref)).endswith(f"object not found: {ref}")  # rm invalidated

    for key in ("cam/x1.jpg", "cam/x2.jpg"):
        _put(svc, bucket, key, 300)
        assert _stat_size(cli, f"s3://{bucket}/{key}") == 300
    assert cli("rm", f"s3://{bucket}/cam/", "-r", "--yes").exit_code == 0
    assert cli("stat", f"s3://{bucket}/cam/x1.jpg").exit_code == 3  # rm -r invalidated

    _put(svc, bucket, "lib/k", 10)
    assert svc.stat_object(bucket, "lib/k").size == 10
    svc.delete_objects(bucket, ["lib/k"])
    assert cli("stat", f"s3://{bucket}/lib/k").exit_code == 3  # delete_objects invalidated


def test_batch_upload_invalidates_every_object_it_overwrote(cli, svc, heads, tmp_path, monkeypatch):
    """A recursive upload batches its invalidations (ServiceCache.deferral): more objects than one
    batch holds, and every one is fresh afterwards. Same bytes, new type: the listing's ETag and
    size cannot reveal the change, only the invalidation can. Batches of 16 groups here, not 256, so that
    60 objects fill several (the owner flushes one per 16: 300 objects against 256 cost 2-3x the time)."""
    from its_store.state.service_cache import Deferral
    monkeypatch.setattr(Deferral, "MAX_GROUPS", 16)
    bucket, n = unique("b"), 60
    for i in range(n):
        write_file(tmp_path / "d" / f"f{i:03d}.bin", 10, seed=i)

    def upload_all(kind: str) -> None:
        run = cli("upload", str(tmp_path / "d"), f"s3://{bucket}/d/", "-r", "--type", kind)
        assert run.exit_code == 0, run

    def count(kind: str) -> int:
        run = cli("ls", f"s3://{bucket}/d/", "-r", "--type", kind, "--json")
        assert run.exit_code == 0, run
        return len(run.jsonl())

    class Miss(Exception):
        pass

    def fetch() -> Any:
        raise Miss  # nothing fetched, nothing stored: only what the cache holds is seen

    def cached_type(key: str) -> str | None:
        """The object's type as the cache answers a `stat` (trusted, no listing to compare), or None if
        the cache holds no entry: read through ServiceCache's API, which would HEAD (and refill) on a miss."""
        try:
            info = svc.cache.object_info(bucket, key, None, fetch)
        except Miss:
            return None
        return None if info.object_type is None else info.object_type.value

    keys = [f"d/f{i:03d}.bin" for i in range(n)]
    upload_all("other")
    assert count("other") == n
    assert [cached_type(k) for k in keys] == ["other"] * n  # the listing's HEADs were cached
    heads.clear()
    assert count("dataset") == 0 and heads == []  # all cached
    upload_all("dataset")
    # No entry may still answer "other": a dropped invalidation leaves one, whatever the clock did (a listing
    # re-HEADs what it dates a second later than the cached HEAD, so count() below cannot tell on its own).
    assert [k for k in keys if cached_type(k) == "other"] == []
    assert heads == []  # the look above asked the cache only
    assert count("dataset") == n and len(heads) == n  # every entry was dropped


def test_downloads_and_deletes_never_trust_the_cache(cli, svc, heads):
    from its_store.s3.client import object_headers
    bucket = unique("b")
    _put(svc, bucket, "m.bin", 4000)
    assert _stat_size(cli, f"s3://{bucket}/m.bin") == 4000  # now cached
    fresh = random_bytes(6000, seed=99)
    svc.s3.put(bucket, "m.bin", fresh, object_headers("application/octet-stream", {}, {}))  # behind our back
    heads.clear()
    run = cli("get", f"s3://{bucket}/m.bin", "m.bin", "--json")
    assert run.exit_code == 0, run
    assert run.json()["verified"] is True and Path("m.bin").read_bytes() == fresh
    assert heads == []  # the download asked the server: its one GET (service/fetch.py), nothing cached

    svc.s3.remove(bucket, "m.bin")  # behind our back; the cache may still hold a stat
    assert cli("rm", f"s3://{bucket}/m.bin").exit_code == 3  # decided by the server, not the cache


def test_bucket_names_cached_for_completion(cache_env):
    from its_store import StorageService, load_settings
    from its_store.s3.client import S3Client
    lists: list[int] = []

    class Counting(S3Client):
        def list_buckets(self) -> Any:
            lists.append(1)
            return super().list_buckets()

    settings = load_settings()
    with StorageService(settings, s3=Counting(settings)) as svc:  # the seam passed in, as httpx's transport=
        first = unique("b")
        svc.ensure_bucket(first)
        assert first in svc.cached_bucket_names() and len(lists) == 1
        assert first in svc.cached_bucket_names() and len(lists) == 1  # cached
        second = unique("b")
        svc.ensure_bucket(second)  # creating a bucket invalidates the list
        assert second in svc.cached_bucket_names() and len(lists) == 2


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("its-store: warning:")]


def test_redis_killed_mid_command_falls_back_to_disk_with_one_warning(cli, env, wire, heads, monkeypatch):
    from its_store import StorageService, load_settings
    redis = RedisServer().start()
    try:
        monkeypatch.setenv("MINIO_REDIS_URL", redis.url)
        svc = StorageService(load_settings())
        bucket = unique("b")
        _frames(svc, bucket)
        svc.close()
        def kill_at_head(seen: Any) -> None:
            if seen.method == "HEAD":
                redis.kill()  # Redis dies while `ls` runs: the first HEAD of the command pulls the plug
            return None  # the request goes on to the server

        wire.set(answer=kill_at_head)
        run = cli("ls", f"s3://{bucket}/cam1/", "-r", "--type", "video_frame", "--json")
        assert run.exit_code == 0, run
        assert [o["key"] for o in run.jsonl()] == [f"cam1/frame_{n}.jpg" for n in range(5)]
        warnings = _warnings(run.stderr)
        assert len(warnings) == 1 and "Redis" in warnings[0] and "disk cache" in warnings[0], run

        wire.set(answer=None)
        heads.clear()
        run = cli("ls", f"s3://{bucket}/cam1/", "-r", "--type", "video_frame", "--json")
        assert run.exit_code == 0 and len(run.jsonl()) == 5
        assert len(_warnings(run.stderr)) == 1
        assert heads == []  # the fallback disk cache was filled during the outage
    finally:
        redis.stop()


def test_unreachable_redis_warns_once_and_never_shows_its_password(cli, env, monkeypatch, tmp_path):
    monkeypatch.setenv("MINIO_REDIS_URL", f"redis://:hunter2pw@127.0.0.1:{free_port()}/0")
    bucket = unique("b")
    src = write_file(tmp_path / "a.jpg", 100)
    run = cli("upload", str(src), f"s3://{bucket}/a.jpg", "--type", "video_frame")
    assert run.exit_code == 0, run
    assert len(_warnings(run.stderr)) == 1 and "hunter2pw" not in run.stderr + run.stdout
    run = cli("cache", "stats", "--json")
    assert run.exit_code == 0 and "hunter2pw" not in run.stdout + run.stderr
    assert run.json()["backend"] == "disk" and run.json()["degraded_from"][0].startswith("Redis (redis://127.0.0.1")


def test_write_during_a_redis_outage_is_not_hidden_when_redis_returns(cli, env, monkeypatch, tmp_path, redis_server):
    bucket = unique("b")
    ref = f"s3://{bucket}/k.bin"
    monkeypatch.setenv("MINIO_REDIS_URL", redis_server.url)
    assert cli("upload", str(write_file(tmp_path / "one", 100)), ref).exit_code == 0
    assert _stat_size(cli, ref) == 100  # cached in Redis
    monkeypatch.setenv("MINIO_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # Redis unreachable
    run = cli("upload", str(write_file(tmp_path / "two", 200, seed=1)), ref)
    assert run.exit_code == 0 and len(_warnings(run.stderr)) == 1
    monkeypatch.setenv("MINIO_REDIS_URL", redis_server.url)  # back
    assert _stat_size(cli, ref) == 200


def test_corrupt_cache_folder_is_rebuilt_and_the_command_succeeds(cli, env, heads):
    from its_store import StorageService, load_settings
    svc = StorageService(load_settings())
    bucket = unique("b")
    _frames(svc, bucket)
    svc.close()
    assert len(_ls_frames(cli, bucket)) == 5
    folder = Path(env["MINIO_CACHE_DIR"]) / "metadata"
    for path in folder.iterdir():
        if path.name.startswith("cache.db"):
            path.write_bytes(b"\x00garbage" * 512)
    run = cli("ls", f"s3://{bucket}/cam1/", "-r", "--type", "video_frame", "--json")
    assert run.exit_code == 0 and len(run.jsonl()) == 5, run
    assert any("rebuilt" in w for w in _warnings(run.stderr)), run
    heads.clear()
    assert len(_ls_frames(cli, bucket)) == 5 and heads == []  # the rebuilt cache works


def test_unusable_cache_folder_means_no_cache_not_an_error(cli, env, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("MINIO_CACHE_DIR", str(blocker / "cache"))  # under a regular file: cannot exist
    bucket = unique("b")
    run = cli("upload", str(write_file(tmp_path / "a.jpg", 100)), f"s3://{bucket}/a.jpg")
    assert run.exit_code == 0, run
    assert _stat_size(cli, f"s3://{bucket}/a.jpg") == 100
    assert _warnings(run.stderr), run


def test_caching_off(cli, env, monkeypatch, heads):
    from its_store import StorageService, load_settings
    monkeypatch.setenv("MINIO_ENABLE_CACHING", "false")
    svc = StorageService(load_settings())
    bucket = unique("b")
    _frames(svc, bucket)
    for _ in range(2):
        heads.clear()
        assert len(_ls_frames(cli, bucket)) == 5 and len(heads) == 8
    report = cli("cache", "stats", "--json").json()
    assert report["backend"] == "none" and report["enabled"] is False and report["hits"] == 0


def test_cache_clear_command(cli, svc, heads):
    bucket = unique("b")
    _frames(svc, bucket)
    _ls_frames(cli, bucket)
    run = cli("cache", "clear", "--json")
    assert run.exit_code == 0 and run.json()["cleared"] >= 8, run
    heads.clear()
    _ls_frames(cli, bucket)
    assert len(heads) == 8
    human = cli("cache", "stats")
    assert human.exit_code == 0 and "hit rate" in human.stdout
