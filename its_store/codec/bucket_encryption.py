"""BucketEncryption: a bucket's default encryption (`bucket encryption show|set|rm`, `bucket info`).

Its own module (codec/encryption.py offers it by name, as before): a pydantic class costs its creation when its
module is imported (~1.5M instructions), and every download imports codec/encryption for its SSE-C handling.
"""

from pydantic import computed_field

from its_store.core.model_base import Result


class BucketEncryption(Result):
    """A bucket's default encryption (`bucket encryption show|set|rm`, `bucket info`): `algorithm` AES256
    (SSE-S3), aws:kms (SSE-KMS) or None (no default), and the KMS key of SSE-KMS."""

    bucket: str
    algorithm: str | None = None
    kms_key_id: str | None = None
    unchecked: str | None = None  # "encryption": set, but the key may not read it back (service/kept.py)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def enabled(self) -> bool:
        """Whether new objects are encrypted by default."""
        return self.algorithm is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sse(self) -> str | None:
        """SSE-S3, SSE-KMS, or None (no default encryption)."""
        if not self.algorithm:
            return None
        return "SSE-KMS" if self.algorithm.lower().startswith("aws:kms") else "SSE-S3"
