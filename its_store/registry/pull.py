"""Pulling a model version: verified downloads, a local content-addressed cache, atomic placement.

Every file is checked against the sha256 the manifest promises before anything reaches DEST. Verified
files are kept in `<cache dir>/models/blobs/` under their sha256, so pulling the same version again (or
another version sharing a file) downloads nothing; a cached file is re-hashed as it is copied out, and a
damaged one is dropped and fetched again. Files are assembled in a temp folder beside DEST and renamed
into place at the end, so DEST never holds a half-written model. That staging folder is a
core/localtree.LocalTree: every file is written, hashed and moved through its folders' descriptors,
so a manifest path never leaves it and a folder swapped for a link meanwhile is not followed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.files import (
    atomic_target,
    create_temp,
    create_temp_folder,
    in_folder,
    io_error,
    pwrite_all,
    temp_stem,
)
from its_store.core.localname import checked
from its_store.core.localtree import LocalTree, TreeFile
from its_store.core.overwrite import refuse_special, take_over
from its_store.core.stale_temps import lock_folder, sweep_beside
from its_store.registry import validate
from its_store.registry.manifest import HASH_CHUNK
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext
    from its_store.registry.results import CachePrune, PullResult
    from its_store.service.context import Context


class BlobCache:
    """Verified model files by sha256 under `root/blobs/`. Failures to cache never fail a pull.

    Each blob has a last-used stamp, `<sha256>.used`, an empty file whose mtime is set whenever the blob
    is added or served: `cache prune` drops the least recently used first. Not the blob's own atime
    (noatime/relatime mounts do not keep it) nor its mtime (a blob is often a hard link to a pulled file,
    whose times are the user's).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """The blob of a sha256; ValueError for anything but 64 lowercase hex digits, so that no manifest
        field can name a file outside the cache (an absolute path, '../../x')."""
        if not validate.is_sha256(sha256):
            raise ValueError("not a sha256")
        return self.root / "blobs" / sha256[:2] / sha256

    def lookup(self, sha256: str, size: int) -> Path | None:
        try:
            blob = self.path(sha256)
            return blob if blob.stat().st_size == size else None
        except (OSError, ValueError):
            return None

    def touch(self, sha256: str) -> None:
        """Stamp a blob as used now (its `.used` file's mtime)."""
        try:
            stamp = self.path(sha256).with_suffix(".used")
        except ValueError:
            return
        try:
            os.utime(stamp)
        except FileNotFoundError:
            try:
                stamp.touch()
            except OSError:
                pass
        except OSError:
            pass

    def prune(self, max_bytes: int) -> CachePrune:
        """Delete blobs, least recently used first, until the cache holds at most `max_bytes`."""
        from its_store.registry.results import CachePrune
        blobs = []
        for folder in _subfolders(self.root / "blobs"):
            for entry in os.scandir(folder):
                if entry.name.endswith((".used", ".its-tmp")) or not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                size, used = info.st_size, info.st_mtime  # never stamped (an older its-store): its mtime
                try:
                    used = os.stat(entry.path + ".used").st_mtime
                except OSError:
                    pass
                blobs.append((used, entry.name, size, Path(entry.path)))
        before = total = sum(b[2] for b in blobs)
        removed_files = removed_bytes = 0
        for _used, _, size, path in sorted(blobs):
            if total <= max_bytes:
                break
            try:
                self._unlink(path)
            except FileNotFoundError:
                pass
            except OSError:
                continue
            try:
                self._unlink(Path(str(path) + ".used"))
            except OSError:
                pass
            total -= size
            removed_files += 1
            removed_bytes += size
        return CachePrune(cache_dir=str(self.root / "blobs"), max_size=max_bytes, before_bytes=before,
                          before_files=len(blobs), removed_files=removed_files, removed_bytes=removed_bytes,
                          after_bytes=total, after_files=len(blobs) - removed_files)

    def add(self, source: Path | str, sha256: str, *, dir_fd: int | None = None) -> None:
        """Keep a verified file: a hard link when on the same disk, else a copy; temp name, then rename.
        `source` is relative to the folder open as `dir_fd` when given (a pull's staging folder), and
        is never reached through a link."""
        try:
            blob = self.path(sha256)
        except ValueError:
            return
        tmp = None
        try:
            blob.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = create_temp(sha256[:12], folder=blob.parent)  # the one temp form (core/files.TEMP_NAME)
            os.close(fd)
            os.unlink(tmp)
            try:
                os.link(source, tmp, src_dir_fd=dir_fd, follow_symlinks=False)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                    raise
                with open(source, "rb", opener=_opener(dir_fd)) as src, open(tmp, "xb") as dst:
                    shutil.copyfileobj(src, dst)
            os.replace(tmp, blob)
        except (OSError, E.ItsStoreError):
            if tmp is not None:  # a copy cut short (a full disk): no half-written blob left behind
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return
        self.touch(sha256)

    def discard(self, sha256: str) -> None:
        """Drop a damaged blob and its stamp (never anything outside the cache: see _unlink)."""
        try:
            blob = self.path(sha256)
        except ValueError:
            return
        for path in (blob, blob.with_suffix(".used")):
            try:
                self._unlink(path)
            except OSError:
                pass

    def _unlink(self, path: Path) -> None:
        """THE delete of the blob cache: only a file whose real folder is inside `root/blobs/` (PermissionError
        otherwise), whatever the name it was reached by. A second line of defence behind path()."""
        blobs = os.path.realpath(self.root / "blobs")
        folder = os.path.realpath(path.parent)
        if not folder.startswith(blobs.rstrip(os.sep) + os.sep) or path.name in ("", ".", ".."):
            raise PermissionError(f"refusing to delete {path}: not inside the blob cache")
        os.unlink(os.path.join(folder, path.name))


@dataclass
class PullPlan:
    """One pull: what to fetch, where it goes, and what happened (for the result)."""

    bucket: str
    name: str
    version: str
    manifest: dict[str, Any]
    dest: Path
    force: bool = False
    downloaded_bytes: int = 0
    cached_files: int = 0
    downloaded_files: int = 0
    lock: Any = field(default=None, repr=False)  # guards the counters while files are fetched in parallel

    @property
    def single(self) -> bool:
        return len(self.manifest["files"]) == 1

    def key(self, path: str) -> str:
        return f"{self.name}/{self.version}/{path}"


def pull(storage: Context | None, plan: PullPlan, cache: BlobCache) -> dict[str, Any]:
    """Fetch and verify every file into a staging folder beside DEST, then move it into place; the
    downloads go through the storage Context (service/objects.py: atomic, verified, recorded).

    `storage` None: offline, every file must come from the cache (checked before anything is written)."""
    import threading
    plan.lock = threading.Lock()
    _check_entries(plan)
    if storage is None:
        _check_cached(plan, cache)
    target = _final_target(plan)
    sweep_beside(target)  # what killed pulls left there
    staging = _make_staging(target)
    held = lock_folder(staging)  # while it is filled: a sweep of another run leaves it alone
    try:
        with LocalTree(staging) as tree:
            mode = None if plan.single else _folder_mode(tree)
            entries = plan.manifest["files"]
            workers = max(1, min(storage.workers if storage else 4, len(entries)))
            # closed (no file started after a failure or Ctrl-C, running ones joined) before the staging folder goes
            with closing(fan_out(lambda e: _fetch_one(storage, plan, cache, e, tree), entries, workers=workers,
                                 name="its-pull")) as outs:
                for out in outs:
                    out.result()
            if not plan.single:
                with atomic_target(tree.file("manifest.json")) as fd:
                    pwrite_all(fd, (json.dumps(plan.manifest, indent=2) + "\n").encode("utf-8"), 0)
            _place(plan, tree, target, mode)
    except OSError as exc:
        raise io_error("cannot write", target, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if held >= 0:
            os.close(held)
    return {"model_name": plan.name, "version": plan.version, "path": str(target),
            "files": len(plan.manifest["files"]), "size": plan.manifest.get("size", 0),
            "sha256": plan.manifest.get("sha256"), "verified": True,
            "downloaded_files": plan.downloaded_files, "downloaded_bytes": plan.downloaded_bytes,
            "cached_files": plan.cached_files}


def pull_version(ctx: RegistryContext, name: str, ref: str | None, download_path: Path | str | None, *,
                 force: bool, variant: str | None, gpu_arch: str | None, trt_version: str | None) -> PullResult:
    """Download NAME@REF, or a variant of it (see ModelRegistry.get_model); offline, from the blob cache."""
    from its_store.registry.query import resolve
    from its_store.registry.refs import validate_name
    from its_store.registry.variants import view
    if download_path is not None:
        checked(download_path, "cannot write")  # before any request
    if ctx.offline:
        from its_store.registry.offline import show_source, with_age
        resolved, manifest, _, as_of = show_source(ctx.offline_store, validate_name(name), ref)
    else:
        resolved = resolve(ctx, name, ref)
        manifest = ctx.docs.manifest(name, resolved)
        ctx.offline_store.remember_manifest(name, resolved, manifest)
    manifest, chosen = view(manifest, name, resolved, variant, gpu_arch, trt_version)
    if download_path is None:
        files = manifest["files"]
        download_path = Path(Path(files[0]["path"]).name if len(files) == 1 else f"{name}-{resolved}")
    cache_root = Path(ctx.settings.cache_dir or Path.home() / ".cache" / "its-store") / "models"
    plan = PullPlan(ctx.bucket, name, resolved, manifest, Path(download_path), force=force)
    from its_store.registry.results import PullResult
    if ctx.offline:
        done = with_age(pull(None, plan, BlobCache(cache_root)), as_of)
    else:
        done = pull(ctx.storage, plan, BlobCache(cache_root))
    return PullResult.model_validate({**done, "variant": chosen})


def _check_entries(plan: PullPlan) -> None:
    """Every file entry is checked again right before it names a file here (registry/validate.py): the
    manifest may come from a cache on disk or in Redis, not only from a parse of the server's copy."""
    variant = plan.manifest.get("variant")
    try:
        if variant is not None:
            validate.variant_name(variant, "variant")
        validate.file_list(plan.manifest.get("files"), "files", variant=variant)
    except validate.Invalid as problem:
        raise validate.integrity(f"of {plan.name}@{plan.version}", "manifest", problem) from None


def _check_cached(plan: PullPlan, cache: BlobCache) -> None:
    missing = [e["path"] for e in plan.manifest["files"] if cache.lookup(str(e["sha256"]), int(e["size"])) is None]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise E.NotCachedError(
            f"offline: {plan.name}@{plan.version} is known but not in the local cache ({shown})",
            hint=f"pull it once while the server is reachable: its-store model pull {plan.name}@{plan.version}")


def _subfolders(root: Path) -> list[str]:
    try:
        return [e.path for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def prune_cache(root: Path, max_bytes: int) -> CachePrune:
    """`cache prune --max-size`: trim the model blob cache under `root` (<cache dir>/models)."""
    if max_bytes < 0:
        raise E.InvalidInputError("the maximum cache size must not be negative")
    return BlobCache(root).prune(max_bytes)


def _final_target(plan: PullPlan) -> Path:
    """A one-file model lands at DEST (or inside DEST if it is a folder); a folder model becomes DEST.

    A folder model refuses to replace an existing non-empty DEST unless forced (exit 5).
    """
    dest = plan.dest
    if plan.single:
        name = Path(plan.manifest["files"][0]["path"]).name
        target = dest / name if dest.is_dir() else dest
        refuse_special(target, target)  # a FIFO, device or /dev/stdout: refused before a byte is fetched
        return target
    if dest.exists() and not plan.force and not (dest.is_dir() and not any(dest.iterdir())):
        raise E.ConflictError(f"{dest} already exists and is not an empty folder",
                              hint="choose another destination, or add --force to replace it")
    return dest


def _make_staging(target: Path) -> Path:
    """A new private folder beside `target` (core/files.in_folder, as every write beside a target the
    user named: a folder that refuses new entries, /proc, is exit 1 and says so). create_temp_folder: a
    unique name in the one temp form, made exclusively, mode 0700 so that nobody adds an entry while it is
    written; a folder model gets the mode mkdir would give it just before it is placed (_folder_mode,
    _same_folder)."""
    def made() -> Path:
        return create_temp_folder(target.name, target.parent)  # the one temp form: walks pass it over
    return in_folder(target.parent, target, made, hint="pull into a folder of a regular file system")


_MODE_PROBE = ".its-mode-probe"


def _folder_mode(tree: LocalTree) -> int:
    """The mode `mkdir` gives a new folder here (0777 minus the umask, or what a default ACL or a setgid
    parent makes of it), which a pulled folder gets in place of the staging folder's private 0700: a
    model `get -r` would let another user (an inference service) read is readable after a pull too.
    Learnt by making a folder inside the private staging folder, through its descriptor, before any
    file is written there: os.umask() can only be read by changing it, for every thread at once."""
    root = tree.folder([])
    try:
        os.mkdir(_MODE_PROBE, 0o777, dir_fd=root)
        try:
            return os.stat(_MODE_PROBE, dir_fd=root, follow_symlinks=False).st_mode & 0o7777
        finally:
            os.rmdir(_MODE_PROBE, dir_fd=root)
    finally:
        os.close(root)


def _fetch_one(storage: Context | None, plan: PullPlan, cache: BlobCache, entry: dict[str, Any],
               tree: LocalTree) -> None:
    local = tree.file(str(entry["path"]))  # a path the name rule refuses: UnsafeKeyError
    sha, size = str(entry["sha256"]), int(entry["size"])
    blob = cache.lookup(sha, size)
    if blob is not None and _copy_verified(blob, local, sha):
        cache.touch(sha)
        with plan.lock:
            plan.cached_files += 1
        return
    if blob is not None:
        cache.discard(sha)  # damaged on disk: fetch it again
    if storage is None:
        raise E.IntegrityError(f"offline: the cached copy of {entry['path']} is damaged and cannot be fetched",
                               hint="pull it again while the server is reachable")
    _download_verified(storage, plan, entry, local)
    *folders, name = local.rel.split("/")
    folder = tree.folder(folders)
    try:
        cache.add(name, sha, dir_fd=folder)
    finally:
        os.close(folder)
    with plan.lock:
        plan.downloaded_files += 1
        plan.downloaded_bytes += size


def _download_verified(storage: Context, plan: PullPlan, entry: dict[str, Any], local: TreeFile) -> None:
    from its_store.core.models import DownloadRequest
    from its_store.service.objects import download
    key = plan.key(str(entry.get("key") or entry["path"]))  # a variant's file: its key under the version
    try:
        download(storage, DownloadRequest(bucket=plan.bucket, key=key, file_path=local.path), into=local)
    except E.ObjectNotFoundError:
        raise E.IntegrityError(f"s3://{plan.bucket}/{key} is listed in the manifest but missing",
                               hint="the stored artifact was changed after registration") from None
    with local.tree.open_file(local.rel) as opened, opened.reader() as fh:
        got, size = _sha256_of(fh, local.path)
    if size != int(entry["size"]) or got != entry["sha256"]:
        local.tree.remove(local.rel)
        raise E.IntegrityError(
            f"checksum mismatch for s3://{plan.bucket}/{key}: the manifest says sha256 {entry['sha256']} "
            f"({entry['size']} bytes), the server sent {got} ({size} bytes)",
            hint="the stored artifact was changed after registration; nothing was written to the destination")


def _sha256_of(fh: Any, path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None
    return digest.hexdigest(), size


class _Mismatch(Exception):
    """The cached blob's bytes are not the ones expected: its copy is dropped."""


def _copy_verified(source: Path, target: TreeFile, sha256: str) -> bool:
    """Copy while hashing (atomically, through the staging tree); False (and no target) when the bytes
    are not the ones expected."""
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as src, atomic_target(target) as fd:
            offset = 0
            while chunk := src.read(HASH_CHUNK):
                digest.update(chunk)
                pwrite_all(fd, chunk, offset)
                offset += len(chunk)
            if digest.hexdigest() != sha256:
                raise _Mismatch
    except _Mismatch:
        return False
    return True


def _place(plan: PullPlan, tree: LocalTree, target: Path, mode: int | None) -> None:
    """The one rename that publishes the pull (two when a forced pull replaces an existing folder). A
    one-file model is renamed out of the staging folder's descriptor; a folder model is the staging
    folder itself, given `mode` (_folder_mode: what mkdir would have made) through its descriptor and
    renamed only while its name still leads to the folder that was written."""
    if plan.single:
        *folders, name = str(plan.manifest["files"][0]["path"]).split("/")
        folder = tree.folder(folders)
        try:
            _take_over(name, folder, target)
            os.replace(name, target, src_dir_fd=folder)
        finally:
            os.close(folder)
        return
    _same_folder(tree, mode)
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        os.replace(tree.root, target)
        return
    if not plan.force:
        raise E.ConflictError(f"{target} appeared while pulling; not replacing it", hint="add --force")
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{temp_stem(target.name)}.", suffix=".its-old"))
    os.replace(target, old / "x")
    os.replace(tree.root, target)
    shutil.rmtree(old, ignore_errors=True)


def _take_over(name: str, folder: int, target: Path) -> None:
    """What `get` decides before its rename (core/overwrite.take_over), for the pulled file `name` in
    the staging folder open as `folder`: a target that became a FIFO, device or link into /proc since
    _final_target is refused, and an existing file's permission bits are kept (a 0600 model stays 0600)."""
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=folder)
    try:
        take_over(fd, target, target)
    finally:
        os.close(fd)


def _same_folder(tree: LocalTree, mode: int | None = None) -> None:
    """The staging folder's name still leads to the folder written through `tree` (not renamed away and
    replaced by a link or another folder meanwhile), else LocalIOError: nothing is placed. `mode` is
    set on the folder held (its descriptor: never on what the name leads to now) before the check."""
    folder = tree.folder([])
    try:
        if mode is not None:
            os.fchmod(folder, mode)
        held = os.fstat(folder)
    finally:
        os.close(folder)
    now = os.lstat(tree.root)
    if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
        raise E.LocalIOError(f"{tree.root} was replaced while the pull wrote into it; nothing was placed",
                             hint="pull again")


def _opener(dir_fd: int | None) -> Any:
    """An opener for open(): relative to `dir_fd` and never through a link at the last step."""
    def opener(name: str, flags: int) -> int:
        return os.open(name, flags | getattr(os, "O_NOFOLLOW", 0), dir_fd=dir_fd)
    return opener
