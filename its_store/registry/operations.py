"""What ModelRegistry does with a version already registered: pull it, share it (presigned URLs), trace
its lineage, diff two, verify, seal; and the registry's upkeep (gc, the webhook outbox). A mixin that
ModelRegistry inherits.

These live here only to keep registry.py (the write side: register, promote, remove) small (house
rule: modules under ~500 lines); each is a thin layer over its own module (pull.py, lineage.py,
diff.py, verify.py, variants.py, gc.py, webhooks.py), and `ModelRegistry.x` keeps working for all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.registry.refs import MANIFEST, validate_name

if TYPE_CHECKING:
    from its_store.registry.docs import RegistryDocs
    from its_store.service.storage import StorageService

__all__ = ["VersionOperations"]


class VersionOperations:
    """Mixin of ModelRegistry (see the module docstring); uses its service, bucket, docs, offline
    store, resolve() and audit/record helpers."""

    service: StorageService
    bucket: str
    docs: RegistryDocs
    offline: bool

    if TYPE_CHECKING:
        @property
        def offline_store(self) -> Any: ...
        def resolve(self, name: str, ref: str | None = None) -> str: ...
        def _audited(self, operation: str, key: str, **fields: Any) -> Any: ...
        def _record(self, manifest: dict[str, Any], aliases: list[str]) -> dict[str, Any]: ...

    # ------------------------------------------------------------------------------------ upkeep
    def flush_webhooks(self, budget: float | None = None) -> dict[str, Any]:
        """Send the webhook events waiting in the outbox (`model webhooks flush`)."""
        from its_store.registry import webhooks
        return webhooks.flush(self.service.settings, budget=budget or webhooks.SEND_BUDGET).to_dict()

    def gc(self, name: str | None = None, *, keep_last: int, older_than: Any, stale: Any = "1h",
           dry_run: bool = False, now: datetime | None = None) -> dict[str, Any]:
        """Remove old versions (beyond the newest `keep_last`, older than `older_than`) that no alias
        points to and no kept version names as parent, and registrations killed midway (registry/gc.py)."""
        from its_store.registry.gc import gc
        return gc(self, name, keep_last=keep_last, older_than=older_than, stale=stale, dry_run=dry_run, now=now)

    # -------------------------------------------------------------- lineage, variants, diff, verify
    def lineage(self, name: str, version: str | None = None) -> dict[str, Any]:
        """Ancestors (parents, their parents...) and descendants (versions naming it as parent)."""
        from its_store.registry.lineage import lineage
        return lineage(self, name, self.resolve(name, version))

    def seal(self, name: str, version: str | None = None) -> dict[str, Any]:
        """Close a version to new variants (promotion does it too). Sealing twice is a no-op."""
        resolved = self.resolve(name, version)
        self.docs.require_conditional_writes()  # the manifest changes by If-Match only
        with self._audited("model_seal", f"{name}/{resolved}/{MANIFEST}", model=name, version=resolved):
            doc = self._seal_manifest(name, resolved)
        return self._record(doc, [])

    def _seal_manifest(self, name: str, version: str) -> dict[str, Any]:
        from its_store.registry.variants import update_manifest

        def close(doc: dict[str, Any]) -> bool:
            if doc.get("sealed"):
                return False
            doc["sealed"] = True
            return True

        return update_manifest(self, name, version, close)

    def diff(self, name_a: str, ref_a: str | None, name_b: str, ref_b: str | None) -> dict[str, Any]:
        """What changed from NAME_A@REF_A to NAME_B@REF_B (diff.py)."""
        from its_store.registry.diff import diff
        a, b = self.resolve(name_a, ref_a), self.resolve(name_b, ref_b)
        return diff(self.docs.manifest(name_a, a), self.docs.manifest(name_b, b))

    def verify_model(self, name: str, version: str | None = None, *, check: bool = True) -> dict[str, Any]:
        """Re-read every stored file and compare with the manifest; IntegrityError naming the damaged
        ones when `check` (else the report lists them in `damaged`)."""
        from its_store.registry.verify import damaged_error, verify
        report = verify(self, name, self.resolve(name, version))
        if check and report["damaged"]:
            raise damaged_error(report)
        return report

    # ----------------------------------------------------------------------- pull & share
    def get_model(self, name: str, version: str | None = None, download_path: Path | str | None = None, *,
                  force: bool = False, variant: str | None = None, gpu_arch: str | None = None,
                  trt_version: str | None = None) -> dict[str, Any]:
        """Download NAME@VERSION (a version, an alias or latest), every file verified by sha256.

        A one-file model is written to `download_path` (or into it, if it is a folder); a folder model
        becomes the folder `download_path`. Default: ./FILE or ./NAME-VERSION. Files already in the
        local cache are not downloaded again. Nothing appears at the destination unless all is verified.
        `variant`: a variant's name, or "auto" (the engine for `gpu_arch` + `trt_version`, else onnx).
        """
        from its_store.registry.pull import BlobCache, PullPlan, pull
        from its_store.registry.variants import view
        if self.offline:
            from its_store.registry.offline import show_source, with_age
            resolved, manifest, _, as_of = show_source(self.offline_store, validate_name(name), version)
        else:
            resolved = self.resolve(name, version)
            manifest = self.docs.manifest(name, resolved)
            self.offline_store.remember_manifest(name, resolved, manifest)
        manifest, chosen = view(manifest, name, resolved, variant, gpu_arch, trt_version)
        if download_path is None:
            files = manifest["files"]
            download_path = Path(Path(files[0]["path"]).name if len(files) == 1 else f"{name}-{resolved}")
        cache_root = Path(self.service.settings.cache_dir or Path.home() / ".cache" / "its-store") / "models"
        plan = PullPlan(self.bucket, name, resolved, manifest, Path(download_path), force=force)
        if self.offline:
            return {**with_age(pull(None, plan, BlobCache(cache_root)), as_of), "variant": chosen}
        return {**pull(self.service, plan, BlobCache(cache_root)), "variant": chosen}

    def generate_download_url(self, name: str, version: str | None = None, expires_in_seconds: int = 3600) -> str:
        """A presigned GET URL of the model's primary file (its only file, or the largest non-config one)."""
        return str(self.download_urls(name, version, expires_in_seconds)["url"])

    def download_urls(self, name: str, version: str | None = None, expires_in_seconds: int = 3600) -> dict[str, Any]:
        """Presigned GET URLs of every file and of the manifest (at most 7 days)."""
        resolved = self.resolve(name, version)
        manifest = self.docs.manifest(name, resolved)
        prefix = f"{name}/{resolved}/"

        def sign(key: str) -> str:
            return self.service.generate_presigned_url(self.bucket, key, expires_in_seconds, "GET")

        from its_store.registry.manifest import stored_entries
        files = [{"path": f["key"], "size": f["size"], "sha256": f["sha256"], "variant": f["variant"],
                  "url": sign(prefix + f["key"])} for f in stored_entries(manifest) if not f.get("card")]
        primary = next((f["url"] for f in files if f["path"] == manifest.get("primary")), files[0]["url"])
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in_seconds))
        return {"model_name": name, "version": resolved, "expires_in_seconds": int(expires_in_seconds),
                "expires_at": expires_at.isoformat(timespec="seconds"), "url": primary,
                "manifest_url": sign(prefix + MANIFEST), "files": files}
