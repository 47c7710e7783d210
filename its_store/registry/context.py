"""RegistryContext: what every registry service works over, built once per ModelRegistry.

One models bucket, the storage Context (service/context.py: the S3 client, settings, workers, metadata
cache, stats, audit log and ctx.op(); uploads, downloads and the rest go through the focused storage
services over it, service/objects.py, buckets.py, versions.py, copying.py, never the storage facade),
the read side with its document cache (docs.py), the compare-and-swap documents (store.py), the offline
copy (offline.py), the webhook emitter and the audit of changes. The services (register, query,
promotion, removal, gc, variants, pull, share, lineage, verify) are functions over a context: they
import this module, never the ModelRegistry facade, and reach nothing private of another object.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry import aliases as aliases_doc
from its_store.registry.docs import RegistryDocs
from its_store.registry.manifest import record
from its_store.registry.refs import MANIFEST
from its_store.registry.store import DocStore

if TYPE_CHECKING:
    from its_store.core.settings import Settings
    from its_store.registry.offline import OfflineStore
    from its_store.s3.client import S3Client
    from its_store.service.context import Context, Op


class RegistryContext:
    """The registry's shared state and its bookkeeping (cache invalidation, audit, webhooks). Thread-safe
    as the storage Context is; the S3 client and the offline copy are built on first use (an offline registry
    never builds a client)."""

    def __init__(self, storage: Context, bucket: str, docs: RegistryDocs, *, actor: str,
                 offline: bool) -> None:
        self.storage = storage
        self.bucket = bucket
        self.docs = docs
        self.actor = actor
        self.offline = offline
        self._store: DocStore | None = None
        self._offline_store: OfflineStore | None = None
        self._answers: set[bool | None] = set()  # what delete answers said of a marker (s3/deleted.py): heard()

    @property
    def s3(self) -> S3Client:
        return self.storage.s3

    @property
    def settings(self) -> Settings:
        return self.storage.settings

    @property
    def workers(self) -> int:
        return int(self.storage.workers)

    @property
    def store(self) -> DocStore:
        """Every compare-and-swap document of the bucket (registry/store.py)."""
        if self._store is None:
            self._store = DocStore(self.s3, self.bucket, self.invalidate)
        return self._store

    @property
    def offline_store(self) -> OfflineStore:
        """The last manifests and aliases seen (registry/offline.py): written online, read offline."""
        if self._offline_store is None:
            from its_store.registry.offline import OfflineStore
            self._offline_store = OfflineStore(self.settings, self.bucket)
        return self._offline_store

    # ------------------------------------------------------------------------------- documents
    def aliases(self, name: str) -> dict[str, Any]:
        """NAME's alias document as stored now (an empty one when there is none); one GET."""
        stored = self.store.get(aliases_doc.aliases_key(name))
        return aliases_doc.empty_doc(name) if stored is None else stored.doc

    def manifest_exists(self, name: str, version: str) -> bool:
        """NAME@VERSION is registered now (its manifest exists): one HEAD, never a cache."""
        try:
            self.s3.stat(self.bucket, f"{name}/{version}/{MANIFEST}")
            return True
        except (E.ObjectNotFoundError, E.BucketNotFoundError):
            return False

    # ------------------------------------------------------------------------------- deleting
    def leaves_delete_markers(self) -> bool | None:
        """Whether a DELETE without a version id leaves a delete marker in the bucket (versioned or locked).
        Once deletes were made here, what their answers said (heard(): each <Deleted>'s DeleteMarker) comes
        first, as for `rm` (service/versions.markers_of): a key that may not read the versioning still learns
        its deletes only hid the data. Before any, or where the answers said nothing, the versioning
        (service/versions.markers_said: asked once per bucket and remembered by the storage Context); an
        answer's explicit "no marker" when that cannot be read; else None (unknown: said once, and reported
        null, never "erased")."""
        from its_store.service.markers import markers_left, markers_said
        answers = set(self._answers)
        if True in answers:
            return True
        if not answers or None in answers:
            return markers_said(self.storage, self.bucket)
        known = markers_left(self.storage, self.bucket)
        return False if known is None else known

    def heard(self, said: dict[str, bool | None]) -> None:
        """Keep what delete answers said of a marker (s3/client.remove_many's `said`), for leaves_delete_markers."""
        self._answers.update(said.values())

    def invalidate(self, keys: list[str]) -> None:
        """Writes made here (not through a storage service's ctx.op) must drop the cached metadata of those
        objects (through the storage Context, the one place that does it)."""
        self.storage.forget_keys(self.bucket, keys)

    def remove_keys(self, keys: list[str]) -> None:
        """Batch delete; the first per-key failure is raised (AccessDenied -> exit 6, ...)."""
        if not keys:
            return
        try:
            said: dict[str, bool | None] = {}
            failures = self.s3.remove_many(self.bucket, [(k, None) for k in keys], said=said)
            self.heard(said)
        finally:
            self.invalidate(keys)
        if failures:
            from its_store.s3.client import failure_error
            raise failure_error(failures[0][1], self.bucket, failures[0][0])

    def remove_prefix(self, prefix: str, keep: Iterable[str] = ()) -> int:
        """Delete every object under `prefix` except the relative paths in `keep`; returns the count."""
        kept = set(keep)
        keys = [item.key for item in self.s3.list_objects(self.bucket, prefix, True)
                if item.key[len(prefix):] not in kept]
        self.remove_keys(keys)
        return len(keys)

    # ------------------------------------------------------------------------------- bookkeeping
    def audited(self, operation: str, key: str, **fields: Any) -> Op:
        """One registry change, recorded by the storage Context's one recorder (ctx.op): one audit line,
        ok or with the error, when the block ends; fields learnt in the block go into `op.fields`. The
        cache is told by the writes themselves (invalidate), so the op forgets nothing more."""
        return self.storage.op(operation, bucket=self.bucket, key=key, forget=None, **fields)

    def emit(self, kind: str, name: str, version: str | None, **fields: Any) -> None:
        """POST a webhook event (registry/webhooks.py); never fails the change that already happened."""
        from its_store.registry import webhooks
        webhooks.emit(self.settings, webhooks.new_event(kind, bucket=self.bucket, model=name, version=version,
                                                        actor=self.actor, **fields))

    def record(self, manifest: dict[str, Any], aliases: list[str]) -> dict[str, Any]:
        """The public record of one version (manifest.record) with its s3:// URI in this bucket."""
        rec = record(manifest, aliases)
        rec["uri"] = f"s3://{self.bucket}/{rec['model_name']}/{rec['version']}/"
        return rec


def quietly(fn: Callable[..., Any], *args: Any) -> None:
    """Best-effort cleanup that must not hide the error being raised."""
    with contextlib.suppress(E.ItsStoreError):
        fn(*args)


def now() -> str:
    """The registry's timestamps: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_actor() -> str:
    """user@host of this process, for created_by and alias history (from the OS, not the environment)."""
    import os
    import socket
    try:
        import pwd
        user = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
