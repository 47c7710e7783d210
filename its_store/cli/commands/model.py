"""`its-store model ...`: the model registry commands. Each parses, calls ModelRegistry, renders (the human
text of what they print: cli/model_text.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from its_store.cli import model_text as T
from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, Flags, add_commands, new_group, with_flags
from its_store.cli.completion.callbacks import complete_model_ref
from its_store.core.errors import InvalidInputError
from its_store.core.units import human_size, parse_duration, parse_pairs

if TYPE_CHECKING:
    from its_store.registry.registry import ModelRegistry
    from its_store.registry.results import (
        OfflineMarks,
        Removal,
    )

Json = Annotated[bool, out.JsonOption]
Ref = Annotated[str, typer.Argument(help="NAME@VERSION, NAME@ALIAS, NAME@latest or NAME (latest).",
                                    autocompletion=complete_model_ref)]

group = new_group(name="model", no_args_is_help=True,
                    help="Model registry: versioned, verified ML artifacts in the models bucket.")


Offline = Annotated[bool, typer.Option(
    "--offline", help="Answer from the local cache only (last manifests and aliases seen); no network. "
                      "Also ITS_STORE_OFFLINE=1.")]


def _registry(offline: bool = False) -> ModelRegistry:
    """The registry of this invocation; online, it first sends webhook events left in the outbox."""
    from its_store.registry.registry import ModelRegistry
    reg = ModelRegistry(out.STATE.service(), offline=offline or None)
    if not reg.offline:
        from its_store.registry import webhooks
        if webhooks.has_waiting(reg.service.settings):
            webhooks.flush(reg.service.settings, budget=webhooks.PIGGYBACK_BUDGET, quiet=True)
    return reg


def _offline_note(doc: OfflineMarks | None) -> None:
    """On stderr, how old an offline answer's knowledge is."""
    if doc is not None and doc.offline:
        from its_store.core.units import human_duration
        age = doc.age_seconds
        out.talk(f"offline: answered from the local cache as of {T.short_time(doc.as_of)} UTC"
                 + (f" ({human_duration(age)} ago)" if age is not None else ""))


def _ref(text: str) -> tuple[str, str | None]:
    from its_store.registry.refs import parse_model_ref
    return parse_model_ref(text)


class RegisterFlags(Flags):
    """The options of `model register` after --name and --version, typed, in --help's order
    (cli/base.with_flags)."""

    metric: Annotated[list[str] | None, typer.Option("--metric", "-m", help="Metric k=number (repeatable).")] = None
    config: Annotated[Path | None, typer.Option("--config", "-c",
                                                help="Training config file (JSON, or YAML with PyYAML).",
                                                **LOCAL_PATH)] = None
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag k=v (repeatable).")] = None
    description: Annotated[str, typer.Option("--description", "-d", help="Free text.")] = ""
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing version.")] = False
    variant: Annotated[str | None, typer.Option(
        "--variant", help="Add the files as this variant of the version (onnx, trt-sm89-trt10.3, ...); "
                          "an existing open version gains it.")] = None
    dataset: Annotated[list[str] | None, typer.Option(
        "--dataset", help="Training data, URI[@VERSION] (repeatable).")] = None
    parent: Annotated[list[str] | None, typer.Option(
        "--parent", help="Model it was derived from, NAME@VERSION; must exist (repeatable).")] = None
    run_id: Annotated[str | None, typer.Option("--run-id", help="Training run id (MLflow, W&B, CI job...).")] = None
    no_git: Annotated[bool, typer.Option("--no-git", help="Do not record the git commit of this folder.")] = False
    card: Annotated[Path | None, typer.Option("--card", help="Model card (Markdown) stored with the version.",
                                              **LOCAL_PATH)] = None
    no_dedup: Annotated[bool, typer.Option(
        "--no-dedup", help="Upload every file even when the registry already holds its bytes.")] = False
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help="Follow symbolic links (default: a "
                                                  "link out of the folder is refused).")] = False


@with_flags(RegisterFlags)
def register_cmd(
    path: Annotated[Path, typer.Argument(help="Model file, or a folder (weights + labels + config).",
                                         **LOCAL_PATH)],
    name: Annotated[str, typer.Option("--name", "-n", help="Model name, e.g. yolo11_traffic.")],
    version: Annotated[str, typer.Option("--version", help="Semantic version (2.0.0), or 'auto' for the next "
                                                           "patch.")],
    flags: RegisterFlags = RegisterFlags(),
    json_: Json = False,
) -> None:
    """Register a model file or folder as NAME@VERSION (immutable; the manifest is written last).

    Example: its-store model register yolo11.pt -n yolo11_traffic --version 2.0.0 -m accuracy=0.94 --config train.yaml
    """
    f = flags
    metrics = parse_pairs(f.metric, what="metric")
    tags = parse_pairs(f.tag, what="tag")
    with out.progress(f"register {name}", _local_size(path)) as advance:
        rec = _registry().register_model(path, name, version, metrics=metrics, training_config=f.config, tags=tags,
                                         description=f.description, force=f.force, progress=advance,
                                         variant=f.variant, parents=f.parent or [], datasets=f.dataset or [],
                                         run_id=f.run_id, git_dir=None if f.no_git else Path.cwd(), card=f.card,
                                         dedup=not f.no_dedup, follow_symlinks=f.follow_symlinks)
    files = _count(len(rec.variants[f.variant].files) if f.variant else len(rec.files), "file")
    what = f" variant {f.variant}" if f.variant else ""
    out.result(rec, lambda: out.talk(f"registered {rec.model_name}@{rec.version}{what} "
                                     f"({files}; {human_size(rec.uploaded_bytes)} uploaded, "
                                     f"{rec.copied_files} copied on the server) → {rec.uri}"))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _local_size(path: Path) -> int | None:
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else None
    except OSError:
        return None


def list_cmd(
    name: Annotated[str | None, typer.Argument(help="Only this model.", autocompletion=complete_model_ref)] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only versions with tag k=v (repeatable).")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", "-w", help="Metric condition, e.g. 'accuracy>=0.9' (>=, <=, >, <, ==, !=; repeatable).")] = None,
    sort: Annotated[str | None, typer.Option(
        "--sort", help="version, created, or a metric name (highest/newest first).")] = None,
    asc: Annotated[bool, typer.Option("--asc", help="Ascending order.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many, after filtering.")] = None,
    offline: Offline = False,
    json_: Json = False,
) -> None:
    """List model versions with filters on tags and metrics. --json prints JSON Lines.

    Example: its-store model list yolo11_traffic --where 'accuracy>=0.9' --sort accuracy --limit 5
    """
    skipped: list[Any] = []  # a bad manifest or alias document: the others are listed all the same
    records = _registry(offline).list_models(name, limit=limit, tags=parse_pairs(tag, what="tag"), where=where or [],
                                      sort=sort, ascending=asc, skipped=skipped)
    _offline_note(records[0] if records else None)
    if out.STATE.json:
        out.emit_jsonl(records)
    else:
        out.table(["model", "version", "created", "size", "aliases", "metrics", "tags"],
                  ([r.model_name, r.version, T.short_time(r.created_at), human_size(r.size),
                    ",".join(r.aliases), T.pairs(r.metrics), T.pairs(r.tags)] for r in records), right=["size"])
    T.unreadable(skipped)


def show(ref: Ref, offline: Offline = False, json_: Json = False) -> None:
    """Show one version: metrics, tags, files with sha256, training config, aliases, provenance.

    Example: its-store model show yolo11_traffic@production --json
    """
    name, version = _ref(ref)
    rec = _registry(offline).show_model(name, version)
    _offline_note(rec)
    out.result(rec, lambda: T.show_human(rec))


def pull(
    ref: Ref,
    dest: Annotated[Path | None, typer.Argument(
        help="Where to put it: a file path (one-file model) or folder. Default ./FILE or ./NAME-VERSION.",
            **LOCAL_PATH)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing destination folder.")] = False,
    variant: Annotated[str | None, typer.Option(
        "--variant", help="A variant by name, or 'auto': the TensorRT engine for this GPU and TensorRT, "
                          "else onnx.")] = None,
    gpu_arch: Annotated[str | None, typer.Option(
        "--gpu-arch", envvar="ITS_STORE_GPU_ARCH", help="GPU architecture for --variant auto (sm89 or 8.9); "
                                                        "default: from nvidia-smi.")] = None,
    trt_version: Annotated[str | None, typer.Option(
        "--trt-version", envvar="ITS_STORE_TRT_VERSION", help="TensorRT version for --variant auto (10.3); "
                                                              "default: the installed one.")] = None,
    offline: Offline = False,
    json_: Json = False,
) -> None:
    """Download a version, verifying every file's sha256; cached files are not downloaded again.

    Example: its-store model pull yolo11_traffic@production models/current_model.pt
    """
    name, version = _ref(ref)
    if variant == "auto":
        from its_store.registry.variants import detect_gpu_arch, detect_trt_version
        gpu_arch = gpu_arch or detect_gpu_arch()
        trt_version = trt_version or detect_trt_version()
    result = _registry(offline).get_model(name, version, dest, force=force, variant=variant, gpu_arch=gpu_arch,
                                   trt_version=trt_version)
    out.result(result, lambda: out.talk(
        f"pulled {result.model_name}@{result.version}"
        f"{' variant ' + result.variant if result.variant else ''} → {result.path} (verified; "
        f"{result.downloaded_files} downloaded, {human_size(result.downloaded_bytes)}; "
        f"{result.cached_files} from cache)"))
    _offline_note(result)


def url(
    ref: Ref,
    expires: Annotated[str, typer.Option(help="Validity, at most 7d (e.g. 30m, 1h, 7d).")] = "1h",
    json_: Json = False,
) -> None:
    """Print presigned download URL(s) of a version: the file itself, or one line per file of a folder model.

    Example: its-store model url yolo11_traffic@2.0.0 --expires 30m
    """
    name, version = _ref(ref)
    seconds = parse_duration(expires, what="expiry").total_seconds()
    if seconds < 1 or seconds > 7 * 86400:
        raise InvalidInputError(f"expiry {expires!r} is outside 1s..7d", hint="S3 signatures last at most 7 days")
    doc = _registry().download_urls(name, version, int(seconds))
    out.result(doc, lambda: T.url_human(doc))


def promote(
    ref: Ref,
    alias: Annotated[str, typer.Argument(help="Alias to point at it, e.g. production or staging.")],
    json_: Json = False,
) -> None:
    """Point an alias (production, staging, ...) at a version; the change is kept in the alias history.

    Example: its-store model promote yolo11_traffic@2.0.0 production
    """
    name, version = _ref(ref)
    if version is None:
        raise InvalidInputError("promote needs NAME@VERSION", hint="e.g. yolo11_traffic@2.0.0")
    doc = _registry().promote(name, version, alias)
    note = f"(was {doc.previous})" if doc.previous else "(new alias)"
    out.result(doc, lambda: out.talk(
        f"{name}@{alias} → {doc.version} {note if doc.changed else '(unchanged)'}"))


def aliases(
    name: Annotated[str, typer.Argument(help="Model name.", autocompletion=complete_model_ref)],
    json_: Json = False,
) -> None:
    """Show a model's aliases and their history (who, when, previous version).

    Example: its-store model aliases yolo11_traffic --json
    """
    from its_store.registry.refs import validate_name
    doc = _registry().get_aliases(validate_name(name))
    out.result(doc, lambda: T.aliases_human(doc))


def rm(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION (an explicit version).",
                                       autocompletion=complete_model_ref)],
    force: Annotated[bool, typer.Option("--force", help="Remove even if an alias points to it (drops the alias)."
                                        )] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required without a terminal).")] = False,
    json_: Json = False,
) -> None:
    """Remove a version (its manifest first, then its files). Refuses an aliased version unless --force.

    In a versioned (or object-locked) bucket the files are hidden behind delete markers, not erased: it says
    so, with the bytes still stored.

    Example: its-store model rm yolo11_traffic@1.0.0 --yes
    """
    name, version = _ref(ref)
    if version is None:
        raise InvalidInputError("rm needs NAME@VERSION", hint="e.g. yolo11_traffic@1.0.0")
    if not yes:
        _confirm(f"Remove {name}@{version} from the registry?")
    doc = _registry().delete_model(name, version, force=force)
    out.result(doc, lambda: _rm_human(doc))


# What a delete in a versioned bucket leaves: said by `model rm` and `model gc` (model_admin.py) alike.
MARKERS_NOTE = ("versioned bucket: a delete only adds a delete marker and every version is kept until a "
                "lifecycle rule expires it (bucket lifecycle set ... --noncurrent-expire-days N)")


def _rm_human(doc: Removal) -> None:
    """'removed' only when the bytes are gone; in a versioned bucket 'hid', with what is still stored."""
    where = f"{doc.model_name}@{doc.version}"
    dropped = f" and alias(es) {', '.join(doc.aliases_removed)}" if doc.aliases_removed else ""
    if doc.hidden:
        out.talk(f"hid {where}{dropped} behind delete markers: {human_size(doc.hidden_bytes or 0)} still stored")
        out.talk(MARKERS_NOTE)
    else:
        out.talk(f"removed {where}{dropped}, {human_size(doc.bytes)}")


def _confirm(question: str) -> None:
    from its_store.cli.base import confirm  # the one confirm-or---yes
    confirm(question, action="to remove a model version", hint="add --yes")


def lineage(ref: Ref, json_: Json = False) -> None:
    """Show where a version came from (parents, their parents, datasets, run, git) and what came from it.

    Example: its-store model lineage yolo11_traffic@2.0.0 --json
    """
    name, version = _ref(ref)
    doc = _registry().lineage(name, version)
    out.result(doc, lambda: T.lineage_human(doc))


def seal(ref: Ref, json_: Json = False) -> None:
    """Close a version to new variants (promoting it does the same).

    Example: its-store model seal yolo11_traffic@2.0.0
    """
    name, version = _ref(ref)
    rec = _registry().seal(name, version)
    out.result(rec, lambda: out.talk(f"sealed {rec.model_name}@{rec.version} "
                                     f"(variants: {', '.join(rec.variants) or 'none'})"))


def diff(
    a: Annotated[str, typer.Argument(help="First NAME@REF.", autocompletion=complete_model_ref)],
    b: Annotated[str, typer.Argument(help="Second NAME@REF (or just @REF for the same model).",
                                     autocompletion=complete_model_ref)],
    json_: Json = False,
) -> None:
    """Compare two versions: metrics with deltas, tags, training config keys, files by sha256, lineage.

    Example: its-store model diff yolo11_traffic@1.0.0 yolo11_traffic@2.0.0
    """
    name_a, ref_a = _ref(a)
    name_b, ref_b = _ref(name_a + b if b.startswith("@") else b)
    doc = _registry().diff(name_a, ref_a, name_b, ref_b)
    out.result(doc, lambda: T.diff_human(doc))


def verify(ref: Ref, json_: Json = False) -> None:
    """Re-read every stored file of a version and check its sha256 against the manifest (exit 4 if damaged).

    Example: its-store model verify yolo11_traffic@production
    """
    name, version = _ref(ref)
    doc = _registry().verify_model(name, version)
    out.result(doc, lambda: out.talk(f"{doc.model_name}@{doc.version}: {doc.files} file(s), "
                                     f"{human_size(doc.verified_bytes)} verified, all intact"))


# Command names that would clash with Python names (list, and this module's register()).
register_cmd.__name__ = "register"
list_cmd.__name__ = "list"


def register(app: typer.Typer) -> None:
    add_commands(group, register_cmd, list_cmd, show, pull, url, promote, aliases, rm, lineage, seal, diff, verify)
    app.add_typer(group, name="model")
