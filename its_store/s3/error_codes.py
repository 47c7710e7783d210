"""What an S3 error code means: the code an answer named (or minio read from its status) as an ItsStoreError
of our tree, so that exit codes follow the cause (6 for AccessDenied, 3 for NoSuchKey...). s3/errors.py reads
the code out of whatever failed (an answer, a connection, a parse) and hands it here.

Some codes need more than their name to be useful: clock skew names the offset (from the answer's Date),
a region redirect names the bucket's region, an access denied names the call refused and the IAM action
it needs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from its_store.core import errors as E

_NOT_FOUND_BUCKET = {"NoSuchBucket"}
_NOT_FOUND_OBJECT = {"NoSuchKey", "NoSuchVersion", "NoSuchUpload", "ResourceNotFound", "NoSuchObject"}
_ACCESS = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
           "AllAccessDisabled", "InvalidToken", "AuthorizationHeaderMalformed"}
_CONFLICT = {"BucketNotEmpty", "PreconditionFailed", "OperationAborted", "InvalidBucketState"}
_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
_INPUT = {"InvalidBucketName", "InvalidArgument", "EntityTooLarge", "EntityTooSmall", "KeyTooLongError",
          "InvalidRequest", "InvalidPart", "InvalidPartOrder", "MalformedXML", "InvalidTag",
          "InvalidObjectName", "MetadataTooLarge"}
_UNAVAILABLE = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "XMinioServerNotInitialized"}
_INTEGRITY = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch"}
_REDIRECT = {"PermanentRedirect", "Redirect", "TemporaryRedirect", "IllegalLocationConstraintException"}
_CREDENTIAL_HINT = "check MINIO_ACCESS_KEY and MINIO_SECRET_KEY, and the key's permissions"
_PERMISSION_HINT = ("the credentials were accepted: the key's permissions lack what this call needs; grant it, "
                    "or use a key that has it")
# the IAM action an S3 call needs (AWS's names; MinIO's policies use the same), for "access denied" lines
_NEEDS = {
    "HeadObject": "s3:GetObject", "GetObject": "s3:GetObject", "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
    "ListBuckets": "s3:ListAllMyBuckets", "PutObject": "s3:PutObject", "CopyObject": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject", "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject", "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts", "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "DeleteObject": "s3:DeleteObject", "DeleteObjects": "s3:DeleteObject", "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket", "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning", "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging", "DeleteObjectTagging": "s3:DeleteObjectTagging",
    "GetBucketTagging": "s3:GetBucketTagging", "PutBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketTagging": "s3:PutBucketTagging",  # AWS: deleting a bucket's tags needs the Put action
    "ListObjectsV2": "s3:ListBucket", "GetBucketLocation": "s3:GetBucketLocation",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",  # AWS: deleting needs the Put action
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",  # the same for default encryption
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "GetObjectVersion": "s3:GetObjectVersion", "HeadObjectVersion": "s3:GetObjectVersion",
    "DeleteObjectVersion": "s3:DeleteObjectVersion", "GetObjectRetention": "s3:GetObjectRetention",
    "PutObjectRetention": "s3:PutObjectRetention", "GetObjectLegalHold": "s3:GetObjectLegalHold",
    "PutObjectLegalHold": "s3:PutObjectLegalHold",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration", "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration", "GetBucketPolicy": "s3:GetBucketPolicy",
    "PutBucketPolicy": "s3:PutBucketPolicy",
}



def from_code(code: str, detail: str, bucket: str | None, key: str | None, place: str,
              headers: Mapping[str, str] | None = None, *, call: str = "", said: bool = False) -> E.ItsStoreError:
    """Map an S3 error code to our error tree (so exit codes follow the cause, e.g. 6 for AccessDenied).
    `call`: the S3 call answered (s3/call_names.identify), named by an "access denied" line. `said`: the code is
    the server's own (an <Error> body), not minio's guess from the status of an answer without a body (a
    HEAD's): only a guessed 403 dated more than SKEW_ALLOWED from this machine's clock is read as the clock's;
    a code the server wrote in an <Error> (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch) is taken as
    said, whatever the Date (a server whose own clock is off and that does not check the request time refuses a
    wrong key: never "fix the clock")."""
    if code == "RequestTimeTooSkewed" or (not said and code in _ACCESS and abs(_offset(headers) or 0) > SKEW_ALLOWED):
        return _clock_skew(headers, place)  # the second: a HEAD's bare 403 (no body, no code to read), dated far off
    if code in _REDIRECT or (code == "AuthorizationHeaderMalformed" and _region(headers, detail)):
        return _wrong_region(bucket, headers, detail, place)
    if code in _NOT_FOUND_BUCKET:
        return E.BucketNotFoundError(f"bucket not found: {bucket or place}")
    if code in _NOT_FOUND_OBJECT:
        return E.ObjectNotFoundError(f"object not found: {place}")
    if code in _ACCESS:
        return _denied(code, place, call, bucket)
    if code in _EXISTS:
        return E.AlreadyExistsError(f"bucket already exists: {bucket}")
    if code in _CONFLICT:
        return E.ConflictError(f"{code}: {detail} ({place})")
    if code in _INPUT:
        return E.InvalidInputError(f"{code}: {detail} ({place})")
    if code in _INTEGRITY:
        return E.IntegrityError(f"{code}: the server computed another checksum of what it received ({place})",
                                hint="the data changed on the way; nothing was stored, retry")
    if code in _UNAVAILABLE:
        return E.ServiceUnavailableError(f"{code}: server busy or failing ({place})",
                                         hint="retry later or raise --retries")
    if code == "MethodNotAllowed" and (header(headers, "x-amz-delete-marker") or "").strip().lower() == "true":
        return E.ObjectNotFoundError(  # S3's 405 to a GET or HEAD of a delete marker's version id
            f"object not found: {place} (the version asked for is a delete marker: it holds no data)",
            hint="its versions: its-store ls --versions")
    if code in ("NotImplemented", "MethodNotAllowed"):
        return E.ItsStoreError(f"the server does not support this operation ({code}, {place})",
                               hint="it is a feature this S3 server lacks; other calls may still work")
    return E.ItsStoreError(f"server refused the request: {code}: {detail} ({place})")


def _denied(code: str, place: str, call: str, bucket: str | None = None) -> E.AccessDeniedError:
    """A refusal: a plain AccessDenied of a key whose credentials were accepted names the call refused and the
    permission it needs (a least-privilege key: the person setting it up must know which right to add); a
    refusal of the credentials themselves (InvalidAccessKeyId, SignatureDoesNotMatch...) points at them."""
    if code != "AccessDenied" or not call or " " in call:  # " ": no S3 call name, a method and a path
        return E.AccessDeniedError(f"access denied ({code}) for {place}", hint=_CREDENTIAL_HINT)
    needs = _NEEDS.get(call)
    hint = _PERMISSION_HINT
    if bucket in _UNCHECKED:  # its HEAD was denied and taken for "exists": a typo'd name is refused the same way
        hint += (f"; or s3://{bucket} does not exist: this key may not check (HeadBucket needs s3:ListBucket)")
    return E.AccessDeniedError(f"access denied ({code}) to {call} on {place}" + (f" (needs {needs})" if needs else ""),
                               hint=hint)


_UNCHECKED: set[str] = set()  # buckets let through unchecked (service/bucket_use.bucket_seen), for _denied


def let_through_unchecked(bucket: str) -> None:
    """Remember that `bucket`'s existence could not be checked (its HEAD was denied) and the work went on: a
    later AccessDenied on it may as well mean the bucket does not exist (SeaweedFS and MinIO check the key's
    rights before the bucket's existence), and its hint then says so."""
    _UNCHECKED.add(bucket)


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """The value of header `name` (lower-case) in `headers`, whatever the case of its name there."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


SKEW_ALLOWED = 15 * 60  # seconds: S3 refuses a request signed further from its own clock (RequestTimeTooSkewed)


def _offset(headers: Mapping[str, str] | None) -> int | None:
    """Seconds this machine's clock is ahead of the server's, from the answer's Date header; None without one.
    A refusal dated more than SKEW_ALLOWED away is the clock's: S3 refuses such a request before it looks
    at the key's rights, and to a HEAD it cannot say so (no body): minio reads the bare 403 as AccessDenied."""
    import time
    from email.utils import parsedate_to_datetime
    date = header(headers, "date")
    if date:
        with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
            return round(time.time() - parsedate_to_datetime(date).timestamp())
    return None


def _clock_skew(headers: Mapping[str, str] | None, place: str) -> E.ItsStoreError:
    """RequestTimeTooSkewed, with the offset measured from the answer's Date header."""
    offset = _offset(headers)
    if offset is None:
        said = "this machine's clock is too far from the server's"
    else:
        said = (f"this machine's clock is {abs(offset)} s {'ahead of' if offset > 0 else 'behind'} the server's")
    return E.ClockSkewError(f"request refused: {said} (RequestTimeTooSkewed, {place})",
                            hint="fix the clock (e.g. `timedatectl set-ntp true`); S3 allows 15 minutes")


def _region(headers: Mapping[str, str] | None, detail: str) -> str | None:
    region = header(headers, "x-amz-bucket-region")
    if not region and "use region " in detail:  # minio's message for a redirect
        region = detail.rsplit("use region ", 1)[1].split()[0].strip(".;")
    if not region and "expecting '" in detail:  # AuthorizationHeaderMalformed: "... expecting 'eu-west-1'"
        region = detail.rsplit("expecting '", 1)[1].split("'")[0]
    return region or None


def _wrong_region(bucket: str | None, headers: Mapping[str, str] | None, detail: str, place: str) -> E.ItsStoreError:
    region = _region(headers, detail)
    if not region:
        return E.RegionError(f"the server redirected the request elsewhere ({place})",
                             hint="check MINIO_ENDPOINT and MINIO_REGION")
    return E.RegionError(f"bucket {bucket or ''} is in region {region}, not the configured one ({place})",
                         hint=f"set MINIO_REGION={region} (or --region {region})")
