"""The metadata cache answers only the identity the server answered: keyed by who asked.

Against the real SeaweedFS and both cache backends (disk, and the session's real redis-server): after a
service with good keys has stat'ed an object, a service with a wrong secret, or with another access key,
must be refused as a direct HEAD is, never be served the cached metadata and tags.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E

from conftest import unique


@pytest.fixture(params=["disk", "redis"])
def cache_env(request: Any, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "redis":
        monkeypatch.setenv("MINIO_REDIS_URL", request.getfixturevalue("redis_server").url)
    return request.param


def service_as(access_key: str | None = None, secret_key: str | None = None) -> Any:
    """A StorageService of this test's environment, with other credentials when given."""
    from its_store import StorageService, load_settings
    settings = load_settings()
    changes: dict[str, Any] = {}
    if access_key is not None:
        changes["access_key"] = access_key
    if secret_key is not None:
        from pydantic import SecretStr
        changes["secret_key"] = SecretStr(secret_key)
    return StorageService(settings.model_copy(update=changes))


def stranger_identities(env: dict[str, str]) -> list[tuple[str, str]]:
    return [(env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"] + "x"),       # the right user, a wrong secret
            ("someone-else", env["MINIO_SECRET_KEY"]),                       # another access key
            ("someone-else", "another-secret-entirely")]


def test_a_cached_stat_is_never_served_to_another_identity(cache_env, env, s3_server):
    good = service_as()
    bucket = unique("b")
    good.s3.make_bucket(bucket)
    good.s3.put(bucket, "cam1/f.jpg", b"frame-bytes", {"Content-Type": "image/jpeg"})
    good.s3.set_tags(bucket, "cam1/f.jpg", {"site": "north-gate"})
    info = good.stat_object(bucket, "cam1/f.jpg")
    assert info.size == len(b"frame-bytes") and info.tags == {"site": "north-gate"}
    assert good.cache.backend.backend in ("disk", "redis") and good.stats.cache_misses >= 1
    assert good.stat_object(bucket, "cam1/f.jpg").etag == info.etag  # now served from the cache
    assert good.cached_bucket_names() and bucket in good.cached_bucket_names()
    for access, secret in stranger_identities(env):
        other = service_as(access, secret)
        with pytest.raises(E.ItsStoreError) as refused:
            other.s3.stat(bucket, "cam1/f.jpg")  # a direct HEAD with these keys is refused...
        with pytest.raises(type(refused.value)):
            other.stat_object(bucket, "cam1/f.jpg")  # ...and so is the cached answer
        assert other.cached_bucket_names() == []  # completion: no names it was never shown
        other.close()
    # The right identity is still served from the cache (another process, same keys).
    again = service_as()
    hits = again.stats.cache_hits
    assert again.stat_object(bucket, "cam1/f.jpg").tags == {"site": "north-gate"}
    assert again.stats.cache_hits == hits + 2  # the stat and the tags
    good.close()
    again.close()


def test_cache_keys_never_hold_the_secret(cache_env, env, tmp_path: Path):
    good = service_as()
    bucket = unique("b")
    good.s3.make_bucket(bucket)
    good.s3.put(bucket, "k", b"x", {})
    good.stat_object(bucket, "k")
    secret = env["MINIO_SECRET_KEY"]
    if cache_env == "disk":
        stored = b"".join(p.read_bytes() for p in Path(env["MINIO_CACHE_DIR"]).rglob("*") if p.is_file())
        assert secret.encode() not in stored
    else:
        import redis
        client = redis.Redis.from_url(os.environ["MINIO_REDIS_URL"])
        for name in client.scan_iter(match="its-store:meta:*"):
            assert secret.encode() not in name
            assert all(secret.encode() not in field for field in client.hkeys(name))
    good.close()


def test_identity_fingerprint_rules(tmp_path: Path):
    """Unit rules of the identity: secret-dependent, never containing the secret, endpoint-bound, and
    every kind of answer (stat, tags, bucket names, documents) kept per identity in one group."""
    from its_store.state.cache import DiskCache
    from its_store.state.service_cache import ServiceCache, identity_of
    ident = identity_of("h:9000", "AK", "s3cr3t-value")
    assert ident.startswith("AK/") and "s3cr3t" not in ident and len(ident) == len("AK/") + 32
    assert ident != identity_of("h:9000", "AK", "s3cr3t-valuf") != identity_of("h:9001", "AK", "s3cr3t-value")
    assert identity_of("h:9000", "AK", "s3cr3t-value") == ident  # stable: shared Redis across machines
    disk = DiskCache(tmp_path / "metadata")
    mine = ServiceCache(disk, endpoint="h:9000", access_key="AK", ttl=60, secret="good")
    wrong = ServiceCache(disk, endpoint="h:9000", access_key="AK", ttl=60, secret="bad")
    other = ServiceCache(disk, endpoint="h:9000", access_key="BK", ttl=60, secret="good")
    assert mine.tags("b", "k", None, lambda: {"a": "1"}) == {"a": "1"}
    assert mine.remember(("model-registry", "b", "m/1.0.0/manifest.json", "e"), lambda: {"doc": 1}) == {"doc": 1}
    mine.remember_bucket_names(["b"])
    for stranger in (wrong, other):
        assert stranger.tags("b", "k", None, lambda: {"fresh": "y"}) == {"fresh": "y"}
        assert stranger.remember(("model-registry", "b", "m/1.0.0/manifest.json", "e"), lambda: {"doc": 2}) \
            == {"doc": 2}
        assert stranger.bucket_names() is None
    assert mine.tags("b", "k", None, lambda: pytest.fail("cached")) == {"a": "1"}
    wrong.invalidate_object("b", "k")  # one group per object: an invalidation reaches every identity's items
    assert mine.tags("b", "k", None, lambda: {"a": "2"}) == {"a": "2"}
    disk.close()


def test_registry_documents_are_not_shared_between_identities_in_one_process(env, tmp_path: Path):
    """The registry keeps parsed manifests in memory for the life of the process (keyed by ETag): a
    registry with other credentials in the same process must ask the server, not that memory."""
    from its_store import ModelRegistry

    from helpers import write_file
    good = ModelRegistry(service_as())
    good.register_model(write_file(tmp_path / "w.pt", 500, seed=3), "idm", "1.0.0")
    assert [r["version"] for r in good.list_models("idm")] == ["1.0.0"]  # parsed and kept by ETag
    [(_, etag)] = good.docs.scan("idm").manifests.items()
    assert good.docs.fetch("idm/1.0.0/manifest.json", etag)["name"] == "idm"
    for access, secret in stranger_identities(env):
        other = ModelRegistry(service_as(access, secret))
        with pytest.raises(E.ItsStoreError):
            other.docs.fetch("idm/1.0.0/manifest.json", etag)
        with pytest.raises(E.ItsStoreError):
            other.list_models("idm")
