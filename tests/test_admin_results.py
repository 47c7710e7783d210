"""The library calls behind the bucket, tag, lifecycle, policy, encryption, object-lock, version and
health commands return Result models, and the CLI's --json is exactly their model_dump (issue 21):
one definition of each document, so the library and `--json` cannot drift apart.

Each pair below reads the same state twice (no change in between), once through the library and once
through `its-store ... --json`, against the session's SeaweedFS; values that change from call to call
(the health check's latency) are left out of the comparison.
"""

from __future__ import annotations

from typing import Any

from its_store.core.models import Result

from conftest import unique
from helpers import put_stdin


def _same(cli: Any, result: Any, *args: str, drop: tuple[str, ...] = ()) -> None:
    """`result` is a Result, and `its-store ARGS --json` printed its dump (but the `drop` fields)."""
    assert isinstance(result, Result), type(result)
    run = cli(*args, "--json")
    assert run.exit_code in (0, 69), run
    printed, dumped = run.json(), result.model_dump(mode="json")
    for name in drop:
        printed.pop(name), dumped.pop(name)
    assert printed == dumped


def test_reads_are_the_models_the_cli_prints(cli: Any, service: Any, bucket: str) -> None:
    put_stdin(cli, bucket, "cam1/f.jpg")
    assert cli("tag", "set", f"s3://{bucket}/cam1/f.jpg", "site=a4").exit_code == 0
    assert cli("bucket", "lifecycle", "set", f"s3://{bucket}", "--id", "tmp", "--prefix", "tmp/",
               "--expire-days", "7").exit_code == 0
    assert cli("bucket", "policy", "set", f"s3://{bucket}", "--public-read", "share/").exit_code == 0
    _same(cli, service.tagging().get(bucket, "cam1/f.jpg"), "tag", "get", f"s3://{bucket}/cam1/f.jpg")
    _same(cli, service.versions().state(bucket), "bucket", "versioning", f"s3://{bucket}")
    _same(cli, service.lifecycle().show(bucket), "bucket", "lifecycle", "show", f"s3://{bucket}")
    _same(cli, service.policies().get(bucket), "bucket", "policy", "show", f"s3://{bucket}")
    _same(cli, service.get_bucket_encryption(bucket), "bucket", "encryption", "show", f"s3://{bucket}")
    _same(cli, service.buckets().info(bucket), "bucket", "info", f"s3://{bucket}")
    _same(cli, service.get_health_status(), "health", drop=("latency_ms",))
    _same(cli, service.settings.public_view(), "config")


def test_object_lock_reads_are_the_models_the_cli_prints(cli: Any, service: Any, locked: str) -> None:
    put_stdin(cli, locked, "ev/f.jpg")
    assert cli("legal-hold", "on", f"s3://{locked}/ev/f.jpg").exit_code == 0
    assert cli("bucket", "retention", "set", f"s3://{locked}", "--mode", "governance", "--days", "1").exit_code == 0
    _same(cli, service.retention().show(locked, "ev/f.jpg"), "retention", "show", f"s3://{locked}/ev/f.jpg")
    _same(cli, service.retention().bucket_lock(locked), "bucket", "retention", "show", f"s3://{locked}")
    assert service.retention().bucket_lock(locked).default() is not None
    assert service.buckets().info(locked).default_retention == service.retention().bucket_lock(locked).default()
    assert cli("legal-hold", "off", f"s3://{locked}/ev/f.jpg").exit_code == 0


def test_changes_return_models(service: Any, bucket: str) -> None:
    """Each change returns its result model: fields by name, typed (no dict to index)."""
    from its_store.service.health import BucketsInitialized
    from its_store.service.lifecycle import LifecycleRemoved, LifecycleSet, make_rule
    from its_store.service.policy import PolicyRemoved
    from its_store.service.versions import ErasureResult, VersioningState
    assert isinstance(service.versions().set(bucket, True), VersioningState)
    added = service.lifecycle().set(bucket, [make_rule(id="a", expire_days=3)])
    assert isinstance(added, LifecycleSet) and added.added == ["a"]
    removed = service.lifecycle().remove(bucket, "a")
    assert isinstance(removed, LifecycleRemoved) and removed.removed == ["a"] and removed.rules == []
    service.policies().set(bucket, public_read=["share/"])
    gone = service.policies().remove(bucket)
    assert isinstance(gone, PolicyRemoved) and gone.removed and gone.was_public
    assert isinstance(service.init_buckets(), BucketsInitialized)
    from its_store import UploadRequest
    service.upload_object(UploadRequest(bucket=bucket, key="k", data=b"12345"))
    erased = service.versions().erase(bucket, "k")
    assert isinstance(erased, ErasureResult) and (erased.versions, erased.bytes, erased.failed) == (1, 5, 0)
    assert erased.model_dump(mode="json")["bytes"] == 5 and erased.total_bytes == 5


def test_bucket_create_and_remove_return_models(cli: Any, service: Any) -> None:
    name = unique("rb")
    created = service.buckets().create(name, preset="logs", encryption=False)
    assert isinstance(created, Result) and created.default_retention is None
    assert [r.id for r in created.lifecycle] == ["its-preset-logs"]
    removed = service.buckets().remove(name)
    assert isinstance(removed, Result) and removed.bucket == name
