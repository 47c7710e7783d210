"""Reading the registry: list and filter versions, show one, resolve a reference, a model's aliases.

Online, answers come from one bucket listing plus the documents it names (docs.py, cached by ETag) and
are remembered in the offline copy; offline (registry/offline.py), from that copy only, each answer
marked with its age.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.units import whole
from its_store.registry import aliases as aliases_doc
from its_store.registry.manifest import format_of
from its_store.registry.refs import (
    CARD,
    LATEST,
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
    version_key,
)
from its_store.registry.results import Aliases, ModelDetails, ModelVersion

CARD_LIMIT = 1024 * 1024  # a model card is stored and shown only up to this size

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext


def resolve(ctx: RegistryContext, name: str, ref: str | None = None) -> str:
    """A version, an alias or latest (also None) -> the version it means now."""
    validate_name(name)
    if ref is not None and not isinstance(ref, str):
        raise E.InvalidInputError(f"{ref!r} is no version or alias", hint="a version (1.2.0), an alias or 'latest'")
    if ref is None or ref == LATEST:
        found = latest_version(ctx.docs.scan(name).versions(name))
        if found is None:
            raise E.NotFoundError(f"model not found: {name} has no registered version",
                                  hint="see `its-store model list`")
        return found
    if is_version(ref):
        return str(parse_version(ref))
    doc = ctx.aliases(name)
    ctx.offline_store.remember_aliases(name, doc)
    version = doc["aliases"].get(validate_alias(ref))
    if version is None:
        raise E.NotFoundError(f"{name} has no alias {ref!r}", hint=f"see `its-store model aliases {name}`")
    return str(version)


def next_version(ctx: RegistryContext, name: str) -> str:
    """The next patch after every version registered or being registered."""
    scan = ctx.docs.scan(name)
    return next_patch([*scan.versions(name), *(v for (n, v) in scan.pending if n == name)])


def versions(ctx: RegistryContext, name: str) -> list[str]:
    """Registered versions of a model, highest first."""
    return sorted(ctx.docs.scan(validate_name(name)).versions(name), key=version_key, reverse=True)


def list_models(ctx: RegistryContext, name: str | None = None, *, limit: int | None = None,
                tags: dict[str, str] | None = None, where: Iterable[str | Condition] | None = None,
                sort: str | None = None, ascending: bool = False,
                skipped: list[E.IntegrityError] | None = None) -> list[ModelVersion]:
    """Versions filtered by `tags` (all must match) and `where` (all must hold), sorted, then `limit`.
    A manifest or alias document that breaks the rules is IntegrityError; with `skipped` given, it is
    added there instead and the rest is listed (its versions left out; a bad alias document: its model's
    versions listed without aliases)."""
    if name is not None:
        validate_name(name)
    conditions = [c if isinstance(c, Condition) else parse_where(c) for c in where or []]
    wanted = validate_tags(tags)
    if limit is not None and whole(limit, "limit", low=None) < 1:
        raise E.InvalidInputError("limit must be at least 1")
    as_of = None
    if ctx.offline:
        manifests, alias_docs, as_of = ctx.offline_store.listing(name)
    else:
        scan = ctx.docs.scan(name)
        manifests, alias_docs = ctx.docs.fetch_all(scan, skipped)
        ctx.offline_store.remember_listing(name, manifests, scan.manifests, alias_docs, scan.aliases)
    records = []
    for (model, version), manifest in manifests.items():
        rec = ctx.record(manifest, aliases_doc.aliases_of(alias_docs.get(model, {}), version))
        if all(rec["tags"].get(k) == v for k, v in wanted.items()) and all(c(rec["metrics"]) for c in conditions):
            records.append(rec)
    ordered = sort_records(records, sort, ascending)
    ordered = ordered[:limit] if limit else ordered
    if ctx.offline:
        from its_store.registry.offline import with_age
        ordered = [with_age(rec, as_of) for rec in ordered]
    return [ModelVersion.model_validate(rec) for rec in ordered]


def show_model(ctx: RegistryContext, name: str, version: str | None = None) -> ModelDetails:
    """One version in full: the list fields plus training config, provenance and the model card."""
    as_of = None
    if ctx.offline:
        from its_store.registry.offline import show_source
        resolved, manifest, doc, as_of = show_source(ctx.offline_store, validate_name(name), version)
    else:
        resolved = resolve(ctx, name, version)
        manifest = ctx.docs.manifest(name, resolved)
        doc = ctx.aliases(name)
        ctx.offline_store.remember_aliases(name, doc)
    rec = ctx.record(manifest, aliases_doc.aliases_of(doc, resolved))
    if ctx.offline:
        card = ctx.offline_store.card(name, resolved)
    else:
        card = card_text(ctx, name, resolved, manifest)
        ctx.offline_store.remember_manifest(name, resolved, manifest, card=card)
    rec.update({"training_config": copy.deepcopy(manifest.get("training_config")),
                "training_config_file": manifest.get("training_config_file"),
                "tool_version": manifest.get("tool_version"), "format": format_of(manifest), "card": card})
    if ctx.offline:
        from its_store.registry.offline import with_age
        with_age(rec, as_of)
    return ModelDetails.model_validate(rec)


def get_aliases(ctx: RegistryContext, name: str) -> Aliases:
    """Current aliases and their history (oldest first) of a model; NotFoundError for an unknown model."""
    validate_name(name)
    stored = ctx.store.get(aliases_doc.aliases_key(name))
    if stored is None and not ctx.docs.scan(name).versions(name):
        raise E.NotFoundError(f"model not found: {name}", hint="see `its-store model list`")
    doc = aliases_doc.empty_doc(name) if stored is None else stored.doc
    return Aliases.model_validate({"model_name": name, "aliases": doc["aliases"], "history": doc["history"]})


def card_text(ctx: RegistryContext, name: str, version: str, manifest: dict[str, Any]) -> str | None:
    """The model card's Markdown (None without one), read through service/objects.py (so an SSE-C key
    configured for the uploads applies); undecodable bytes are replaced, not fatal."""
    import io
    card = manifest.get("card")
    if not isinstance(card, dict) or int(card.get("size") or 0) > CARD_LIMIT:
        return None

    from its_store.service.objects import download_to_stream
    buffer = io.BytesIO()
    try:
        download_to_stream(ctx.storage, ctx.bucket, f"{name}/{version}/{card.get('path') or CARD}", buffer, raw=True)
    except E.ObjectNotFoundError:
        return None
    return buffer.getvalue().decode("utf-8", errors="replace")
