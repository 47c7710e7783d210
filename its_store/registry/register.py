"""Registering a version: files first, the manifest last and write-once, so the version exists iff its
manifest does (the layout is in registry/registry.py's docstring).

A registration holds NAME/VERSION/.its-registering (write-once) from before its first upload until the
manifest is written, which keeps it apart from another registration and from removals (removal.py).
An existing version refuses a new registration unless --force, or, given a variant, gains that variant
(variants.py). With version "auto" the next patch is taken, retried when another registration took it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store._version import __version__
from its_store.core import errors as E
from its_store.registry import dedup, removal, variants
from its_store.registry.context import now, quietly
from its_store.registry.inputs import prepare
from its_store.registry.manifest import build_manifest, hash_files
from its_store.registry.query import next_version
from its_store.registry.refs import CARD, LOCK, MANIFEST, parse_version, validate_name
from its_store.registry.results import Registration

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext

AUTO = "auto"
AUTO_ATTEMPTS = 5


def register_model(ctx: RegistryContext, model_path: Path | str, model_name: str, version: str = AUTO,
                   metrics: Mapping[str, Any] | None = None, training_config: Any = None,
                   tags: Mapping[str, Any] | None = None, description: str = "", *, force: bool = False,
                   progress: Callable[[int], None] | None = None, variant: str | None = None,
                   parents: Iterable[str] | None = None, datasets: Iterable[str] | None = None,
                   run_id: str | None = None, git_dir: Path | str | None = None,
                   card: Path | str | None = None, dedup: bool = True, follow_symlinks: bool = False) -> Registration:
    """Upload a file or folder as NAME@VERSION (see ModelRegistry.register_model)."""
    from its_store.core.localname import checked
    checked(model_path, "cannot read")
    name = validate_name(model_name)
    auto = str(version).strip().lower() == AUTO
    fixed = None if auto else str(parse_version(str(version)))
    files, details = prepare(ctx, model_path, metrics, training_config, tags, description, force=force,
                             variant=variant, parents=parents, datasets=datasets, run_id=run_id,
                             git_dir=git_dir, card=card, dedup=dedup,
                             follow_symlinks=follow_symlinks)
    ctx.docs.require_conditional_writes()  # write-once manifests and locks, before any hashing
    if fixed and not force and ctx.manifest_exists(name, fixed):
        if not details["variant"]:
            raise exists(name, fixed)
        return _variant_of_existing(ctx, name, fixed, files, details, progress)
    hash_files(files + ([details["card"]] if details["card"] else []), ctx.workers)
    from its_store.service.bucket_use import ensure_bucket
    ensure_bucket(ctx.storage, ctx.bucket)
    return _register_version(ctx, name, fixed, auto, files, details, force=force, progress=progress)


def _variant_of_existing(ctx: RegistryContext, name: str, version: str, files: list[Any], details: dict[str, Any],
                         progress: Callable[[int], None] | None) -> Registration:
    """A registration of an existing version, given a variant: the variant is added to it (variants.py)."""
    with ctx.audited("model_register", f"{name}/{version}/", model=name, version=version,
                     variant=details["variant"]) as entry:
        rec = variants.add_variant(ctx, name, version, files, details, progress)
        entry.fields.update(size=rec.size, uploaded_bytes=rec.uploaded_bytes)
    ctx.emit("model.register", name, version, variant=details["variant"])
    return rec


def _register_version(ctx: RegistryContext, name: str, fixed: str | None, auto: bool, files: list[Any],
                      details: dict[str, Any], *, force: bool, progress: Callable[[int], None] | None
                      ) -> Registration:
    """A new version: `fixed`, or with version "auto" the next patch, taken again (AUTO_ATTEMPTS) when another
    registration took it; a fixed version created meanwhile gains the variant given."""
    for attempt in range(AUTO_ATTEMPTS if auto else 1):
        chosen = fixed or next_version(ctx, name)
        try:
            with ctx.audited("model_register", f"{name}/{chosen}/", model=name, version=chosen,
                             force=force) as entry:
                rec = _register(ctx, name, chosen, files, details, force=force and not auto, progress=progress)
                entry.fields.update(size=rec.size, sha256=rec.sha256)
            ctx.emit("model.register", name, rec.version)
            return rec
        except E.AlreadyExistsError:
            if fixed and details["variant"] and variants.wait_for_manifest(ctx, name, fixed):  # created meanwhile
                rec = variants.add_variant(ctx, name, fixed, files, details, progress)
                ctx.emit("model.register", name, fixed, variant=details["variant"])
                return rec
            if not auto or attempt == AUTO_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _manifest(ctx: RegistryContext, name: str, version: str, files: list[Any], details: dict[str, Any]
              ) -> dict[str, Any]:
    return build_manifest(name, version, files, metrics=details["metrics"], training_config=details["training_config"],
                          config_file=details["config_file"], tags=details["tags"],
                          description=details["description"], created_at=now(), created_by=ctx.actor,
                          tool_version=f"its-store {__version__}", lineage=details.get("lineage"),
                          variant=details.get("variant"), card=details.get("card"))


def _register(ctx: RegistryContext, name: str, version: str, files: list[Any], details: dict[str, Any], *,
              force: bool, progress: Callable[[int], None] | None) -> Registration:
    prefix = f"{name}/{version}/"
    card = details.get("card")
    from its_store.registry.store import MANIFEST_KIND
    MANIFEST_KIND.body(_manifest(ctx, name, version, files, details))  # too large to write: said before any upload
    took_over = _lock_version(ctx, name, version, force)
    try:
        stored = dedup.store_files(ctx, prefix, files + ([card] if card else []),
                                   dedup=details.get("dedup", True), progress=progress)
        manifest = _manifest(ctx, name, version, files, details)
        if force:
            ctx.store.put(prefix + MANIFEST, manifest)
        else:
            ctx.store.put_if_absent(prefix + MANIFEST, manifest)
    except E.AlreadyExistsError:
        raise exists(name, version) from None  # a --force run took over: its files are not ours to delete
    except BaseException:
        quietly(ctx.remove_prefix, prefix, ())  # no manifest exists: everything here is debris
        raise
    # Registered. Tidying up is best effort: a leftover lock beside a manifest is harmless.
    if force or took_over:  # what the run replaced (or a dead one left) and this one did not write
        quietly(ctx.remove_prefix, prefix, {MANIFEST, LOCK, CARD, *(f.rel_key for f in files)})
    quietly(ctx.remove_keys, [prefix + LOCK])
    quietly(dedup.index, ctx, prefix, stored.uploaded)
    return Registration.model_validate({**ctx.record(manifest, []), **stored.as_dict(),
                                        "variant": details.get("variant")})


def _lock_version(ctx: RegistryContext, name: str, version: str, force: bool) -> bool:
    """Take NAME/VERSION/.its-registering write-once, then re-check the manifest. True when it was taken over
    from a dead registration of this machine (removal.take_over_dead): its files are debris to tidy.

    The holder uploads, writes the manifest, then drops the lock; so whoever takes the lock after it
    sees the manifest and backs off without touching a byte of the winner's files. `model rm` and
    `model gc` hold the same marker while they delete a version's files (registry/removal.py). The marker
    names its process (core/liveness: host, boot id, pid namespace, pid, start time), so that a re-run on
    the same machine can prove a killed registration dead.
    """
    from its_store.core.liveness import this_process
    prefix = f"{name}/{version}/"
    marker = {"by": ctx.actor, "at": now(), "tool_version": __version__, **this_process()}
    if force:  # takes over a registration's marker, never a removal's (removal.py)
        removal.take_over(ctx, name, version, marker)
        ctx.remove_keys([prefix + MANIFEST])  # the old version disappears before its bytes change
        return False
    took_over = False
    try:
        ctx.store.put_if_absent(prefix + LOCK, marker)
    except E.AlreadyExistsError:
        took_over = removal.take_over_dead(ctx, name, version, marker)
        if not took_over:
            raise removal.busy(ctx, name, version, removing=False) from None
    if ctx.manifest_exists(name, version):
        ctx.remove_keys([prefix + LOCK])
        raise exists(name, version)
    return took_over


def exists(name: str, version: str) -> E.AlreadyExistsError:
    return E.AlreadyExistsError(f"{name}@{version} is already registered",
                                hint="versions are immutable: register a new version (or --version auto), "
                                     "or add --force to overwrite")
