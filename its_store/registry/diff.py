"""`model diff`: what changed between two versions (of one model or of two): metrics with deltas, tags,
training-config keys, files by sha256 (plain files and every variant's), variants, lineage.

Pure functions over two manifests: no network here, so the rules are easy to test and to reuse.
"""

from __future__ import annotations

from typing import Any

from its_store.registry.manifest import lineage_of, stored_entries
from its_store.registry.results import DiffReport


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"optimizer": {"lr": 1}} -> {"optimizer.lr": 1}; lists are compared whole."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}{key}."))
        return flat if flat or not prefix else {prefix[:-1]: {}}
    return {prefix[:-1] or "(config)": value} if prefix or value is not None else {}


def _changes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {"added": {k: b[k] for k in sorted(set(b) - set(a))},
            "removed": {k: a[k] for k in sorted(set(a) - set(b))},
            "changed": {k: {"a": a[k], "b": b[k]} for k in sorted(set(a) & set(b)) if a[k] != b[k]}}


def _metrics(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        out[key] = {"a": va, "b": vb, "delta": delta}
    return out


def _files(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    fa = {e["key"]: e for e in stored_entries(a)}
    fb = {e["key"]: e for e in stored_entries(b)}

    def brief(e: dict[str, Any]) -> dict[str, Any]:
        return {"path": e["key"], "size": e["size"], "sha256": e["sha256"], "variant": e.get("variant")}

    return {"added": [brief(fb[k]) for k in sorted(set(fb) - set(fa))],
            "removed": [brief(fa[k]) for k in sorted(set(fa) - set(fb))],
            "changed": [{"path": k, "variant": fb[k].get("variant"),
                         "a": {"size": fa[k]["size"], "sha256": fa[k]["sha256"]},
                         "b": {"size": fb[k]["size"], "sha256": fb[k]["sha256"]}}
                        for k in sorted(set(fa) & set(fb)) if fa[k]["sha256"] != fb[k]["sha256"]],
            "unchanged": sum(1 for k in set(fa) & set(fb) if fa[k]["sha256"] == fb[k]["sha256"])}


def _lineage(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    la, lb = lineage_of(a), lineage_of(b)
    out: dict[str, Any] = {"a": la, "b": lb}
    for key in ("parents", "datasets"):
        out[key] = {"added": sorted(set(lb[key]) - set(la[key])), "removed": sorted(set(la[key]) - set(lb[key]))}
    ga, gb = la.get("git") or {}, lb.get("git") or {}
    out["git_commit_changed"] = ga.get("commit") != gb.get("commit")
    out["run_id_changed"] = la.get("run_id") != lb.get("run_id")
    return out


def diff(a: dict[str, Any], b: dict[str, Any]) -> DiffReport:
    """The diff document of two manifests (a public API: field names are stable)."""
    va, vb = set(a.get("variants") or {}), set(b.get("variants") or {})
    return DiffReport.model_validate({
        "a": f"{a.get('name')}@{a.get('version')}", "b": f"{b.get('name')}@{b.get('version')}",
        "same_content": a.get("sha256") == b.get("sha256") and bool(a.get("sha256")),
        "metrics": _metrics(dict(a.get("metrics") or {}), dict(b.get("metrics") or {})),
        "tags": _changes(dict(a.get("tags") or {}), dict(b.get("tags") or {})),
        "training_config": _changes(flatten(a.get("training_config")), flatten(b.get("training_config"))),
        "files": _files(a, b),
        "variants": {"added": sorted(vb - va), "removed": sorted(va - vb), "common": sorted(va & vb)},
        "lineage": _lineage(a, b),
        "description_changed": (a.get("description") or "") != (b.get("description") or ""),
    })
