"""Removing a version (`model rm`; `model gc` uses the same marker), and what a removal leaves stored.

Removal and registration of the same NAME@VERSION exclude each other through the one write-once marker
NAME/VERSION/.its-registering. A registration takes it before its first upload (registry.py); a removal
takes it before deleting the manifest (write-once, a body saying "removing") and drops it last, after the
files. Without it, `model gc` or `model rm` deleting the files it listed could delete the files that a
`model register --force` of the same version had just uploaded (same keys), leaving a manifest naming
files that are gone. Now:

  - a removal finds the marker taken (a registration runs, or died): it leaves the version alone
    (gc: protected "being registered"; rm: ConflictError, exit 5), unless that registration provably ended
    on this machine (core/liveness, the rule `model register` takes a marker over by: dead_holder): then the
    marker is taken by compare-and-swap and the removal goes on (claim_from_dead);
  - a registration finds a removal's marker: refused (ConflictError, exit 5), even with --force, which
    takes over only a registration's marker, and only by compare-and-swap (If-Match its ETag), so the
    removal's write-once claim and the take-over cannot both succeed;
  - gc removing a dead registration's debris replaces its stale marker by compare-and-swap too, so a
    --force take-over in between wins and gc leaves the prefix alone.

A removal killed midway leaves its marker: with the manifest still there, gc's stale rule later drops
the marker only; without it, the rest is debris that gc removes once the marker is older than --stale.

In a versioned (or object-locked) bucket a delete only adds a delete marker: what_stays() says so in
the same fields for `model rm` and `model gc` (`delete_markers`, `hidden`, `hidden_bytes`), as `rm` does.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from its_store._version import __version__
from its_store.core import errors as E
from its_store.registry.context import quietly
from its_store.registry.refs import LOCK, is_version, parse_version, validate_name
from its_store.registry.results import Removal

log = logging.getLogger("its_store.registry.register")

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext



def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def what_stays(ctx: RegistryContext, nbytes: int, *, done: bool = True) -> dict[str, Any]:
    """How a removal of `nbytes` is reported by `model rm` and `model gc` alike: in a versioned (or locked)
    bucket a delete adds a delete marker, so the data is hidden, not gone, and `hidden_bytes` are still
    stored until a lifecycle rule expires them. `done`: the deletes were made (not a dry run, no error)."""
    return hidden_fields(ctx.leaves_delete_markers(), nbytes, done=done)  # asked once per bucket


def hidden_fields(markers: bool | None, nbytes: int, *, done: bool) -> dict[str, Any]:
    """The one rule: data is hidden (still stored) when the bucket leaves delete markers and the delete was made;
    unknown (None, null) when the bucket's versioning could not be read and the delete was made."""
    if markers is None:
        return {"delete_markers": None, "hidden": None if done else False, "hidden_bytes": None if done else 0}
    hidden = bool(markers and done)
    return {"delete_markers": markers, "hidden": hidden, "hidden_bytes": nbytes if hidden else 0}


def rm_event_fields(stays: dict[str, Any]) -> dict[str, Any]:
    """What a `model.rm` webhook event says of the data (webhooks.new_event requires it): `hidden` (true: the
    files are behind delete markers, still stored) and `hidden_bytes`, from what_stays / hidden_fields."""
    return {"hidden": stays["hidden"], "hidden_bytes": stays["hidden_bytes"]}


# ----------------------------------------------------------------------------------------- the marker
def _body(ctx: RegistryContext, operation: str) -> dict[str, Any]:
    """A removal's marker: who, when, which command; the token makes every claim's bytes unique (a PUT whose
    answer was lost is judged ours by its MD5, s3/conditional.py)."""
    return {"by": ctx.actor, "at": _now(), "tool_version": __version__, "removing": operation,
            "token": secrets.token_hex(8)}


def claim(ctx: RegistryContext, name: str, version: str, operation: str, *, replacing: str | None = None) -> bool:
    """Take NAME/VERSION/.its-registering for a removal: write-once, or with `replacing` (an ETag) in place of
    that very marker (a stale one gc judged dead). False when another process holds it."""
    key = f"{name}/{version}/{LOCK}"
    ctx.docs.require_conditional_writes()  # a marker that any PUT overwrites excludes nobody (rclone)
    try:
        if replacing is None:
            ctx.store.put_if_absent(key, _body(ctx, operation))
        else:
            ctx.store.replace(key, _body(ctx, operation), replacing)
        return True
    except (E.ConflictError, E.NotFoundError):  # taken, changed or gone since it was listed
        return False


def release(ctx: RegistryContext, versions: list[tuple[str, str]]) -> None:
    """Drop the markers of these versions (the last delete of a removal); best effort: a marker left
    behind is a dead removal's, which gc clears once it is stale."""
    quietly(ctx.remove_keys, [f"{name}/{version}/{LOCK}" for name, version in versions])


def holder(ctx: RegistryContext, name: str, version: str) -> tuple[dict[str, Any], str] | None:
    """The marker's document and ETag, or None when there is none. A body that is not a JSON object reads
    as an anonymous registration's (registry/store.py)."""
    stored = ctx.store.get(f"{name}/{version}/{LOCK}")
    return None if stored is None else (stored.doc, stored.etag)


def being_removed(name: str, version: str, doc: dict[str, Any]) -> E.ConflictError:
    removing = doc.get("removing")
    what = removing if isinstance(removing, str) else "a removal"
    since = f" since {doc['at']}" if isinstance(doc.get("at"), str) else ""
    return E.ConflictError(f"{name}@{version} is being removed ({what.replace('_', ' ')}{since})",
                           hint="retry when it is done; if none runs any more, `model gc --stale` clears what "
                                "it left once the marker is older than the --stale age")


def take_over(ctx: RegistryContext, name: str, version: str, marker: dict[str, Any]) -> None:
    """`register --force`'s marker: written when absent, else in place of a registration's marker by
    compare-and-swap (DocStore.update). A removal's marker is never taken over (ConflictError), so --force
    never uploads files that a running gc or rm is about to delete."""
    key = f"{name}/{version}/{LOCK}"
    try:
        ctx.store.put_if_absent(key, marker)
        return
    except E.AlreadyExistsError:
        pass

    def ours(doc: dict[str, Any]) -> bool:
        if doc.get("removing"):
            raise being_removed(name, version, doc)
        doc.clear()
        doc.update(marker)
        return True

    ctx.store.update(key, ours)


def dead_holder(ctx: RegistryContext, name: str, version: str) -> tuple[dict[str, Any], str] | None:
    """NAME/VERSION's marker (document, ETag) when it is a registration's whose process provably ended (same
    machine, same boot: core/liveness.gone); None when there is none, it is a removal's, or its process runs or
    cannot be judged from here. THE rule by which register, rm and gc take a dead registration's marker."""
    from its_store.core.liveness import gone
    held = holder(ctx, name, version)
    if held is None or held[0].get("removing") or gone(held[0]) is not True:
        return None
    return held


def ended_registrations(ctx: RegistryContext, young: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    """Of `young` ((name, version) -> its marker's listed ETag: markers younger than gc's --stale), those whose
    registration provably ended (dead_holder), read as listed (same ETag): debris now, not in --stale's time.
    One GET a fresh marker (registrations running now, or killed)."""
    ended = set()
    for (name, version), etag in sorted(young.items()):
        held = dead_holder(ctx, name, version)
        if held is not None and held[1].strip('"') == etag:
            ended.add((name, version))
    return ended


def claim_from_dead(ctx: RegistryContext, name: str, version: str, operation: str) -> bool:
    """claim() for `model rm` and `model gc`: write-once, else in place of a dead registration's marker
    (dead_holder) by compare-and-swap on the ETag read, with one line saying so. A killed `model register`
    refused every removal of its version (exit 5, "being registered") until its marker was --stale old."""
    if claim(ctx, name, version, operation):
        return True
    held = dead_holder(ctx, name, version)
    if held is None or not claim(ctx, name, version, operation, replacing=held[1]):
        return False
    from its_store.core.liveness import holder_text
    log.warning("%s@%s: the registration of %s ended without finishing; its marker was taken over for the removal",
                name, version, holder_text(held[0]) or "a process of this machine")
    return True


def take_over_dead(ctx: RegistryContext, name: str, version: str, marker: dict[str, Any]) -> bool:
    """A registration's marker whose process is provably dead (dead_holder) replaced by `marker`, by
    compare-and-swap on the ETag read, with one line saying so. False when it is a removal's, its process runs
    or cannot be judged from here, or it changed meanwhile."""
    from its_store.core.liveness import holder_text
    held = dead_holder(ctx, name, version)
    if held is None:
        return False
    try:
        ctx.store.replace(f"{name}/{version}/{LOCK}", marker, held[1])
    except (E.ConflictError, E.NotFoundError):
        return False
    log.warning("%s@%s: took over the registration of %s, which ended without finishing (its files are "
                "replaced)", name, version, holder_text(held[0]) or "a process of this machine")
    return True


def busy(ctx: RegistryContext, name: str, version: str, *, removing: bool) -> E.ConflictError:
    """Why the write-once marker could not be taken: a removal holds it, or a registration (running, or dead);
    which process on which host since when, when the marker says (core/liveness.holder_text)."""
    from its_store.core.liveness import holder_text
    held = holder(ctx, name, version)
    if held is not None and held[0].get("removing"):
        return being_removed(name, version, held[0])
    who = holder_text(held[0]) if held is not None else ""
    by = f"by {who}" if who else "by another process"
    if removing:
        return E.ConflictError(f"{name}@{version} is being registered {by} (or one died)",
                               hint="retry when it is done; `model gc --stale` clears what a dead one left")
    return E.AlreadyExistsError(
        f"{name}@{version} is being registered {by} (or an earlier attempt did not finish)",
        hint="if no registration is running, add --force to take over")


# ----------------------------------------------------------------------------------------- model rm
def delete_model(ctx: RegistryContext, name: str, version: str, *, force: bool = False) -> Removal:
    """Remove one explicit version (see ModelRegistry.delete_model)."""
    validate_name(name)
    if not is_version(version):
        raise E.InvalidInputError(f"removal needs an explicit version, not {version!r}",
                                  hint=f"see `its-store model list {name}`")
    return remove_version(ctx, name, str(parse_version(version)), force=force)


def remove_version(ctx: RegistryContext, name: str, version: str, *, force: bool) -> Removal:
    """`model rm`: the marker, the manifest (the version vanishes at once), the aliases read again (a version
    promoted meanwhile is put back: registry/promotion.py), the files, the marker last. Refused while a
    registration holds the marker. The report says whether the data is gone or hidden (what_stays)."""
    from its_store.registry import aliases as aliases_doc
    ctx.docs.manifest(name, version)  # NotFoundError (exit 3) before any write
    doc = ctx.aliases(name)
    pointing = aliases_doc.aliases_of(doc, version)
    if pointing and not force:
        raise E.ConflictError(f"{name}@{version} is aliased as {', '.join(pointing)}",
                              hint="promote another version first, or add --force")
    prefix = f"{name}/{version}/"
    with ctx.audited("model_rm", prefix, model=name, version=version, force=force, aliases=pointing,
                      delete_marker=None) as entry:
        listed = _remove_marked(ctx, name, version, force=force)
        nbytes = sum(size for _, size in listed)
        entry.fields.update(objects=len(listed), size=nbytes,
                            delete_marker=ctx.leaves_delete_markers() or None)  # the delete answers first
        if pointing:
            ctx.store.update(aliases_doc.aliases_key(name),
                             lambda d: aliases_doc.drop_version(d, version, actor=ctx.actor, at=_now()))
    ctx.offline_store.forget_version(name, version)
    stays = what_stays(ctx, nbytes)
    ctx.emit("model.rm", name, version, aliases_removed=pointing, **rm_event_fields(stays))
    return Removal.model_validate({"model_name": name, "version": version, "deleted_objects": len(listed),
                                   "aliases_removed": pointing, "bytes": nbytes, **stays})


def _remove_marked(ctx: RegistryContext, name: str, version: str, *, force: bool) -> list[tuple[str, int]]:
    """remove_version's work under the version's marker (taken here, released at the end): the manifest,
    unless the version was promoted meanwhile (kept, ConflictError), then its files and their dedup entries.
    Returns the (key, size) of the objects listed under it."""
    from its_store.registry.promotion import keep_if_aliased
    from its_store.registry.refs import MANIFEST
    prefix = f"{name}/{version}/"
    if not claim_from_dead(ctx, name, version, "model_rm"):
        raise busy(ctx, name, version, removing=True)
    try:
        manifest = ctx.docs.manifest(name, version)  # read again under the marker: the one removed
        listed = [(i.key, int(i.size or 0)) for i in ctx.s3.list_objects(ctx.bucket, prefix, True)
                  if i.key != prefix + LOCK]  # under the marker: nobody adds a version's files now
        ctx.remove_keys([prefix + MANIFEST])
        if not force and keep_if_aliased(ctx, {(name, version): manifest}):
            raise E.ConflictError(f"{name}@{version} was promoted while it was being removed: it is kept",
                                  hint="promote another version first, or add --force")
        ctx.remove_keys([key for key, _ in listed if key != prefix + MANIFEST])
        from its_store.registry.dedup import drop_entries
        drop_entries(ctx, prefix, manifest)  # the entries naming its keys (now gone), under the marker: a
    finally:  # registration of NAME@VERSION taking it after the release keeps its fresh entries
        release(ctx, [(name, version)])
    return listed
