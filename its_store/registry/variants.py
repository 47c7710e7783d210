"""Variants: one model version carrying several builds of the same model (ONNX, TensorRT engines).

A TensorRT engine only runs on the GPU architecture and TensorRT version it was built for, so a version
holds an ONNX file plus one engine per target, and each box pulls the one it can run.

Naming scheme (docs/guides/model-registry.md, "Variants"): `[A-Za-z0-9._-]{1,64}`, no `/`. Two names mean something:
    onnx                  the portable ONNX build (the fallback of `--variant auto`)
    trt-sm89-trt10.3      a TensorRT engine for compute capability 8.9 (sm89) built with TensorRT 10.3
                          (more components, trt10.3.1, are allowed; matching compares major.minor only)
Any other name is a plain label, pulled by name only.

A variant's files live at NAME/VERSION/variants/VARIANT/<files>. A version takes new variants until it
is sealed (`model seal`) or promoted; existing files never change. Adding one updates manifest.json with
a conditional PUT (If-Match: its ETag), read-modify-write retried, so concurrent additions are all kept.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry.context import quietly
from its_store.registry.manifest import empty_lineage
from its_store.registry.refs import MANIFEST, VARIANT_AUTO, validate_variant
from its_store.registry.results import ModelVersion, Registration

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext

ONNX = "onnx"
AUTO = VARIANT_AUTO
_TRT_RE = re.compile(r"^trt-sm(\d{2,3})-trt(\d+)\.(\d+)(?:\.\d+)*\Z")
_ARCH_RE = re.compile(r"^(?:sm_?)?(\d{1,4})(?:\.(\d{1,4}))?$", re.ASCII)  # ASCII: \d also matches "٨"
DETECT_TIMEOUT = 5.0


def normalize_arch(value: str | None) -> str | None:
    """'8.9', '89', 'sm89', 'sm_89' -> 'sm89'; None or '' -> None; anything else is bad input (exit 2)."""
    if value is None or not str(value).strip():
        return None
    found = _ARCH_RE.match(str(value).strip().lower())
    if not found:
        raise E.InvalidInputError(f"GPU architecture {value!r} is not like 8.9 or sm89")
    return f"sm{found.group(1)}{found.group(2) or ''}"


def trt_major_minor(value: str | None) -> tuple[int, int] | None:
    """'10.3.0.26' -> (10, 3); None or '' -> None; not a version -> bad input (exit 2)."""
    if value is None or not str(value).strip():
        return None
    found = re.match(r"^(\d{1,9})\.(\d{1,9})(?!\d)", str(value).strip(), re.ASCII)
    if not found:
        raise E.InvalidInputError(f"TensorRT version {value!r} is not like 10.3")
    return int(found.group(1)), int(found.group(2))


def engine_target(variant: str) -> tuple[str, tuple[int, int]] | None:
    """('sm89', (10, 3)) for 'trt-sm89-trt10.3'; None for a name outside the TensorRT scheme."""
    found = _TRT_RE.match(variant)
    return (f"sm{found.group(1)}", (int(found.group(2)), int(found.group(3)))) if found else None


def choose(variants: list[str], *, has_default: bool, gpu_arch: str | None, trt_version: str | None) -> str | None:
    """The variant `auto` picks: the engine matching this GPU arch and TensorRT major.minor, else onnx, else
    the plain files (None). NotFoundError (exit 3) naming what exists when nothing fits."""
    arch, trt = normalize_arch(gpu_arch), trt_major_minor(trt_version)
    if arch and trt:
        engines = sorted(v for v in variants if engine_target(v) == (arch, trt))
        if engines:
            return engines[-1]
    if ONNX in variants:
        return ONNX
    if has_default:
        return None
    machine = f"GPU {arch or 'unknown'}, TensorRT {'.'.join(map(str, trt)) if trt else 'unknown'}"
    raise E.NotFoundError(f"no variant fits this machine ({machine}); the version has: "
                          f"{', '.join(sorted(variants)) or 'no variants'}",
                          hint="pull one by name with --variant NAME, or set ITS_STORE_GPU_ARCH / "
                               "ITS_STORE_TRT_VERSION")


def detect_gpu_arch() -> str | None:
    """This machine's GPU compute capability as sm89, from nvidia-smi (first GPU); None without one."""
    from its_store.core.child_env import child_environment
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=DETECT_TIMEOUT, check=False,
                              stdin=subprocess.DEVNULL, env=child_environment())
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines() if done.returncode == 0 else []
    try:
        return normalize_arch(lines[0]) if lines else None
    except E.InvalidInputError:
        return None


def detect_trt_version() -> str | None:
    """The installed TensorRT: the Python module's __version__, else the Debian package; None if neither."""
    try:
        import tensorrt  # type: ignore[import-not-found]
        return str(tensorrt.__version__)
    except Exception:  # noqa: BLE001 - a broken TensorRT install is "no TensorRT", not a crash
        pass
    from its_store.core.child_env import child_environment
    for package in ("tensorrt", "libnvinfer10", "libnvinfer8"):
        try:
            done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                                  timeout=DETECT_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
                                  env=child_environment())
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode == 0 and re.match(r"^\d+\.\d+", done.stdout.strip()):
            return done.stdout.strip()
    return None


def update_manifest(ctx: RegistryContext, name: str, version: str,
                    change: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Read-modify-write NAME/VERSION/manifest.json by compare-and-swap (registry/store.py); `change` edits
    a private copy and returns False when there is nothing to write."""
    return ctx.store.update(f"{name}/{version}/{MANIFEST}", change)


def check_open(manifest: dict[str, Any], aliases: list[str], name: str, version: str) -> None:
    """A version takes new variants until sealed or promoted (exit 5 after)."""
    if manifest.get("sealed") or aliases:
        why = f"promoted ({', '.join(aliases)})" if aliases else "sealed"
        raise E.ConflictError(f"{name}@{version} is {why}: it takes no new variants",
                              hint="register a new version for new files")


def add_to(doc: dict[str, Any], variant: str, entry: dict[str, Any], name: str, version: str) -> bool:
    """Add one variant to a manifest (a private copy); ConflictError if it appeared or the version closed."""
    check_open(doc, [], name, version)
    doc.setdefault("variants", {})
    if variant in doc["variants"]:
        raise already_there(name, version, variant)
    doc["variants"][variant] = entry
    doc["size"] = int(doc.get("size", 0)) + int(entry.get("size", 0))
    doc["format"] = max(2, doc["format"] if isinstance(doc.get("format"), int) else 1)
    if not isinstance(doc.get("lineage"), dict):
        doc["lineage"] = empty_lineage()
    doc.setdefault("sealed", False)
    return True


def wait_for_manifest(ctx: RegistryContext, name: str, version: str, seconds: float = 60.0) -> bool:
    """Another process is creating NAME@VERSION (it holds the lock): wait for its manifest, so that a
    variant registered at the same moment is added to the version instead of failing."""
    from its_store.registry.refs import LOCK
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ctx.manifest_exists(name, version):
            return True
        try:
            ctx.s3.stat(ctx.bucket, f"{name}/{version}/{LOCK}")
        except E.NotFoundError:
            return ctx.manifest_exists(name, version)  # the other registration gave up
        time.sleep(0.2)
    return False


def already_there(name: str, version: str, variant: str) -> E.AlreadyExistsError:
    return E.AlreadyExistsError(f"{name}@{version} already has a variant {variant!r}",
                                hint="existing files never change: choose another variant name or a new version")


def add_variant(ctx: RegistryContext, name: str, version: str, files: list[Any], details: dict[str, Any],
                progress: Callable[[int], None] | None) -> Registration:
    """Add a variant to an existing, open version: its own lock, its files, then an If-Match manifest update.

    The per-variant lock (NAME/VERSION/variants/V/.its-registering, write-once) keeps two processes from
    writing the same variant's keys; different variants go ahead in parallel and the manifest update is
    retried until each is in. On failure the variant's files are removed (no manifest names them).
    """
    from its_store.registry import aliases as aliases_doc
    from its_store.registry import dedup
    from its_store.registry.manifest import hash_files, variant_entry
    from its_store.registry.refs import LOCK
    variant = details["variant"]
    manifest = ctx.docs.manifest(name, version)
    alias_doc = ctx.aliases(name)
    check_open(manifest, aliases_doc.aliases_of(alias_doc, version), name, version)
    if variant in (manifest.get("variants") or {}):
        raise already_there(name, version, variant)
    _check_same_details(manifest, details, name, version)
    hash_files(files, ctx.workers)
    prefix, folder = f"{name}/{version}/", f"{name}/{version}/variants/{variant}/"
    _claim(ctx, folder + LOCK, name, version, variant)
    try:
        stored = dedup.store_files(ctx, prefix, files, dedup=details.get("dedup", True), progress=progress)
        from datetime import UTC, datetime
        entry = variant_entry(files, created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
                              created_by=ctx.actor)
        if (details.get("lineage") or {}).get("git"):
            entry["git"] = details["lineage"]["git"]
        doc = update_manifest(ctx, name, version, lambda d: add_to(d, variant, entry, name, version))
    except BaseException:
        quietly(ctx.remove_prefix, folder, ())
        raise
    quietly(ctx.remove_keys, [folder + LOCK])
    quietly(dedup.index, ctx, prefix, stored.uploaded)
    return Registration.model_validate({**ctx.record(doc, aliases_doc.aliases_of(alias_doc, version)),
                                        **stored.as_dict(), "variant": variant})


def _claim(ctx: RegistryContext, lock: str, name: str, version: str, variant: str) -> None:
    """Take the variant's lock (write-once): ConflictError while another process adds the same variant."""
    try:
        ctx.store.put_if_absent(lock, {"by": ctx.actor})
    except E.AlreadyExistsError:
        raise E.ConflictError(f"variant {variant!r} of {name}@{version} is being added by another process "
                              "(or an earlier attempt did not finish)",
                              hint="`model gc --stale` removes a registration that died") from None


def _check_same_details(manifest: dict[str, Any], details: dict[str, Any], name: str, version: str) -> None:
    """Adding a variant adds files only: metadata given again must be what the version already says."""
    lineage = details.get("lineage") or {}
    given = {"metrics": details.get("metrics"), "tags": details.get("tags"),
             "description": details.get("description"), "training_config": details.get("training_config"),
             "parents": lineage.get("parents"), "datasets": lineage.get("datasets"), "run_id": lineage.get("run_id")}
    stored_lineage = manifest.get("lineage") or {}
    stored = {"metrics": manifest.get("metrics"), "tags": manifest.get("tags"),
              "description": manifest.get("description"), "training_config": manifest.get("training_config"),
              "parents": stored_lineage.get("parents"), "datasets": stored_lineage.get("datasets"),
              "run_id": stored_lineage.get("run_id")}
    differ = sorted(k for k, v in given.items() if v and v != stored[k])
    if details.get("card") is not None:
        differ.append("card")
    if differ:
        raise E.ConflictError(f"{name}@{version} exists: adding a variant cannot change its {', '.join(differ)}",
                              hint="give only the files and --variant, or register a new version")


def view(manifest: dict[str, Any], name: str, version: str, variant: str | None, gpu_arch: str | None,
         trt_version: str | None) -> tuple[dict[str, Any], str | None]:
    """The manifest as a pull sees it: `files` are the chosen variant's (each with its `key`), and the
    variant's name (None: the plain files)."""
    variants = manifest.get("variants") or {}
    has_default = bool(manifest.get("files"))
    if variant is None:
        if has_default or not variants:
            return manifest, None
        if len(variants) > 1:
            raise E.InvalidInputError(f"{name}@{version} has variants {', '.join(sorted(variants))}: choose one",
                                      hint="add --variant NAME, or --variant auto for this machine")
        variant = next(iter(variants))
    elif variant == AUTO:
        chosen = choose(list(variants), has_default=has_default, gpu_arch=gpu_arch, trt_version=trt_version)
        if chosen is None:
            return manifest, None
        variant = chosen
    else:
        validate_variant(variant)
        if variant not in variants:
            raise E.NotFoundError(f"{name}@{version} has no variant {variant!r}; it has: "
                                  f"{', '.join(sorted(variants)) or 'no variants'}",
                                  hint=f"see `its-store model show {name}@{version}`")
    picked = variants[variant]
    files = [{**e, "key": e.get("key") or f"variants/{variant}/{e['path']}"} for e in picked["files"]]
    return {**manifest, "files": files, "size": picked.get("size", sum(e["size"] for e in files)),
            "sha256": picked.get("sha256"), "variant": variant}, variant


def seal_manifest(ctx: RegistryContext, name: str, version: str) -> dict[str, Any]:
    """Mark NAME@VERSION's manifest sealed (no new variants); a sealed one is left as it is."""
    def close(doc: dict[str, Any]) -> bool:
        if doc.get("sealed"):
            return False
        doc["sealed"] = True
        return True

    return update_manifest(ctx, name, version, close)


def seal(ctx: RegistryContext, name: str, ref: str | None) -> ModelVersion:
    """`model seal`: close a version to new variants (promotion does it too). Sealing twice is a no-op."""
    from its_store.registry.query import resolve
    resolved = resolve(ctx, name, ref)
    ctx.docs.require_conditional_writes()  # the manifest changes by If-Match only
    with ctx.audited("model_seal", f"{name}/{resolved}/{MANIFEST}", model=name, version=resolved):
        doc = seal_manifest(ctx, name, resolved)
    return ModelVersion.model_validate(ctx.record(doc, []))
