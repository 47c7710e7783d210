"""ModelRegistry: versioned, verified ML artifacts in MINIO_MODELS_BUCKET, with the bucket as the only truth.

Layout (documented in docs/guides/model-registry.md so any S3 tool can read a model):
    NAME/VERSION/<files...>         the artifact, byte for byte as registered (never compressed)
    NAME/VERSION/variants/V/<files> the files of variant V (onnx, trt-sm89-trt10.3, ...): variants.py
    NAME/VERSION/card.md            the model card, when one was given
    NAME/VERSION/manifest.json      format 2; written last, write-once (If-None-Match: *): the version exists
                                    iff it does; later changed only by If-Match (a new variant, sealing)
    NAME/VERSION/.its-registering   present only while a registration uploads (or after one crashed)
    NAME/_aliases.json              aliases and their history, updated with compare-and-swap
    _index/sha256/<hex>             dedup index: where bytes with that sha256 are already stored (dedup.py)

This module is the facade only, and the only one of registry/ that knows the StorageService facade: it
hands the service's storage Context (service/context.py) to one RegistryContext (context.py), and each
method hands over to a service over that context: register.py, query.py (list, show, resolve, aliases),
promotion.py, removal.py, gc.py, variants.py (and seal), pull.py, share.py, lineage.py, diff.py,
verify.py, webhooks.py; the compare-and-swap documents go through store.py, the document reads through
docs.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core.refs import validate_bucket
from its_store.registry.context import RegistryContext, default_actor
from its_store.registry.docs import PROCESS_CACHE, DocCache, ProcessCache, RegistryDocs
from its_store.registry.refs import Condition
from its_store.registry.results import (
    Aliases,
    DiffReport,
    DownloadUrls,
    GcReport,
    LineageReport,
    ModelDetails,
    ModelVersion,
    Promotion,
    PullResult,
    Registration,
    Removal,
    VerifyReport,
    WebhookFlush,
)

if TYPE_CHECKING:
    from types import TracebackType

    from its_store.core.errors import IntegrityError
    from its_store.core.settings import Settings
    from its_store.registry.offline import OfflineStore
    from its_store.registry.store import DocStore
    from its_store.s3.client import S3Client
    from its_store.service.storage import StorageService

__all__ = ["PROCESS_CACHE", "DocCache", "ModelRegistry", "ProcessCache", "default_actor", "get_model_registry"]

AUTO = "auto"


class ModelRegistry:
    """Register, list, pull, share, promote, remove and look after model versions stored in one bucket."""

    def __init__(self, service: StorageService | None = None, *, bucket: str | None = None,
                 cache: DocCache | None = None, actor: str | None = None, offline: bool | None = None) -> None:
        """`offline` (default: the settings' ITS_STORE_OFFLINE): list, show and pull answer from the
        local cache only and never build an S3 client (registry/offline.py)."""
        if service is None:
            from its_store.service.storage import get_storage_service
            service = get_storage_service()
        storage, settings = service.ctx, service.settings
        name = validate_bucket(bucket or settings.models_bucket)
        docs = RegistryDocs(storage, name, cache if cache is not None else _for_identity(PROCESS_CACHE, settings))
        self._service = service
        self._context = RegistryContext(storage, name, docs, actor=actor or default_actor(),
                                        offline=bool(settings.offline if offline is None else offline))
        self._closed = False

    # ------------------------------------------------------------------------------------ lifecycle
    @property
    def context(self) -> RegistryContext:
        """What every registry service works over; refused after close() (no silent use of a closed registry)."""
        if self._closed:
            from its_store.core.errors import ClosedError
            raise ClosedError("this ModelRegistry is closed", hint="create a new one")
        return self._context

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """End this registry: any later call raises ItsStoreError. The StorageService it works over is the
        caller's (or the process-wide one) and stays open; the registry holds nothing else of its own (its
        document cache is shared by the process, the offline copy opens its files per call). Safe twice."""
        self._closed = True

    def __enter__(self) -> ModelRegistry:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------------------ what it is over
    @property
    def service(self) -> StorageService:
        """The StorageService this registry works over (its services see only its storage Context)."""
        self.context  # noqa: B018 - refused after close(), as every other use
        return self._service

    @property
    def bucket(self) -> str:
        return self.context.bucket

    @property
    def docs(self) -> RegistryDocs:
        return self.context.docs

    @property
    def store(self) -> DocStore:
        return self.context.store

    @property
    def actor(self) -> str:
        return self.context.actor

    @property
    def offline(self) -> bool:
        return self.context.offline

    @property
    def s3(self) -> S3Client:
        return self.context.s3

    @property
    def offline_store(self) -> OfflineStore:
        return self.context.offline_store

    # ------------------------------------------------------------------------------------ register
    def register_model(self, model_path: Path | str, model_name: str, version: str = AUTO,
                       metrics: Mapping[str, float | str] | None = None,
                       training_config: dict[str, object] | list[object] | Path | str | None = None,
                       tags: Mapping[str, str | float] | None = None, description: str = "", *, force: bool = False,
                       progress: Callable[[int], None] | None = None, variant: str | None = None,
                       parents: Iterable[str] | None = None, datasets: Iterable[str] | None = None,
                       run_id: str | None = None, git_dir: Path | str | None = None,
                       card: Path | str | None = None, dedup: bool = True,
                       follow_symlinks: bool = False) -> Registration:
        """Upload a file or folder as NAME@VERSION; the manifest goes last, write-once.

        `version` is a semantic version or "auto" (next patch). `metrics` are numbers (or their text, as
        a command line gives them), `tags` text (a number is stored as its text). `training_config` is a
        JSON-serialisable dict or list (stored in the manifest) or the path of a JSON/YAML file (parsed
        into the manifest and stored byte for byte as a file of the version). An existing version raises
        AlreadyExistsError unless `force`, or, with `variant`, gains that variant (variants.py). Lineage:
        `parents` ("name@version", must exist), `datasets` ("URI[@VERSION]"), `run_id`, and the git state
        of `git_dir` (None: not recorded).
        `card` is a Markdown file stored as NAME/VERSION/card.md. Files whose bytes the registry already
        holds are copied server-side instead of uploaded (dedup.py) unless `dedup` is False.
        A symbolic link in a folder whose target is outside it is refused (InvalidInputError) unless
        `follow_symlinks`, which follows every link, to files and folders (a Hugging Face snapshot folder
        links each file into ../../blobs); a link to a file inside the folder is followed either way.
        """
        from its_store.registry.register import register_model
        return register_model(self.context, model_path, model_name, version, metrics, training_config, tags,
                              description, force=force, progress=progress, variant=variant, parents=parents,
                              datasets=datasets, run_id=run_id, git_dir=git_dir, card=card, dedup=dedup,
                              follow_symlinks=follow_symlinks)

    # -------------------------------------------------------------------------------- list & show
    def list_models(self, name: str | None = None, *, limit: int | None = None,
                    tags: dict[str, str] | None = None, where: Iterable[str | Condition] | None = None,
                    sort: str | None = None, ascending: bool = False,
                    skipped: list[IntegrityError] | None = None) -> list[ModelVersion]:
        """Versions (model_name, version, metrics, tags, created_at, size, sha256, ...).

        Filters: `tags` (all must match), `where` ("accuracy>=0.9", all must hold); then `sort`
        (version, created, or a metric name) and finally `limit`. A manifest or alias document that
        breaks the rules is IntegrityError, unless `skipped` is a list: then each is added there and the
        good versions are listed (`model list` reports them and exits 4 at the end).
        """
        from its_store.registry.query import list_models
        return list_models(self.context, name, limit=limit, tags=tags, where=where, sort=sort, ascending=ascending,
                           skipped=skipped)

    def versions(self, name: str) -> list[str]:
        """Registered versions of a model, highest first."""
        from its_store.registry.query import versions
        return versions(self.context, name)

    def show_model(self, name: str, version: str | None = None) -> ModelDetails:
        """One version in full: the list fields plus files, training config and provenance."""
        from its_store.registry.query import show_model
        return show_model(self.context, name, version)

    def resolve(self, name: str, ref: str | None = None) -> str:
        """A version, an alias or latest (also None) -> the version it means now."""
        from its_store.registry.query import resolve
        return resolve(self.context, name, ref)

    # ----------------------------------------------------------------------- aliases & removal
    def promote(self, name: str, version: str, alias: str) -> Promotion:
        """Point `alias` at an existing version (given as version, alias or latest); history records it.
        Never leaves the alias on a version removed meanwhile (registry/promotion.py: NotFoundError)."""
        from its_store.registry.promotion import promote
        return promote(self.context, name, version, alias)

    def get_aliases(self, name: str) -> Aliases:
        """Current aliases and their history (oldest first) of a model."""
        from its_store.registry.query import get_aliases
        return get_aliases(self.context, name)

    def delete_model(self, name: str, version: str, *, force: bool = False) -> Removal:
        """Remove one version: manifest first (it vanishes at once), then its files (registry/removal.py).

        A version an alias points to is refused (ConflictError) unless `force`, which also drops those aliases;
        so is one being registered. In a versioned bucket the data stays stored behind delete markers: the
        result says so (`delete_markers`, `hidden`, `hidden_bytes`).
        """
        from its_store.registry.removal import delete_model
        return delete_model(self.context, name, version, force=force)

    # ------------------------------------------------------------------------------------ upkeep
    def flush_webhooks(self, budget: float | None = None) -> WebhookFlush:
        """Send the webhook events waiting in the outbox (`model webhooks flush`)."""
        from its_store.registry import webhooks
        return webhooks.flush(self.context.settings, budget=budget or webhooks.SEND_BUDGET)

    def gc(self, name: str | None = None, *, keep_last: int, older_than: timedelta | str | float,
           stale: timedelta | str | float = "1h", dry_run: bool = False, now: datetime | None = None) -> GcReport:
        """Remove old versions (beyond the newest `keep_last`, older than `older_than`) that no alias
        points to and no kept version names as parent, and registrations killed midway (registry/gc.py)."""
        from its_store.registry.gc import gc
        return gc(self.context, name, keep_last=keep_last, older_than=older_than, stale=stale, dry_run=dry_run,
                  now=now)

    # -------------------------------------------------------------- lineage, variants, diff, verify
    def lineage(self, name: str, version: str | None = None) -> LineageReport:
        """Ancestors (parents, their parents...) and descendants (versions naming it as parent)."""
        from its_store.registry.lineage import lineage
        return lineage(self.context, name, version)

    def seal(self, name: str, version: str | None = None) -> ModelVersion:
        """Close a version to new variants (promotion does it too). Sealing twice is a no-op."""
        from its_store.registry.variants import seal
        return seal(self.context, name, version)

    def diff(self, name_a: str, ref_a: str | None, name_b: str, ref_b: str | None) -> DiffReport:
        """What changed from NAME_A@REF_A to NAME_B@REF_B (diff.py)."""
        from its_store.registry.diff import diff
        from its_store.registry.query import resolve
        a, b = resolve(self.context, name_a, ref_a), resolve(self.context, name_b, ref_b)
        return diff(self.docs.manifest(name_a, a), self.docs.manifest(name_b, b))

    def verify_model(self, name: str, version: str | None = None, *, check: bool = True) -> VerifyReport:
        """Re-read every stored file and compare with the manifest; IntegrityError naming the damaged
        ones when `check` (else the report lists them in `damaged`)."""
        from its_store.registry.verify import verify_model
        return verify_model(self.context, name, version, check=check)

    # ----------------------------------------------------------------------- pull & share
    def get_model(self, name: str, version: str | None = None, download_path: Path | str | None = None, *,
                  force: bool = False, variant: str | None = None, gpu_arch: str | None = None,
                  trt_version: str | None = None) -> PullResult:
        """Download NAME@VERSION (a version, an alias or latest), every file verified by sha256.

        A one-file model is written to `download_path` (or into it, if it is a folder); a folder model
        becomes the folder `download_path`. Default: ./FILE or ./NAME-VERSION. Files already in the
        local cache are not downloaded again. Nothing appears at the destination unless all is verified.
        `variant`: a variant's name, or "auto" (the engine for `gpu_arch` + `trt_version`, else onnx).
        """
        from its_store.registry.pull import pull_version
        return pull_version(self.context, name, version, download_path, force=force, variant=variant,
                            gpu_arch=gpu_arch, trt_version=trt_version)

    def generate_download_url(self, name: str, version: str | None = None, expires_in_seconds: int = 3600) -> str:
        """A presigned GET URL of the model's primary file (its only file, or the largest non-config one)."""
        return self.download_urls(name, version, expires_in_seconds).url

    def download_urls(self, name: str, version: str | None = None, expires_in_seconds: int = 3600) -> DownloadUrls:
        """Presigned GET URLs of every file and of the manifest (at most 7 days)."""
        from its_store.registry.share import download_urls
        return download_urls(self.context, name, version, expires_in_seconds)


def _for_identity(shared: DocCache, settings: Settings) -> DocCache:
    """The process-wide document cache as these settings' identity sees it (never another identity's)."""
    from its_store.state.service_cache import ForIdentity
    return ForIdentity(shared, settings)


_shared: ModelRegistry | None = None
_shared_lock = threading.Lock()


def get_model_registry(settings: Settings | None = None) -> ModelRegistry:
    """The process-wide ModelRegistry over get_storage_service(), created on first call, and again when that
    service is no longer the process-wide one (it was closed, and get_storage_service() built another)."""
    global _shared
    from its_store.service.storage import StorageService, get_storage_service
    if settings is not None:
        return ModelRegistry(StorageService(settings))
    with _shared_lock:
        service = get_storage_service()
        if _shared is None or _shared.service is not service:
            _shared = ModelRegistry(service)
        return _shared
