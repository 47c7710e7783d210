"""Lineage: which parents and data a version came from, and which versions came from it.

Stored in the manifest (format 2) as {"parents": ["name@version"], "datasets": ["URI[@VERSION]"],
"run_id", "git"}. Ancestors are followed parent by parent (one manifest GET each, level by level in
parallel); descendants are found by reading every manifest of the bucket once (one listing, then
parallel GETs that the registry's ETag cache makes free on the next run) and inverting the parent links.
"""

from __future__ import annotations

import re
from contextlib import closing
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry.manifest import empty_lineage, lineage_of
from its_store.registry.query import resolve
from its_store.registry.results import LineageReport
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext

MAX_DEPTH = 100
_DATASET_RE = re.compile(r"^\S{1,1024}$")


def check_datasets(datasets: list[str] | tuple[str, ...] | None) -> list[str]:
    """Dataset references as given (URI, optionally @VERSION): non-empty, no whitespace (exit 2)."""
    found = []
    for value in datasets or []:
        text = str(value).strip()
        if not _DATASET_RE.match(text) or text.endswith("@") or text.startswith("@"):
            raise E.InvalidInputError(f"invalid dataset reference {value!r}",
                                      hint="use URI or URI@VERSION, e.g. s3://frames/traffic_v2@2025-06-01")
        found.append(text)
    return found


def resolve_parents(ctx: RegistryContext, parents: list[str] | tuple[str, ...] | None) -> list[str]:
    """NAME@VERSION (or NAME@ALIAS) of each parent -> "name@version"; NotFoundError (exit 3) for one that
    does not exist, before anything is written."""
    from its_store.registry.refs import parse_model_ref
    found: list[str] = []
    for text in parents or []:
        name, ref = parse_model_ref(str(text))
        if ref is None:
            raise E.InvalidInputError(f"parent {text!r} needs a version: NAME@VERSION", hint="e.g. yolo11@1.0.0")
        try:
            version = resolve(ctx, name, ref)
            ctx.docs.manifest(name, version)
        except E.BucketNotFoundError:
            raise E.NotFoundError(f"parent model not found: {text}", hint="register the parent first") from None
        except E.NotFoundError as exc:
            raise E.NotFoundError(f"parent model not found: {text} ({exc.message})",
                                  hint="register the parent first, or check `its-store model list`") from None
        if f"{name}@{version}" not in found:
            found.append(f"{name}@{version}")
    return found


def build(parents: list[str], datasets: list[str], run_id: str | None, git: dict[str, Any] | None) -> dict[str, Any]:
    doc = empty_lineage()
    doc.update({"parents": parents, "datasets": datasets, "run_id": run_id or None, "git": git})
    return doc


def _split(ref: str) -> tuple[str, str]:
    name, _, version = ref.partition("@")
    return name, version


def ancestors(ctx: RegistryContext, root: str) -> list[dict[str, Any]]:
    """The parent tree of `root`: [{"ref", "datasets", "run_id", "parents": [...]}], level by level."""
    cache: dict[str, dict[str, Any] | None] = {}
    level, depth = [root], 0
    while level and depth < MAX_DEPTH:
        todo = [r for r in dict.fromkeys(level) if r not in cache]
        workers = max(1, min(len(todo), ctx.workers))
        with closing(fan_out(lambda r: _manifest_or_none(ctx, r), todo, workers=workers, name="its-lineage")) as outs:
            for out in outs:
                cache[out.item] = out.result()
        level = [p for r in todo if cache[r] for p in lineage_of(cache[r])["parents"]]  # type: ignore[arg-type]
        depth += 1
    return _parent_tree(root, cache, set())


def _manifest_or_none(ctx: RegistryContext, ref: str) -> dict[str, Any] | None:
    name, version = _split(ref)
    try:
        return ctx.docs.manifest(name, version)
    except (E.NotFoundError, E.IntegrityError):
        return None


def _parent_tree(ref: str, cache: dict[str, dict[str, Any] | None], seen: set[str],
                 shown: set[str] | None = None) -> list[dict[str, Any]]:
    """The parents of `ref`, each expanded once: where a version is met again (a parent shared by two
    branches), it is `repeated` without its parents, which are shown where it first appears. Expanding
    every path made a lattice of merges (two parents each, two per level) 2^levels nodes: 18 levels took
    37 s and 22 MB of JSON, 30 would never end (atk2, s35). `seen` (the path) still stops a cycle."""
    shown = set() if shown is None else shown
    doc = cache.get(ref)
    if doc is None:
        return []
    nodes = []
    for parent in lineage_of(doc)["parents"]:
        pdoc = cache.get(parent)
        node: dict[str, Any] = {"ref": parent, "missing": pdoc is None and parent in cache}
        if pdoc is not None:
            lin = lineage_of(pdoc)
            node.update({"datasets": list(lin["datasets"]), "run_id": lin["run_id"]})
        node["repeated"] = parent in shown and pdoc is not None and parent not in seen
        shown.add(parent)
        node["parents"] = [] if parent in seen or node["repeated"] else _parent_tree(parent, cache, seen | {ref},
                                                                                     shown)
        nodes.append(node)
    return nodes


def children_index(ctx: RegistryContext) -> dict[str, list[str]]:
    """parent "name@version" -> the versions naming it as parent, from every manifest of the bucket."""
    manifests, _ = ctx.docs.fetch_all(ctx.docs.scan(None))
    index: dict[str, list[str]] = {}
    for (name, version), doc in manifests.items():
        for parent in lineage_of(doc)["parents"]:
            index.setdefault(parent, []).append(f"{name}@{version}")
    return index


def descendants(index: dict[str, list[str]], ref: str, seen: frozenset[str] = frozenset(),
                shown: set[str] | None = None) -> list[dict[str, Any]]:
    """The children of `ref`, each expanded once (later: `repeated`, as in _parent_tree)."""
    shown = set() if shown is None else shown
    nodes = []
    for child in sorted(index.get(ref, [])):
        repeated = child in shown and child not in seen
        shown.add(child)
        nodes.append({"ref": child, "repeated": repeated, "children": [] if child in seen or repeated else
                      descendants(index, child, seen | {ref}, shown)})
    return nodes


def lineage(ctx: RegistryContext, name: str, ref: str | None) -> LineageReport:
    """The public lineage document of NAME@REF (a public API: field names are stable)."""
    version = resolve(ctx, name, ref)
    root = f"{name}@{version}"
    own = lineage_of(ctx.docs.manifest(name, version))
    return LineageReport.model_validate({
        "model": root, "model_name": name, "version": version, "parents": list(own["parents"]),
        "datasets": list(own["datasets"]), "run_id": own["run_id"], "git": own["git"],
        "ancestors": ancestors(ctx, root), "descendants": descendants(children_index(ctx), root)})
