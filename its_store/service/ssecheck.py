"""The encryption a write asked for, checked on what the server stored (DESIGN.md: "Verify on the server
what you promised"), in the shape of the object-lock post-check (service/lockcheck.py).

Why: Ceph's RADOS Gateway 16.2 with rgw_crypt_require_ssl=false (or behind a TLS proxy) answers a PUT with
`x-amz-server-side-encryption: AES256` with 200 and stores the object unencrypted when it has no key to
encrypt with (no KMS, no rgw_crypt_default_encryption_key); `rclone serve s3` keeps the SSE headers as
metadata, an SSE-C key included, and encrypts nothing: a HEAD answers them back, beside the request's own
x-amz-date and x-amz-content-sha256, which no server that encrypts answers (SSE-S3 there was believed).
`upload --json` said "SSE-S3" all the same.

So after every write that asked for SSE (upload, single or in parts, recursive; sync and watch, which
upload through the same path) the answer's x-amz-server-side-encryption* headers must show it (S3 sends
them with PUT and CompleteMultipartUpload; SeaweedFS, moto and MinIO do). Where they do not, one HEAD of
the version written decides (with the SSE-C key when it is SSE-C). A HEAD that answers the SSE-C key
itself means the server stored the key with the object: that is no SSE-C either. A HEAD the key may not
make (write-only) leaves it unchecked, said once per command (service/kept.denied_read_back). Not kept:
EncryptionNotKeptError (exit 78), and the unencrypted copy of what was meant to be encrypted is removed
again when that can be done exactly: its version id is known (a versioned bucket) and no lock keeps it.
Otherwise it stays and the error says so (an unversioned bucket: a DELETE of the key could remove what
another writer stored meanwhile). The write's audit line says which (`SseCheck.audit`); the result names
the encryption the server showed, never the one asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from its_store.codec.sse_choice import ECHOED, describe
from its_store.codec.sse_choice import answered as answered  # its old home
from its_store.core import errors as E

log = logging.getLogger("its_store.service.ssecheck")

_KEY_HEADER = "x-amz-server-side-encryption-customer-key"
_KEPT = {"SSE-S3": ("SSE-S3", "SSE-KMS"), "SSE-C": ("SSE-C",)}  # what keeps a promise (SSE-KMS: stronger)


@dataclass(slots=True)
class SseCheck:
    """What one write asked of server-side encryption, and what the stored version was found to carry.
    A plain record (no model: one is made and filled in for every camera frame of a batch asked to be
    encrypted, or encrypted by default: MINIO_ENABLE_ENCRYPTION), never a result of its own."""

    asked: str | None = None        # "SSE-S3" / "SSE-C"; None: nothing asked (then nothing is checked)
    seen: str | None = None         # what the server showed (the answer, else the HEAD)
    verified: bool | None = None    # None: not checked (nothing asked, or the write failed first)
    by_head: bool = False           # the answer did not say: a HEAD did
    version_id: str | None = None
    removed: bool | None = None     # not kept: the unencrypted version was removed again (None: not tried)
    unchecked: str | None = None    # "sse": the HEAD was denied (a key that may write, not read): not checked

    def audit(self) -> dict[str, Any]:
        """Fields for the write's audit line ({} when nothing was asked or checked)."""
        if self.unchecked:
            return {"encryption_verified": None, "encryption_unchecked": "read-back denied"}
        if self.asked is None or self.verified is None:
            return {}
        fields: dict[str, Any] = {"encryption_verified": self.verified, "encryption_seen": self.seen}
        if not self.verified:
            fields.update(encryption_removed=bool(self.removed), encryption_version_id=self.version_id)
        return fields


def ensure_encrypted(s3: Any, remover: Any, bucket: str, key: str, version_id: str | None,
                     answer_sse: dict[str, str], check: SseCheck) -> SseCheck:
    """Check that the version just written carries the encryption `check.asked`; `s3` HEADs it (a KeyedS3
    for SSE-C), `remover` deletes it (the plain client). Fills in `check` and returns it; raises
    EncryptionNotKeptError (exit 78) when it is not there, after removing the version when it can."""
    check.version_id = version_id
    if check.asked is None:
        check.seen = answered(answer_sse)
        return check
    check.seen = answered(answer_sse)
    if check.seen not in _KEPT[check.asked]:
        check.by_head = True
        try:
            stat = _head(s3, remover, bucket, key, version_id)
        except E.AccessDeniedError:  # the key may write, not read: the work is done, its check could not be
            from its_store.service.kept import denied_read_back
            denied_read_back(remover, "stored", "its encryption", f"s3://{bucket}/{key}", "s3:GetObject")
            check.unchecked = "sse"
            return check
        headers = {str(k).lower(): v for k, v in (stat.metadata or {}).items()}
        check.seen = describe(headers)
        if _KEY_HEADER in headers:  # the server keeps the key next to the data: anyone who HEADs reads it
            _not_kept(remover, bucket, key, check, "the server stores the SSE-C key with the object and "
                                                   "answers it to a HEAD: the key is exposed there, use another")
        if ECHOED.intersection(headers):  # rclone: the PUT's own headers kept as metadata, SSE's among them
            _not_kept(remover, bucket, key, check, "the server answers a HEAD with the upload request's own "
                                                   "headers (x-amz-date, x-amz-content-sha256): its "
                                                   "x-amz-server-side-encryption there is the request's, kept "
                                                   "as metadata, not an encryption")
    check.verified = check.seen in _KEPT[check.asked]
    if not check.verified:
        _not_kept(remover, bucket, key, check, "neither the server's answer nor a HEAD of the stored version "
                                               "shows it: the server took the header and did not encrypt")
    return check


def _head(s3: Any, remover: Any, bucket: str, key: str, version_id: str | None) -> Any:
    try:
        return s3.stat(bucket, key, version_id)
    except E.InvalidInputError:  # a HEAD with the SSE-C key of an object that is not SSE-C: 400 on S3
        return remover.stat(bucket, key, version_id)


def _not_kept(remover: Any, bucket: str, key: str, check: SseCheck, why: str) -> None:
    check.verified = False
    where = f"s3://{bucket}/{key}"
    fate = _remove(remover, bucket, key, check)
    raise E.EncryptionNotKeptError(
        f"{where} was stored WITHOUT the {check.asked} encryption asked for ({why}); {fate}",
        hint="this server does not encrypt what it is asked to (Ceph RGW without a KMS or "
             "rgw_crypt_default_encryption_key, `rclone serve s3`): configure encryption on the server, or "
             "store without it knowingly (--sse none, MINIO_ENABLE_ENCRYPTION=false)")


def _remove(remover: Any, bucket: str, key: str, check: SseCheck) -> str:
    """Remove the unencrypted version just written when it can be named exactly; say what became of it."""
    if not check.version_id:
        check.removed = False
        return ("it is still stored, unencrypted: its-store cannot name exactly the version it wrote (the bucket "
                "keeps no versions, or the version at the key is not proven this write's), so it removes nothing "
                "(check it and remove it with `its-store rm`)")
    try:
        remover.remove(bucket, key, check.version_id)
    except E.ItsStoreError as exc:
        check.removed = False
        log.debug("removing the unencrypted version failed: %s", exc.message)
        return (f"its version {check.version_id} is still stored, unencrypted: removing it failed "
                f"({exc.message})")
    check.removed = True
    return f"the unencrypted version {check.version_id} was removed again: nothing of this upload stays stored"
