"""Garbage collection of the model registry: old versions nobody needs, and registrations killed midway.

A version is removed only when all of these hold:
  - it is beyond the newest `keep_last` versions of its model (semantic-version order);
  - it was created more than `older_than` ago (the manifest's created_at);
  - no alias points to it, not even one set while gc runs (see "gc racing promote" below);
  - no kept version names it as a parent (manifest `lineage.parents`, "name@version", followed
    transitively through kept versions, across models: the whole bucket is read for this).
Removal goes as for `model rm`: each version's marker NAME/VERSION/.its-registering is taken first
(write-once, registry/removal.py), and the manifest's ETag checked under it, so that no registration
(not even `register --force` of the same version) writes under the prefix while gc deletes, and a version
registered again since the listing is kept; then every manifest of the batch (so each version vanishes
from listings at once), then the version's files, only keys under NAME/VERSION/, the marker last. A
version whose marker is taken (a registration runs or died) is kept this time. Every version (with the
dedup of registry/dedup.py, too) holds all its files under its own prefix, so no other version's
bytes are touched; the dedup index entries naming a removed version's keys are deleted (registry/dedup.drop_entries).

A registration killed midway leaves NAME/VERSION/.its-registering and no manifest: when that marker is
older than `stale`, its prefix is debris and is removed (marker last), after gc replaced that marker by
its own with compare-and-swap on the listed ETag (a `register --force` taking it over first wins). A
marker beside a manifest (a finished registration whose cleanup was lost) loses the marker only. A
variant addition killed midway (registry/variants.py) leaves NAME/VERSION/variants/V/.its-registering:
when stale, the folder goes too unless the manifest (read again just before) names variant V, in which
case only the marker goes. Files under NAME/VERSION/ with neither manifest nor marker (from before
removals held the marker) are debris too, once the newest of them is older than `stale`; gc takes the
marker write-once before deleting them. `stale` must exceed the longest registration: a registration
still uploading behind an older marker is taken for dead. A younger marker whose process provably ended
(same machine and boot: core/liveness, the rule `model register` takes one over by) is debris at once
(`owner_gone`), and such a marker on a version gc removes is taken over (removal.claim_from_dead).

gc racing promote. Without care, promote could check that a version exists, gc could read the aliases
(none yet) and delete the version, and promote's alias write could land after both: an alias to
nothing, and `model pull NAME@ALIAS` failing for good. Each side therefore commits with one write and
then reads the other side's write (registry/promotion.py):

    promote:  (a) write the alias (CAS)        then (b) HEAD the manifest;
              gone: set the alias back (CAS, only if still ours), fail with NotFoundError (exit 3)
    gc / rm:  (c) delete the manifest           then (d) read the aliases again;
              one names the version: put the manifest back (write-once), keep its files

S3 is strongly consistent, so the reads see every write that finished before them. If (d) ran before (a),
then (c) < (d) < (a) < (b) and promote sees the version gone; otherwise (a) < (d) and gc sees the alias.
At least one side always sees the other: the version is deleted only with no alias on it, and an alias
survives only on a version that exists. When both see each other, the version is kept and promote fails;
its retry then succeeds. Files are deleted only after (d), so a kept version is whole. The aliases are
also read once before any delete, which keeps the common case to a plain skip. Tested by forcing each
interleaving with fault proxies (tests/test_registry_race.py), not by timing.

In a versioned (or object-locked) bucket these deletes only add delete markers: the report says so
(`delete_markers`, `hidden` per row, `hidden_bytes` still stored), as `rm` does, instead of calling the
data removed. One audit line per removal (operation model_gc, delete_marker when one was added).

The plan comes from one bucket listing plus the manifests (cached by ETag, registry/docs.py); memory
grows with the number of registry objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry import aliases as aliases_doc
from its_store.registry.refs import ALIASES, LOCK, MANIFEST, is_version, validate_name, version_key
from its_store.registry.results import GcReport

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext

VARIANTS = "variants"  # NAME/VERSION/variants/V/...: the files of variant V (registry/variants.py)
BATCH = 500  # versions per delete round: their manifests in one request, then their files


@dataclass
class Listing:
    """What one listing of the models bucket says, per version prefix."""

    manifests: dict[tuple[str, str], str] = field(default_factory=dict)          # -> ETag
    manifest_times: dict[tuple[str, str], datetime] = field(default_factory=dict)
    locks: dict[tuple[str, str], datetime] = field(default_factory=dict)
    lock_etags: dict[tuple[str, str], str] = field(default_factory=dict)  # gc replaces a stale marker by CAS
    variant_locks: dict[tuple[str, str, str], datetime] = field(default_factory=dict)
    newest: dict[tuple[str, str], datetime] = field(default_factory=dict)  # latest Last-Modified per prefix
    objects: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=dict)  # -> (key, size)
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    remove: list[tuple[str, str]] = field(default_factory=list)
    protected: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    kept: int = 0


def duration(value: timedelta | str | float, what: str) -> timedelta:
    """A timedelta from '90d', '1h' or seconds; refused when negative."""
    from its_store.core.units import parse_duration
    if isinstance(value, timedelta):
        delta = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        delta = timedelta(seconds=float(value))
    else:
        delta = parse_duration(str(value), what=what)
    if delta < timedelta(0):
        raise E.InvalidInputError(f"{what} must not be negative")
    return delta


def gc(ctx: RegistryContext, name: str | None = None, *, keep_last: int, older_than: timedelta | str | float,
       stale: timedelta | str | float = "1h", dry_run: bool = False, now: datetime | None = None) -> GcReport:
    """Plan and (unless `dry_run`) carry out a garbage collection; returns the report (JSON of `model gc`).

    `now` exists for tests and replays: the moment ages are measured from (default: the current time).
    """
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
        raise E.InvalidInputError(f"--keep-last must be at least 1 (got {keep_last!r})",
                                  hint="gc always keeps the newest N versions of each model")
    if name is not None:
        validate_name(name)
    age, stale_after = duration(older_than, "--older-than"), duration(stale, "--stale")
    if stale_after <= timedelta(0):
        raise E.InvalidInputError("--stale must be more than 0s", hint="a registration still running holds a "
                                                                        "fresh marker; e.g. --stale 1h")
    now = now or datetime.now(UTC)
    listing = _list(ctx)
    manifests, alias_docs = _documents(ctx, listing, keep=not dry_run)
    plan = _plan(listing, manifests, alias_docs, name, keep_last, now - age)
    from its_store.registry.removal import ended_registrations
    young = {k: listing.lock_etags.get(k, "") for k, at in listing.locks.items()
             if (name is None or k[0] == name) and at >= now - stale_after}
    plan.stale = _stale(listing, name, now - stale_after, ended_registrations(ctx, young))
    report = {"model": name, "keep_last": keep_last, "older_than_seconds": int(age.total_seconds()),
              "stale_seconds": int(stale_after.total_seconds()), "dry_run": dry_run,
              "delete_markers": ctx.leaves_delete_markers() if dry_run else None,
              "removed": [_brief(listing, manifests, key) for key in plan.remove], "protected": plan.protected,
              "kept": plan.kept, "stale_registrations": plan.stale, "errors": []}
    if not dry_run:
        _carry_out(ctx, listing, manifests, plan, report)
        report["delete_markers"] = ctx.leaves_delete_markers()  # the delete answers first (RegistryContext)
    _totals(report)
    return GcReport.model_validate(report)


def _totals(report: dict[str, Any]) -> None:
    """Counts of what went, and whether it is really gone: in a versioned (or locked) bucket a delete adds a
    delete marker, so every byte is still stored (`hidden`, `hidden_bytes`), as `rm` says too."""
    from its_store.registry.removal import hidden_fields
    done = [r for r in report["removed"] if not r.get("error")]
    stale = [s for s in report["stale_registrations"] if not s.get("error")]
    markers, made = report["delete_markers"], not report["dry_run"]
    for row in [*report["removed"], *report["stale_registrations"]]:
        row.pop("_keys", None)
        row.pop("_etag", None)
        row["hidden"] = hidden_fields(markers, row["bytes"], done=made and not row.get("error"))["hidden"]
    report["removed_versions"] = len(done)
    report["removed_objects"] = sum(r["objects"] for r in done) + sum(s["objects"] for s in stale)
    report["removed_bytes"] = sum(r["bytes"] for r in done) + sum(s["bytes"] for s in stale)
    report["hidden_bytes"] = hidden_fields(markers, report["removed_bytes"], done=made)["hidden_bytes"]


# ----------------------------------------------------------------------------------------- reading
def _list(ctx: RegistryContext) -> Listing:
    out = Listing()
    try:
        items = ctx.s3.list_objects(ctx.bucket, "", True)
        for item in items:
            parts = item.key.split("/")
            if len(parts) == 2 and parts[1] == ALIASES:
                out.aliases[parts[0]] = (item.etag or "").strip('"')
                continue
            if len(parts) < 3 or not is_version(parts[1]):
                continue
            version = (parts[0], parts[1])
            out.objects.setdefault(version, []).append((item.key, int(item.size or 0)))
            when = item.last_modified or datetime.now(UTC)
            out.newest[version] = max(out.newest.get(version, when), when)
            if len(parts) == 3 and parts[2] == MANIFEST:
                out.manifests[version] = (item.etag or "").strip('"')
                out.manifest_times[version] = item.last_modified or datetime.now(UTC)
            elif len(parts) == 3 and parts[2] == LOCK:
                out.locks[version] = item.last_modified or datetime.now(UTC)
                out.lock_etags[version] = (item.etag or "").strip('"')
            elif len(parts) == 5 and parts[2] == VARIANTS and parts[4] == LOCK:
                out.variant_locks[(*version, parts[3])] = item.last_modified or datetime.now(UTC)
    except E.BucketNotFoundError:
        raise E.BucketNotFoundError(f"models bucket not found: {ctx.bucket}", hint="check MINIO_MODELS_BUCKET"
                                    ) from None
    return out


def _documents(ctx: RegistryContext, listing: Listing, keep: bool = True
               ) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, Any]]]:
    """The listing's manifests and alias documents; not `keep` (a dry run): no metadata cache, no stats."""
    from its_store.registry.docs import Scan
    docs = ctx.docs if keep else ctx.docs.not_kept()
    return docs.fetch_all(Scan(manifests=dict(listing.manifests), aliases=dict(listing.aliases)))


def _created(manifest: dict[str, Any], fallback: datetime) -> datetime:
    try:
        when = datetime.fromisoformat(str(manifest.get("created_at")).replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        return fallback


def parents_of(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The (name, version) parents a manifest names (format 2 `lineage.parents`; v1: none)."""
    lineage = manifest.get("lineage")
    found = []
    for text in (lineage.get("parents") or []) if isinstance(lineage, dict) else []:
        model, _, version = str(text).partition("@")
        if model and is_version(version):
            found.append((model, version))
    return found


# ----------------------------------------------------------------------------------------- deciding
def _plan(listing: Listing, manifests: dict[tuple[str, str], dict[str, Any]], alias_docs: dict[str, dict[str, Any]],
          name: str | None, keep_last: int, cutoff: datetime) -> Plan:
    plan = Plan()
    candidates: dict[tuple[str, str], str] = {}
    by_model: dict[str, list[str]] = {}
    for model, version in manifests:
        by_model.setdefault(model, []).append(version)
    for model, versions in by_model.items():
        if name is not None and model != name:
            continue
        ordered = sorted(versions, key=version_key, reverse=True)
        doc = alias_docs.get(model, {})
        for version in ordered[keep_last:]:
            key = (model, version)
            if _created(manifests[key], listing.manifest_times[key]) >= cutoff:
                continue
            aliased = aliases_doc.aliases_of(doc, version)
            if aliased:
                plan.protected.append({"model": model, "version": version, "reason": f"alias {', '.join(aliased)}"})
                continue
            candidates[key] = ""
    _protect_parents(manifests, candidates, plan)
    plan.remove = sorted(candidates, key=lambda k: (k[0], version_key(k[1])))
    in_scope = sum(len(v) for m, v in by_model.items() if name is None or m == name)
    plan.kept = in_scope - len(plan.remove)
    return plan


def _protect_parents(manifests: dict[tuple[str, str], dict[str, Any]], candidates: dict[tuple[str, str], str],
                     plan: Plan) -> None:
    """Every parent of a kept version is kept, and so on up the lineage (a worklist over kept versions)."""
    work = [key for key in manifests if key not in candidates]
    while work:
        child = work.pop()
        for parent in parents_of(manifests[child]):
            if parent in candidates:
                del candidates[parent]
                plan.protected.append({"model": parent[0], "version": parent[1],
                                       "reason": f"parent of {child[0]}@{child[1]}"})
                work.append(parent)


def _stale(listing: Listing, name: str | None, cutoff: datetime,
           ended: set[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """The debris rows (module docstring): markers older than `cutoff` or in `ended`, variants', orphans'."""
    out = []
    for (model, version), locked_at in sorted(listing.locks.items()):
        gone = (model, version) in (ended or ())
        if (name is not None and model != name) or (locked_at >= cutoff and not gone):
            continue
        finished = (model, version) in listing.manifests
        keys = [(k, s) for k, s in listing.objects.get((model, version), [])
                if not finished or k.endswith("/" + LOCK)]
        out.append({"model": model, "version": version, "locked_at": locked_at.isoformat(timespec="seconds"),
                    "has_manifest": finished, "objects": len(keys), "bytes": sum(s for _, s in keys),
                    "_keys": [k for k, _ in keys], "_etag": listing.lock_etags.get((model, version), ""),
                    **({"owner_gone": True} if gone else {})})
    for (model, version, variant), locked_at in sorted(listing.variant_locks.items()):
        if (name is not None and model != name) or locked_at >= cutoff:
            continue
        folder = f"{model}/{version}/{VARIANTS}/{variant}/"
        keys = [(k, s) for k, s in listing.objects.get((model, version), []) if k.startswith(folder)]
        out.append({"model": model, "version": version, "variant": variant,
                    "locked_at": locked_at.isoformat(timespec="seconds"), "has_manifest": False,
                    "objects": len(keys), "bytes": sum(s for _, s in keys), "_keys": [k for k, _ in keys]})
    locked = set(listing.locks) | {(m, v) for m, v, _ in listing.variant_locks}
    for (model, version), objects in sorted(listing.objects.items()):
        if (name is not None and model != name) or (model, version) in listing.manifests \
                or (model, version) in locked or listing.newest[(model, version)] >= cutoff:
            continue
        out.append({"model": model, "version": version, "orphan": True,
                    "locked_at": listing.newest[(model, version)].isoformat(timespec="seconds"),
                    "has_manifest": False, "objects": len(objects), "bytes": sum(s for _, s in objects),
                    "_keys": [k for k, _ in objects]})
    return out


def _brief(listing: Listing, manifests: dict[tuple[str, str], dict[str, Any]], key: tuple[str, str]) -> dict[str, Any]:
    objects = listing.objects.get(key, [])
    return {"model": key[0], "version": key[1], "created_at": manifests[key].get("created_at"),
            "objects": len(objects), "bytes": sum(s for _, s in objects)}


# ----------------------------------------------------------------------------------------- removing
def _carry_out(ctx: RegistryContext, listing: Listing, manifests: dict[tuple[str, str], dict[str, Any]], plan: Plan,
               report: dict[str, Any]) -> None:
    """Remove the plan, batch by batch: manifests, then the aliases read again (a version promoted meanwhile
    gets its manifest back and is kept: see the module docstring), then the files of the rest."""
    _recheck_aliases(ctx, plan, report)
    rows = {(r["model"], r["version"]): r for r in report["removed"]}
    for batch in [plan.remove[i:i + BATCH] for i in range(0, len(plan.remove), BATCH)]:
        held, changed = _claim(ctx, listing, batch)  # their markers: no registration writes under them now
        _unplan(plan, report, changed, "changed during gc (registered again)")
        _unplan(plan, report, set(batch) - held - changed, "being registered (or removed) by another process")
        try:
            _remove_batch(ctx, listing, manifests, plan, report, rows, [k for k in batch if k in held])
        finally:
            _release(ctx, sorted(held))
    for entry in report["stale_registrations"]:
        _remove_stale(ctx, entry, report)
    _notify(ctx, [k for k in plan.remove if not rows[k].get("error")], {k: r["bytes"] for k, r in rows.items()})


def _claim(ctx: RegistryContext, listing: Listing, batch: list[tuple[str, str]]
           ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Take each version's marker write-once (registry/removal.py), in parallel, then check under it that the
    manifest is still the one planned on (ETag). Returns (held, changed); a changed version (registered
    again with --force, or given a variant, since the listing) is released and kept."""
    from contextlib import closing

    from its_store.registry.removal import claim_from_dead
    from its_store.transfer.fanout import fan_out
    if not batch:
        return set(), set()

    def attempt(key: tuple[str, str]) -> str | E.ItsStoreError:
        try:
            if not claim_from_dead(ctx, key[0], key[1], "model_gc"):
                return "busy"
            return "held" if _etag(ctx, f"{key[0]}/{key[1]}/{MANIFEST}") == listing.manifests[key] else "changed"
        except E.ItsStoreError as exc:  # e.g. access denied: after the others are released, raised
            return exc

    workers = max(1, min(len(batch), ctx.workers))
    with closing(fan_out(attempt, batch, workers=workers, name="its-gc-claim")) as outs:
        taken = {out.item: out.result() for out in outs}
    held = {key for key, outcome in taken.items() if outcome == "held"}
    claimed = sorted(key for key, outcome in taken.items() if outcome in ("held", "changed")
                     or isinstance(outcome, E.ItsStoreError))  # an error after the claim: release it too
    for outcome in taken.values():
        if isinstance(outcome, E.ItsStoreError):
            _release(ctx, claimed)
            raise outcome
    changed = sorted(key for key, outcome in taken.items() if outcome == "changed")
    _release(ctx, changed)
    return held, set(changed)


def _etag(ctx: RegistryContext, key: str) -> str | None:
    try:
        return ctx.s3.stat(ctx.bucket, key).etag
    except (E.ObjectNotFoundError, E.BucketNotFoundError):
        return None


def _release(ctx: RegistryContext, held: list[tuple[str, str]]) -> None:
    from its_store.registry.removal import release
    release(ctx, held)


def _remove_batch(ctx: RegistryContext, listing: Listing, manifests: dict[tuple[str, str], dict[str, Any]],
                  plan: Plan, report: dict[str, Any], rows: dict[tuple[str, str], dict[str, Any]],
                  batch: list[tuple[str, str]]) -> None:
    """One batch whose markers gc holds: manifests, the aliases read again, then the files of the rest."""
    from its_store.registry.promotion import keep_if_aliased
    if not batch:
        return
    failed = _delete(ctx, [f"{m}/{v}/{MANIFEST}" for m, v in batch])
    gone = [key for key in batch if f"{key[0]}/{key[1]}/{MANIFEST}" not in failed]
    try:
        kept = keep_if_aliased(ctx, {key: manifests[key] for key in gone})
    except E.ItsStoreError as exc:  # cannot tell whether an alias appeared: delete no file
        kept = set(gone)
        report["errors"].append(f"aliases of {', '.join(sorted({m for m, _ in gone}))} unreadable after "
                                f"deleting manifests; files kept: {exc.message}")
    _unplan(plan, report, kept, "alias set during gc")
    batch, gone = [k for k in batch if k not in kept], [k for k in gone if k not in kept]
    files = [k for key in gone for k, _ in listing.objects.get(key, []) if not k.endswith("/" + MANIFEST)]
    failed.update(_delete(ctx, files))
    from its_store.registry.dedup import drop_entries
    for key in batch:
        row = rows[key]
        error = next((failed[k] for k, _ in listing.objects.get(key, []) if k in failed), None)
        if error:
            row["error"] = error
            report["errors"].append(f"{key[0]}@{key[1]}: {error}")
        elif key in gone:  # the dedup index entries naming its keys (now gone), as `model rm` drops them
            drop_entries(ctx, f"{key[0]}/{key[1]}/", manifests[key])
        _audit(ctx, key, row, error)
    ctx.offline_store.forget_versions(gone)


def _recheck_aliases(ctx: RegistryContext, plan: Plan, report: dict[str, Any]) -> None:
    """An alias may have moved onto a candidate since the plan: read each model's aliases again."""
    for model in sorted({m for m, _ in plan.remove}):
        doc = ctx.aliases(model)
        _unplan(plan, report, {(model, v) for v in doc.get("aliases", {}).values()}, "alias set during gc")


def _unplan(plan: Plan, report: dict[str, Any], keys: set[tuple[str, str]], reason: str) -> None:
    """Keep these versions after all (an alias was set on them during gc, or a registration holds them)."""
    for key in sorted(k for k in keys if k in plan.remove):
        plan.remove.remove(key)
        report["removed"] = [r for r in report["removed"] if (r["model"], r["version"]) != key]
        plan.protected.append({"model": key[0], "version": key[1], "reason": reason})


def _remove_stale(ctx: RegistryContext, entry: dict[str, Any], report: dict[str, Any]) -> None:
    """Debris of a dead registration: check once more that no manifest appeared, then files, marker last."""
    model, version = entry["model"], entry["version"]
    if entry.get("variant"):
        lock = f"{model}/{version}/{VARIANTS}/{entry['variant']}/{LOCK}"
        manifest = ctx.docs.fetch(f"{model}/{version}/{MANIFEST}")  # fresh: did the variant make it in?
        if manifest and entry["variant"] in (manifest.get("variants") or {}):
            entry.update(has_manifest=True, objects=1, bytes=0, _keys=[lock])
    elif not _claim_stale(ctx, entry):
        entry["error"] = "registered meanwhile: left alone"
        return
    else:
        lock = f"{model}/{version}/{LOCK}"
    failed = _delete(ctx, [k for k in entry["_keys"] if k != lock])
    if not failed:
        failed = _delete(ctx, [lock])
    error = next(iter(failed.values()), None)
    if error:
        entry["error"] = error
        report["errors"].append(f"{model}@{version} (stale registration): {error}")
    _audit(ctx, (model, version), {"objects": entry["objects"], "bytes": entry["bytes"]}, error,
           stale_registration=True, **({"variant": entry["variant"]} if entry.get("variant") else {}))


def _claim_stale(ctx: RegistryContext, entry: dict[str, Any]) -> bool:
    """Take the marker of a dead registration's prefix before deleting it (registry/removal.py): the stale
    marker by compare-and-swap on its listed ETag, or write-once for files with no marker. False when a
    registration took it meanwhile (--force takes over a stale marker), or finished since the listing."""
    from its_store.registry.removal import claim, release
    model, version = entry["model"], entry["version"]
    if not claim(ctx, model, version, "model_gc", replacing=None if entry.get("orphan") else entry.get("_etag")):
        return False
    if not entry["has_manifest"] and ctx.manifest_exists(model, version):
        release(ctx, [(model, version)])  # registered after all: its marker beside the manifest is debris
        return False
    return True


def _delete(ctx: RegistryContext, keys: list[str]) -> dict[str, str]:
    """Batch delete (minio splits into requests of 1000); {key: error} of the keys that failed."""
    failed: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        try:
            said: dict[str, bool | None] = {}
            failed.update(ctx.s3.remove_many(ctx.bucket, [(k, None) for k in chunk], said=said))
            ctx.heard(said)
        finally:
            ctx.invalidate(chunk)
    return failed


def _audit(ctx: RegistryContext, key: tuple[str, str], row: dict[str, Any], error: str | None, **extra: Any) -> None:
    marker = ctx.leaves_delete_markers() or None  # asked once per bucket, remembered
    op = ctx.storage.op("model_gc", bucket=ctx.bucket, key=f"{key[0]}/{key[1]}/", forget=None, model=key[0],
                        version=key[1], objects=row.get("objects"), size=row.get("bytes"), delete_marker=marker,
                        **extra)
    op.finish(ok=error is None, error="delete_failed" if error else None)


def _notify(ctx: RegistryContext, removed: Iterable[tuple[str, str]], bytes_of: dict[tuple[str, str], int]) -> None:
    """One `model.rm` webhook event per removed version (reason gc, hidden or not), queued, then one flush."""
    settings = ctx.settings
    if not settings.model_webhook_url:
        return
    from its_store.registry import webhooks
    from its_store.registry.removal import hidden_fields, rm_event_fields
    markers = ctx.leaves_delete_markers()  # asked once per bucket already
    for model, version in removed:
        stays = hidden_fields(markers, bytes_of.get((model, version), 0), done=True)
        webhooks.enqueue(settings, webhooks.new_event("model.rm", bucket=ctx.bucket, model=model, version=version,
                                                      actor=ctx.actor, reason="gc", **rm_event_fields(stays)))
    webhooks.flush(settings, quiet=True)
