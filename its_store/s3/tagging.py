"""Object tags, one S3Client's tag calls: get_tags, require_tags, set_tags, delete_tags.

Not every server has object tagging: `rclone serve s3` answers GET ?tagging with the object itself, and
would store a PUT ?tagging as the object's new content, destroying it. So a server is asked to show that it
has tagging (its GET ?tagging answered S3's XML) before tags are written or removed; the buckets where it
did are kept by the S3Client (`shown`), for as long as the client lives. Each call is one minio public call
inside `errors()`. S3Client builds an ObjectTags on each use and hands it the current minio client
(s3/calls.py), as s3/governance.py's Governance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.s3.errors import errors

if TYPE_CHECKING:
    from its_store.s3.calls import MinioOf

__all__ = ["ObjectTags"]


class ObjectTags:
    """The object tag calls of one S3Client (see the module docstring)."""

    def __init__(self, minio: MinioOf, shown: set[str]) -> None:
        self._minio, self._shown = minio, shown  # shown: the client's buckets whose GET ?tagging answered S3's XML

    def get_tags(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        """The object's tags; {} when the server has no tagging (see _read_tags), and for an answer the server
        said is empty (Content-Length: 0, EmptyTagSetError): radosgw 16.2's for a multipart object whose tags
        it dropped, which `stat`, `ls` and a copy's read-back then show as none. require_tags (`tag get`,
        `tag rm`, which writes back what it read) keeps that answer an error."""
        try:
            return self._read_tags(bucket, key, version_id) or {}
        except E.EmptyTagSetError:
            self._shown.add(bucket)
            return {}

    def require_tags(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        """The object's tags for `tag get` / `tag rm`: on a server without object tagging, refused as
        set_tags is (exit 1), not "no tags", which would be a false answer (the server cannot tell)."""
        tags = self._read_tags(bucket, key, version_id)
        if tags is None:
            raise E.ItsStoreError(f"the server does not support object tagging (s3://{bucket}/{key})",
                                  hint="it answered GET ?tagging with the object itself")
        return tags

    def _read_tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str] | None:
        """The object's tags, or None when the server has no object tagging: rclone's server answers
        GET ?tagging with the object itself (its ETag and bytes), which s3/answers.py tells apart as
        SubresourceIgnoredError, the one sign of a missing sub-resource (get_retention reads it too).
        Any other bad answer (empty, truncated, another document, garbage) is BadAnswerError, never
        "no tags": a tag set read as empty would be written back as empty (one said to be empty is
        EmptyTagSetError, which only get_tags reads as none)."""
        try:
            with errors(bucket, key):
                tags = self._minio().get_object_tags(bucket_name=bucket, object_name=key, version_id=version_id)
        except E.SubresourceIgnoredError:
            return None
        self._shown.add(bucket)
        return dict(tags or {})

    def _tagging_shown(self, bucket: str, key: str, version_id: str | None) -> bool:
        """Whether the server has shown object tagging (the probe set_tags and delete_tags make first). A plain
        AccessDenied to the GET ?tagging answers it too: a server that checks rights per action (a key that
        may PutObjectTagging, not GetObjectTagging) is no rclone serve s3, whose only refusals are its
        signature and key errors (SignatureDoesNotMatch, InvalidAccessKeyId)."""
        if bucket in self._shown:
            return True
        try:
            return self._read_tags(bucket, key, version_id) is not None
        except E.EmptyTagSetError:  # radosgw 16.2's answer for a multipart object whose tags it dropped: tagging
            return True  # it has (`tag set --replace`, the repair its error names, failed on it)
        except E.AccessDeniedError as exc:
            if exc.s3_code != "AccessDenied":
                raise
            return True

    def set_tags(self, bucket: str, key: str, tags: dict[str, str], version_id: str | None = None) -> None:
        """Replace the object's tags. On a server that has shown no tagging (GET ?tagging answered
        with the object itself), nothing is sent: such a server (rclone serve s3) stores a PUT ?tagging
        as the object's new content, destroying it."""
        from minio.commonconfig import Tags
        if not self._tagging_shown(bucket, key, version_id):
            raise E.ItsStoreError(
                f"the server does not support object tagging (s3://{bucket}/{key})",
                hint="it answered GET ?tagging with the object itself; tags were not sent, as such a server "
                     "would store them as the object's content")
        value = Tags.new_object_tags()
        value.update(tags)
        with errors(bucket, key):
            self._minio().set_object_tags(bucket_name=bucket, object_name=key, tags=value, version_id=version_id)

    def delete_tags(self, bucket: str, key: str, version_id: str | None = None) -> None:
        """Remove the object's tags; refused like set_tags on a server without tagging (which might
        take DELETE ?tagging for a delete of the object)."""
        if not self._tagging_shown(bucket, key, version_id):
            raise E.ItsStoreError(f"the server does not support object tagging (s3://{bucket}/{key})",
                                  hint="nothing was sent")
        with errors(bucket, key):
            self._minio().delete_object_tags(bucket_name=bucket, object_name=key, version_id=version_id)
