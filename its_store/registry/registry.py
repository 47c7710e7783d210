"""ModelRegistry: versioned, verified ML artifacts in MINIO_MODELS_BUCKET, with the bucket as the only truth.

Layout (documented in the README so any S3 tool can read a model):
    NAME/VERSION/<files...>         the artifact, byte for byte as registered (never compressed)
    NAME/VERSION/variants/V/<files> the files of variant V (onnx, trt-sm89-trt10.3, ...): variants.py
    NAME/VERSION/card.md            the model card, when one was given
    NAME/VERSION/manifest.json      format 2; written last, write-once (If-None-Match: *): the version exists
                                    iff it does; later changed only by If-Match (a new variant, sealing)
    NAME/VERSION/.its-registering   present only while a registration uploads (or after one crashed)
    NAME/_aliases.json              aliases and their history, updated with compare-and-swap
    _index/sha256/<hex>             dedup index: where bytes with that sha256 are already stored (dedup.py)

This module is the write side and the API; what is done with a registered version (pull, share,
lineage, diff, verify, seal, gc) is operations.py, reading and caching documents docs.py, pulls
pull.py, aliases aliases.py, the manifest manifest.py, names/versions refs.py.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store._version import __version__
from its_store.core import errors as E
from its_store.core.refs import validate_bucket
from its_store.registry import aliases as aliases_doc
from its_store.registry.docs import PROCESS_CACHE, DocCache, ProcessCache, RegistryDocs
from its_store.registry.manifest import (
    CARD,
    build_manifest,
    format_of,
    hash_files,
    load_training_config,
    record,
)
from its_store.registry.operations import VersionOperations
from its_store.registry.refs import (
    LATEST,
    LOCK,
    MANIFEST,
    Condition,
    is_version,
    latest_version,
    next_patch,
    parse_version,
    parse_where,
    sort_records,
    validate_alias,
    validate_name,
    validate_tags,
)
from its_store.registry.store import DocStore

if TYPE_CHECKING:
    from its_store.core.settings import Settings
    from its_store.service.storage import StorageService

__all__ = ["PROCESS_CACHE", "DocCache", "ModelRegistry", "ProcessCache", "get_model_registry"]

AUTO = "auto"
AUTO_ATTEMPTS = 5


class ModelRegistry(VersionOperations):
    """Register, list, pull, share and promote model versions stored in one bucket. Pull, share,
    lineage, diff, verify, seal, gc and the webhook outbox are inherited from registry/operations.py."""

    def __init__(self, service: StorageService | None = None, *, bucket: str | None = None,
                 cache: DocCache | None = None, actor: str | None = None, offline: bool | None = None) -> None:
        """`offline` (default: the settings' ITS_STORE_OFFLINE): list, show and pull answer from the
        local cache only and never build an S3 client (registry/offline.py)."""
        if service is None:
            from its_store.service.storage import get_storage_service
            service = get_storage_service()
        self.service = service
        self.bucket = validate_bucket(bucket or service.settings.models_bucket)
        self.docs = RegistryDocs(service, self.bucket,
                                 cache if cache is not None else _for_identity(PROCESS_CACHE, service))
        self.actor = actor or default_actor()
        self.offline = bool(service.settings.offline if offline is None else offline)
        self._offline_store: Any = None
        self._store: DocStore | None = None

    @property
    def s3(self) -> Any:
        return self.service.s3

    @property
    def store(self) -> DocStore:
        """Every compare-and-swap document of the bucket (registry/store.py); built on first use, so that an
        offline registry never builds an S3 client."""
        if self._store is None:
            self._store = DocStore(self.s3, self.bucket, self._invalidate)
        return self._store

    @property
    def offline_store(self) -> Any:
        """The last manifests and aliases seen (registry/offline.py): written online, read offline."""
        if self._offline_store is None:
            from its_store.registry.offline import OfflineStore
            self._offline_store = OfflineStore(self.service.settings, self.bucket)
        return self._offline_store

    def _emit(self, kind: str, name: str, version: str | None, **fields: Any) -> None:
        """POST a webhook event (registry/webhooks.py); never fails the change that already happened."""
        from its_store.registry import webhooks
        webhooks.emit(self.service.settings, webhooks.new_event(kind, bucket=self.bucket, model=name, version=version,
                                                                actor=self.actor, **fields))

    # ------------------------------------------------------------------------------------ register
    def register_model(self, model_path: Path | str, model_name: str, version: str = AUTO,
                       metrics: dict[str, Any] | None = None, training_config: Any = None,
                       tags: dict[str, Any] | None = None, description: str = "", *, force: bool = False,
                       progress: Callable[[int], None] | None = None, variant: str | None = None,
                       parents: Iterable[str] | None = None, datasets: Iterable[str] | None = None,
                       run_id: str | None = None, git_dir: Path | str | None = None,
                       card: Path | str | None = None, dedup: bool = True) -> dict[str, Any]:
        """Upload a file or folder as NAME@VERSION; the manifest goes last, write-once.

        `version` is a semantic version or "auto" (next patch). `training_config` is a dict (stored in the
        manifest) or the path of a JSON/YAML file (parsed into the manifest and stored byte for byte as a
        file of the version). An existing version raises AlreadyExistsError unless `force`, or, with
        `variant`, gains that variant (variants.py). Lineage: `parents` ("name@version", must exist),
        `datasets` ("URI[@VERSION]"), `run_id`, and the git state of `git_dir` (None: not recorded).
        `card` is a Markdown file stored as NAME/VERSION/card.md. Files whose bytes the registry already
        holds are copied server-side instead of uploaded (dedup.py) unless `dedup` is False.
        """
        name = validate_name(model_name)
        auto = str(version).strip().lower() == AUTO
        fixed = None if auto else str(parse_version(str(version)))
        from its_store.registry.inputs import prepare
        files, details = prepare(self, model_path, metrics, training_config, tags, description, force=force,
                                 variant=variant, parents=parents, datasets=datasets, run_id=run_id,
                                 git_dir=git_dir, card=card, dedup=dedup)
        self.docs.require_conditional_writes()  # write-once manifests and locks, before any hashing
        if fixed and not force and self._manifest_exists(name, fixed):
            if not details["variant"]:
                raise _exists(name, fixed)
            from its_store.registry.variants import add_variant
            with self._audited("model_register", f"{name}/{fixed}/", model=name, version=fixed,
                               variant=details["variant"]) as entry:
                rec = add_variant(self, name, fixed, files, details, progress)
                entry.update(size=rec["size"], uploaded_bytes=rec["uploaded_bytes"])
            self._emit("model.register", name, fixed, variant=details["variant"])
            return rec
        hash_files(files + ([details["card"]] if details["card"] else []), self.service.workers)
        self.service.ensure_bucket(self.bucket)
        for attempt in range(AUTO_ATTEMPTS if auto else 1):
            chosen = fixed or self._next_version(name)
            try:
                with self._audited("model_register", f"{name}/{chosen}/", model=name, version=chosen,
                                   force=force) as entry:
                    rec = self._register(name, chosen, files, details, force=force and not auto, progress=progress)
                    entry.update(size=rec["size"], sha256=rec["sha256"])
                self._emit("model.register", name, rec["version"])
                return rec
            except E.AlreadyExistsError:
                from its_store.registry.variants import add_variant, wait_for_manifest
                if fixed and details["variant"] and wait_for_manifest(self, name, fixed):  # created meanwhile
                    rec = add_variant(self, name, fixed, files, details, progress)
                    self._emit("model.register", name, fixed, variant=details["variant"])
                    return rec
                if not auto or attempt == AUTO_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _audited(self, operation: str, key: str, **fields: Any) -> Any:
        """A context that appends one audit line (ok or error) for a registry change (audit.py)."""
        log = getattr(self.service, "audit", None)
        if log is None:
            return contextlib.nullcontext(dict(fields))
        from its_store.state.audit import recording
        return recording(log, operation, bucket=self.bucket, key=key, **fields)

    def _training_config(self, value: Any, files: list[Any]) -> tuple[Any, str | None]:
        """A dict/list is stored as is; a path is parsed and its file joins the artifact, unaltered."""
        from its_store.registry.manifest import LocalFile, check_file_path, content_type_of
        if value is None or isinstance(value, (dict, list)):
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise E.InvalidInputError("training_config must be JSON-serialisable") from None
            return value, None
        path = Path(value)
        parsed = load_training_config(path)
        rel = check_file_path(path.name)
        for item in files:
            if item.path == rel:
                if item.source.resolve() != path.resolve():
                    raise E.InvalidInputError(f"the artifact already has a file named {rel!r}",
                                              hint="rename the config file")
                return parsed, rel
        files.append(LocalFile(rel, path, content_type=content_type_of(rel)))
        return parsed, rel

    def _next_version(self, name: str) -> str:
        scan = self.docs.scan(name)
        return next_patch([*scan.versions(name), *(v for (n, v) in scan.pending if n == name)])

    def _register(self, name: str, version: str, files: list[Any], details: dict[str, Any], *, force: bool,
                  progress: Callable[[int], None] | None) -> dict[str, Any]:
        from its_store.registry import dedup
        prefix = f"{name}/{version}/"
        card = details.get("card")
        self._lock_version(name, version, force)
        try:
            stored = dedup.store_files(self, prefix, files + ([card] if card else []),
                                       dedup=details.get("dedup", True), progress=progress)
            manifest = build_manifest(name, version, files, metrics=details["metrics"],
                                      training_config=details["training_config"],
                                      config_file=details["config_file"], tags=details["tags"],
                                      description=details["description"], created_at=_now(),
                                      created_by=self.actor, tool_version=f"its-store {__version__}",
                                      lineage=details.get("lineage"), variant=details.get("variant"), card=card)
            if force:
                self.store.put(prefix + MANIFEST, manifest)
            else:
                self.store.put_if_absent(prefix + MANIFEST, manifest)
        except E.AlreadyExistsError:
            raise _exists(name, version) from None  # a --force run took over: its files are not ours to delete
        except BaseException:
            self._quietly(self._remove_prefix, prefix, ())  # no manifest exists: everything here is debris
            raise
        # Registered. Tidying up is best effort: a leftover lock beside a manifest is harmless.
        if force:
            self._quietly(self._remove_prefix, prefix, {MANIFEST, LOCK, CARD, *(f.rel_key for f in files)})
        self._quietly(self._remove_keys, [prefix + LOCK])
        self._quietly(dedup.index, self, prefix, stored.uploaded)
        rec = self._record(manifest, [])
        rec.update(stored.as_dict(), variant=details.get("variant"))
        return rec

    def _lock_version(self, name: str, version: str, force: bool) -> None:
        """Take NAME/VERSION/.its-registering write-once, then re-check the manifest.

        The holder uploads, writes the manifest, then drops the lock; so whoever takes the lock after it
        sees the manifest and backs off without touching a byte of the winner's files. `model rm` and
        `model gc` hold the same marker while they delete a version's files (registry/removal.py).
        """
        prefix = f"{name}/{version}/"
        marker = {"by": self.actor, "at": _now(), "tool_version": __version__}
        from its_store.registry import removal
        if force:  # takes over a registration's marker, never a removal's (removal.py)
            removal.take_over(self, name, version, marker)
            self._remove_keys([prefix + MANIFEST])  # the old version disappears before its bytes change
            return
        try:
            self.store.put_if_absent(prefix + LOCK, marker)
        except E.AlreadyExistsError:
            raise removal.busy(self, name, version, removing=False) from None
        if self._manifest_exists(name, version):
            self._remove_keys([prefix + LOCK])
            raise _exists(name, version)

    # -------------------------------------------------------------------------------- list & show
    def list_models(self, name: str | None = None, *, limit: int | None = None,
                    tags: dict[str, str] | None = None, where: Iterable[str | Condition] | None = None,
                    sort: str | None = None, ascending: bool = False) -> list[dict[str, Any]]:
        """Versions as dicts (model_name, version, metrics, tags, created_at, size, sha256, ...).

        Filters: `tags` (all must match), `where` ("accuracy>=0.9", all must hold); then `sort`
        (version, created, or a metric name) and finally `limit`.
        """
        if name is not None:
            validate_name(name)
        conditions = [c if isinstance(c, Condition) else parse_where(c) for c in where or []]
        wanted = validate_tags(tags)
        if limit is not None and limit < 1:
            raise E.InvalidInputError("limit must be at least 1")
        if self.offline:
            manifests, alias_docs, as_of = self.offline_store.listing(name)
        else:
            scan = self.docs.scan(name)
            manifests, alias_docs = self.docs.fetch_all(scan)
            self.offline_store.remember_listing(name, manifests, scan.manifests, alias_docs, scan.aliases)
        records = []
        for (model, version), manifest in manifests.items():
            aliases = aliases_doc.aliases_of(alias_docs.get(model, {}), version)
            rec = self._record(manifest, aliases)
            if all(rec["tags"].get(k) == v for k, v in wanted.items()) and all(c(rec["metrics"]) for c in conditions):
                records.append(rec)
        ordered = sort_records(records, sort, ascending)
        ordered = ordered[:limit] if limit else ordered
        if self.offline:
            from its_store.registry.offline import with_age
            ordered = [with_age(rec, as_of) for rec in ordered]
        return ordered

    def versions(self, name: str) -> list[str]:
        """Registered versions of a model, highest first."""
        from its_store.registry.refs import version_key
        return sorted(self.docs.scan(validate_name(name)).versions(name), key=version_key, reverse=True)

    def show_model(self, name: str, version: str | None = None) -> dict[str, Any]:
        """One version in full: the list fields plus files, training config and provenance."""
        if self.offline:
            from its_store.registry.offline import show_source, with_age
            resolved, manifest, doc, as_of = show_source(self.offline_store, validate_name(name), version)
        else:
            resolved = self.resolve(name, version)
            manifest = self.docs.manifest(name, resolved)
            doc, _ = aliases_doc.read(self.s3, self.bucket, name)
            self.offline_store.remember_aliases(name, doc)
        rec = self._record(manifest, aliases_doc.aliases_of(doc, resolved))
        from its_store.registry.inputs import card_text
        if self.offline:
            card = self.offline_store.card(name, resolved)
        else:
            card = card_text(self, name, resolved, manifest)
            self.offline_store.remember_manifest(name, resolved, manifest, card=card)
        rec.update({"training_config": copy.deepcopy(manifest.get("training_config")),
                    "training_config_file": manifest.get("training_config_file"),
                    "tool_version": manifest.get("tool_version"), "format": format_of(manifest), "card": card})
        return with_age(rec, as_of) if self.offline else rec

    def resolve(self, name: str, ref: str | None = None) -> str:
        """A version, an alias or latest (also None) -> the version it means now."""
        validate_name(name)
        if ref is None or ref == LATEST:
            found = latest_version(self.docs.scan(name).versions(name))
            if found is None:
                raise E.NotFoundError(f"model not found: {name} has no registered version",
                                      hint="see `its-store model list`")
            return found
        if is_version(ref):
            return str(parse_version(ref))
        doc, _ = aliases_doc.read(self.s3, self.bucket, name)
        self.offline_store.remember_aliases(name, doc)
        version = doc["aliases"].get(validate_alias(ref))
        if version is None:
            raise E.NotFoundError(f"{name} has no alias {ref!r}", hint=f"see `its-store model aliases {name}`")
        return str(version)

    def _record(self, manifest: dict[str, Any], aliases: list[str]) -> dict[str, Any]:
        rec = record(manifest, aliases)
        rec["uri"] = f"s3://{self.bucket}/{rec['model_name']}/{rec['version']}/"
        return rec

    # ----------------------------------------------------------------------- reading the bucket
    def _manifest_exists(self, name: str, version: str) -> bool:
        try:
            self.s3.stat(self.bucket, f"{name}/{version}/{MANIFEST}")
            return True
        except (E.ObjectNotFoundError, E.BucketNotFoundError):
            return False

    # ----------------------------------------------------------------------- aliases & removal
    def promote(self, name: str, version: str, alias: str) -> dict[str, Any]:
        """Point `alias` at an existing version (given as version, alias or latest); history records it.
        Never leaves the alias on a version removed meanwhile (registry/promotion.py: NotFoundError)."""
        from its_store.registry.promotion import promote
        return promote(self, name, version, alias)

    def get_aliases(self, name: str) -> dict[str, Any]:
        """Current aliases and their history (oldest first) of a model."""
        validate_name(name)
        doc, etag = aliases_doc.read(self.s3, self.bucket, name)
        if etag is None and not self.docs.scan(name).versions(name):
            raise E.NotFoundError(f"model not found: {name}", hint="see `its-store model list`")
        return {"model_name": name, "aliases": doc["aliases"], "history": doc["history"]}

    def delete_model(self, name: str, version: str, *, force: bool = False) -> dict[str, Any]:
        """Remove one version: manifest first (it vanishes at once), then its files (registry/removal.py).

        A version an alias points to is refused (ConflictError) unless `force`, which also drops those aliases;
        so is one being registered. In a versioned bucket the data stays stored behind delete markers: the
        result says so (`delete_markers`, `hidden`, `hidden_bytes`).
        """
        validate_name(name)
        if not is_version(version):
            raise E.InvalidInputError(f"removal needs an explicit version, not {version!r}",
                                      hint=f"see `its-store model list {name}`")
        from its_store.registry.removal import remove_version
        return remove_version(self, name, str(parse_version(version)), force=force)

    @staticmethod
    def _quietly(fn: Callable[..., Any], *args: Any) -> None:
        """Best-effort cleanup that must not hide the error being raised."""
        try:
            fn(*args)
        except E.ItsStoreError:
            pass

    def _remove_keys(self, keys: list[str]) -> None:
        """Batch delete; the first per-key failure is raised (AccessDenied -> exit 6, ...)."""
        if not keys:
            return
        try:
            failures = self.s3.remove_many(self.bucket, [(k, None) for k in keys])
        finally:
            self._invalidate(keys)
        if failures:
            from its_store.s3.client import failure_error
            raise failure_error(failures[0][1], self.bucket, failures[0][0])

    def _invalidate(self, keys: list[str]) -> None:
        """Writes that bypass StorageService must drop the service's cached metadata of those objects."""
        cache = getattr(self.service, "cache", None)
        if cache is not None and hasattr(cache, "invalidate_objects"):
            cache.invalidate_objects(self.bucket, keys)

    def _remove_prefix(self, prefix: str, keep: Iterable[str]) -> int:
        """Delete every object under `prefix` except the relative paths in `keep`; returns the count."""
        kept = set(keep)
        keys = [item.key for item in self.s3.list_objects(self.bucket, prefix, True)
                if item.key[len(prefix):] not in kept]
        self._remove_keys(keys)
        return len(keys)


def _for_identity(shared: DocCache, service: StorageService) -> DocCache:
    """The process-wide document cache as this service's identity sees it (never another identity's)."""
    from its_store.state.service_cache import ForIdentity
    return ForIdentity(shared, service.settings)


def _exists(name: str, version: str) -> E.AlreadyExistsError:
    return E.AlreadyExistsError(f"{name}@{version} is already registered",
                                hint="versions are immutable: register a new version (or --version auto), "
                                     "or add --force to overwrite")


def _now() -> str:
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


_shared: ModelRegistry | None = None
_shared_lock = threading.Lock()


def get_model_registry(settings: Settings | None = None) -> ModelRegistry:
    """The process-wide ModelRegistry over get_storage_service(), created on first call."""
    global _shared
    from its_store.service.storage import StorageService, get_storage_service
    if settings is not None:
        return ModelRegistry(StorageService(settings))
    with _shared_lock:
        if _shared is None:
            _shared = ModelRegistry(get_storage_service())
        return _shared
