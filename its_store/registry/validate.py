"""The rules every stored registry document must follow before any field of it is used.

A manifest or alias document is input: anyone with write access to the models bucket (or to the local
cache folder) can write one. Its fields later name files on this disk (a blob in the cache is found by
its sha256, a pulled file lands at its path), become object keys, and reach terminals and webhooks. So
each field is checked once, when the document is parsed, against what its-store itself writes:

  - names, versions, aliases, variants: the alphabets of refs.py / variants.py;
  - a file path: a relative POSIX path that stays inside its folder (no '/' at the start, no '', '.',
    '..' segments, no backslash, no control characters, at most 1024 bytes); a variant's file key is
    exactly variants/VARIANT/PATH; a path appears once;
  - a sha256: 64 lowercase hex digits (what hashlib writes); a size: an integer >= 0;
  - text fields: strings of bounded length without control characters (a description may hold tab and
    newline); metrics: finite numbers; tags: strings; lineage refs: NAME@VERSION.

Every registry document is turned from JSON by decode() here, the one place: any failure of the decoder
(not JSON, not UTF-8, nested too deep, an integer of more digits than Python converts) is the same
IntegrityError, never an unexpected exception.

A document that breaks a rule is an IntegrityError (exit 4: the stored document is not one its-store
wrote, or was changed since), raised as one line naming the field, never its raw value. Unknown extra
fields are allowed (a newer its-store of the same format may add some).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from its_store.core import errors as E
from its_store.core import jsontext
from its_store.registry.refs import (
    CARD,
    RESERVED_FILES,
    VARIANTS_DIR,
    is_version,
    validate_alias,
    validate_name,
    validate_variant,
)

SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
MAX_PATH_BYTES = 1024
MAX_SIZE = 1 << 62           # far beyond any object S3 stores (5 TiB), far below JSON's integer limits
MAX_FILES = 1_000_000
MAX_TEXT = 256
MAX_DESCRIPTION = 64 * 1024
# The size rule of registry documents: what its-store writes, and no more is read. A manifest lists at most
# MAX_FILES files (~220 bytes a file), and every release wrote manifests up to that: 256 MiB keeps all of them
# readable (a cut to 4 MiB this session refused versions of ~19,000+ files an earlier release had registered).
# json.loads costs ~6.5 times a document's size in memory, so a hostile manifest costs at most what the
# largest legal one costs; an alias document keeps at most 1,000 history entries (~2 MB at worst); a dedup
# index entry is one key, a size and a sha256 (16 KiB: a larger one is no entry). Nothing larger is read:
# every reader reads one byte past the rule (store.py, dedup.py). The offline copies are this machine's own.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # manifests and alias documents
MAX_INDEX_ENTRY_BYTES = 16 * 1024      # a dedup index entry (a key is at most 1024 bytes)
MAX_LOCAL_COPY_BYTES = 256 * 1024 * 1024  # the offline registry copy (core/statefile's own limit)
MAX_DEPTH = jsontext.MAX_DEPTH  # how deep a value may nest (a training config, an unknown extra field)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DATASET_RE = re.compile(r"^\S{1,1024}$")
_SEGMENT = r"(?!\.\.?(?:/|\Z))[^\x00-\x1f\x7f-\x9f/\\]+"  # no control characters, '/', '\\', '.' or '..'
_PATH_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*\Z")


class Invalid(Exception):
    """One broken rule: `field` is where (files[2].sha256), `rule` what it should be."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field} {rule}")
        self.field = field
        self.rule = rule


def integrity(where: str, kind: str, problem: Invalid) -> E.IntegrityError:
    return E.IntegrityError(f"{kind} {where} is invalid: {problem}",
                            hint="it was not written by its-store or was changed since; nothing was written")


def limit_of(kind: str) -> int:
    """The most bytes a registry document of `kind` may hold (decode's `kind` names): read no more."""
    if kind == "dedup index entry":
        return min(MAX_INDEX_ENTRY_BYTES, MAX_DOCUMENT_BYTES)
    if kind == "offline registry copy":
        return MAX_LOCAL_COPY_BYTES
    return MAX_DOCUMENT_BYTES


def decode(data: bytes, where: str, kind: str) -> Any:
    """THE JSON decode of a registry document (manifest, alias document, lock marker, dedup index entry,
    their offline copies): any decoder failure is one IntegrityError line naming `kind` and `where`.
    json.loads raises ValueError for bad JSON, bad UTF-8 and an integer beyond Python's digit limit
    (sys.get_int_max_str_digits, 4300), and RecursionError for deep nesting; all mean "not ours"."""
    limit = limit_of(kind)
    if len(data) > limit:
        raise E.IntegrityError(f"{kind} {where} is larger than {limit:,} bytes, the most its-store writes",
                               hint="it was not written by its-store")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise E.IntegrityError(f"{kind} {where} is not valid JSON") from None
    except ValueError:  # the integer digit limit (the message would quote the limit, not the document)
        raise E.IntegrityError(f"{kind} {where} holds a number too long to read") from None


def nests_deeper(value: Any) -> bool:
    """json.loads takes ~1,000 levels, but a copy (copy.deepcopy: two Python frames a level), the result
    models (pydantic's depth limits) and every recursive walk of a result fail long before that."""
    return jsontext.nests_deeper(value, MAX_DEPTH)


def shallow(value: Any, field: str) -> None:
    if nests_deeper(value):
        raise Invalid(field, f"is nested deeper than {MAX_DEPTH} levels")


# ----------------------------------------------------------------------------------------- scalars
def text(value: Any, field: str, *, limit: int = MAX_TEXT, lines: bool = False, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Invalid(field, "is not a string")
    if not value and not empty:
        raise Invalid(field, "is empty")
    if len(value) > limit:
        raise Invalid(field, f"is longer than {limit} characters")
    if (_CONTROL_BUT_LINES if lines else _CONTROL).search(value):
        raise Invalid(field, "holds control characters")
    return value


def optional_text(value: Any, field: str, **kw: Any) -> str | None:
    return None if value is None else text(value, field, **kw)


def size(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise Invalid(field, "is not a size (an integer >= 0)")
    return value


def sha256(value: Any, field: str) -> str:
    if not isinstance(value, str) or not SHA256_RE.match(value):
        raise Invalid(field, "is not a sha256 (64 lowercase hex digits)")
    return value


def is_sha256(value: Any) -> bool:
    return isinstance(value, str) and bool(SHA256_RE.match(value))


def path(value: Any, field: str) -> str:
    """A relative POSIX path that stays inside its folder: what a pulled file's place and key are made of.
    One regular expression (paths are checked by the thousand in a big folder model)."""
    if not isinstance(value, str) or not _PATH_RE.match(value) or (
            len(value) > MAX_PATH_BYTES // 4 and len(value.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES):
        raise Invalid(field, f"is not a relative path inside the version (1-{MAX_PATH_BYTES} bytes; no leading "
                             "'/', no '', '.' or '..' segment, no '\\', no control characters)")
    return value


def name(value: Any, field: str) -> str:
    try:
        return validate_name(value)
    except E.InvalidInputError:
        raise Invalid(field, "is not a model name") from None


def version(value: Any, field: str) -> str:
    if not isinstance(value, str) or not is_version(value):
        raise Invalid(field, "is not a semantic version")
    return value


def ref(value: Any, field: str) -> str:
    """NAME@VERSION, as lineage parents are stored."""
    if not isinstance(value, str) or "@" not in value:
        raise Invalid(field, "is not NAME@VERSION")
    model, _, ver = value.partition("@")
    name(model, field)
    version(ver, field)
    return value


def variant_name(value: Any, field: str) -> str:
    try:
        return validate_variant(value)
    except E.InvalidInputError:
        raise Invalid(field, "is not a variant name") from None


def alias_name(value: Any, field: str) -> str:
    try:
        return validate_alias(value)
    except E.InvalidInputError:
        raise Invalid(field, "is not an alias name") from None


# ----------------------------------------------------------------------------------------- manifests
def file_entry(entry: Any, field: str, *, variant: str | None = None, reserved: bool = True) -> dict[str, Any]:
    """One file of a version: path, size, sha256, content type and (a variant's file) its key."""
    if not isinstance(entry, dict):
        raise Invalid(field, "is not a file entry (an object)")
    try:
        _file_fields(entry, variant, reserved)
    except Invalid as problem:  # the field's full name is built only for the error (a fast path for 1e5 files)
        raise Invalid(f"{field}.{problem.field}", problem.rule) from None
    return entry


def _file_fields(entry: dict[str, Any], variant: str | None, reserved: bool) -> None:
    rel = path(entry.get("path"), "path")
    value = entry.get("size")
    if value.__class__ is not int or not 0 <= value <= MAX_SIZE:
        size(value, "size")  # raises with the reason
    value = entry.get("sha256")
    if value.__class__ is not str or not SHA256_RE.match(value):
        sha256(value, "sha256")
    if entry.get("content_type") is not None:
        text(entry["content_type"], "content_type")
    if reserved and variant is None and (rel in RESERVED_FILES or rel == CARD or rel.split("/")[0] == VARIANTS_DIR):
        raise Invalid("path", "is a name the registry keeps for itself")
    key = entry.get("key")
    if key is not None and key != (rel if variant is None else f"{VARIANTS_DIR}/{variant}/{rel}"):
        raise Invalid("key", f"is not {'the path' if variant is None else 'variants/VARIANT/PATH'}")
    if len(entry) > 4 or "content_type" not in entry:  # path, size, sha256, content_type: no other field
        for extra in entry.keys() - _FILE_KEYS:  # fields of a newer release: no deeper than the rule
            shallow(entry[extra], extra)


_FILE_KEYS = frozenset(("path", "size", "sha256", "content_type", "key"))


def file_list(entries: Any, field: str, *, variant: str | None = None) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        raise Invalid(field, "is not a list")
    if len(entries) > MAX_FILES:
        raise Invalid(field, f"lists more than {MAX_FILES} files")
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        file_entry(entry, f"{field}[{i}]", variant=variant)
        if entry["path"] in seen:
            raise Invalid(f"{field}[{i}].path", "appears twice")
        seen.add(entry["path"])
    return entries


def manifest(doc: Any) -> dict[str, Any]:
    """Check every field its-store reads from a manifest (format 1 or 2); Invalid names the first bad one."""
    if not isinstance(doc, dict):
        raise Invalid("the document", "is not a JSON object")
    name(doc.get("name"), "name")
    version(doc.get("version"), "version")
    file_list(doc.get("files"), "files")
    variants = doc.get("variants")
    if variants is not None:
        if not isinstance(variants, dict):
            raise Invalid("variants", "is not an object")
        for label, entry in variants.items():
            _variant(label, entry)
    for field, value in doc.items():  # the file lists are checked entry by entry (file_entry)
        if field not in ("files", "variants"):
            shallow(value, field)
    _details(doc)
    _lineage(doc.get("lineage"))
    card = doc.get("card")
    if card is not None:
        file_entry(card, "card", reserved=False)
        if card["path"] != CARD:
            raise Invalid("card.path", f"is not {CARD}")
    return doc


def _variant(label: Any, entry: Any) -> None:
    variant_name(label, "a variant's name")
    field = f"variants.{label}"
    if not isinstance(entry, dict):
        raise Invalid(field, "is not an object")
    for key, value in entry.items():
        if key != "files":
            shallow(value, f"{field}.{key}")
    file_list(entry.get("files"), f"{field}.files", variant=label)
    if "size" in entry:
        size(entry["size"], f"{field}.size")
    if entry.get("sha256") is not None:
        sha256(entry["sha256"], f"{field}.sha256")
    optional_text(entry.get("created"), f"{field}.created")
    optional_text(entry.get("created_by"), f"{field}.created_by")
    _git(entry.get("git"), f"{field}.git")


def _details(doc: dict[str, Any]) -> None:
    """The version's own fields: sizes and digests, who and when, metrics, tags, description."""
    if "size" in doc:
        size(doc["size"], "size")
    if doc.get("sha256") is not None:
        sha256(doc["sha256"], "sha256")
    for field in ("primary", "training_config_file"):
        if doc.get(field) is not None:
            path(doc[field], field)
    for field in ("created_at", "created_by", "tool_version"):
        optional_text(doc.get(field), field, empty=True)
    optional_text(doc.get("description"), "description", limit=MAX_DESCRIPTION, lines=True, empty=True)
    if not isinstance(doc.get("sealed", False), bool):
        raise Invalid("sealed", "is not true or false")
    metrics = doc.get("metrics")
    if metrics is not None:
        if not isinstance(metrics, dict):
            raise Invalid("metrics", "is not an object")
        for key, value in metrics.items():
            text(key, "a metric's name", limit=128)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
                raise Invalid(f"metrics.{key}", "is not a finite number")
    tags = doc.get("tags")
    if tags is not None:
        if not isinstance(tags, dict):
            raise Invalid("tags", "is not an object")
        for key, value in tags.items():
            text(key, "a tag's name", limit=128)
            text(value, f"tags.{key}", empty=True)


def _finite(value: float) -> bool:
    """A number float() holds and that is finite: a metric is compared and sorted as a float (an integer
    beyond 1e308 makes float() and math.isfinite raise OverflowError)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _lineage(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise Invalid("lineage", "is not an object")
    for field in ("parents", "datasets"):
        items = value.get(field) or []
        if not isinstance(items, list):
            raise Invalid(f"lineage.{field}", "is not a list")
        for i, item in enumerate(items):
            where = f"lineage.{field}[{i}]"
            if field == "parents":
                ref(item, where)
            elif not isinstance(item, str) or not _DATASET_RE.match(item) or _CONTROL.search(item):
                raise Invalid(where, "is not a dataset reference (URI[@VERSION])")
    optional_text(value.get("run_id"), "lineage.run_id")
    _git(value.get("git"), "lineage.git")


def _git(value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise Invalid(field, "is not an object")
    for key, item in value.items():
        text(key, f"a key of {field}", limit=64)
        if item is not None and not isinstance(item, bool):
            text(item, f"{field}.{key}", limit=2048, empty=True)


# ----------------------------------------------------------------------------------------- aliases
def alias_doc(doc: Any, model: str) -> dict[str, Any]:
    """NAME/_aliases.json: {"name", "aliases": {alias: version}, "history": [events]}."""
    if not isinstance(doc, dict) or not isinstance(doc.get("aliases"), dict):
        raise Invalid("the document", "has no aliases object")
    shallow(doc, "the document")
    if doc.get("name") is not None and doc.get("name") != model:
        raise Invalid("name", f"is not {model}")
    for alias, ver in doc["aliases"].items():
        alias_name(alias, "an alias")
        version(ver, f"aliases.{alias}")
    history = doc.get("history", [])
    if not isinstance(history, list):
        raise Invalid("history", "is not a list")
    for i, event in enumerate(history):
        if not isinstance(event, dict):
            raise Invalid(f"history[{i}]", "is not an object")
        for key, required in _EVENT_FIELDS:
            (text if required else optional_text)(event.get(key), f"history[{i}].{key}", empty=True)
    return doc


def _event_fields() -> tuple[tuple[str, bool], ...]:
    """(field, required) of an alias history event: exactly what results.AliasEvent holds (every field text),
    so that a document this check passes is one the model takes (`model aliases` said invalid_input,
    exit 2, about a stored event without "alias" or with a "reason" that was no text)."""
    from its_store.registry.results import AliasEvent
    return tuple((name, field.is_required()) for name, field in AliasEvent.model_fields.items())


_EVENT_FIELDS = _event_fields()
