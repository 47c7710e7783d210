"""Bucket default encryption over a Context: read it, set SSE-S3 / SSE-KMS, remove it (each change audited).

The wire calls and the answer's parsing live in codec/encryption.py (with the per-object SSE code);
this module adds what a service operation adds: the audit line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from its_store.codec.encryption import BucketEncryption
    from its_store.s3.client import S3Client
    from its_store.service.context import Context


def get_default(ctx: Context, bucket: str) -> BucketEncryption:
    """The bucket's default encryption (algorithm None: none)."""
    from its_store.codec.encryption import get_bucket_encryption
    return get_bucket_encryption(ctx.s3, bucket)


def set_default(ctx: Context, bucket: str, kms_key_id: str | None = None) -> BucketEncryption:
    """Default SSE-S3 (or SSE-KMS with `kms_key_id`) for new objects of `bucket`."""
    with ctx.op("bucket_encryption_set", bucket=bucket, forget=None, algorithm="aws:kms" if kms_key_id else "AES256"):
        return set_checked(ctx.s3, bucket, kms_key_id)


def set_checked(s3: S3Client, bucket: str, kms_key_id: str | None = None) -> BucketEncryption:
    """Set the default encryption and read it back (service/kept.py): a server that answered 200 and
    keeps none is SettingNotKeptError (exit 78). `bucket encryption set` and `bucket create` both use it.
    A read-back the key may not make (s3:GetEncryptionConfiguration) leaves it `unchecked` (kept.py)."""
    from its_store.codec.encryption import BucketEncryption, get_bucket_encryption, write_bucket_encryption
    from its_store.service.kept import read_back
    want = "aws:kms" if kms_key_id else "AES256"
    write_bucket_encryption(s3, bucket, kms_key_id)
    return read_back(bucket, "default encryption " + ("SSE-KMS" if kms_key_id else "SSE-S3"),
                     lambda: get_bucket_encryption(s3, bucket), lambda got: got.algorithm == want,
                     lambda got: got.algorithm or "none", needs="s3:GetEncryptionConfiguration",
                     unread=BucketEncryption(bucket=bucket, algorithm=want, kms_key_id=kms_key_id,
                                             unchecked="encryption"))


def remove_default(ctx: Context, bucket: str) -> BucketEncryption:
    """Remove the bucket's default encryption (stored objects keep theirs)."""
    from its_store.codec.encryption import remove_bucket_encryption
    with ctx.op("bucket_encryption_rm", bucket=bucket, forget=None):
        return remove_bucket_encryption(ctx.s3, bucket)
