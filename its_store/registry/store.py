"""DocStore: the one way the registry reads and writes its small JSON documents with compare-and-swap.

Three kinds of document live in the models bucket, and each is known by its key:
    NAME/VERSION/manifest.json           the manifest: write-once, later changed only by If-Match
    NAME/_aliases.json                   aliases and their history: compare-and-swap, absent = empty
    NAME/VERSION[/variants/V]/.its-registering   a registration's or removal's marker: write-once
A change is read-modify-write: read the document with its ETag, apply `change` to a private copy, write
it back with `If-Match: <etag>` (or `If-None-Match: *` when it does not exist yet); when another writer
got there first the server answers 412 and we start over after a short jittered pause, a bounded number
of times. No lost update, no lock to leave behind. The server must honour those headers: the registry
asks once per bucket before its first write (RegistryDocs.require_conditional_writes, exit 78 when not),
and the S3 client writes If-Match in the form the server matches (quoted, or bare for radosgw).

Stored bytes stay as every earlier its-store wrote them (manifests and alias documents indented and
sorted; markers compact), so old and new versions read each other's documents.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry import aliases as aliases_doc
from its_store.registry import validate
from its_store.registry.manifest import check_name_version, parse_manifest
from its_store.registry.refs import ALIASES, LOCK, MANIFEST

if TYPE_CHECKING:
    from its_store.s3.client import S3Client

Change = Callable[[dict[str, Any]], object]  # edits the document in place; falsy: nothing to write
MARKER_LIMIT = 64 * 1024                    # a marker is a few hundred bytes; read no more than this
_ARTIFACT = {"Content-Type": "application/json", "x-amz-meta-its-type": "model_artifact"}
_METADATA = {"Content-Type": "application/json", "x-amz-meta-its-type": "metadata"}


@dataclass(frozen=True)
class Stored:
    """A document as read, with the ETag (unquoted) that a compare-and-swap names."""

    doc: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class Kind:
    """What a key holds: how it is parsed, written, and what an absent one means to update()."""

    what: str
    headers: dict[str, str]
    attempts: int
    indent: bool

    def parse(self, data: bytes, where: str, key: str) -> dict[str, Any]:
        parts = key.split("/")
        if self.what == "manifest":
            return check_name_version(parse_manifest(data, where), parts[0], parts[1], where)
        if self.what == "alias document":
            return aliases_doc.parse(data, where, parts[0])
        try:  # a marker that is not a JSON object reads as an anonymous registration's
            doc = validate.decode(data, key, "lock marker")
        except E.IntegrityError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def body(self, doc: dict[str, Any]) -> bytes:
        """The document as written; InvalidInputError (exit 2) when it is larger than readers accept
        (validate.limit_of): its-store never writes a document it would refuse to read."""
        text = json.dumps(doc, indent=2, sort_keys=True) if self.indent else json.dumps(doc)
        data = text.encode("utf-8")
        limit = validate.limit_of(self.what)
        if len(data) > limit:
            count = f" ({len(doc['files']):,} files)" if isinstance(doc.get("files"), list) else ""
            raise E.InvalidInputError(f"the {self.what} would be {len(data):,} bytes{count}, above the "
                                      f"{limit:,} a registry {self.what} may hold",
                                      hint="register fewer, larger files (e.g. a tar of the folder)")
        return data

    def absent(self, key: str) -> dict[str, Any]:
        """The document update() starts from when there is none (NotFoundError for a manifest)."""
        parts = key.split("/")
        if self.what == "manifest":
            raise E.NotFoundError(f"model version not found: {parts[0]}@{parts[1]}",
                                  hint=f"see `its-store model list {parts[0]}`")
        if self.what == "alias document":
            return aliases_doc.empty_doc(parts[0])
        return {}

    def too_busy(self, key: str) -> E.ConflictError:
        parts = key.split("/")
        if self.what == "manifest":
            return E.ConflictError(f"could not update {parts[0]}@{parts[1]}: too many concurrent changes",
                                   hint="retry the command")
        if self.what == "alias document":
            return E.ConflictError(f"could not update the aliases of {parts[0]!r}: too many concurrent changes",
                                   hint="retry the command")
        return E.ConflictError(f"{parts[0]}@{parts[1]}: its registration marker kept changing",
                               hint="retry the command")


MANIFEST_KIND = Kind("manifest", _ARTIFACT, attempts=20, indent=True)
ALIASES_KIND = Kind("alias document", _METADATA, attempts=20, indent=True)
MARKER_KIND = Kind("lock marker", _ARTIFACT, attempts=5, indent=False)


def kind_of(key: str) -> Kind:
    """The kind of a registry document by its key; ValueError for a key that holds none."""
    parts = key.split("/")
    if len(parts) == 3 and parts[2] == MANIFEST:
        return MANIFEST_KIND
    if len(parts) == 2 and parts[1] == ALIASES:
        return ALIASES_KIND
    if len(parts) >= 3 and parts[-1] == LOCK:
        return MARKER_KIND
    raise ValueError(f"not a registry document: {key}")


def backoff(attempt: int) -> None:
    """The pause before another compare-and-swap round: jittered (writers racing do not meet again in
    step) and growing with the attempt, bounded (at most 0.02 s per attempt so far)."""
    time.sleep(random.uniform(0.0, 0.02 * (attempt + 1)))


class DocStore:
    """Read, create and compare-and-swap the registry's documents in one bucket. Thread-safe (no state
    but the callback); `written(keys)` is told of every key a write may have changed, so that caches
    of object metadata stay honest, whether the write succeeded or not."""

    def __init__(self, s3: S3Client, bucket: str, written: Callable[[list[str]], None] | None = None) -> None:
        self.s3 = s3
        self.bucket = bucket
        self._written = written or (lambda keys: None)

    def get(self, key: str) -> Stored | None:
        """The parsed, validated document and its ETag by one GET; None when there is no such object.
        A document that breaks the rules is IntegrityError (exit 4) naming it (registry/validate.py)."""
        kind = kind_of(key)
        try:
            resp = self.s3.get(self.bucket, key)
        except E.ObjectNotFoundError:
            return None
        try:
            # never more than the size rule allows (+1 byte: validate.decode then says "larger than")
            data = resp.read(MARKER_LIMIT if kind is MARKER_KIND else validate.limit_of(kind.what) + 1)
            etag = (resp.headers.get("ETag") or "").strip('"')
        finally:
            resp.close()
            resp.release_conn()
        return Stored(kind.parse(data, f"s3://{self.bucket}/{key}", key), etag)

    def put_if_absent(self, key: str, doc: dict[str, Any]) -> None:
        """Write-once (If-None-Match: *): AlreadyExistsError (exit 5) when the key exists."""
        kind = kind_of(key)
        try:
            self.s3.put_if_absent(self.bucket, key, kind.body(doc), kind.headers)
        finally:
            self._written([key])

    def put(self, key: str, doc: dict[str, Any]) -> None:
        """An unconditional write (`register --force` replacing a manifest whose marker it holds)."""
        kind = kind_of(key)
        try:
            self.s3.put(self.bucket, key, kind.body(doc), kind.headers)
        finally:
            self._written([key])

    def replace(self, key: str, doc: dict[str, Any], etag: str) -> None:
        """One compare-and-swap (If-Match: etag): ConflictError when it changed, NotFoundError when gone."""
        kind = kind_of(key)
        try:
            self.s3.put_if_match(self.bucket, key, kind.body(doc), kind.headers, etag)
        finally:
            self._written([key])

    def update(self, key: str, change: Change) -> dict[str, Any]:
        """Apply `change` to a private copy of the document and write it back by compare-and-swap, read
        again and retried (jittered backoff) while other writers get there first. `change` returns
        something falsy when there is nothing to write; it may raise to give up. An absent document is
        created write-once (an alias document, a marker) or is NotFoundError (a manifest). Returns the
        document as stored; ConflictError (exit 5) after the kind's number of attempts."""
        kind = kind_of(key)
        for attempt in range(kind.attempts):
            stored = self.get(key)
            doc = kind.absent(key) if stored is None else copy.deepcopy(stored.doc)
            if not change(doc):
                return doc
            if kind is ALIASES_KIND:
                aliases_doc.trim(doc)
            try:
                if stored is None:
                    self.put_if_absent(key, doc)
                else:
                    self.replace(key, doc, stored.etag)
                return doc
            except (E.ConflictError, E.NotFoundError):  # 412, already there, or gone: someone else wrote
                backoff(attempt)
        raise kind.too_busy(key)
