"""The result model behind every command's `--json` output, and the JSON Schemas generated from them.

`--json` prints exactly `model_dump(mode="json")` of the command's result (cli/output.emit_json), and the
schema of that document is generated here from the same models, so the two cannot drift:

    python -m its_store.cli.schemas [FOLDER]      (default docs/schema/: one <command>.schema.json each,
                                                   and index.md, the documentation site's list of them)

tests/test_json_schema.py fails when the committed files and the models disagree; tests/test_json_pinned.py
checks that each command's real output is a dump of one of its models. Models are named by dotted path and
imported only when a schema is generated (this module costs the CLI nothing at start-up).
"""

from __future__ import annotations

import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Any, NamedTuple

ERROR = "its_store.core.models:ErrorDocument"


class Output(NamedTuple):
    """What a command prints with --json: one document of one of `models`, or (`lines`) JSON Lines."""

    models: tuple[str, ...]
    lines: bool = False


_BATCH = "its_store.service.batch:BatchResult"
_WATCH = tuple(f"its_store.sync.watch_report:{kind}" for kind in (
    "Started", "Uploaded", "Failed", "Vanished", "Kept", "Skipped", "Settling", "Backlog", "Unreachable", "Online",
    "Pass", "Rescanning", "Stopped"))

RESULTS: dict[str, Output] = {
    "stat": Output(("its_store.core.models:ObjectInfo",)),
    "model register": Output(("its_store.registry.results:Registration",)),
    "model list": Output(("its_store.registry.results:ModelVersion",), lines=True),
    "model show": Output(("its_store.registry.results:ModelDetails",)),
    "model pull": Output(("its_store.registry.results:PullResult",)),
    "model url": Output(("its_store.registry.results:DownloadUrls",)),
    "model promote": Output(("its_store.registry.results:Promotion",)),
    "model aliases": Output(("its_store.registry.results:Aliases",)),
    "model rm": Output(("its_store.registry.results:Removal",)),
    "model lineage": Output(("its_store.registry.results:LineageReport",)),
    "model seal": Output(("its_store.registry.results:ModelVersion",)),
    "model diff": Output(("its_store.registry.results:DiffReport",)),
    "model verify": Output(("its_store.registry.results:VerifyReport",)),
    "model gc": Output(("its_store.registry.results:GcReport",)),
    "model webhooks flush": Output(("its_store.registry.results:WebhookFlush",)),
    # buckets, their configuration, tags, object lock, versions, health (service/buckets.py ... health.py)
    "config": Output(("its_store.core.settings:SettingsView",)),
    "health": Output(("its_store.service.health:HealthReport",)),
    "init": Output(("its_store.service.health:BucketsInitialized",)),
    "bucket create": Output(("its_store.service.buckets:BucketCreated",)),
    "bucket ls": Output(("its_store.core.models:BucketInfo",), lines=True),
    "bucket rm": Output(("its_store.service.buckets:BucketRemoved",)),
    "bucket info": Output(("its_store.service.buckets:BucketDetails",)),
    "bucket versioning": Output(("its_store.service.versions:VersioningState",)),
    "bucket lifecycle show": Output(("its_store.service.lifecycle:LifecycleConfig",)),
    "bucket lifecycle set": Output(("its_store.service.lifecycle:LifecycleSet",)),
    "bucket lifecycle rm": Output(("its_store.service.lifecycle:LifecycleRemoved",)),
    "bucket policy show": Output(("its_store.service.policy:PolicyView",)),
    "bucket policy set": Output(("its_store.service.policy:PolicyView",)),
    "bucket policy rm": Output(("its_store.service.policy:PolicyRemoved",)),
    "bucket encryption show": Output(("its_store.codec.encryption:BucketEncryption",)),
    "bucket encryption set": Output(("its_store.codec.encryption:BucketEncryption",)),
    "bucket encryption rm": Output(("its_store.codec.encryption:BucketEncryption",)),
    "bucket retention show": Output(("its_store.service.retention:BucketLock",)),
    "bucket retention set": Output(("its_store.service.retention:BucketLock",)),
    "bucket retention rm": Output(("its_store.service.retention:BucketLock",)),
    "retention set": Output(("its_store.service.retention:LockChange",)),
    "retention show": Output(("its_store.service.retention:LockState",)),
    "legal-hold on": Output(("its_store.service.retention:LockChange",)),
    "legal-hold off": Output(("its_store.service.retention:LockChange",)),
    "legal-hold show": Output(("its_store.service.retention:LockState",)),
    "tag set": Output(("its_store.service.tags:TagSet",)),
    "tag get": Output(("its_store.service.tags:TagSet",)),
    "tag rm": Output(("its_store.service.tags:TagSet",)),
    "restore": Output(("its_store.service.versions:RestoreResult",)),
    "upload": Output(("its_store.core.models:UploadResponse", _BATCH)),
    "get": Output(("its_store.core.models:DownloadResponse", _BATCH)),
    "ls": Output(("its_store.core.models:ObjectInfo", "its_store.core.models:BucketInfo",
                  "its_store.service.versions:ObjectVersion"), lines=True),
    "rm": Output(("its_store.service.objects:DeletedObjects", "its_store.service.objects:DeletePlan", _BATCH,
                  "its_store.service.versions:ErasureResult")),
    "presign": Output(("its_store.service.objects:PresignedUrl",)),
    "cp": Output((_BATCH,)),
    "mv": Output((_BATCH,)),
    "du": Output(("its_store.service.usage:UsageReport",)),
    # one report; with --watch, JSON Lines of watcher events (one of the event models each)
    "sync": Output(("its_store.sync.model:SyncReport", *_WATCH)),
    "verify": Output(("its_store.service.scrub:ScrubReport", "its_store.service.scrub_local:CompareReport")),
    "cache prune": Output(("its_store.registry.results:CachePrune",)),
    # the local state: stats, metadata cache, audit log (state/)
    "stats": Output(("its_store.state.stats:StorageStats", "its_store.state.stats:StatsReset")),
    "cache stats": Output(("its_store.state.service_cache:CacheStats",)),
    "cache clear": Output(("its_store.state.service_cache:CacheCleared",)),
    "audit tail": Output(("its_store.state.audit:AuditRecord",), lines=True),
    "audit ship": Output(("its_store.state.ship:ShipResult",)),
    # named remotes (core/remotes.py): secrets masked in every one
    "remote add": Output(("its_store.core.remote_model:RemoteSaved",)),
    "remote ls": Output(("its_store.core.remote_model:RemoteView",), lines=True),
    "remote show": Output(("its_store.core.remote_model:RemoteView",)),
    "remote rm": Output(("its_store.core.remote_model:RemoteRemoved",)),
    "remote test": Output(("its_store.service.health:RemoteHealth",)),
}


def model(path: str) -> Any:
    """The model class named "module:Class"."""
    module, name = path.split(":")
    return getattr(import_module(module), name)


def schema(command: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `its-store COMMAND --json`: of each line for JSON Lines."""
    from pydantic import TypeAdapter
    output = RESULTS[command]
    classes = [model(p) for p in output.models]
    target: Any = classes[0] if len(classes) == 1 else _union(classes)
    doc = TypeAdapter(target).json_schema(mode="serialization")
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{slug(command)}.schema.json",
            "title": f"its-store {command} --json",
            "description": ("JSON Lines: each line is one document of this schema" if output.lines else
                            "one document of this schema on stdout; a failure prints the error document "
                            "(error.schema.json) instead")}
    return {**head, **{k: v for k, v in doc.items() if k not in ("title", "description")},
            **({"x-item-title": doc["title"]} if "title" in doc else {})}


def _union(classes: list[Any]) -> Any:
    from typing import Union
    return Union[tuple(classes)]  # noqa: UP007 - built from a runtime list


def slug(command: str) -> str:
    return command.replace(" ", "_")


def documents() -> dict[str, dict[str, Any]]:
    """Every schema file by name: one per command, and error.schema.json."""
    from pydantic import TypeAdapter
    docs = {f"{slug(c)}.schema.json": schema(c) for c in sorted(RESULTS)}
    error = TypeAdapter(model(ERROR)).json_schema(mode="serialization")
    docs["error.schema.json"] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                                 "$id": "error.schema.json", **error}
    return docs


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def index_page() -> str:
    """The documentation page that lists every schema (docs/schema/index.md): one row per command, then the
    fields of each result model, so that a reader finds a command's document without reading JSON Schema."""
    rows: list[str] = []
    fields: dict[str, str] = {}
    for command in sorted(RESULTS):
        output = RESULTS[command]
        rows.append(f"| `its-store {command} --json` | {'JSON Lines' if output.lines else 'one document'} | "
                    f"{', '.join(f'[`{_name(p)}`](#{_name(p).lower()})' for p in output.models)} | "
                    f"[{slug(command)}.schema.json]({slug(command)}.schema.json) |")
        for path in output.models:
            if fields.setdefault(_name(path), path) != path:  # one anchor per name
                raise ValueError(f"two result models named {_name(path)}: {fields[_name(path)]}, {path}")
    fields[_name(ERROR)] = ERROR
    models = [f"### {name}\n\n`{path.replace(':', '.')}`: {_fields(path)}\n" for name, path in sorted(fields.items())]
    return "\n".join([
        "# JSON Schemas", "",
        "<!-- generated by `python -m its_store.cli.schemas docs/schema` from cli/schemas.py RESULTS: do not edit -->",
        "", "Every `--json` document is the `model_dump(mode=\"json\")` of a result model (see",
        "[JSON output](../concepts/json-output.md)). Its JSON Schema (draft 2020-12) is generated from that model",
        "and committed here; a failure prints [error.schema.json](error.schema.json) instead (with `--json`, on",
        "stdout, or on stderr after a report that names every failure).", "",
        "| Command | Prints | Result model | Schema |", "|---|---|---|---|", *rows, "",
        "## Fields of each result model", "",
        "Top-level fields, in the order they are printed. New fields may be added; none are renamed.", "",
        *models])


def _name(path: str) -> str:
    return path.rpartition(":")[2]


def _fields(path: str) -> str:
    from pydantic import TypeAdapter
    properties = TypeAdapter(model(path)).json_schema(mode="serialization").get("properties", {})
    return ", ".join(f"`{name}`" for name in properties) or "(none)"


def write(folder: Path) -> list[Path]:
    """Write every schema and their index page into `folder` (files of commands no longer listed are removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = documents()
    for old in folder.glob("*.schema.json"):
        if old.name not in docs:
            old.unlink()
    written = []
    for name, doc in docs.items():
        path = folder / name
        path.write_text(render(doc), encoding="utf-8")
        written.append(path)
    (folder / "index.md").write_text(index_page(), encoding="utf-8")
    return written


if __name__ == "__main__":
    from its_store.cli import output as out
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schema")
    out.lines([f"{len(write(target))} schemas written to {target}"])
