"""What the registry's public calls return: pydantic models (core.models.Result), one per answer.

`its-store model ... --json` prints `result.model_dump(mode="json")`, so every field name here is a public
API: add, never rename. Free-form user data is typed as what it is: git facts dict[str, Any], the
training config `JsonValue` (what JSON holds: narrow it with isinstance). Metrics are finite numbers and
tags text (registry/validate.py checks both on every read), so they are typed so. Entries copied from
stored documents (file entries, alias history) keep any field a newer its-store may have written
(extra="allow"). The documents stored in the bucket (the manifest, the alias document) are not these
models: they keep their own format (manifest.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, JsonValue

from its_store.core.models import Result


class RegistryResult(Result):
    """Base of the registry's results: `model_name` is a field, not pydantic's namespace."""

    model_config = ConfigDict(populate_by_name=True, use_enum_values=False, protected_namespaces=())


class _Stored(RegistryResult):
    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="allow")


class OfflineMarks(RegistryResult):
    """Set on an answer from the local offline copy (registry/offline.py): how old its knowledge is."""

    offline: bool | None = None
    as_of: str | None = None
    age_seconds: float | None = None


# ------------------------------------------------------------------------------------------- versions
class FileEntry(_Stored):
    """One file of a version as its manifest lists it (`key`: its key under NAME/VERSION/ when not `path`)."""

    path: str
    size: int
    sha256: str
    content_type: str | None = None
    key: str | None = None


class VariantInfo(RegistryResult):
    files: list[FileEntry] = Field(default_factory=list)
    size: int = 0
    created: str | None = None
    sha256: str | None = None


class Lineage(RegistryResult):
    parents: list[str] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list)
    run_id: str | None = None
    git: dict[str, Any] | None = None


class ModelVersion(OfflineMarks):
    """One registered version (`model list` rows, `model seal`)."""

    model_name: str
    version: str
    metrics: dict[str, int | float] = Field(default_factory=dict)  # int | float: an integer stays one in JSON
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: str | None = None
    created_by: str | None = None
    size: int = 0
    sha256: str | None = None
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    primary: str | None = None
    files: list[FileEntry] = Field(default_factory=list)
    format: int = 1
    sealed: bool = False
    lineage: Lineage = Field(default_factory=Lineage)
    variants: dict[str, VariantInfo] = Field(default_factory=dict)
    uri: str = ""


class ModelDetails(ModelVersion):
    """`model show`: a version in full."""

    training_config: JsonValue = None   # as registered: a dict or list (narrow it with isinstance)
    training_config_file: str | None = None
    tool_version: str | None = None
    card: str | None = None


class Registration(ModelVersion):
    """`model register`: the version, what was uploaded and what was copied on the server (dedup)."""

    uploaded_bytes: int = 0
    uploaded_files: int = 0
    copied_files: int = 0
    copied_bytes: int = 0
    variant: str | None = None


# ------------------------------------------------------------------------------------ pull and share
class PullResult(OfflineMarks):
    model_name: str
    version: str
    path: str
    files: int
    size: int = 0
    sha256: str | None = None
    verified: bool = True
    downloaded_files: int = 0
    downloaded_bytes: int = 0
    cached_files: int = 0
    variant: str | None = None


class CachePrune(RegistryResult):
    """`cache prune --max-size` (registry/pull.prune_cache): the local model blob cache trimmed, least
    recently used first. Sizes in bytes; `after_*` is what the cache holds now."""

    cache_dir: str                           # <cache dir>/models/blobs
    max_size: int                            # the limit asked for
    before_bytes: int
    before_files: int
    removed_files: int
    removed_bytes: int
    after_bytes: int
    after_files: int


class SharedFile(RegistryResult):
    path: str
    size: int
    sha256: str
    variant: str | None = None
    url: str


class DownloadUrls(RegistryResult):
    model_name: str
    version: str
    expires_in_seconds: int
    expires_at: str
    url: str
    manifest_url: str
    files: list[SharedFile]


# ------------------------------------------------------------------------------ aliases and removal
class AliasEvent(_Stored):
    alias: str
    version: str | None = None
    previous: str | None = None
    action: str | None = None
    by: str | None = None
    at: str | None = None
    reason: str | None = None


class Aliases(RegistryResult):
    model_name: str
    aliases: dict[str, str]
    history: list[AliasEvent]


class Promotion(RegistryResult):
    model_name: str
    alias: str
    version: str
    previous: str | None = None
    changed: bool
    aliases: dict[str, str]


class Removal(RegistryResult):
    """`model rm`. In a versioned bucket the data is hidden behind delete markers, still stored."""

    model_name: str
    version: str
    deleted_objects: int
    aliases_removed: list[str]
    bytes: int
    delete_markers: bool | None  # None: unknown (the key may not read the bucket's versioning)
    hidden: bool | None
    hidden_bytes: int | None


# ------------------------------------------------------------------------------------------ lineage
class AncestorNode(RegistryResult):
    ref: str
    missing: bool = False
    datasets: list[str] | None = None
    run_id: str | None = None
    parents: list[AncestorNode] = Field(default_factory=list)
    repeated: bool = False  # met before in this tree: its parents are shown there, not again


class DescendantNode(RegistryResult):
    ref: str
    children: list[DescendantNode] = Field(default_factory=list)
    repeated: bool = False  # met before in this tree: its children are shown there, not again


class LineageReport(RegistryResult):
    model: str
    model_name: str
    version: str
    parents: list[str]
    datasets: list[str]
    run_id: str | None = None
    git: dict[str, Any] | None = None
    ancestors: list[AncestorNode]
    descendants: list[DescendantNode]


# --------------------------------------------------------------------------------------------- diff
class MetricDelta(RegistryResult):
    a: Any = None
    b: Any = None
    delta: float | None = None


class ValueChange(RegistryResult):
    a: Any = None
    b: Any = None


class KeyChanges(RegistryResult):
    added: dict[str, Any]
    removed: dict[str, Any]
    changed: dict[str, ValueChange]


class FileBrief(RegistryResult):
    path: str
    size: int
    sha256: str
    variant: str | None = None


class FileDigest(RegistryResult):
    size: int
    sha256: str


class FileChange(RegistryResult):
    path: str
    variant: str | None = None
    a: FileDigest
    b: FileDigest


class FilesDiff(RegistryResult):
    added: list[FileBrief]
    removed: list[FileBrief]
    changed: list[FileChange]
    unchanged: int


class SetChanges(RegistryResult):
    added: list[str]
    removed: list[str]


class VariantsDiff(SetChanges):
    common: list[str]


class LineageDiff(RegistryResult):
    a: Lineage
    b: Lineage
    parents: SetChanges
    datasets: SetChanges
    git_commit_changed: bool
    run_id_changed: bool


class DiffReport(RegistryResult):
    a: str
    b: str
    same_content: bool
    metrics: dict[str, MetricDelta]
    tags: KeyChanges
    training_config: KeyChanges
    files: FilesDiff
    variants: VariantsDiff
    lineage: LineageDiff
    description_changed: bool


# ------------------------------------------------------------------------------------------- verify
class CheckedFile(RegistryResult):
    path: str
    variant: str | None = None
    size: int
    ok: bool
    problem: str | None = None
    sha256_found: str | None = None


class VerifyReport(RegistryResult):
    model_name: str
    version: str
    files: int
    verified_bytes: int
    ok: bool
    damaged: list[CheckedFile]
    checked: list[CheckedFile]


# ----------------------------------------------------------------------------------------------- gc
class GcRemoved(RegistryResult):
    model: str
    version: str
    created_at: str | None = None
    objects: int
    bytes: int
    hidden: bool | None = False
    error: str | None = None


class GcProtected(RegistryResult):
    model: str
    version: str
    reason: str


class GcStale(RegistryResult):
    """A registration (or variant addition) killed midway, or files with neither manifest nor marker."""

    model: str
    version: str
    variant: str | None = None
    orphan: bool | None = None
    locked_at: str
    owner_gone: bool | None = None  # true: younger than --stale, but its process provably ended (core/liveness)
    has_manifest: bool
    objects: int
    bytes: int
    hidden: bool | None = False
    error: str | None = None


class GcReport(RegistryResult):
    model: str | None = None
    keep_last: int
    older_than_seconds: int
    stale_seconds: int
    dry_run: bool
    delete_markers: bool | None  # None: unknown (the key may not read the bucket's versioning)
    removed: list[GcRemoved]
    protected: list[GcProtected]
    kept: int
    stale_registrations: list[GcStale]
    errors: list[str]
    removed_versions: int
    removed_objects: int
    removed_bytes: int
    hidden_bytes: int | None


# ----------------------------------------------------------------------------------------- webhooks
class WebhookFlush(RegistryResult):
    """`model webhooks flush` (and the send after a registry change): what was delivered and what still
    waits in the outbox. Built by registry/webhooks.flush as it sends."""

    webhook: str | None = None               # scheme://host[:port]/... of the webhook: never its path or secret
    delivered: int = 0                       # len(delivered_ids)
    delivered_ids: list[str] = Field(default_factory=list)  # event ids, in the order sent
    pending: int = 0                         # events still waiting for this webhook
    last_error: str | None = None
    waiting_for_other_webhooks: int = 0      # queued for other webhook URLs: not this configuration's to send
