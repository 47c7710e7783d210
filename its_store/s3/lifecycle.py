"""Lifecycle rules as RuleFields (a typed dict): read from the server's XML here (rules_from_xml), written
through minio's LifecycleConfig types (rule_to_minio; no minio type leaves s3/). The validated model of a
rule is service/lifecycle.LifecycleRule, which s3/ cannot import."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

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


def rules_from_xml(data: bytes) -> list[RuleFields]:
    """The rules of a <LifecycleConfiguration> answer, read here and not by minio: minio keeps only what it
    models and drops the rest without a word (a rule-level <Prefix> of S3's first lifecycle grammar, size
    filters), so such a rule was read as wider than it is, shown so, and written back so by a merge. Every
    element is either read or named in `unsupported` (snake case: transition, object_size_less_than, ...);
    a rule with anything unsupported is never written back (service/lifecycle.py). A value that breaks
    the spec (Days that are no number, a Status that is neither Enabled nor Disabled) raises ValueError,
    which s3.errors.parsing() reports as the answer's fault."""
    import xml.etree.ElementTree as ET
    return [_rule(node) for node in ET.fromstring(data).findall("{*}Rule")]


def _rule(node: ET.Element) -> RuleFields:
    rule: RuleFields = {"id": None, "enabled": True, "prefix": "", "tags": {}, "expire_days": None,
                        "expire_date": None, "noncurrent_expire_days": None, "abort_multipart_days": None,
                        "unsupported": []}
    unsupported = rule["unsupported"]
    legacy_prefix = None
    for child in node:
        name, text = _local(child.tag), (child.text or "").strip()
        if name == "ID":
            rule["id"] = child.text or None
        elif name == "Status":
            if text not in ("Enabled", "Disabled"):
                raise ValueError(f"<Status> is {text[:32]!r}, not Enabled or Disabled")
            rule["enabled"] = text == "Enabled"
        elif name == "Prefix":  # S3's first grammar: the rule's prefix, without a <Filter>
            legacy_prefix = child.text or ""
        elif name == "Filter":
            _filter(child, rule, unsupported)
        elif name == "Expiration":
            _expiration(child, rule, unsupported)
        elif name == "NoncurrentVersionExpiration":
            for part in child:
                if _local(part.tag) == "NoncurrentDays":
                    rule["noncurrent_expire_days"] = _days(part)
                else:
                    unsupported.append(_snake(_local(part.tag)))
        elif name == "AbortIncompleteMultipartUpload":
            for part in child:
                if _local(part.tag) == "DaysAfterInitiation":
                    rule["abort_multipart_days"] = _days(part)
                else:
                    unsupported.append(_snake(_local(part.tag)))
        else:  # Transition, NoncurrentVersionTransition, and whatever a later S3 adds
            unsupported.append(_snake(name))
    if legacy_prefix is not None:
        if node.find("{*}Filter") is not None:
            unsupported.append("prefix_and_filter")  # S3 refuses both; what such a rule selects is unclear
        rule["prefix"] = legacy_prefix
    rule["unsupported"] = list(dict.fromkeys(unsupported))  # each name once (two transitions: one)
    return rule


def _filter(node: ET.Element, rule: RuleFields, unsupported: list[str]) -> None:
    """<Filter>: <Prefix>, one <Tag>, or <And> of a prefix and tags; empty: every object of the bucket."""
    for child in node:
        name = _local(child.tag)
        if name == "Prefix":
            rule["prefix"] = child.text or ""
        elif name == "Tag":
            rule["tags"].update([_tag(child)])
        elif name == "And":
            _filter(child, rule, unsupported)
        else:  # ObjectSizeGreaterThan, ObjectSizeLessThan, ...
            unsupported.append(_snake(name))


def _expiration(node: ET.Element, rule: RuleFields, unsupported: list[str]) -> None:
    from its_store.core.units import parse_rfc3339
    for child in node:
        name, text = _local(child.tag), (child.text or "").strip()
        if name == "Days":
            rule["expire_days"] = _days(child)
        elif name == "Date":
            rule["expire_date"] = parse_rfc3339(text)
        elif name == "ExpiredObjectDeleteMarker":
            if text.lower() == "true":
                unsupported.append("expired_object_delete_marker")
        else:
            unsupported.append(_snake(name))


def _tag(node: ET.Element) -> tuple[str, str]:
    key = node.findtext("{*}Key")
    if not key:
        raise ValueError("a <Tag> without a <Key>")
    return key, node.findtext("{*}Value") or ""


def _days(node: ET.Element) -> int:
    from its_store.core.units import parse_uint
    return parse_uint((node.text or "").strip(), f"<{_local(node.tag)}>", error=ValueError)


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def _snake(name: str) -> str:
    """ObjectSizeLessThan -> object_size_less_than: how `unsupported` names an element."""
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
