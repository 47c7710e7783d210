"""Bucket governance, one S3Client's `s3.governance`: bucket policy, lifecycle, object lock, retention and
legal hold.

Each call is one minio public call inside `errors()`, with our own small types in and out. S3Client builds
the Governance object and hands it what it needs (s3/calls.py): the current minio client, its `_raw` and
its `stat`. Four requests go through that `_raw`, still the ONE caller of minio's private API
(tests/test_s3_adapter.py): PUT ?retention with x-amz-bypass-governance-retention (minio has no public
call for it), GET ?retention (minio's parser refuses radosgw's nine-digit dates), GET ?object-lock
(minio's parser takes any XML for one) and GET ?lifecycle (minio's parser drops what it does not model).
Server-side copies are s3/copies.py.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.units import parse_uint
from its_store.s3.errors import errors, parsing

if TYPE_CHECKING:
    from its_store.s3.calls import MinioOf, Raw, Stat
    from its_store.s3.lifecycle import RuleFields

__all__ = ["BYPASS_HEADER", "Governance"]
BYPASS_HEADER = "x-amz-bypass-governance-retention"
# "no object lock here": a bucket created without it, or a version without retention
_NO_LOCK_CONFIG = {"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"}


class Governance:
    """The governance calls of one S3Client (see the module docstring)."""

    def __init__(self, minio: MinioOf, raw: Raw, stat: Stat) -> None:
        self._minio, self._raw, self._stat = minio, raw, stat

    # -- bucket policy (JSON text in and out) -------------------------------------------------------------
    def get_bucket_policy(self, bucket: str) -> str | None:
        """The bucket policy's JSON text, or None when the bucket has none."""
        from minio.error import S3Error
        with errors(bucket):
            try:
                return self._minio().get_bucket_policy(bucket_name=bucket)
            except S3Error as exc:
                if exc.code == "NoSuchBucketPolicy":
                    return None
                raise

    def set_bucket_policy(self, bucket: str, policy: str) -> None:
        """Replace the bucket policy; one the server finds malformed is InvalidInputError (exit 2)."""
        from minio.error import S3Error
        with errors(bucket):
            try:
                self._minio().set_bucket_policy(bucket_name=bucket, policy=policy)
            except S3Error as exc:
                if exc.code in ("MalformedPolicy", "InvalidPolicyDocument"):
                    raise E.InvalidInputError(f"the server refused the policy: {exc.code}: {exc.message}",
                                              hint="check the JSON against the S3 bucket policy grammar") from None
                raise

    def delete_bucket_policy(self, bucket: str) -> None:
        with errors(bucket):
            self._minio().delete_bucket_policy(bucket_name=bucket)

    # -- bucket tags, read to be merged ------------------------------------------------------------------
    def bucket_tags_to_merge(self, bucket: str) -> dict[str, str]:
        """The bucket's tags, read to be written back with others (`tag set` without --replace): {} only on
        NoSuchTagSet, S3's answer for a bucket without tags. An empty <TagSet> is a bad answer here: minio
        reads it as no tags (S3Client.get_bucket_tags, for showing), and the merge's PUT would then drop
        every tag such an answer hid."""
        try:
            resp = self._raw("GET", bucket, query={"tagging": ""})
        except E.ItsStoreError as exc:
            if exc.s3_code == "NoSuchTagSet":
                return {}
            raise
        with parsing(bucket, None, "GetBucketTagging"):
            tag_set = ET.fromstring(resp.data).find("{*}TagSet")
            if tag_set is None:
                raise ValueError("XML element <TagSet> not found")
            tags = {}
            for tag in tag_set.findall("{*}Tag"):
                key, value = tag.findtext("{*}Key"), tag.findtext("{*}Value")
                if not key or value is None:
                    raise ValueError("a <Tag> without its <Key> or <Value>")
                tags[key] = value
        if not tags:
            from its_store.s3.answers import bad_answer
            err = bad_answer("GetBucketTagging", "an empty tag set (S3 answers NoSuchTagSet when there is none), "
                             "not read as no tags before a merge, which would drop the tags it did not show",
                             f"s3://{bucket}")
            err.hint = "--replace sets the whole tag set without reading it"
            raise err
        return tags

    # -- lifecycle (s3/lifecycle.RuleFields in and out) ----------------------------------------------
    def get_lifecycle(self, bucket: str, *, merging: bool = False) -> list[RuleFields]:
        """The bucket's rules ([] without a configuration). Read through _raw and parsed by s3/lifecycle.py:
        minio's parser drops what it does not model, so a rule read through it could look wider than it is
        (and be written back wider by a merge), and it refuses an empty <Filter/>, which S3 allows.
        `merging` (the rules are read to be written back with others): a <LifecycleConfiguration> without
        a rule is a bad answer, not "no rules". S3 says NoSuchLifecycleConfiguration for a bucket without
        rules; an empty document read as none would make the merge's PUT drop every rule it did not show."""
        from its_store.s3.lifecycle import rules_from_xml
        try:
            resp = self._raw("GET", bucket, query={"lifecycle": ""})
        except E.ItsStoreError as exc:
            if exc.s3_code == "NoSuchLifecycleConfiguration":
                return []
            raise
        with parsing(bucket, None, "GetBucketLifecycleConfiguration"):  # s3/answers.py checked the document
            rules = rules_from_xml(resp.data)
        if merging and not rules:
            from its_store.s3.answers import bad_answer
            from its_store.s3.errors import where
            err = bad_answer("GetBucketLifecycleConfiguration", "a configuration without a rule (S3 answers "
                             "NoSuchLifecycleConfiguration when there is none), not read as no rules before a "
                             "merge, which would drop the rules it did not show", where(bucket, None))
            err.hint = "--replace sets the whole configuration without reading it"
            raise err
        return rules

    def set_lifecycle(self, bucket: str, rules: list[RuleFields]) -> None:
        from minio.lifecycleconfig import LifecycleConfig

        from its_store.s3.lifecycle import rule_to_minio
        config = LifecycleConfig([rule_to_minio(rule) for rule in rules])
        with errors(bucket):
            self._minio().set_bucket_lifecycle(bucket_name=bucket, config=config)

    def delete_lifecycle(self, bucket: str) -> None:
        with errors(bucket):
            self._minio().delete_bucket_lifecycle(bucket_name=bucket)

    # -- object lock (core/lock.py parses; service/retention.py decides) ------------------------------
    def get_object_lock(self, bucket: str) -> tuple[bool, str | None, int | None, str | None]:
        """(enabled, default mode, duration, 'Days'|'Years') of the bucket's object lock. A bucket
        created without it answers ObjectLockConfigurationNotFoundError (404): enabled False.

        Read through _raw: only an <ObjectLockConfiguration> that says <ObjectLockEnabled>Enabled counts.
        minio's get_object_lock_config takes any XML for one: `rclone serve s3` answers GET ?object-lock
        with the bucket listing, which minio read as "lock on, no default", and its-store then sent
        PUT ?retention, which rclone stores as the object's new content."""
        try:
            resp = self._raw("GET", bucket, query={"object-lock": ""})
        except E.ItsStoreError as exc:
            if exc.s3_code in _NO_LOCK_CONFIG:
                return False, None, None, None
            raise
        with parsing(bucket, None, "GetObjectLockConfiguration"):  # s3/answers.py checked the document
            root = ET.fromstring(resp.data)
            enabled = (root.findtext("{*}ObjectLockEnabled") or "").strip()
            if enabled not in ("", "Enabled"):
                raise ValueError(f"<ObjectLockEnabled> is {enabled[:32]!r}, not Enabled")
            if not enabled:
                return False, None, None, None
            rule = root.find("{*}Rule/{*}DefaultRetention")
            if rule is None:
                return True, None, None, None
            mode = (rule.findtext("{*}Mode") or "").strip().upper() or None
            if mode not in (None, "GOVERNANCE", "COMPLIANCE"):
                raise ValueError(f"<Mode> is {mode[:32]!r}, not GOVERNANCE or COMPLIANCE")
            for unit in ("Days", "Years"):  # moto sends both, the unused one as 0
                text = (rule.findtext("{*}" + unit) or "").strip()
                count = parse_uint(text, f"<{unit}>", error=ValueError) if text else 0  # parsing(): BadAnswer
                if count > 0:
                    return True, mode, count, unit
            return True, mode, None, None

    def set_object_lock(self, bucket: str, mode: str | None, days: int | None = None,
                        years: int | None = None) -> None:
        """Set the bucket's default retention (mode None: remove it, the lock itself stays)."""
        from minio.objectlockconfig import DAYS, YEARS, ObjectLockConfig
        config = (ObjectLockConfig(mode, years, YEARS) if years else ObjectLockConfig(mode, days, DAYS)) \
            if mode else ObjectLockConfig(None, None, None)
        with errors(bucket):
            self._minio().set_object_lock_config(bucket_name=bucket, config=config)

    def get_retention(self, bucket: str, key: str, version_id: str | None = None) -> tuple[str | None, datetime | None]:
        """(mode, retain-until) of one version; (None, None) when it has no retention (SeaweedFS answers
        ObjectLockConfigurationNotFoundError there, S3 NoSuchObjectLockConfiguration).

        Read through _raw, not minio's get_object_retention: minio parses <RetainUntilDate> with at most
        six fraction digits and radosgw sends nine, so every lock read there failed with a strptime
        message; core/units.parse_rfc3339 reads any number. A server without GetObjectRetention (moto
        answers GET ?retention with the object's bytes) is read through the HEAD's lock headers."""
        from its_store.core.units import parse_rfc3339
        query = {"retention": "", **({"versionId": version_id} if version_id else {})}
        try:
            resp = self._raw("GET", bucket, key, query=query)
        except E.SubresourceIgnoredError:  # moto answers GET ?retention with the object: S3's HEAD says it too
            return self._retention_from_head(bucket, key, version_id)
        except E.ItsStoreError as exc:
            if exc.s3_code in _NO_LOCK_CONFIG:
                return None, None
            raise
        with parsing(bucket, key, "GetObjectRetention"):  # s3/answers.py checked the document
            root = ET.fromstring(resp.data)
            mode = (root.findtext("{*}Mode") or "").strip().upper() or None
            if mode not in (None, "GOVERNANCE", "COMPLIANCE"):
                raise ValueError(f"<Mode> is {mode[:32]!r}, not GOVERNANCE or COMPLIANCE")
            text = (root.findtext("{*}RetainUntilDate") or "").strip()
            return mode, parse_rfc3339(text) if text else None

    def _retention_from_head(self, bucket: str, key: str, version_id: str | None) -> tuple[str | None, datetime | None]:
        from its_store.core.lock import from_headers
        mode, until, _ = from_headers(self._stat(bucket, key, version_id).metadata)
        return mode, until

    def set_retention(self, bucket: str, key: str, mode: str, until: datetime, version_id: str | None = None,
                      *, bypass_governance: bool = False) -> None:
        """PUT ?retention. minio's public set_object_retention sends no x-amz-bypass-governance-retention,
        so the bypass case (shortening or lifting governance retention) goes through _raw."""
        from minio.retention import Retention
        if not bypass_governance:
            with errors(bucket, key):
                self._minio().set_object_retention(bucket_name=bucket, object_name=key,
                                                 config=Retention(mode, until), version_id=version_id)
            return
        from minio.xml import marshal
        body = marshal(Retention(mode, until))
        md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        query = {"retention": "", **({"versionId": version_id} if version_id else {})}
        self._raw("PUT", bucket, key, body=body, query=query,
                  headers={"Content-MD5": md5, "Content-Type": "application/xml", BYPASS_HEADER: "true"})

    def get_legal_hold(self, bucket: str, key: str, version_id: str | None = None) -> bool:
        """Whether one version is under legal hold (NoSuchObjectLegalHold: never set, so off)."""
        try:
            with errors(bucket, key):
                return bool(self._minio().is_object_legal_hold_enabled(
                    bucket_name=bucket, object_name=key, version_id=version_id))
        except E.ItsStoreError as exc:
            if exc.s3_code in _NO_LOCK_CONFIG or exc.s3_code == "NoSuchObjectLegalHold":
                return False
            raise

    def set_legal_hold(self, bucket: str, key: str, on: bool, version_id: str | None = None) -> None:
        with errors(bucket, key):
            if on:
                self._minio().enable_object_legal_hold(bucket_name=bucket, object_name=key, version_id=version_id)
            else:
                self._minio().disable_object_legal_hold(bucket_name=bucket, object_name=key, version_id=version_id)
