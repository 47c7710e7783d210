"""Sharing a version: presigned GET URLs of its files and manifest, for a box without credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from its_store.registry.manifest import stored_entries
from its_store.registry.query import resolve
from its_store.registry.refs import MANIFEST
from its_store.registry.results import DownloadUrls

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext


def download_urls(ctx: RegistryContext, name: str, ref: str | None, expires_in_seconds: int = 3600) -> DownloadUrls:
    """Presigned GET URLs of every file (the card excepted) and of the manifest; `url` is the primary file's."""
    from its_store.service.objects import presign
    resolved = resolve(ctx, name, ref)
    manifest = ctx.docs.manifest(name, resolved)
    prefix = f"{name}/{resolved}/"

    def sign(key: str) -> str:
        return presign(ctx.storage, ctx.bucket, key, expires_in_seconds, "GET")

    files = [{"path": f["key"], "size": f["size"], "sha256": f["sha256"], "variant": f["variant"],
              "url": sign(prefix + f["key"])} for f in stored_entries(manifest) if not f.get("card")]
    primary = next((f["url"] for f in files if f["path"] == manifest.get("primary")), files[0]["url"])
    expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in_seconds))
    return DownloadUrls.model_validate({
        "model_name": name, "version": resolved, "expires_in_seconds": int(expires_in_seconds),
        "expires_at": expires_at.isoformat(timespec="seconds"), "url": primary,
        "manifest_url": sign(prefix + MANIFEST), "files": files})
