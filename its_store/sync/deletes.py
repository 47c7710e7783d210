"""The deletes of a sync (--delete): what DEST has that SRC lacks, removed last and only when it is safe.

The march (engine.py) hands each path only in DEST to `Deletes.add`; the candidates wait in a Spool
(memory bounded) until every transfer is done. They are deleted only when the WHOLE source listing
succeeded, was complete, in order and not empty (unless --allow-empty-source), the destination listing
succeeded, and there are no more than --max-delete: a failed or partial listing never turns into deletes.
With --dry-run they are reported, not deleted.

Objects go in DeleteObjects batches (service/objects.remove_batch: audit, stats, cache), and a delete is
reported only once the key is no longer listed, whatever the server answered: a quiet batch delete
names only failures, and a server may accept the delete of an entry it keeps listing (rclone's): DEST is
listed again folder by folder, as the march listed it. A proof listing that fails leaves the deletes
reported as the server answered them. Local files are deleted through the descriptors of their folders
(core/localtree), each on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.service import objects
from its_store.service.versions import leaves_delete_markers
from its_store.sync.model import Item, SyncOptions
from its_store.sync.reporter import Reporter
from its_store.sync.spool import Spool
from its_store.sync.walk import LocalFile, RemoteObject, Walk, walk_remote

if TYPE_CHECKING:
    from its_store.core.localtree import LocalTree
    from its_store.service.context import Context
    from its_store.sync.state import SyncState

REASON = "not in the source"


class Deletes:
    """The delete candidates of one sync and their deletion (see the module's rules).

    `ctx`, `bucket` and `prefix` are the destination's when it is remote, `tree` its LocalTree when it is
    a folder; `state` the destination's state store (deleted keys are forgotten)."""

    def __init__(self, options: SyncOptions, reporter: Reporter, *, ctx: Context, bucket: str | None,
                 prefix: str, state: SyncState, tree: LocalTree | None, workers: int) -> None:
        self.options, self.reporter = options, reporter
        self.ctx, self.bucket, self.prefix, self.state, self.tree = ctx, bucket, prefix, state, tree
        self.workers = workers
        self._spool = Spool()

    def add(self, item: LocalFile | RemoteObject) -> None:
        """A path only in DEST (in walk order)."""
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

    def run(self, src_walk: Walk, dst_walk: Walk) -> None:
        """Delete (or with --dry-run report) the candidates, when nothing forbids it; the report says why not."""
        if not self.options.delete or not self._spool:
            return
        report = self.reporter.report
        refusal = self.refusal(src_walk, dst_walk)
        if refusal is not None:
            report.delete_refused = refusal
            return
        hide = self.bucket is not None and leaves_delete_markers(self.ctx, self.bucket)
        report.delete_markers = hide  # a versioned destination keeps every byte behind the markers
        if self.options.dry_run:
            for rel, key, _, size in self._spool:
                self.reporter.add("deleted", Item(path=rel, key=key, size=size, reason=REASON, delete_marker=hide))
        elif self.bucket is not None:
            self._delete_objects(self.bucket, hide)
        else:
            self._delete_files()

    # ------------------------------------------------------------------------------------ objects
    def _delete_objects(self, bucket: str, hide: bool) -> None:
        """Batch deletes of what the source lacks; in a versioned bucket each only adds a delete marker,
        and the items say so (delete_marker)."""
        failed: set[str] = set()
        for chunk in self._spool.chunks(1000):
            keys = [str(key) for _, key, _, _ in chunk]
            try:
                failures = objects.remove_batch(self.ctx, bucket, keys, {str(key): size for _, key, _, size in chunk})
            except E.ItsStoreError as exc:
                for rel, key, _, size in chunk:
                    self.reporter.fail_error(rel, key, size, exc, "delete failed: ")
                failed.update(keys)
                continue
            self.state.forget(bucket, keys)
            for rel, key, _, size in chunk:
                if key in failures:
                    self.reporter.fail(rel, key, size, f"delete failed: {failures[str(key)]}", "delete_failed",
                                       E.EXIT_ERROR)
                    failed.add(str(key))
        self._report_deletes(bucket, failed, hide)

    def _report_deletes(self, bucket: str, failed: set[str], hide: bool) -> None:
        """Report each delete the server accepted: deleted, or failed when the key is still listed."""
        done = (entry for entry in self._spool if entry[1] not in failed)
        listed = _Relisting(self.ctx, bucket, self.prefix, self.options.filter.prunes)
        for rel, key, _, size in done:
            if listed.has(rel):
                self.reporter.fail(rel, key, size, "delete failed: still listed after its delete", "not_deleted",
                                   E.EXIT_ERROR)
            else:
                self.reporter.add("deleted", Item(path=rel, key=key, size=size, reason=REASON, delete_marker=hide))

    # -------------------------------------------------------------------------------------- files
    def _delete_files(self) -> None:
        """Delete the local files the source lacks, each in its folder's descriptor (core/localtree): a
        folder swapped for a link since the walk is not followed, nothing outside is deleted."""
        for rel, _, _, size in self._spool:
            try:
                self.tree.remove(rel)  # type: ignore[union-attr]
            except E.ItsStoreError as exc:
                self.reporter.fail_error(rel, None, size, exc, "cannot delete: ")
                continue
            self.reporter.add("deleted", Item(path=rel, key=None, size=size, reason=REASON))


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

