"""The deletes of a sync (--delete): what DEST has that SRC lacks, removed last and only when it is safe.

The march (engine.py) hands each path only in DEST to `Deletes.add`; the candidates wait in a Spool
(memory bounded) until every transfer is done. They are deleted only when the WHOLE source listing
succeeded, was complete, in order and not empty (unless --allow-empty-source), the destination listing
succeeded, and there are no more than --max-delete: a failed or partial listing never turns into deletes.
With --dry-run they are reported, not deleted.

Objects go in DeleteObjects batches (service/objects.remove_batch: audit, stats, cache), and a delete is
reported only once the key is no longer listed, whatever the server answered: a quiet batch delete
names only failures, and a server may accept the delete of an entry it keeps listing (rclone's). That
proof is one of two listings, whichever costs less: when the deletes are few beside what DEST holds, one
small listing per deleted key with the key as its prefix (on the workers at once), or one per run of deleted
keys that were next to each other in DEST with the longest prefix they share and no other key DEST listed
has (20 frames of one minute: one listing, not 20); else DEST listed again folder by folder, as the march
listed it. Either proof reads its listings whole: a key is proven gone only by a complete listing of a
prefix it has, whatever order the server lists in. A proof listing that fails leaves the deletes
reported as the server answered them. Local files are deleted through the descriptors of their folders
(core/localtree), each on its own.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.service import objects
from its_store.sync.model import Item, SyncOptions
from its_store.sync.reporter import Reporter
from its_store.sync.spool import Spool
from its_store.sync.walk import LocalFile, RemoteObject, Walk, walk_remote
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.core.localtree import LocalTree
    from its_store.service.context import Context
    from its_store.sync.state import SyncState

REASON = "not in the source"
log = logging.getLogger("its_store.sync")
# a probe (one small listing) costs the client about what reading this many entries of a listing does
PROBE_COST = 50
PROBE_PAGE = 1000  # a probe that lists more than one page under its key gives way to the full listing
# keys whose prefix listing every server answers as its full listing does: S3's "safe characters" and a
# few more, '/'-separated segments, none empty, '.' or '..' (a server storing keys as files, rclone's,
# may resolve those in a prefix); any other key is proven by listing DEST again
_SEGMENT = re.compile(r"[A-Za-z0-9!*'()_+,.:;=@~-]+")


def plain_key(key: str) -> bool:
    """Whether a prefix listing of `key` can prove it gone (see _SEGMENT)."""
    return all(seg not in (".", "..") and _SEGMENT.fullmatch(seg) for seg in key.split("/"))


class Deletes:
    """The delete candidates of one sync and their deletion (see the module's rules).

    `ctx`, `bucket` and `prefix` are the destination's when it is remote, `tree` its LocalTree when it is
    a folder; `state` the destination's state store (deleted keys are forgotten)."""

    def __init__(self, options: SyncOptions, reporter: Reporter, *, ctx: Context, bucket: str | None,
                 prefix: str, state: SyncState, tree: LocalTree | None, workers: int,
                 fetched: tuple[str, str, str] | None = None) -> None:
        self.options, self.reporter = options, reporter
        self.fetched = fetched  # a download's (folder, source bucket, source prefix): its records of deleted files go
        self.ctx, self.bucket, self.prefix, self.state, self.tree = ctx, bucket, prefix, state, tree
        self.workers = workers
        self._spool = Spool()
        # runs of candidates next to each other in DEST: [first index, count, DEST path before, DEST path after]
        self._runs: list[list[Any]] | None = [] if bucket is not None else None
        self._last: str | None = None  # the path of the last candidate
        self._hide: bool | None = None  # whether a delete leaves a marker, once asked (prepare, run)
        self._asked = False             # _hide stays None when the versioning could not be read: unknown

    def add(self, item: LocalFile | RemoteObject, before: str | None = None, after: str | None = None) -> None:
        """A path only in DEST (in walk order); `before` and `after`: DEST's paths next to it (None at an end),
        to prove adjacent deletes by one listing."""
        runs = self._runs
        if runs is not None:
            if len(self._spool) >= self._spool.keep:  # far more than probing is for: memory stays bounded
                self._runs = None
            elif runs and before is not None and before == self._last:
                runs[-1][1] += 1
                runs[-1][3] = after
            else:
                runs.append([len(self._spool), 1, before, after])
            self._last = item.rel
        self._spool.append(item)

    def __len__(self) -> int:
        return len(self._spool)

    def close(self) -> None:
        self._spool.close()

    def refusal(self, src_walk: Walk, dst_walk: Walk) -> str | None:
        """Why the deletes must not run, or None."""
        if src_walk.problems:
            return "the source listing failed or was partial"
        if dst_walk.problems:
            return "the destination listing failed"
        if src_walk.count == 0 and not self.options.allow_empty_source:
            return "the source is empty (use --allow-empty-source to delete everything)"
        limit = self.options.max_delete
        if limit is not None and len(self._spool) > limit:
            return f"{len(self._spool)} deletes planned, more than --max-delete {limit}"
        return None

    def prepare(self, src_walk: Walk, dst_walk: Walk) -> None:
        """Once the march is done (on its thread, while the last transfers run): ask whether the deletes would
        leave delete markers, when a dry run has deletes to report, so that run() need not wait for the answer
        (real deletes are told by their answers: _delete_objects)."""
        if self.options.delete and self.options.dry_run and self._spool and self.refusal(src_walk, dst_walk) is None:
            self._markers()

    def _markers(self) -> bool | None:
        """Whether a delete in DEST leaves a delete marker (a versioned bucket), asked once; None: unknown
        (the key may not read the versioning), said once."""
        if not self._asked:
            self._asked = True
            from its_store.service.markers import markers_left  # on use: not on a transfer's path
            self._hide = False if self.bucket is None else markers_left(self.ctx, self.bucket)
            if self._hide is None:
                log.warning("s3://%s: whether the deleted objects stay stored behind delete markers is unknown: "
                            "the key may not read the bucket's versioning (s3:GetBucketVersioning)", self.bucket)
        return self._hide

    def run(self, src_walk: Walk, dst_walk: Walk) -> None:
        """Delete (or with --dry-run report) the candidates, when nothing forbids it; the report says why not."""
        if not self.options.delete or not self._spool:
            return
        report = self.reporter.report
        refusal = self.refusal(src_walk, dst_walk)
        if refusal is not None:
            report.delete_refused = refusal
            return
        if self.options.dry_run:
            hide = self._markers()
            report.delete_markers = hide  # a versioned destination keeps every byte behind the markers
            for rel, key, _, size in self._spool:
                self.reporter.add("deleted", Item(path=rel, key=key, size=size, reason=REASON, delete_marker=hide))
        elif self.bucket is not None:
            self._delete_objects(self.bucket, dst_walk)
        else:
            report.delete_markers = False
            self._delete_files()

    # ------------------------------------------------------------------------------------ objects
    def _delete_objects(self, bucket: str, dst_walk: Walk) -> None:
        """Batch deletes of what the source lacks; in a versioned bucket each only adds a delete marker,
        and the items say so (delete_marker, from each delete's answer: objects.remove_batch)."""
        failed: set[str] = set()
        hide: dict[str, bool | None] = {}
        for chunk in self._spool.chunks(1000):
            keys = [str(key) for _, key, _, _ in chunk]
            try:
                failures = objects.remove_batch(self.ctx, bucket, keys, {str(key): size for _, key, _, size in chunk},
                                                markers=hide)
            except E.ItsStoreError as exc:
                for rel, key, _, size in chunk:
                    self.reporter.fail_error(rel, key, size, exc, "delete failed: ")
                failed.update(keys)
                continue
            self.state.forget(bucket, keys)
            for rel, key, _, size in chunk:
                if key in failures:
                    self._refused(bucket, rel, str(key), size, failures[str(key)])
                    failed.add(str(key))
        self._report_deletes(bucket, failed, hide, dst_walk)

    def _refused(self, bucket: str, rel: str, key: str, size: int, failure: str) -> None:
        """One key the server refused to delete: said as its error says it (an AccessDenied names
        s3:DeleteObject, exit 6, as a single `rm` would), its item code `delete_failed` as before. It was
        "delete failed: AccessDenied: Access Denied." and exit 1: a key that may write but not delete
        looked like a fault to retry, not a right to grant."""
        from its_store.s3.client import failure_error
        error = failure_error(failure, bucket, key)
        self.reporter.fail(rel, key, size, f"delete failed: {error.message}", "delete_failed", error.exit_code)

    def _report_deletes(self, bucket: str, failed: set[str], hide: dict[str, bool | None], dst_walk: Walk) -> None:
        """Report each delete the server accepted: deleted, or failed when the key is still listed; whether
        it only hid the object is what its answer said (`hide`; None: unknown)."""
        from its_store.service.markers import summed  # on use: not on a transfer's path
        done = (entry for entry in self._spool if entry[1] not in failed)
        self.reporter.report.delete_markers = summed(hide.values()) if hide else self._markers()
        still = self._probes(bucket, failed, dst_walk) if self._probing(dst_walk) else None
        listed = _Relisting(self.ctx, bucket, self.prefix, self.options.filter.prunes) if still is None else None
        for rel, key, _, size in done:
            if (key in still) if still is not None else listed.has(rel):  # type: ignore[union-attr]
                self.reporter.fail(rel, key, size, "delete failed: still listed after its delete", "not_deleted",
                                   E.EXIT_ERROR)
            else:
                self.reporter.add("deleted", Item(path=rel, key=key, size=size, reason=REASON,
                                                  delete_marker=hide.get(str(key))))

    def _probing(self, dst_walk: Walk) -> bool:
        """Whether one probe per delete costs less than listing DEST again, and can prove each key."""
        few = len(self._spool) <= dst_walk.listings + dst_walk.count // PROBE_COST
        return few and all(plain_key(str(key)) for _, key, _, _ in self._spool)

    def _probes(self, bucket: str, failed: set[str], dst_walk: Walk) -> set[str] | None:
        """The deleted keys still listed, by one prefix listing per key or per group of adjacent keys
        (probe_groups) on the workers; None when a key's own listing lists more than a page (a key many
        others begin with): DEST is then listed again instead."""
        groups = self._groups(failed)
        still: set[str] = set()
        for outcome in fan_out(lambda group: _probe_group(self.ctx, bucket, *group), groups,
                               workers=min(self.workers, len(groups)), name="its-sync-proof"):
            if outcome.error is not None:
                continue  # no proof either way: reported as the server answered the delete
            if outcome.value is None:
                return None
            still |= outcome.value
        return still

    def _groups(self, failed: set[str]) -> list[tuple[str, list[str]]]:
        """(prefix, keys) to probe: the runs of adjacent candidates split by probe_groups, a failed delete
        counting as a key DEST still has; each key alone when the runs were not kept."""
        keys = [str(key) for _, key, _, _ in self._spool]
        if self._runs is None:
            return [(key, [key]) for key in keys if key not in failed]
        groups: list[tuple[str, list[str]]] = []
        for first, count, before, after in self._runs:
            outside = self.prefix + before if before is not None else None
            run: list[str] = []
            for key in keys[first:first + count]:
                if key in failed:  # still there: a neighbour of the keys either side
                    probe_groups(run, outside, key, groups)
                    run, outside = [], key
                else:
                    run.append(key)
            probe_groups(run, outside, self.prefix + after if after is not None else None, groups)
        return groups

    # -------------------------------------------------------------------------------------- files
    def _delete_files(self) -> None:
        """Delete the local files the source lacks, each in its folder's descriptor (core/localtree): a
        folder swapped for a link since the walk is not followed, nothing outside is deleted."""
        gone: list[str] = []
        for rel, _, _, size in self._spool:
            try:
                self.tree.remove(rel)  # type: ignore[union-attr]
            except E.ItsStoreError as exc:
                self.reporter.fail_error(rel, None, size, exc, "cannot delete: ")
                continue
            self.reporter.add("deleted", Item(path=rel, key=None, size=size, reason=REASON))
            gone.append(rel)
        if self.fetched is not None:  # what the downloads left in those files is no longer there
            folder, bucket, prefix = self.fetched
            self.state.forget_fetched(folder, bucket, [prefix + rel for rel in gone])


def probe_groups(keys: list[str], before: str | None, after: str | None, out: list[tuple[str, list[str]]]) -> None:
    """Append to `out` (prefix, keys) groups covering `keys` (sorted, next to each other in DEST, which has
    `before` and `after` either side of them): each group's prefix is one no other key of DEST has, so that
    its listing after the deletes is empty, and one a prefix listing carries (plain_key). Where the keys'
    common prefix is also a neighbour's, they are split by the character that follows it; a key alone is
    its own prefix (the probe of old)."""
    if len(keys) <= 1:
        out.extend((key, [key]) for key in keys)
        return
    common = os.path.commonprefix([keys[0], keys[-1]])  # noqa: RUF071 - by character: key prefixes, not paths
    if _listable(common) and not (before is not None and before.startswith(common)) and \
            not (after is not None and after.startswith(common)):
        out.append((common, keys))
        return
    cut = len(common)
    parts: list[list[str]] = []
    for key in keys:
        if parts and parts[-1][0][cut:cut + 1] == key[cut:cut + 1]:
            parts[-1].append(key)
        else:
            parts.append([key])
    for i, part in enumerate(parts):
        probe_groups(part, parts[i - 1][-1] if i else before, parts[i + 1][0] if i + 1 < len(parts) else after, out)


def _listable(prefix: str) -> bool:
    """Whether a prefix listing of `prefix` lists what has it on every server: plain_key's rule, a final '/'
    allowed (a folder's listing)."""
    return bool(prefix) and plain_key(prefix[:-1] if prefix.endswith("/") else prefix)


def _probe_group(ctx: Context, bucket: str, prefix: str, keys: list[str]) -> set[str] | None:
    """The keys of a group still listed, from the whole listing of its prefix; one key's own listing when
    the group's lists more than a page (None when that one does too). A listing that fails midway still
    returns the keys it saw (a key seen after its delete is not deleted, whatever a later page does); the
    others have no proof either way and stay as the server answered."""
    still: set[str] = set()
    try:
        return _list_group(ctx, bucket, prefix, keys, still)
    except E.ItsStoreError:
        if not still:
            raise
        return still


def _list_group(ctx: Context, bucket: str, prefix: str, keys: list[str], still: set[str]) -> set[str] | None:
    """_probe_group's listings; `still` collects each key seen listed as it is seen."""
    if keys == [prefix]:
        listed = _probe(ctx, bucket, prefix)
        if listed:
            still.add(prefix)
        return None if listed is None else still
    wanted, seen = set(keys), 0
    for entry in ctx.s3.list_objects(bucket, prefix, recursive=True):
        if entry.key in wanted and not entry.is_prefix:
            still.add(entry.key)
        seen += 1
        if seen >= PROBE_PAGE:  # keys DEST did not show (filtered out, written since): each key on its own
            for key in keys:
                if key in still:  # seen listed already
                    continue
                listed = _probe(ctx, bucket, key)
                if listed is None:
                    return None
                if listed:
                    still.add(key)
            return still
    return still


def _probe(ctx: Context, bucket: str, key: str) -> bool | None:
    """Whether `key` is still listed (a listing with the key as its prefix); None after a page of other keys."""
    seen = 0
    for entry in ctx.s3.list_objects(bucket, key, recursive=True):
        if entry.key == key and not entry.is_prefix:
            return True
        seen += 1
        if seen >= PROBE_PAGE:
            return None
    return False


class _Relisting:
    """DEST listed again beside the deletes (both in the walk's order): `has(rel)` says whether a path is
    still listed. A listing that fails says nothing is (the deletes stay as the server answered them)."""

    def __init__(self, ctx: Context, bucket: str, prefix: str, prunes: Callable[[str], bool]) -> None:
        self._walk = Walk()
        self._listed: Iterator[RemoteObject] = walk_remote(ctx, bucket, prefix, self._walk, prunes)
        self._current = next(self._listed, None)

    def has(self, rel: str) -> bool:
        while self._current is not None and self._current.rel < rel:
            self._current = next(self._listed, None)
        return self._current is not None and self._current.rel == rel and self._walk.error is None

