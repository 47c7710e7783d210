"""Reading the registry's documents: one bucket listing, then manifests and alias documents, cached.

A warm `model list` must cost one listing, and a cold one parallel GETs (never one request per version in
series). Documents are parsed and validated and kept by (endpoint, bucket, key, ETag): in memory for the
life of the process, and in the storage Context's metadata cache (cache.py: disk or Redis) so that the next CLI
process is warm too. A document changes only by being rewritten, which changes its ETag, so a cached entry
is never stale; decisions (show, pull, promote, rm) read the server directly anyway.

A document read back from the disk or Redis cache is input like one from the server (a file anyone with
the cache folder can write, a Redis others share): it is validated again (registry/validate.py: 11 us for
a one-file manifest, 48 us for 20 files, beside 23 us for the disk-cache read itself), and one that fails is
dropped from the cache, said in a warning, and read from the server instead.
"""

from __future__ import annotations

import logging
import threading
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from its_store.core import errors as E
from its_store.registry import validate
from its_store.registry.manifest import check_name_version, manifest_of
from its_store.registry.refs import ALIASES, LOCK, MANIFEST, is_version
from its_store.registry.store import DocStore
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.s3.client import S3Client
    from its_store.service.context import Context
    from its_store.state.service_cache import ServiceCache


class DocCache(Protocol):
    """Where parsed manifests and alias documents are kept in memory, keyed by location and ETag."""

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any) -> None: ...


class ProcessCache:
    """The default DocCache: a bounded dict for the life of the process."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._data: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: str) -> Any | None:
        return self._data.get(key)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = value


PROCESS_CACHE = ProcessCache()
log = logging.getLogger("its_store.registry.docs")
PROBE_PREFIX = "_index/.probe-"  # conditional-write probes: `_index` is never a model name (dedup.py)


@dataclass
class Scan:
    """What one bucket listing says about the registry: manifests and alias documents with their ETags."""

    manifests: dict[tuple[str, str], str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    pending: set[tuple[str, str]] = field(default_factory=set)

    def versions(self, name: str) -> list[str]:
        return [v for (n, v) in self.manifests if n == name]


class RegistryDocs:
    """The read side of one registry bucket, over the storage Context. Thread-safe; share it."""

    def __init__(self, storage: Context, bucket: str, cache: DocCache | None = None, *, keep: bool = True) -> None:
        self.storage = storage
        self.bucket = bucket
        self.cache: DocCache = cache if cache is not None else PROCESS_CACHE
        # False (a dry run's, which changes no state): the metadata cache is neither read nor written, nor
        # cache hits counted in the stats; the in-process cache (memory) still serves
        self.keep = keep

    def not_kept(self) -> RegistryDocs:
        """This read side for a dry run: what it reads is kept in memory only (no metadata cache, no stats)."""
        return RegistryDocs(self.storage, self.bucket, self.cache, keep=False)

    @property
    def s3(self) -> S3Client:
        return self.storage.s3

    def scan(self, name: str | None) -> Scan:
        """One recursive listing (of NAME/ or the whole bucket): which versions and alias documents exist."""
        scan = Scan()
        try:
            items = list(self.s3.list_objects(self.bucket, f"{name}/" if name else "", True))
        except E.BucketNotFoundError:
            raise E.BucketNotFoundError(f"models bucket not found: {self.bucket}",
                                        hint="it is created by the first `its-store model register`; "
                                             "check MINIO_MODELS_BUCKET") from None
        for item in items:
            parts = item.key.split("/")
            etag = (item.etag or "").strip('"')
            if len(parts) == 3 and is_version(parts[1]):
                if parts[2] == MANIFEST:
                    scan.manifests[(parts[0], parts[1])] = etag
                elif parts[2] == LOCK:
                    scan.pending.add((parts[0], parts[1]))
            elif len(parts) == 2 and parts[1] == ALIASES:
                scan.aliases[parts[0]] = etag
        return scan

    def fetch_all(self, scan: Scan, bad: list[E.IntegrityError] | None = None
                  ) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, Any]]]:
        """Every manifest and alias document of a scan, from the caches or by parallel GETs. A document that
        breaks the rules (IntegrityError) stops the rest, unless `bad` is given: then it is added there and
        left out, so that one hostile document does not hide every good one (`model list`)."""
        jobs = [(f"{n}/{v}/{MANIFEST}", etag) for (n, v), etag in scan.manifests.items()]
        jobs += [(f"{n}/{ALIASES}", etag) for n, etag in scan.aliases.items()]
        settings = self.storage.settings
        workers = max(1, min(len(jobs), max(self.storage.workers, settings.max_pool_connections)))

        def one(job: tuple[str, str | None]) -> dict[str, Any] | E.IntegrityError | None:
            try:
                return self.fetch(*job)
            except E.IntegrityError as exc:
                if bad is None:
                    raise
                return exc

        with closing(fan_out(one, jobs, workers=workers, name="its-manifest")) as outs:
            docs = [out.result() for out in outs]  # in job order; the first error stops the rest
        manifests: dict[tuple[str, str], dict[str, Any]] = {}
        alias_docs: dict[str, dict[str, Any]] = {}
        for (key, _), doc in zip(jobs, docs, strict=True):
            if doc is None:
                continue  # removed since the listing
            if isinstance(doc, E.IntegrityError):
                if bad is not None:  # (only then is one returned)
                    bad.append(doc)
                continue
            parts = key.split("/")
            if len(parts) == 3:
                manifests[(parts[0], parts[1])] = doc
            else:
                alias_docs[parts[0]] = doc
        return manifests, alias_docs

    def fetch(self, key: str, etag: str | None = None) -> dict[str, Any] | None:
        """THE place manifests and alias documents are read. Parsed and validated once, then kept by
        (server, bucket, key, ETag) in the in-process cache and in the storage Context's metadata cache
        (disk or Redis; a no-op one when caching is off). A document changes only by being rewritten, which changes its
        ETag, so an entry is never stale. Without an ETag (show, pull, promote) it is always a fresh GET.
        Returns None when the object is gone. Callers must not mutate what they get.
        """
        if not etag:
            fetched = self._get_doc(key)
            return fetched[0] if fetched else None
        memo = self._memo(key, etag)
        hit: dict[str, Any] | None = self.cache.get(memo)
        if hit is not None:
            if self.keep:
                self.storage.stats.record_cache(True)
            return hit
        try:
            doc = self._remembered(self.storage.cache, key, etag) if self.keep else self._get_expected(key, etag)
        except _Changed as changed:
            return changed.doc
        self.cache.set(memo, doc)
        return doc

    def _memo(self, key: str, etag: str) -> str:
        """The in-process memo's key of a document: its server (endpoint and proxy: two boxes at one address
        hold different registries), bucket, key and ETag."""
        return f"{self.storage.settings.server_id()}/{self.bucket}/{key}#{etag}"

    def _remembered(self, persistent: ServiceCache, key: str, etag: str) -> dict[str, Any]:
        """From the metadata cache (checked again: see the module docstring), else GET and cached."""
        parts = ("model-registry", self.bucket, key, etag)
        fetched: list[bool] = []

        def get() -> dict[str, Any]:
            fetched.append(True)
            return self._get_expected(key, etag)

        doc: dict[str, Any] = persistent.remember(parts, get)
        if fetched:
            return doc
        try:
            return self._checked(key, doc)
        except E.IntegrityError as exc:
            log.warning("the metadata cache held a copy of s3://%s/%s that is not valid (%s): dropped, read from the "
                        "server", self.bucket, key, exc.message)
            persistent.forget(parts)
            fresh = self._get_expected(key, etag)  # validated on the way in (_get_doc)
            persistent.remember(parts, lambda: fresh)  # filed again in place of the bad copy
            return fresh

    def _checked(self, key: str, doc: Any) -> dict[str, Any]:
        """A cached document, checked as one from the server is (_get_doc): IntegrityError if it is not valid."""
        parts, where = key.split("/"), f"s3://{self.bucket}/{key} (cached)"
        if len(parts) == 3:
            return check_name_version(manifest_of(doc, where), parts[0], parts[1], where)
        try:
            return validate.alias_doc(doc, parts[0])
        except validate.Invalid as problem:
            raise validate.integrity(where, "alias document", problem) from None

    def _get_expected(self, key: str, etag: str) -> dict[str, Any]:
        """GET a listed document; if it changed since the listing, hand it back without caching it."""
        fetched = self._get_doc(key)
        if fetched is None or fetched[1] != etag:
            raise _Changed(fetched[0] if fetched else None)
        return fetched[0]

    def _get_doc(self, key: str) -> tuple[dict[str, Any], str] | None:
        """(parsed document, ETag) by one GET (registry/store.py), or None if there is no such object."""
        stored = DocStore(self.s3, self.bucket).get(key)
        if stored is None:
            return None
        if stored.etag:
            self.cache.set(self._memo(key, stored.etag), stored.doc)
        return stored.doc, stored.etag

    def require_conditional_writes(self, *, needed: bool = True) -> None:
        """Refuse a registry write (ConditionalWritesUnsupportedError, exit 78) on a server that ignores
        If-None-Match / If-Match: the registry's write-once manifests and locks and its compare-and-swap
        alias documents rest on them, so there immutability and race safety would silently not hold.
        Probed once per bucket (S3Client.conditional_write_gap, under PROBE_PREFIX) and, when honoured,
        remembered in the metadata cache so that the next process does not probe again. Reads never ask.
        Before a probe the bucket is made when missing, as the registration that asks would make it.
        `needed` False: this write makes no conditional request after all (nothing is asked)."""
        if not needed:
            return
        form = self.storage.cache.remember(("conditional-writes", self.bucket), self._form)  # "quoted" / "bare"
        if form is not None:
            self.s3.use_if_match_form(self.bucket, "bare" if form == "bare" else "quoted")
            return
        gap = self._gap()
        if gap is not None:
            raise E.ConditionalWritesUnsupportedError(
                f"the server {gap} on PUT (s3://{self.bucket}): the model registry needs conditional writes to "
                "keep versions immutable and concurrent writers safe, so nothing was written",
                hint="use a server that honours them (MinIO, Ceph RGW, SeaweedFS, AWS S3); model list, show "
                     "and pull work here")

    def _form(self) -> str | None:
        """How If-Match is written in this bucket when conditional writes are honoured, else None."""
        return self.s3.if_match_form(self.bucket) if self._gap() is None else None

    def _gap(self) -> str | None:
        import secrets

        from its_store.service.bucket_use import ensure_bucket
        ensure_bucket(self.storage, self.bucket)
        return self.s3.conditional_write_gap(self.bucket, PROBE_PREFIX + secrets.token_hex(8))

    def manifest(self, name: str, version: str) -> dict[str, Any]:
        doc = self.fetch(f"{name}/{version}/{MANIFEST}")
        if doc is None:
            raise E.NotFoundError(f"model version not found: {name}@{version}",
                                  hint=f"see `its-store model list {name}`")
        return doc


class _Changed(Exception):
    """A listed document changed (or vanished) before its GET: use it, but do not cache it under the old ETag."""

    def __init__(self, doc: dict[str, Any] | None) -> None:
        super().__init__("changed since listed")
        self.doc = doc
