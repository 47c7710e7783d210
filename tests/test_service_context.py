"""StorageService over one Context: `with`, close() releasing what it opened, use after close, `s3=`,
and ctx.op() recording an operation once (stats, cache, audit) whichever way it ends."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from its_store import ObjectType, StorageService, UploadRequest, load_settings
from its_store.core.errors import ClosedError, ItsStoreError, ObjectNotFoundError
from its_store.s3.client import S3Client

from helpers import random_bytes


def _sockets() -> set[str]:
    """The sockets this process holds open (its pooled connections among them), by their inode: a socket of
    an earlier test closed meanwhile (collected) does not hide one opened here, as a bare count did."""
    fds = Path("/proc/self/fd")
    found = set()
    for fd in os.listdir(fds):
        try:
            target = os.readlink(fds / fd)
        except OSError:
            continue  # closed meanwhile (the listdir's own descriptor)
        if target.startswith("socket:"):
            found.add(target)
    return found


def _fill(svc: StorageService, bucket: str, n: int = 6) -> None:
    """Uploads and HEADs on several threads: several pooled connections."""
    for i in range(n):
        svc.upload_object(UploadRequest(bucket=bucket, key=f"k{i}", data=random_bytes(1000, seed=i),
                                        object_type=ObjectType.OTHER))
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: svc.stat_object(bucket, f"k{i}", include_tags=False), range(n)))


def test_with_closes_the_pool_it_opened_and_use_after_close_is_an_error(env, bucket):
    before = _sockets()
    with StorageService(load_settings(), workers=4) as svc:
        _fill(svc, bucket)
        held = svc.s3  # a reference kept (as a script or another object may): no garbage collection to help
        opened = _sockets() - before
        assert opened
    assert svc.closed and not opened & _sockets()  # the S3 client's connections went with it
    del held
    with pytest.raises(ItsStoreError, match="closed"):
        svc.list_buckets()
    with pytest.raises(ItsStoreError, match="closed"):
        svc.stat_object(bucket, "k0")
    assert not svc.ctx.s3_opened  # not silently reopened
    svc.close()  # twice: fine


def test_a_client_passed_in_is_used_and_left_open(env, bucket):
    settings = load_settings()
    client = S3Client(settings)
    with StorageService(settings, s3=client) as svc:
        assert svc.s3 is client
        _fill(svc, bucket, 2)
    assert client.bucket_exists(bucket)  # the caller's to close
    client.close()


def test_get_storage_service_after_close_is_a_new_one(env):
    from its_store.service.storage import get_storage_service
    first = get_storage_service()
    first.close()
    second = get_storage_service()
    assert second is not first and not second.closed
    second.close()


def _audit(svc: StorageService) -> list[dict[str, Any]]:
    return svc.audit.tail(100)


def test_op_records_once_whichever_way_it_ends(env, bucket):
    """ctx.op: one stats count, one audit line, the object dropped from the cache, for a success and for
    a failure (the error's code on the line, no bytes counted)."""
    with StorageService(load_settings()) as svc:
        svc.upload_object(UploadRequest(bucket=bucket, key="a", data=b"x" * 10))
        assert svc.stat_object(bucket, "a", include_tags=False).size == 10  # now cached
        hits = svc.stats.cache_hits
        svc.stat_object(bucket, "a", include_tags=False)
        assert svc.stats.cache_hits == hits + 1
        ctx = svc.ctx
        with ctx.op("cp", bucket=bucket, key="a", stat="copy", source="s3://elsewhere/a") as op:
            op.nbytes = 10
        with pytest.raises(ObjectNotFoundError), ctx.op("cp", bucket=bucket, key="a", stat="copy") as op:
            op.nbytes = 99
            raise ObjectNotFoundError("gone")
        copies = [line for line in _audit(svc) if line["operation"] == "cp"]
        assert [(c["result"], c["error"], c.get("source")) for c in copies] == [
            ("ok", None, "s3://elsewhere/a"), ("error", "object_not_found", None)]
        counted = svc.stats.operations["copy"]
        assert (counted.count, counted.failures, counted.bytes) == (2, 1, 10)
        hits = svc.stats.cache_hits
        svc.stat_object(bucket, "a", include_tags=False)
        assert svc.stats.cache_hits == hits  # the op dropped it: asked the server again


def test_model_registry_is_a_context_manager_and_refuses_use_after_close(env, bucket):
    """`with ModelRegistry(svc) as reg:` ends the registry (every call then raises ItsStoreError, a CLI
    one-liner, not a silent use); the StorageService it worked over is the caller's and stays usable."""
    from its_store import ModelRegistry
    with StorageService(load_settings()) as svc:
        with ModelRegistry(svc, bucket=bucket) as reg:
            assert reg.list_models() == []
        assert reg.closed
        for call in (reg.list_models, lambda: reg.show_model("m", "1.0.0"), lambda: reg.get_aliases("m")):
            with pytest.raises(ClosedError, match="ModelRegistry is closed"):
                call()
        reg.close()  # twice is harmless
        assert svc.list_buckets()  # the service is not the registry's to close
