"""Aliases (production, staging, ...) of a model, kept in NAME/_aliases.json with their history.

Several people or CI jobs may promote at once, so the document is changed with compare-and-swap
(registry/store.py, DocStore.update). This module is the document itself: its rules and its edits.
Everyone reads it through DocStore.get (the registry, and shell completion).
"""

from __future__ import annotations

from typing import Any

from its_store.registry import validate
from its_store.registry.refs import ALIASES

HISTORY_LIMIT = 1000  # oldest entries beyond this are dropped so the document stays small


def aliases_key(name: str) -> str:
    return f"{name}/{ALIASES}"


def empty_doc(name: str) -> dict[str, Any]:
    return {"name": name, "aliases": {}, "history": []}


def parse(data: bytes, where: str, name: str) -> dict[str, Any]:
    """An alias document, every alias and version checked (registry/validate.py): IntegrityError otherwise."""
    doc: dict[str, Any] = validate.decode(data, where, "alias document")
    try:
        validate.alias_doc(doc, name)
    except validate.Invalid as problem:
        raise validate.integrity(where, "alias document", problem) from None
    doc.setdefault("history", [])
    doc.setdefault("name", name)
    return doc


def trim(doc: dict[str, Any]) -> None:
    """Drop the oldest history entries beyond HISTORY_LIMIT, so that the document stays small."""
    doc["history"] = doc["history"][-HISTORY_LIMIT:]


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
