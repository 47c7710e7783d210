"""The model registry's small languages: names, semantic versions, NAME@REF, metric filters, sorting.

Pure functions with no network and no heavy imports, so the CLI can validate input before it builds a
client, and so the rules can be unit-tested on their own. The storage layout constants live here too
because they are part of the documented contract (docs/guides/model-registry.md), not an implementation
detail of registry.py.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from its_store.core.errors import InvalidInputError

MANIFEST = "manifest.json"          # NAME/VERSION/manifest.json, written last: the version exists iff it does
LOCK = ".its-registering"           # NAME/VERSION/.its-registering, held while a registration uploads
ALIASES = "_aliases.json"           # NAME/_aliases.json: current aliases and their history
RESERVED_FILES = {MANIFEST, LOCK}
CARD = "card.md"                    # NAME/VERSION/card.md: the model card, next to the manifest
VARIANTS_DIR = "variants"           # NAME/VERSION/variants/VARIANT/<files>: one folder per variant
VARIANT_AUTO = "auto"               # --variant auto: a word, never a variant's name
LATEST = "latest"
MANIFEST_FORMAT = "its-store.model/v1"

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}\Z")
_VARIANT_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
_SEMVER_RE = re.compile(  # ASCII: else "1٣.0.0" is 13.0.0; 18 digits at most: int() of 4,301 raises
    r"^(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})"
    r"(?:-((?:0|[1-9]\d{0,17}|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d{0,17}|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$", re.ASCII)
_WHERE_RE = re.compile(r"^\s*([A-Za-z0-9_.:/-]+?)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True)
class SemVer:
    """A semantic version (semver.org 2.0, without build metadata) that sorts by precedence."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core + ("-" + ".".join(self.pre) if self.pre else "")

    @property
    def is_release(self) -> bool:
        return not self.pre

    def sort_key(self) -> tuple[Any, ...]:
        """Precedence: a release beats its pre-releases; numeric identifiers sort below alphanumeric."""
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def next_patch(self) -> SemVer:
        """1.2.3 -> 1.2.4; a pre-release 1.2.4-rc.1 -> 1.2.4 (its release comes next)."""
        return SemVer(self.major, self.minor, self.patch if self.pre else self.patch + 1)


def parse_version(text: str) -> SemVer:
    """'2.0.0' or '2.1.0-rc.1' -> SemVer. Build metadata is refused: it has no precedence of its own."""
    match = _SEMVER_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise InvalidInputError(f"invalid version {text!r}: not a semantic version",
                                hint="use MAJOR.MINOR.PATCH, e.g. 2.0.0 or 2.1.0-rc.1, or 'auto'")
    if match.group(5) is not None:
        raise InvalidInputError(f"invalid version {text!r}: build metadata (+...) is not allowed",
                                hint="versions differing only in build metadata would be indistinguishable")
    pre = tuple(match.group(4).split(".")) if match.group(4) else ()
    return SemVer(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre)


@functools.lru_cache(maxsize=65536)
def is_version(text: str) -> bool:
    return bool(_SEMVER_RE.match(text)) and "+" not in text


@functools.lru_cache(maxsize=65536)
def version_key(text: str) -> tuple[Any, ...]:
    """The precedence sort key of a version string (memoised: listings sort the same strings again)."""
    return parse_version(text).sort_key()


def latest_version(versions: Iterable[str]) -> str | None:
    """The highest release; pre-releases count only when no release exists (like pip)."""
    parsed = [parse_version(v) for v in versions if is_version(v)]
    releases = [v for v in parsed if v.is_release] or parsed
    return str(max(releases, key=SemVer.sort_key)) if releases else None


def next_patch(versions: Iterable[str]) -> str:
    """The version `--version auto` picks: the next patch after the highest one, or 0.1.0 for a new model."""
    parsed = [parse_version(v) for v in versions if is_version(v)]
    if not parsed:
        return "0.1.0"
    return str(max(parsed, key=SemVer.sort_key).next_patch())


def validate_name(name: str) -> str:
    """Model names become the first segment of every key, so they are kept to a portable alphabet."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInputError(f"invalid model name {name!r}",
                                hint="1-128 characters: letters, digits, '.', '_', '-'; start with a letter or "
                                     "digit")
    return name


def validate_alias(alias: str) -> str:
    """Alias names start with a letter so they can never be mistaken for a version."""
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias):
        raise InvalidInputError(f"invalid alias {alias!r}",
                                hint="lowercase letters, digits, '_' and '-', starting with a letter "
                                     "(e.g. production, staging)")
    if alias == LATEST:
        raise InvalidInputError("'latest' is reserved: it always means the highest registered version")
    return alias


def validate_variant(name: str) -> str:
    """A variant name (registry/variants.py): letters, digits, '.', '_', '-' (1-64); never '/', '.', '..'
    or 'auto' (exit 2). It becomes a folder of keys: NAME/VERSION/variants/VARIANT/."""
    if not isinstance(name, str) or not _VARIANT_RE.match(name) or name in (".", "..") or name == VARIANT_AUTO:
        raise InvalidInputError(f"invalid variant name {name!r}: use 1-64 of A-Z a-z 0-9 . _ - (no '/')",
                                hint="e.g. onnx or trt-sm89-trt10.3 (GPU arch sm89, TensorRT 10.3)")
    return name


def parse_model_ref(text: str) -> tuple[str, str | None]:
    """'NAME@REF' -> (NAME, REF); 'NAME' -> (NAME, None). REF is a version, an alias or 'latest'."""
    name, sep, ref = text.strip().partition("@")
    validate_name(name)
    if sep and not ref:
        raise InvalidInputError(f"empty reference after '@' in {text!r}", hint="use NAME@VERSION or NAME@ALIAS")
    if ref and not is_version(ref) and ref != LATEST:
        validate_alias(ref)
    return name, ref or None


def parse_metrics(items: Mapping[str, Any] | None) -> dict[str, float]:
    """Metrics are finite numbers: anything else could not be compared by --where or --sort."""
    out: dict[str, float] = {}
    for key, value in (items or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInputError(f"invalid metric name {key!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInputError(f"metric {key!r} must be a number (got {value!r})") from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise InvalidInputError(f"metric {key!r} must be a finite number (got {value!r})")
        out[key.strip()] = int(number) if isinstance(value, int) else number
    return out


def validate_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key.strip() or len(key) > 128:
            raise InvalidInputError(f"invalid tag name {key!r}: 1-128 characters")
        if not isinstance(value, (str, int, float)) or len(str(value)) > 256:
            raise InvalidInputError(f"invalid value for tag {key!r}: a string of at most 256 characters")
        out[key.strip()] = str(value)
    return out


@dataclass(frozen=True)
class Condition:
    """One `--where` comparison on a metric, e.g. accuracy>=0.9."""

    metric: str
    op: str
    value: float

    def __call__(self, metrics: dict[str, Any]) -> bool:
        have = metrics.get(self.metric)
        if isinstance(have, bool) or not isinstance(have, (int, float)):
            return False  # a version without the metric never matches a condition on it
        return _OPS[self.op](float(have), self.value)

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_where(text: str) -> Condition:
    """'accuracy>=0.9' -> Condition; operators >=, <=, >, <, ==, !=."""
    match = _WHERE_RE.match(text)
    if not match:
        raise InvalidInputError(f"invalid condition {text!r}",
                                hint="write METRIC OP NUMBER with OP one of >= <= > < == !=, e.g. 'accuracy>=0.9'")
    try:
        value = float(match.group(3))
    except ValueError:
        raise InvalidInputError(f"invalid condition {text!r}: {match.group(3)!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInputError(f"invalid condition {text!r}: the value must be finite")
    return Condition(match.group(1), match.group(2), value)


def sort_records(records: list[dict[str, Any]], sort: str | None, ascending: bool = False) -> list[dict[str, Any]]:
    """Order list_models() output.

    No sort: by name, newest version first. `version` and `created` sort across all models, highest or
    newest first; any other word is a metric, best (highest) first, versions without it last.
    `ascending` flips the order (missing metrics still last).
    """
    by_version = sorted(records, key=lambda r: (r["model_name"], version_key(r["version"])), reverse=True)
    if not sort:
        by_name = sorted(by_version, key=lambda r: r["model_name"])  # stable: versions stay descending
        return by_name[::-1] if ascending else by_name
    if sort == "version":
        ordered = sorted(records, key=lambda r: (version_key(r["version"]), r["model_name"]), reverse=not ascending)
        return ordered
    if sort == "created":
        return sorted(by_version, key=lambda r: r.get("created_at") or "", reverse=not ascending)
    scored = [(n, r) for r in by_version if (n := _number(r.get("metrics", {}).get(sort))) is not None]
    missing = [r for r in by_version if _number(r.get("metrics", {}).get(sort)) is None]
    scored.sort(key=lambda pair: pair[0], reverse=not ascending)  # stable, as before: ties keep their order
    return [r for _, r in scored] + missing


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
