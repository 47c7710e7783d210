"""Aliases (production, staging, ...) of a model, kept in NAME/_aliases.json with their history.

Several people or CI jobs may promote at once, so the document is updated with compare-and-swap:
read it with its ETag, change it, write it back with `If-Match: <etag>` (or `If-None-Match: *` when it
does not exist yet); when someone else wrote in between the server answers 412 and we start over.
No lost update, no lock to leave behind.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry import validate
from its_store.registry.refs import ALIASES

if TYPE_CHECKING:
    from its_store.s3.client import S3Client

MAX_ATTEMPTS = 20
HISTORY_LIMIT = 1000  # oldest entries beyond this are dropped so the document stays small
_HEADERS = {"Content-Type": "application/json", "x-amz-meta-its-type": "metadata"}


def aliases_key(name: str) -> str:
    return f"{name}/{ALIASES}"


def empty_doc(name: str) -> dict[str, Any]:
    return {"name": name, "aliases": {}, "history": []}


def read(s3: S3Client, bucket: str, name: str) -> tuple[dict[str, Any], str | None]:
    """(document, ETag); an absent document is an empty one with ETag None."""
    key = aliases_key(name)
    try:
        resp = s3.get(bucket, key)
    except E.ObjectNotFoundError:
        return empty_doc(name), None
    try:
        data = resp.read()
        etag = resp.headers.get("ETag")
    finally:
        resp.close()
        resp.release_conn()
    return parse(data, f"s3://{bucket}/{key}", name), etag


def parse(data: bytes, where: str, name: str) -> dict[str, Any]:
    """An alias document, every alias and version checked (registry/validate.py): IntegrityError otherwise."""
    doc = validate.decode(data, where, "alias document")
    try:
        validate.alias_doc(doc, name)
    except validate.Invalid as problem:
        raise validate.integrity(where, "alias document", problem) from None
    doc.setdefault("history", [])
    doc.setdefault("name", name)
    return doc


def update(s3: S3Client, bucket: str, name: str,
           change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
    """Apply `change` (which edits the document in place) atomically; retried on concurrent writes.

    `change` returns None when there is nothing to write. Returns the document as stored.
    """
    key = aliases_key(name)
    for attempt in range(MAX_ATTEMPTS):
        doc, etag = read(s3, bucket, name)
        if change(doc) is None:
            return doc
        doc["history"] = doc["history"][-HISTORY_LIMIT:]
        body = json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")
        try:
            if etag is None:
                s3.put_if_absent(bucket, key, body, _HEADERS)
            else:
                s3.put_if_match(bucket, key, body, _HEADERS, etag)
            return doc
        except E.ConflictError:  # 412 (or already exists): someone wrote first; read again
            time.sleep(random.uniform(0.0, 0.02 * (attempt + 1)))
    raise E.ConflictError(f"could not update the aliases of {name!r}: too many concurrent changes",
                          hint="retry the command")


def promote(doc: dict[str, Any], alias: str, version: str, *, actor: str, at: str) -> dict[str, Any] | None:
    """Point `alias` at `version`, recording who, when and the previous version (a no-op is not recorded)."""
    previous = doc["aliases"].get(alias)
    if previous == version:
        return None
    doc["aliases"][alias] = version
    event = {"alias": alias, "version": version, "previous": previous, "action": "promote", "by": actor, "at": at}
    doc["history"].append(event)
    return event


def drop_version(doc: dict[str, Any], version: str, *, actor: str, at: str) -> dict[str, Any] | None:
    """Remove every alias pointing at `version` (its removal was forced)."""
    gone = sorted(a for a, v in doc["aliases"].items() if v == version)
    if not gone:
        return None
    for alias in gone:
        del doc["aliases"][alias]
        doc["history"].append({"alias": alias, "version": None, "previous": version, "action": "removed",
                               "by": actor, "at": at})
    return {"removed": gone}


def aliases_of(doc: dict[str, Any], version: str) -> list[str]:
    return sorted(a for a, v in doc.get("aliases", {}).items() if v == version)
