"""How the results of the `model` commands (cli/commands/model.py) read to a human: tables, trees, the
model card, the diff. --json prints the result models themselves (cli/output.result)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from its_store.cli import output as out
from its_store.core.units import human_size

if TYPE_CHECKING:
    from its_store.registry.results import (
        Aliases,
        AncestorNode,
        DescendantNode,
        DiffReport,
        DownloadUrls,
        LineageReport,
        ModelDetails,
    )


def unreadable(skipped: list[Any]) -> None:
    """One stderr line per registry document `model list` left out, then exit 4 (integrity): the last one is
    raised, so that one bad document is one error line, as any other error (no summary line on top)."""
    if not skipped:
        return
    for exc in skipped[:-1]:
        out.stderr_line(f"its-store: error: {exc.message}")
    raise skipped[-1]


def pairs(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(values.items()))


def short_time(text: str | None) -> str:
    return (text or "").replace("T", " ")[:19]


def show_human(rec: ModelDetails) -> None:
    import json
    rows: list[list[Any]] = [["model", f"{rec.model_name}@{rec.version}"], ["uri", rec.uri],
            ["created", f"{short_time(rec.created_at)} by {rec.created_by}"],
            ["size", f"{human_size(rec.size)} ({rec.size} bytes)"], ["sha256", rec.sha256],
            ["aliases", ", ".join(rec.aliases)], ["description", rec.description],
            ["metrics", pairs(rec.metrics)], ["tags", pairs(rec.tags)],
            ["training config", json.dumps(rec.training_config) if rec.training_config is not None else ""]]
    out.table(["field", "value"], rows)
    out.table(["file", "size", "sha256"], ([f.path, human_size(f.size), f.sha256] for f in rec.files),
              right=["size"])
    if rec.variants:
        out.table(["variant", "files", "size", "created"],
                  ([v, ", ".join(f.path for f in d.files), human_size(d.size), short_time(d.created)]
                   for v, d in rec.variants.items()), right=["size"])
    lineage = rec.lineage
    git = lineage.git or {}
    facts = [["parents", ", ".join(lineage.parents)],
             ["datasets", ", ".join(lineage.datasets)],
             ["run id", lineage.run_id or ""], ["sealed", "yes" if rec.sealed else "no"],
             ["git", f"{git.get('commit', '')[:12]} {git.get('branch') or ''}{' (dirty)' if git.get('dirty') else ''}"
              if git else ""]]
    out.table(["lineage", "value"], facts)
    if rec.card:
        print_card(rec.card)


def print_card(text: str) -> None:
    """Markdown rendered on a terminal; the raw text when stdout is a pipe or a file."""
    if sys.stdout.isatty():
        from rich.markdown import Markdown
        out.console().print(Markdown(text))
    else:
        out.block("\n" + text)


def url_human(doc: DownloadUrls) -> None:
    if len(doc.files) == 1:
        out.lines([doc.url])
        return
    for item in doc.files:
        out.row(item.path, item.url)


def aliases_human(doc: Aliases) -> None:
    out.table(["alias", "version"], ([a, v] for a, v in sorted(doc.aliases.items())))
    if doc.history:
        out.console().print("")
        out.table(["when", "alias", "version", "previous", "by"],
                  ([short_time(h.at), h.alias, h.version or "(removed)", h.previous or "", h.by]
                   for h in doc.history))


def lineage_human(doc: LineageReport) -> None:
    lines = [doc.model]
    if doc.datasets:
        lines.append(f"  datasets: {', '.join(doc.datasets)}")
    if doc.run_id:
        lines.append(f"  run: {doc.run_id}")
    if doc.git:
        git = doc.git
        lines.append(f"  git: {git['commit'][:12]} {git.get('branch') or ''}{' (dirty)' if git.get('dirty') else ''}")
    lines.append("ancestors:" if doc.ancestors else "ancestors: (none)")
    _tree(doc.ancestors, "  ", lines)
    lines.append("descendants:" if doc.descendants else "descendants: (none)")
    _tree(doc.descendants, "  ", lines)
    out.lines(lines)


def _tree(nodes: list[AncestorNode] | list[DescendantNode], indent: str, lines: list[str]) -> None:
    """Ancestors (below each: its parents) or descendants (below each: its children), as a tree."""
    from its_store.registry.results import AncestorNode, DescendantNode
    for i, node in enumerate(nodes):
        last = i == len(nodes) - 1
        below: list[AncestorNode] | list[DescendantNode] = []
        note = data = ref = ""
        if isinstance(node, DescendantNode):
            ref, below = node.ref, node.children
        elif isinstance(node, AncestorNode):
            ref = node.ref
            note = " (missing)" if node.missing else ""
            data = f"  [data: {', '.join(node.datasets)}]" if node.datasets else ""
            below = node.parents
        note += " (repeated: shown above)" if isinstance(node, (AncestorNode, DescendantNode)) and node.repeated else ""
        lines.append(f"{indent}{'└── ' if last else '├── '}{ref}{note}{data}")
        _tree(below, indent + ("    " if last else "│   "), lines)


def diff_human(doc: DiffReport) -> None:
    import json
    out.talk(f"{doc.a} → {doc.b}{' (same content)' if doc.same_content else ''}")
    rows = [[k, number(m.a), number(m.b), number(m.delta, signed=True)] for k, m in doc.metrics.items()]
    if rows:
        out.table(["metric", "a", "b", "delta"], rows, right=["a", "b", "delta"])
    changes = []
    for section, part in (("tags", doc.tags), ("training_config", doc.training_config)):
        changes += [[section, f"+ {k}", json.dumps(v)] for k, v in part.added.items()]
        changes += [[section, f"- {k}", json.dumps(v)] for k, v in part.removed.items()]
        changes += [[section, f"~ {k}", f"{json.dumps(v.a)} → {json.dumps(v.b)}"] for k, v in part.changed.items()]
    files = doc.files
    changes += [["files", f"+ {f.path}", f.sha256[:16]] for f in files.added]
    changes += [["files", f"- {f.path}", f.sha256[:16]] for f in files.removed]
    changes += [["files", f"~ {f.path}", f"{f.a.sha256[:16]} → {f.b.sha256[:16]}"] for f in files.changed]
    for key, moved in (("parents", doc.lineage.parents), ("datasets", doc.lineage.datasets)):
        changes += [["lineage", f"+ {key[:-1]}", v] for v in moved.added]
        changes += [["lineage", f"- {key[:-1]}", v] for v in moved.removed]
    if changes:
        out.table(["what", "key", "change"], changes)
    out.talk(f"{files.unchanged} file(s) unchanged")


def number(value: Any, signed: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return f"{value:+g}" if signed else f"{value:g}"
    return str(value)
