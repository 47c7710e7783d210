"""Bucket lifecycle rules: a validated model, retention presets, JSON files, and get/set/remove.

Rules are checked here before anything is sent, so a bad rule set fails with exit 2 and a reason
instead of a server's MalformedXML. The S3 wire format is built in s3/lifecycle.py from RuleFields.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from its_store.core import errors as E
from its_store.core.jsontext import loads
from its_store.core.models import RequestModel, Result

if TYPE_CHECKING:
    from its_store.s3.lifecycle import RuleFields
    from its_store.service.context import Context

_ID_RE = re.compile(r"^[\w.\-+=:/@ ]{1,255}\Z")
ABORT_MULTIPART_DAYS = 7


class LifecycleRule(RequestModel, Result):
    """One lifecycle rule. `prefix` and `tags` select objects; the *_days fields say what happens when.
    Given (a request) and returned (inside LifecycleConfig): a bad field is InvalidInputError ("invalid
    lifecycle rule: FIELD: why"), never a ValidationError."""

    model_config = ConfigDict(extra="forbid")
    input_name = "lifecycle rule"

    id: str | None = None
    enabled: bool = True
    prefix: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    expire_days: int | None = None
    expire_date: date | None = None
    noncurrent_expire_days: int | None = None
    abort_multipart_days: int | None = None
    # Parts of a rule read from the server that this tool cannot write back (e.g. transitions):
    # such a rule is shown, but never rewritten by a merge (see Lifecycle.set).
    unsupported: list[str] = Field(default_factory=list)

    @field_validator("expire_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return value.date() if isinstance(value, datetime) else value

    def with_id(self) -> LifecycleRule:
        """This rule, named: a stable id derived from its content when none was given."""
        if self.id:
            return self
        digest = hashlib.sha1(self.model_dump_json(exclude={"id", "unsupported"}).encode()).hexdigest()[:8]
        return self.model_copy(update={"id": f"its-{digest}"})

    def to_s3(self) -> RuleFields:
        """The rule as s3.S3Client.governance.set_lifecycle() takes it (dates as midnight UTC)."""
        when = self.expire_date
        return {"id": self.id, "enabled": self.enabled, "prefix": self.prefix, "tags": dict(self.tags),
                "expire_days": self.expire_days,
                "expire_date": datetime(when.year, when.month, when.day, tzinfo=UTC) if when else None,
                "noncurrent_expire_days": self.noncurrent_expire_days,
                "abort_multipart_days": self.abort_multipart_days}


class LifecycleConfig(Result):
    """`bucket lifecycle show`: a bucket's lifecycle rules ([] when it has none)."""

    bucket: str
    rules: list[LifecycleRule] = Field(default_factory=list)


class LifecycleSet(Result):
    """`bucket lifecycle set`: the bucket's rules after the change, and which ids were added or replaced."""

    bucket: str
    rules: list[LifecycleRule] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    replace_all: bool = False   # every earlier rule was dropped (--replace, --file)
    unchecked: str | None = None  # "lifecycle": written, but the key may not read it back (service/kept.py)


class LifecycleRemoved(Result):
    """`bucket lifecycle rm`: the ids removed and the rules the bucket keeps."""

    bucket: str
    removed: list[str] = Field(default_factory=list)
    rules: list[LifecycleRule] = Field(default_factory=list)
    unchecked: str | None = None  # "lifecycle": removed, but the key may not read it back (service/kept.py)


# Retention presets for the ITS buckets (documented in docs/guides/buckets.md). Frames and logs expire, and a
# replaced or deleted version is kept as long again; models are never expired, only their
# non-current versions after a year. Every preset also aborts multipart uploads left for a week.
PRESETS: dict[str, LifecycleRule] = {
    "video": LifecycleRule(id="its-preset-video", expire_days=30, noncurrent_expire_days=30,
                           abort_multipart_days=ABORT_MULTIPART_DAYS),
    "logs": LifecycleRule(id="its-preset-logs", expire_days=90, noncurrent_expire_days=90,
                          abort_multipart_days=ABORT_MULTIPART_DAYS),
    "models": LifecycleRule(id="its-preset-models", noncurrent_expire_days=365,
                            abort_multipart_days=ABORT_MULTIPART_DAYS),
    # evidence (bucket create --preset evidence, service/buckets.py): current versions never expire;
    # a replaced or deleted version goes 90 days later, when its default 90-day retention has run out
    "evidence": LifecycleRule(id="its-preset-evidence", noncurrent_expire_days=90,
                              abort_multipart_days=ABORT_MULTIPART_DAYS),
}


def preset_rule(name: str) -> LifecycleRule:
    try:
        return PRESETS[name].model_copy()
    except KeyError:
        raise E.InvalidInputError(f"unknown preset {name!r}",
                                  hint="choose one of: " + ", ".join(PRESETS)) from None


def make_rule(**fields: Any) -> LifecycleRule:
    """A rule from keyword fields (CLI flags, a JSON object), as an InvalidInputError when malformed."""
    try:
        return LifecycleRule(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise E.InvalidInputError(f"invalid lifecycle rule: {where}: {err.get('msg')}") from None


def rules_given(flags: dict[str, Any], file: Path | None = None, preset: str | None = None) -> list[LifecycleRule]:
    """The rules `bucket lifecycle set` was given: one rule from its flags (`flags`: a field -> value, None
    for a flag not given), every rule from a JSON file (load_rules_file: the caller replaces them all), or a
    preset's rule; InvalidInputError when more than one of the three is given."""
    given = [k for k, v in flags.items() if v is not None]
    if sum([bool(file), bool(preset), bool(given)]) > 1:
        raise E.InvalidInputError("give rule flags, --file or --preset, not several")
    if file is not None:
        return load_rules_file(file)
    if preset is not None:
        return [preset_rule(preset)]
    return [make_rule(**flags)]


def validate_rules(rules: list[LifecycleRule]) -> list[LifecycleRule]:
    """Check a whole rule set the way S3 would, with readable reasons. Returns the rules, named."""
    if not rules:
        raise E.InvalidInputError("empty lifecycle rule set",
                                  hint="give at least one action, e.g. --expire-days 30")
    named = [rule.with_id() for rule in rules]
    seen: set[str] = set()
    for rule in named:
        _validate_rule(rule)
        if rule.id in seen:
            raise E.InvalidInputError(f"duplicate lifecycle rule id {rule.id!r}", hint="rule ids must be unique")
        seen.add(rule.id or "")
    if len(named) > 1000:
        raise E.InvalidInputError("more than 1000 lifecycle rules (the S3 limit)")
    return named


def _validate_rule(rule: LifecycleRule) -> None:
    name = f"rule {rule.id!r}"
    if rule.unsupported:
        raise E.ConflictError(f"{name} uses {', '.join(rule.unsupported)}, which its-store cannot write back",
                              hint="replace every rule (--file or --replace), or manage this bucket with mc / aws")
    if not _ID_RE.match(rule.id or ""):
        raise E.InvalidInputError(f"invalid lifecycle rule id {rule.id!r}", hint="1-255 characters")
    for field in ("expire_days", "noncurrent_expire_days", "abort_multipart_days"):
        value = getattr(rule, field)
        if value is not None and value < 1:
            flag = "--" + field.replace("_", "-")
            raise E.InvalidInputError(f"{name}: {flag} must be a positive number of days (got {value})")
    if rule.expire_days is not None and rule.expire_date is not None:
        raise E.InvalidInputError(f"{name}: give --expire-days or --expire-date, not both")
    if not (rule.expire_days or rule.expire_date or rule.noncurrent_expire_days or rule.abort_multipart_days):
        raise E.InvalidInputError(f"{name} has no action",
                                  hint="add --expire-days, --expire-date, --noncurrent-expire-days "
                                       "or --abort-multipart-days")
    if rule.tags and rule.abort_multipart_days:
        raise E.InvalidInputError(f"{name}: --abort-multipart-days cannot be combined with --tag",
                                  hint="S3 does not allow tag filters on multipart clean-up rules")
    if len(rule.tags) > 10:
        raise E.InvalidInputError(f"{name}: at most 10 tags in a filter")


def load_rules_file(path: Path) -> list[LifecycleRule]:
    """Rules from a JSON file: {"rules": [...]} or a bare list, in our field names or in the
    AWS CLI's shape ({"Rules": [{"ID", "Filter", "Expiration", ...}]})."""
    try:
        doc = loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise E.LocalFileNotFoundError(f"no such file: {path}") from None
    except OSError as exc:
        raise E.LocalIOError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise E.InvalidInputError(f"{path} is not valid JSON: {exc}") from None
    items = doc.get("rules", doc.get("Rules")) if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise E.InvalidInputError(f"{path}: expected {{\"rules\": [ {{...}}, ... ]}} or a list of rules")
    return [make_rule(**(_from_aws(item) if _is_aws(item) else item)) for item in items]


def _is_aws(item: dict[str, Any]) -> bool:
    return any(k[:1].isupper() for k in item)


def _from_aws(item: dict[str, Any]) -> dict[str, Any]:
    """An AWS-style rule dict -> our field names (unknown keys are reported by the model)."""
    flt = item.get("Filter") or {}
    both = flt.get("And") or {}
    tags = [flt["Tag"]] if flt.get("Tag") else both.get("Tags", [])
    expiration = item.get("Expiration") or {}
    known = {"ID", "Status", "Filter", "Prefix", "Expiration", "NoncurrentVersionExpiration",
             "AbortIncompleteMultipartUpload"}
    unknown = sorted(set(item) - known)
    if unknown:
        raise E.InvalidInputError(f"unsupported lifecycle rule field(s): {', '.join(unknown)}")
    return {
        "id": item.get("ID"), "enabled": item.get("Status", "Enabled") == "Enabled",
        "prefix": flt.get("Prefix", both.get("Prefix", item.get("Prefix", ""))) or "",
        "tags": {t["Key"]: t["Value"] for t in tags},
        "expire_days": expiration.get("Days"), "expire_date": (expiration.get("Date") or "")[:10] or None,
        "noncurrent_expire_days": (item.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
        "abort_multipart_days": (item.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
    }


class Lifecycle:
    """Lifecycle configuration of buckets, over one Context (`svc.lifecycle()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get(self, bucket: str, *, merging: bool = False) -> list[LifecycleRule]:
        """The bucket's rules; [] when it has none. A missing bucket is a BucketNotFoundError. `merging`:
        read to be written back with others (set), so an answer that shows no rule without saying there
        is none is a bad answer (s3 governance.get_lifecycle): nothing it hid is dropped."""
        from its_store.core.refs import validate_bucket
        validate_bucket(bucket)
        return [make_rule(**rule) for rule in self.ctx.s3.governance.get_lifecycle(bucket, merging=merging)]

    def show(self, bucket: str) -> LifecycleConfig:
        """The bucket's rules as a result (`bucket lifecycle show`)."""
        return LifecycleConfig(bucket=bucket, rules=self.get(bucket))

    def set(self, bucket: str, rules: list[LifecycleRule], *, replace: bool = False) -> LifecycleSet:
        """Add `rules` to the bucket's configuration (a rule with the same id is replaced), or
        replace the whole configuration. Everything is validated before one PUT."""
        incoming = validate_rules(rules)
        current = [] if replace else self.get(bucket, merging=True)
        ids = {rule.id for rule in incoming}
        replaced = [rule.id for rule in current if rule.id and rule.id in ids]
        merged = validate_rules([r for r in current if r.id not in ids] + incoming)
        unchecked = self._write(bucket, merged, action="set")
        added = [r.id for r in incoming if r.id and r.id not in replaced]
        return LifecycleSet(bucket=bucket, rules=merged, added=added, replaced=replaced, replace_all=replace,
                            unchecked=unchecked)

    def remove(self, bucket: str, rule_id: str | None = None) -> LifecycleRemoved:
        """Remove one rule by id, or (rule_id None) the whole configuration."""
        current = self.get(bucket)
        if rule_id is None:
            unchecked = self._write(bucket, [], action="rm") if current else None
            return LifecycleRemoved(bucket=bucket, removed=[r.id or "" for r in current], unchecked=unchecked)
        if rule_id not in {r.id for r in current}:
            raise E.NotFoundError(f"no lifecycle rule {rule_id!r} on s3://{bucket}",
                                  hint=f"see `its-store bucket lifecycle show s3://{bucket}`")
        remaining = [r for r in current if r.id != rule_id]
        unchecked = self._write(bucket, validate_rules(remaining) if remaining else [], action="rm", gone={rule_id})
        return LifecycleRemoved(bucket=bucket, removed=[rule_id], rules=remaining, unchecked=unchecked)

    def _write(self, bucket: str, rules: list[LifecycleRule], *, action: str,
               gone: Collection[str] = ()) -> str | None:
        """PUT the rule set (or DELETE the configuration when it is empty), audited, and read back (kept.py):
        every rule written is there, none is when the configuration was removed, and no rule of `gone` (the
        one `rm --id` took out) is left. Returns "lifecycle" when the key may not read it back (unchecked,
        said once: kept.denied_read_back), else None."""
        from its_store.service.kept import read_back
        with self.ctx.op("lifecycle", bucket=bucket, forget=None, action=action, rules=[r.id for r in rules]):
            if rules:
                self.ctx.s3.governance.set_lifecycle(bucket, [rule.to_s3() for rule in rules])
            else:
                self.ctx.s3.governance.delete_lifecycle(bucket)
            written, left_out = {rule.id for rule in rules if rule.id}, frozenset(gone)
            unread: list[LifecycleRule] = []  # returned as is when the read-back is denied
            found = read_back(bucket, "lifecycle" if rules else "lifecycle rm", lambda: self.get(bucket),
                              lambda got: bool(got) == bool(rules) and written <= (ids := {rule.id for rule in got})
                              and not left_out & ids,
                              lambda got: ", ".join(rule.id or "(no id)" for rule in got) or "no rule",
                              needs="s3:GetLifecycleConfiguration", unread=unread)
        return "lifecycle" if found is unread else None
