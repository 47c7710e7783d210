"""What a registered model version is made of: its local files, their digests, its manifest document.

The manifest (NAME/VERSION/manifest.json) is the contract with every reader, its-store or not: it lists
each file with size, sha256 and content type, plus metrics, training config, tags and provenance. The
functions here build and read it; they touch the local disk but never the network.
"""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import os
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from its_store.core import errors as E
from its_store.core.files import open_regular
from its_store.core.jsontext import loads
from its_store.core.refs import validate_new_key
from its_store.registry import validate
from its_store.registry.refs import CARD, RESERVED_FILES, VARIANTS_DIR
from its_store.transfer.fanout import fan_out

FORMAT = 2                          # manifest.json "format": 2 (v1 wrote "its-store.model/v1" or nothing)
READABLE_FORMATS = (None, 1, "its-store.model/v1", 2)
HASH_CHUNK = 1024 * 1024
_CONTENT_TYPES = {".pt": "application/octet-stream", ".pth": "application/octet-stream",
                  ".onnx": "application/octet-stream", ".engine": "application/octet-stream",
                  ".plan": "application/octet-stream", ".yaml": "application/yaml", ".yml": "application/yaml",
                  ".json": "application/json", ".txt": "text/plain"}


@dataclass
class LocalFile:
    """One file of an artifact: where it is on disk and the path it gets inside the version."""

    path: str          # POSIX path inside the artifact (relative to NAME/VERSION/, or to its variant folder)
    source: Path
    size: int = 0
    sha256: str = ""
    content_type: str = "application/octet-stream"
    key: str = ""      # relative key under NAME/VERSION/ when it differs from `path` (a variant's file)
    link: bool = False  # a symbolic link when the folder was read: only then is the last step followed
    ident: tuple[int, int] | None = field(default=None, repr=False)  # (st_dev, st_ino) of the file hashed
    # (length, CRC32) of each HASH_CHUNK read while hashing: what registry/dedup compares with the server's
    # own checksum of a copy's source (whole, or per part: parts are whole MiB), at no second read
    crcs: list[tuple[int, int]] = field(default_factory=list, repr=False)

    @property
    def rel_key(self) -> str:
        return self.key or self.path

    def entry(self) -> dict[str, Any]:
        doc = {"path": self.path, "size": self.size, "sha256": self.sha256, "content_type": self.content_type}
        if self.key and self.key != self.path:
            doc["key"] = self.key
        return doc


def collect_files(model_path: Path, *, follow_symlinks: bool = False) -> list[LocalFile]:
    """The files of an artifact: one file, or every regular file under a folder (sorted, relative paths).
    A symbolic link whose target is outside the folder is refused unless `follow_symlinks`, which also
    follows links to folders (never into a folder already on the path: a loop)."""
    root = Path(model_path)
    if not root.exists():
        raise E.LocalFileNotFoundError(f"no such file or folder: {root}")
    if root.is_file():
        files = [LocalFile(root.name, root, link=root.is_symlink())]
    elif root.is_dir():
        found = _followed(root) if follow_symlinks else sorted(root.rglob("*"))
        files = [LocalFile(p.relative_to(root).as_posix(), p, link=p.is_symlink()) for p in found if p.is_file()]
        if not follow_symlinks:
            _refuse_links_out(root, files)
        if not files:
            raise E.InvalidInputError(f"{root} holds no files to register")
    else:
        raise E.InvalidInputError(f"{root} is not a regular file or folder")
    for item in files:
        check_file_path(item.path)
        item.content_type = content_type_of(item.path)
    return files


def _followed(folder: Path, ancestors: frozenset[tuple[int, int]] = frozenset()) -> list[Path]:
    """Every path under `folder`, links to folders followed, except into a folder already on the path."""
    try:
        if not ancestors:
            info = os.stat(folder)
            ancestors = frozenset({(info.st_dev, info.st_ino)})
        found: list[Path] = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.is_dir():  # follows a link (a dangling one is no file: dropped by the caller)
                    found.append(Path(entry.path))
                    continue
                info = entry.stat()
                if (info.st_dev, info.st_ino) not in ancestors:
                    found += _followed(Path(entry.path), ancestors | {(info.st_dev, info.st_ino)})
    except OSError as exc:
        raise E.LocalIOError(f"cannot read {folder}: {exc.strerror or exc}") from None
    return sorted(found)


def _refuse_links_out(root: Path, files: list[LocalFile]) -> None:
    """A symbolic link in the folder whose target is outside it is refused (InvalidInputError, before any
    upload) unless --follow-symlinks: whoever may write a shared training folder could link in a file only
    the registering user may read (~/.aws/credentials, /etc/shadow as root), as upload -r refuses to follow
    links unasked. A link to a file inside the folder (weights.onnx -> v2/weights.onnx) is followed."""
    inside = root.resolve()
    for item in files:
        if item.link and not item.source.resolve().is_relative_to(inside):
            raise E.InvalidInputError(f"{root}: {item.path} is a symbolic link out of the model folder: not "
                                      "followed without --follow-symlinks",
                                      hint="add --follow-symlinks (a Hugging Face snapshot folder links into "
                                           "its blobs), or copy the file into the folder (cp -L)")


def check_file_path(path: str) -> str:
    """A file path inside a version: a valid key segment that does not collide with the registry's own files."""
    validate_new_key(path)
    if path in RESERVED_FILES or path == CARD or path.split("/")[0] == VARIANTS_DIR:
        raise E.InvalidInputError(f"an artifact file may not be called {path!r}: the registry uses that name",
                                  hint="rename the file, or register its folder's content under a subfolder")
    return path


def content_type_of(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    return guessed or "application/octet-stream"


def sha256_file(path: Path, crcs: list[tuple[int, int]] | None = None, *, link: bool = True,
                idents: list[tuple[int, int]] | None = None) -> tuple[str, int]:
    """(sha256 hex, size) of a local file, read in 1 MiB chunks (hashlib releases the GIL on them); the
    (length, CRC32) of each chunk appended to `crcs` when given (CRC32 at ~13 GB/s: same read, ~2% more).
    `link`: whether `path` was a symbolic link when its folder was read; when not, the open does not follow
    one (O_NOFOLLOW) and a link swapped in since is refused (swapped_for_link). `idents`: the (st_dev,
    st_ino) of the file read is appended (what the upload must open again: dedup._upload)."""
    from its_store.core.files import NotRegularError
    from its_store.transfer.checksums import crc32
    digest = hashlib.sha256()
    size = 0
    try:  # a FIFO swapped in: refused by the fstat of what was opened, not a hang
        with open_regular(path, follow_symlinks=link) as handle:
            if idents is not None:
                info = os.fstat(handle.fileno())
                idents.append((info.st_dev, info.st_ino))
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if crcs is not None:
                    crcs.append((len(chunk), crc32(chunk)))
    except NotRegularError as exc:
        raise swapped_for_link(path) if exc.kind == "a symbolic link" else exc from None
    except OSError as exc:
        raise E.LocalIOError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest(), size


def swapped_for_link(path: Path) -> E.InvalidInputError:
    """THE error of a file that was no symbolic link when the model folder was read and is one when it is
    opened to be hashed or uploaded: someone who may write the folder swapped it in (exit 2; nothing stays
    registered: register removes what it uploaded)."""
    return E.InvalidInputError(f"{path} became a symbolic link while it was registered: not followed",
                               hint="register the folder again once nobody changes it")


def replaced(path: Path) -> E.InvalidInputError:
    """THE error of a file opened to be uploaded that is not the one hashed (another file renamed over
    it): its bytes are not those the manifest lists (exit 2; nothing stays registered)."""
    return E.InvalidInputError(f"{path} was replaced by another file while it was registered",
                               hint="register the folder again once nobody changes it")


def hash_files(files: list[LocalFile], workers: int) -> None:
    """Fill size and sha256 of every file, several files at once; the first unreadable file's LocalIOError
    (in file order) is raised, and no file after it is started."""
    def one(item: LocalFile) -> None:
        item.crcs = []
        idents: list[tuple[int, int]] = []
        item.sha256, item.size = sha256_file(item.source, item.crcs, link=item.link, idents=idents)
        item.ident = idents[0]

    with closing(fan_out(one, files, workers=max(1, min(workers, len(files))), name="its-hash")) as outs:
        for out in outs:
            out.result()


def artifact_digest(entries: list[dict[str, Any]]) -> str:
    """The artifact's sha256: the file's own sha256 for a one-file model (so `sha256sum` agrees), else a
    sha256 over the sorted lines "<sha256>  <path>\\n" (the output format of `sha256sum`)."""
    if len(entries) == 1:
        return str(entries[0]["sha256"])
    lines = "".join(f"{e['sha256']}  {e['path']}\n" for e in sorted(entries, key=lambda e: e["path"]))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def load_training_config(path: Path) -> Any:
    """Parse a training config file: JSON, or YAML when PyYAML is installed (.yaml/.yml, or not JSON); one
    nested deeper than a manifest may hold (validate.MAX_DEPTH) is refused before anything is sent."""
    value = _parse_training_config(path)
    if validate.nests_deeper(value):
        raise E.InvalidInputError(f"config file {path} is nested deeper than {validate.MAX_DEPTH} levels, more "
                                  "than a manifest may hold", hint="flatten it, or register it as a file")
    value = _string_keys(value, path)
    if not _all_finite(value):  # NaN / Infinity (JSON's extension, YAML's .nan, .inf): no JSON reader takes them
        raise E.InvalidInputError(f"config file {path} holds a number that is not finite (NaN or Infinity), which "
                                  "--json output cannot carry", hint="quote it as a string")
    return value


def _string_keys(value: Any, path: Path) -> Any:
    """`value` (nested no deeper than MAX_DEPTH: checked first) with each mapping key as JSON writes it: a YAML
    key may be a number, boolean or null (1 -> "1", null -> "null"). The manifest then holds what `model show`
    shows, and keys of two kinds in one mapping no longer fail its sorted writing (an unexpected TypeError).
    Two keys written alike (1 and "1") are refused: stored, every reader would keep only one of them."""
    if isinstance(value, list):
        return [_string_keys(item, path) for item in value]
    if not isinstance(value, dict):
        return value
    named: dict[str, Any] = {}
    for key, item in value.items():
        name = key if isinstance(key, str) else json.dumps(key)
        if name in named:
            raise E.InvalidInputError(f"config file {path} has two keys in one mapping that JSON writes alike "
                                      f"({name!r}: such as 1 and '1')", hint="give each key once, as a string")
        named[name] = _string_keys(item, path)
    return named


def _all_finite(value: Any) -> bool:
    """Whether every float in `value` (nested no deeper than MAX_DEPTH: checked first) is finite."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return False
        if isinstance(item, (dict, list)):
            stack.extend(item.values() if isinstance(item, dict) else item)
    return True


def _parse_training_config(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise E.LocalFileNotFoundError(f"no such config file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise E.InvalidInputError(f"cannot read config file {path}: {exc}") from None
    suffix = Path(path).suffix.lower()
    if suffix != ".yaml" and suffix != ".yml":
        try:
            return loads(text)
        except json.JSONDecodeError as exc:
            if suffix == ".json":
                raise E.InvalidInputError(f"config file {path} is not valid JSON: {exc.msg} at line {exc.lineno}"
                                          ) from None
    return _load_yaml(text, Path(path))


def _load_yaml(text: str, path: Path) -> Any:
    if len(text) > MAX_YAML_CONFIG_CHARS:  # PyYAML builds it in Python: ~9 s and 250 MB a MiB, 16 MiB >2.4 GB
        raise E.InvalidInputError(f"config file {path} is YAML of more than {MAX_YAML_CONFIG_CHARS >> 20} MiB, "
                                  "more than a training config is", hint="give it as JSON, or register it as a file")
    try:
        import yaml
    except ImportError:
        raise E.InvalidInputError(f"config file {path} is YAML (or not JSON) and PyYAML is not installed",
                                  hint="pip install pyyaml, or give the config as JSON") from None
    try:
        value = _bounded_yaml(yaml, text, path)
    except yaml.YAMLError as exc:
        raise E.InvalidInputError(f"config file {path} is neither valid JSON nor YAML: {exc}") from None
    except ValueError:  # int() of a 5,000-digit number: "unexpected ValueError" (exit 1)
        raise E.InvalidInputError(f"config file {path} holds a number too long to read") from None
    except RecursionError:  # PyYAML's composer recurses once a level: `[` x 3,000
        raise E.InvalidInputError(f"config file {path} is nested deeper than {validate.MAX_DEPTH} levels, more "
                                  "than a manifest may hold", hint="flatten it, or register it as a file") from None
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise E.InvalidInputError(f"config file {path} holds values JSON cannot store (dates, sets...)",
                                  hint="quote dates as strings") from None
    return value


MAX_YAML_CONFIG_CHARS = 1024 * 1024  # a YAML config's text, read before it is parsed (_load_yaml)
MAX_CONFIG_EXPANDED = 16 * 1024 * 1024  # bytes (about) a YAML config may stand for once its aliases are expanded


def _bounded_yaml(yaml: Any, text: str, path: Path) -> Any:
    """yaml.safe_load(text), refusing a document whose aliases expand it past MAX_CONFIG_EXPANDED (or four
    times its own size): nine levels of nine aliases (a "billion laughs", 400 bytes) took 107 s and every
    byte of memory to copy and check. The node graph is measured before anything is built from it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded(node, {}) > max(MAX_CONFIG_EXPANDED, 4 * len(text)):
            raise E.InvalidInputError(f"config file {path} expands (through YAML aliases) to more than "
                                      f"{MAX_CONFIG_EXPANDED >> 20} MiB", hint="expand the aliases it needs, "
                                      "or register it as a file")
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded(node: Any, sizes: dict[int, int]) -> int:
    """About how many bytes `node` stands for with its aliases expanded (each shared node measured once); a
    node that holds itself (`&a [*a]`) is endless."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1 << 62  # being measured: met again below, it holds itself
    value = node.value
    if isinstance(value, str):
        size = len(value) + 1
    else:
        size = 2 + sum(_expanded(item, sizes) if not isinstance(item, tuple) else
                       1 + _expanded(item[0], sizes) + _expanded(item[1], sizes) for item in value)
    sizes[id(node)] = size
    return size


def build_manifest(name: str, version: str, files: list[LocalFile], *, metrics: dict[str, float],
                   training_config: Any, config_file: str | None, tags: dict[str, str], description: str,
                   created_at: str, created_by: str, tool_version: str, lineage: dict[str, Any] | None = None,
                   variant: str | None = None, card: LocalFile | None = None) -> dict[str, Any]:
    """The manifest document (format 2). `primary` names the file a single download URL should point at.

    Without `variant` the files are the version's plain files (`files`, the default variant, as in v1);
    with it they are the first variant and `files` stays empty.
    """
    entries = [f.entry() for f in sorted(files, key=lambda f: f.path)]
    primary = max(files, key=lambda f: (f.path != config_file, f.size, f.path)).rel_key
    doc: dict[str, Any] = {
        "format": FORMAT, "name": name, "version": version,
        "files": [] if variant else entries, "primary": primary, "size": sum(e["size"] for e in entries),
        "sha256": artifact_digest(entries), "metrics": metrics, "training_config": training_config,
        "training_config_file": config_file, "tags": tags, "description": description,
        "created_at": created_at, "created_by": created_by, "tool_version": tool_version,
        "lineage": lineage or empty_lineage(), "variants": {}, "sealed": False,
    }
    if variant:
        doc["variants"][variant] = variant_entry(files, created_at=created_at, created_by=created_by)
    if card is not None:
        doc["card"] = card.entry()
        doc["size"] += card.size
    return doc


def variant_entry(files: list[LocalFile], *, created_at: str, created_by: str) -> dict[str, Any]:
    entries = [f.entry() for f in sorted(files, key=lambda f: f.path)]
    return {"files": entries, "created": created_at, "created_by": created_by,
            "size": sum(e["size"] for e in entries), "sha256": artifact_digest(entries)}


def empty_lineage() -> dict[str, Any]:
    return {"parents": [], "datasets": [], "run_id": None, "git": None}


def lineage_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """The lineage of any manifest (a v1 one has none: empty lists)."""
    value = manifest.get("lineage")
    base = empty_lineage()
    if isinstance(value, dict):
        base.update({k: value.get(k, base[k]) for k in base})
    return base


def format_of(manifest: dict[str, Any]) -> int:
    """1 for a v1 manifest (no format, 1 or "its-store.model/v1"), else the integer format."""
    value = manifest.get("format")
    return value if isinstance(value, int) and value > 1 else 1


def stored_entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file the version stores (plain files, every variant's, the card), each with its relative
    `key` under NAME/VERSION/ and, for a variant's file, its `variant`."""
    found = [{**e, "key": e["path"], "variant": None} for e in manifest.get("files", [])]
    for name, variant in sorted((manifest.get("variants") or {}).items()):
        found += [{**e, "key": e.get("key") or e["path"], "variant": name} for e in variant.get("files", [])]
    card = manifest.get("card")
    if isinstance(card, dict) and card.get("path"):
        found.append({**card, "key": card["path"], "variant": None, "card": True})
    return found


def parse_manifest(data: bytes, where: str) -> dict[str, Any]:
    """Read a stored manifest (v1 or v2), refusing one that is not ours, is malformed, or has a field that
    breaks the rules of registry/validate.py (integrity, exit 4): no field is used before it is checked."""
    return manifest_of(validate.decode(data, where, "manifest"), where)


def manifest_of(doc: Any, where: str) -> dict[str, Any]:
    """parse_manifest() of a document already parsed from JSON (one kept in the metadata cache, say)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list) or "version" not in doc:
        raise E.IntegrityError(f"manifest {where} is not a model manifest")
    if doc.get("format") not in READABLE_FORMATS:
        raise E.IntegrityError(f"manifest {where} has format {doc.get('format')!r}, newer than this its-store reads",
                               hint="upgrade its-store")
    return checked(doc, where)


def checked(doc: Any, where: str) -> dict[str, Any]:
    """`doc` if every field follows the rules (registry/validate.py), else IntegrityError naming the field.
    Used on every manifest read: from the server, from the offline store, and again by a pull."""
    try:
        return validate.manifest(doc)
    except validate.Invalid as problem:
        raise validate.integrity(where, "manifest", problem) from None


def check_name_version(manifest: dict[str, Any], name: str, version: str, where: str) -> dict[str, Any]:
    """A manifest must describe the version whose folder it sits in (a copied folder would lie)."""
    if manifest.get("name") != name or manifest.get("version") != version:
        raise E.IntegrityError(f"manifest {where} describes {manifest.get('name')}@{manifest.get('version')}, "
                               f"not {name}@{version}")
    return manifest


def record(manifest: dict[str, Any], aliases: list[str]) -> dict[str, Any]:
    """The public dict of one version (list_models / show): stable field names, a public API."""
    variants = manifest.get("variants") or {}
    return {  # nested values copied: the manifest may be a cached object shared with other callers
        "model_name": manifest.get("name"), "version": manifest.get("version"),
        "metrics": dict(manifest.get("metrics") or {}), "tags": dict(manifest.get("tags") or {}),
        "created_at": manifest.get("created_at"), "created_by": manifest.get("created_by"),
        "size": manifest.get("size", 0), "sha256": manifest.get("sha256"),
        "description": manifest.get("description") or "", "aliases": sorted(aliases),
        "primary": manifest.get("primary"), "files": [dict(f) for f in manifest.get("files", [])],
        "format": format_of(manifest), "sealed": bool(manifest.get("sealed")),
        "lineage": copy.deepcopy(lineage_of(manifest)),
        "variants": {name: {"files": [dict(f) for f in v.get("files", [])], "size": v.get("size", 0),
                            "created": v.get("created"), "sha256": v.get("sha256")}
                     for name, v in sorted(variants.items())},
    }
