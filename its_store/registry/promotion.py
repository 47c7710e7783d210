"""Promotion, and the rule that an alias never points at a removed version, whoever runs at the same time.

Promote and removal (`model gc`, `model rm`) each commit with one write and then check the other side's
write, so that at least one of them sees the other (the protocol is explained in registry/gc.py):

  promote:  write the alias (compare-and-swap)  ->  HEAD the manifest; gone: undo the alias, fail (exit 3)
  removal:  delete the manifest                 ->  read the aliases; one names the version: put the
                                                    manifest back, keep the files

S3 is strongly consistent (read-after-write, list-after-write), so whichever check comes second sees
the first side's write. When both back off (the version is kept and the alias undone), promote's error
says to retry, and the retry succeeds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry import aliases as aliases_doc
from its_store.registry.context import quietly
from its_store.registry.query import resolve
from its_store.registry.refs import ALIASES, MANIFEST, validate_alias
from its_store.registry.results import Promotion
from its_store.registry.variants import seal_manifest

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext

def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def promote(ctx: RegistryContext, name: str, version: str, alias: str) -> Promotion:
    """Point `alias` at an existing version (a version, an alias or latest); history records it. If the
    version is removed while the alias is written, the alias is undone and NotFoundError raised."""
    validate_alias(alias)
    resolved = resolve(ctx, name, version)
    ctx.offline_store.remember_manifest(name, resolved, ctx.docs.manifest(name, resolved))  # it must exist
    events: list[dict[str, Any]] = []
    ctx.docs.require_conditional_writes()  # the aliases document changes by compare-and-swap only

    def change(doc: dict[str, Any]) -> dict[str, Any] | None:
        events.clear()
        event = aliases_doc.promote(doc, alias, resolved, actor=ctx.actor, at=_now())
        if event:
            events.append(event)
        return event

    with ctx.audited("model_promote", f"{name}/{ALIASES}", model=name, version=resolved, alias=alias):
        doc = ctx.store.update(aliases_doc.aliases_key(name), change)
        if events and not ctx.manifest_exists(name, resolved):  # removed meanwhile (gc, rm): take it back
            doc = _undo(ctx, name, alias, resolved, events[0]["previous"])
    ctx.offline_store.remember_aliases(name, doc)
    if events:
        ctx.emit("model.promote", name, resolved, alias=alias, previous=events[0]["previous"])
    quietly(seal_manifest, ctx, name, resolved)  # a promoted version takes no new variants
    previous = events[0]["previous"] if events else resolved
    return Promotion(model_name=name, alias=alias, version=resolved, previous=previous, changed=bool(events),
                     aliases=doc["aliases"])


def _undo(ctx: RegistryContext, name: str, alias: str, version: str, previous: str | None) -> dict[str, Any]:
    """Point `alias` back where it was, unless someone moved it since; then raise NotFoundError."""
    def change(doc: dict[str, Any]) -> dict[str, Any] | None:
        if doc["aliases"].get(alias) != version:
            return None  # moved by someone else since: no longer ours to undo
        if previous is None:
            del doc["aliases"][alias]
        else:
            doc["aliases"][alias] = previous
        event = {"alias": alias, "version": previous, "previous": version, "action": "undo", "by": ctx.actor,
                 "at": _now(), "reason": "the version was removed while being promoted"}
        doc["history"].append(event)
        return event

    try:
        ctx.store.update(aliases_doc.aliases_key(name), change)
        undone = f"{alias} was left as it was"
    except E.ItsStoreError as exc:
        undone = f"and {alias} could not be set back ({exc.message}): promote another version"
    raise E.NotFoundError(f"{name}@{version} was removed while being promoted (by model gc or rm); {undone}",
                          hint=f"see `its-store model list {name}`, then promote an existing version")


def keep_if_aliased(ctx: RegistryContext, removed: dict[tuple[str, str], dict[str, Any]]) -> set[tuple[str, str]]:
    """Removal's side of the protocol, after it deleted these versions' manifests: read each model's aliases
    again; a version an alias names now is put back (its manifest, write-once) and returned, so that the
    caller keeps its files. `removed` maps (model, version) to the manifest that was deleted."""
    kept: set[tuple[str, str]] = set()
    for model in sorted({m for m, _ in removed}):
        doc = ctx.aliases(model)
        for version in set(doc["aliases"].values()):
            if (model, version) in removed:
                restore(ctx, model, version, removed[(model, version)])
                kept.add((model, version))
    return kept


def restore(ctx: RegistryContext, name: str, version: str, manifest: dict[str, Any]) -> None:
    """Put a deleted manifest back (write-once: a manifest written meanwhile by someone else stays)."""
    try:
        ctx.store.put_if_absent(f"{name}/{version}/{MANIFEST}", manifest)
    except E.AlreadyExistsError:
        pass
