"""Lifecycle rules between RuleFields (a typed dict) and minio's LifecycleConfig types (no minio type leaves
s3/). The validated model of a rule is service/lifecycle.LifecycleRule, which s3/ cannot import."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:
    from minio.lifecycleconfig import Rule


class RuleFields(TypedDict):
    """One lifecycle rule as S3Client.governance.get_lifecycle() gives it and set_lifecycle() takes it."""

    id: str | None
    enabled: bool
    prefix: str
    tags: dict[str, str]
    expire_days: int | None
    expire_date: datetime | None          # midnight UTC
    noncurrent_expire_days: int | None
    abort_multipart_days: int | None
    unsupported: NotRequired[list[str]]   # read only: parts of a rule this tool cannot write back


def rule_to_minio(rule: RuleFields) -> Rule:
    """RuleFields -> minio Rule. Validation is the caller's (its_store.service.lifecycle)."""
    from minio.commonconfig import DISABLED, ENABLED, AndOperator, Filter, Tag, Tags
    from minio.lifecycleconfig import (
        AbortIncompleteMultipartUpload,
        Expiration,
        NoncurrentVersionExpiration,
        Rule,
    )
    tags, prefix = dict(rule.get("tags") or {}), rule.get("prefix") or ""
    if tags and (prefix or len(tags) > 1):
        value = Tags()
        value.update(tags)
        rule_filter = Filter(and_operator=AndOperator(prefix=prefix or None, tags=value))
    elif tags:
        rule_filter = Filter(tag=Tag(*next(iter(tags.items()))))
    else:
        rule_filter = Filter(prefix=prefix)
    date, days = rule.get("expire_date"), rule.get("expire_days")
    noncurrent, abort = rule.get("noncurrent_expire_days"), rule.get("abort_multipart_days")
    return Rule(
        ENABLED if rule.get("enabled", True) else DISABLED, rule_filter=rule_filter, rule_id=rule.get("id"),
        expiration=Expiration(date=date, days=days) if (date or days) else None,
        noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=noncurrent)
        if noncurrent else None,
        abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=abort)
        if abort else None)


def rule_from_minio(rule: Rule) -> RuleFields:
    """A minio Rule -> RuleFields (what it holds that RuleFields cannot say is named in `unsupported`)."""
    flt, exp = rule.rule_filter, rule.expiration
    prefix, tags = "", {}
    if flt is not None:
        prefix = flt.prefix or prefix
        if flt.tag is not None:
            tags = {flt.tag.key: flt.tag.value}
        if flt.and_operator is not None:
            prefix = flt.and_operator.prefix or prefix
            tags = dict(flt.and_operator.tags or {})
    noncurrent, abort = rule.noncurrent_version_expiration, rule.abort_incomplete_multipart_upload
    unsupported = [name for name, present in (
        ("transition", rule.transition), ("noncurrent_version_transition", rule.noncurrent_version_transition),
        ("expired_object_delete_marker", exp and exp.expired_object_delete_marker),
        ("newer_noncurrent_versions", noncurrent and noncurrent.newer_noncurrent_versions)) if present]
    return {"id": rule.rule_id, "enabled": rule.status == "Enabled", "prefix": prefix, "tags": tags,
            "expire_days": exp.days if exp else None, "expire_date": exp.date if exp else None,
            "noncurrent_expire_days": noncurrent.noncurrent_days if noncurrent else None,
            "abort_multipart_days": abort.days_after_initiation if abort else None,
            "unsupported": unsupported}
