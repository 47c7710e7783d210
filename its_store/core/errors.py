"""One exception tree for the whole tool.

Every failure a user can cause or meet is an ItsStoreError with a stable `code` (part of the --json
API) and an `exit_code` (part of the shell API). The CLI maps them to output in exactly one place
(`its_store.cli.app`); library callers catch the classes. This module imports nothing heavy.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_INTEGRITY = 4
EXIT_CONFLICT = 5
EXIT_ACCESS = 6
EXIT_UNAVAILABLE = 69
EXIT_AUDIT_LOST = 74  # the work was done, but an audit line of it could not be written (state/audit.py)
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130
# The reader of stdout went away (`its-store ls ... | head -1`): the command stops there, says nothing and ends
# with 128 + SIGPIPE, what a shell shows for GNU tools, rclone and mc killed by SIGPIPE in the same place, so a
# `set -o pipefail` script handles all of them alike and never mistakes it for a failure of the command (1).
EXIT_PIPE = 141


class ItsStoreError(Exception):
    """Base of every error the tool raises on purpose."""

    code = "error"
    exit_code = EXIT_ERROR

    # what the server answered, when it did (set by the s3 seam): its error code, message, headers
    s3_code: str = ""
    s3_message: str = ""
    s3_headers: dict[str, str] | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInputError(ItsStoreError):
    """The user asked for something malformed: a bad reference, size, duration, key or flag."""

    code = "invalid_input"
    exit_code = EXIT_USAGE


class NotFoundError(ItsStoreError):
    code = "not_found"
    exit_code = EXIT_NOT_FOUND


class BucketNotFoundError(NotFoundError):
    code = "bucket_not_found"


class ObjectNotFoundError(NotFoundError):
    code = "object_not_found"


class LocalFileNotFoundError(NotFoundError):
    code = "local_file_not_found"


class IntegrityError(ItsStoreError):
    """Bytes received differ from what the server or our metadata says was stored."""

    code = "integrity_error"
    exit_code = EXIT_INTEGRITY


class ConflictError(ItsStoreError):
    code = "conflict"
    exit_code = EXIT_CONFLICT


class AlreadyExistsError(ConflictError):
    code = "already_exists"


class FileChangedError(ConflictError):
    """A local file changed (size or mtime) while it was being uploaded: it is still being written."""

    code = "file_changed"


class AccessDeniedError(ItsStoreError):
    code = "access_denied"
    exit_code = EXIT_ACCESS


class ClockSkewError(AccessDeniedError):
    """The server refused the request because this machine's clock is off (RequestTimeTooSkewed)."""

    code = "clock_skew"


class ServiceUnavailableError(ItsStoreError):
    """The endpoint cannot be reached or keeps failing (connection refused, timeouts, 5xx).

    `mid_body`: the connection broke while a body was being read (the request itself had been
    answered), which the transfer layer may retry."""

    code = "service_unavailable"
    exit_code = EXIT_UNAVAILABLE

    def __init__(self, message: str, *, hint: str | None = None, mid_body: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.mid_body = mid_body


class NotCachedError(ServiceUnavailableError):
    """Offline (--offline, ITS_STORE_OFFLINE=1) and the local cache has never seen what was asked for."""

    code = "not_cached_offline"


class ConfigError(ItsStoreError):
    code = "config_error"
    exit_code = EXIT_CONFIG


class ClosedError(ItsStoreError):
    """A StorageService (or its S3 client, or an async façade) used after close(), also by an operation another
    thread was still running: the program closed it too early. Never a statement about the server, so a
    report (health, is_public) raises it instead of reporting the server unhealthy or its policy unknown."""

    code = "closed"


class BadAnswerError(ItsStoreError):
    """A reachable S3 server answered one call in a way the S3 spec does not allow: an empty or truncated
    body, the wrong XML document, JSON that is not JSON. Retrying does not help (its answer to this call
    is what it is). An HTML page where S3's XML belongs is ServiceUnavailableError instead: that endpoint
    is not an S3 API at all. `call` names the S3 call (GetBucketPolicy, ListObjectsV2, ...)."""

    code = "bad_server_answer"
    exit_code = EXIT_ERROR
    call: str = ""


class SubresourceIgnoredError(BadAnswerError):
    """The server ignored a sub-resource and answered the plain GET: an object's (GET ?retention, ?tagging)
    with the object itself (its ETag and bytes), a bucket's (GET ?object-lock, ?lifecycle) with the bucket's
    listing. It lacks that call: the one bad answer a caller may read as "not supported here" (moto for
    GET ?retention, whose facts S3's HEAD also carries; rclone serve s3 for tagging and object lock).
    Every other bad answer stays an error, never "none"."""


class EmptyTagSetError(BadAnswerError):
    """GET ?tagging of an object answered 200 with a body the server said is empty (Content-Length: 0), no
    <Tagging> document: radosgw 16.2 for a multipart object, whose x-amz-tagging it dropped. The one empty
    answer read as "no tags", and only where nothing is written back from it (s3/client.get_tags)."""


class TagsNotKeptError(ConfigError):
    """A write asked for tags that the stored version does not carry, even after its-store set them again
    (PutObjectTagging) and read them back, or that could not be read back: radosgw 16.2 drops the tags of a
    multipart write, rclone serve s3 has no object tagging (service/tagcheck.py). The object is stored."""

    code = "tags_not_kept"


class ConditionalWritesUnsupportedError(ConfigError):
    """The server ignores If-None-Match / If-Match on PUT (rclone serve s3 does: a second PUT simply
    overwrites). What needs write-once objects or compare-and-swap (the model registry's writes) cannot
    keep its promises there, so it is refused before anything is written."""

    code = "conditional_writes_unsupported"


class LocalIOError(ItsStoreError):
    """A local file could not be read or written (permissions, disk full, not a directory...)."""

    code = "local_io_error"
    exit_code = EXIT_ERROR


class UnknownCodecError(IntegrityError):
    """An object's its-codec metadata names a codec this build cannot undo (fetch it with --raw)."""

    code = "unknown_codec"


class SseKeyRequiredError(InvalidInputError):
    """The object is encrypted with SSE-C and no key was given."""

    code = "sse_c_key_required"


class SseKeyMismatchError(AccessDeniedError):
    """The SSE-C key given is not the one the object was written with."""

    code = "sse_c_key_mismatch"


class RegionError(ConfigError):
    """The bucket lives in another region than the one configured (a 301 PermanentRedirect)."""

    code = "wrong_region"


class EncryptionUnsupportedError(ConfigError):
    """The server refused the server-side encryption we asked for (e.g. MinIO without a KMS)."""

    code = "encryption_unsupported"


class EncryptionNotKeptError(ConfigError):
    """A write asked for server-side encryption that neither the server's answer nor a HEAD of the stored
    version shows: the server took the header and stored the object unencrypted (service/ssecheck.py)."""

    code = "encryption_not_kept"


class ObjectLockedError(AccessDeniedError):
    """A delete or change refused by object lock: retention (governance or compliance) or a legal hold."""

    code = "object_locked"


class ObjectLockNotEnabledError(ConfigError):
    """The bucket has no object lock; it can only be turned on when the bucket is created."""

    code = "object_lock_not_enabled"


class LockNotKeptError(ConfigError):
    """A write asked for a lock (retention, legal hold) that the stored version does not carry, even after
    its-store put it on again (PutObjectRetention / PutObjectLegalHold): the object is NOT protected."""

    code = "lock_not_kept"


class SettingNotKeptError(ConfigError):
    """A bucket setting (versioning, default retention, lifecycle, default encryption) the server answered 200
    for, but did not keep: read back after the write, it is not there (service/kept.py)."""

    code = "setting_not_kept"


class RangeNotSatisfiableError(InvalidInputError):
    """A byte range outside the object (HTTP 416), or one the object cannot serve (compressed)."""

    code = "range_not_satisfiable"


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, is the process running out of memory (ulimit -v, LimitAS=, a
    container's limit): a MemoryError, or a load that failed for want of memory (an ImportError of a C
    extension that could not be mapped, an OSError ENOMEM). Such a failure is not a missing package or a bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError) or getattr(current, "errno", None) == 12:  # ENOMEM
            return True
        text = str(current).lower()
        if isinstance(current, ImportError) and ("cannot allocate memory" in text or "failed to map segment" in text):
            return True
        current = current.__cause__ or current.__context__
    return False


class InterruptedError_(ItsStoreError):
    code = "interrupted"
    exit_code = EXIT_INTERRUPTED


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (`systemctl stop`, `docker stop`, `timeout`, a closed terminal) while a command runs
    (cli/app.ItsGroup.main installs the handler for every command): a KeyboardInterrupt, so that every path
    cleans up as after Ctrl-C (temp files removed, multipart uploads aborted or kept for --resume, batches
    stop starting work); it ends as one error line and exit 128 + the signal's number (143, 129)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def completion_refused(exc: BaseException) -> bool:
    """Whether a failed CompleteMultipartUpload was refused by the server (it answered an S3 error: the
    upload was not completed, an abort is safe), rather than left unknown (a timeout, a gateway's 5xx, an
    interruption, an answer not understood: the completion may still run on the server, and on SeaweedFS an
    abort meanwhile deletes the data the completed object is made of). The one rule of every multipart
    path: uploads (transfer/upload, relay, resume) and server copies (s3/copies)."""
    unknown = (ServiceUnavailableError, InterruptedError_, BadAnswerError)
    return isinstance(exc, ItsStoreError) and not isinstance(exc, unknown)


def batch_error(message: str, failures: list[ItsStoreError], hint: str | None = None) -> ItsStoreError:
    """The one error of a batch (rm -r, erase, retention set -r, get -r...) some of whose items failed.
    The one rule for its exit code: when every failure is of one kind (one exit code: all access denied,
    all locked, all not found), the command exits with that kind's code, as the same refusal of one item
    would; failures of mixed kinds exit 1. The error keeps the first failure's class and code when all
    share its exit code. `hint`: default, the first failure's."""
    first = failures[0]
    hint = first.hint if hint is None else hint
    if any(f.exit_code != first.exit_code for f in failures):
        return ItsStoreError(message, hint=hint)
    try:
        err = type(first)(message, hint=hint)
    except TypeError:  # an error class with other arguments: its code and exit code all the same
        err = ItsStoreError(message, hint=hint)
    err.code, err.exit_code = first.code, first.exit_code
    return err


# (exit code, meaning) for the exit code table (docs/concepts/exit-codes.md) and `its-store --help`.
EXIT_CODES: list[tuple[int, str]] = [
    (EXIT_OK, "success"),
    (EXIT_ERROR, "general error (local I/O, a server answer that breaks the S3 spec, a call the server lacks)"),
    (EXIT_USAGE, "usage error or bad input"),
    (EXIT_NOT_FOUND, "bucket, object or local file not found"),
    (EXIT_INTEGRITY, "integrity/checksum failure"),
    (EXIT_CONFLICT, "conflict or already exists"),
    (EXIT_ACCESS, "access denied or bad credentials"),
    (EXIT_UNAVAILABLE, "service unavailable (unreachable, timeouts, 5xx, not an S3 endpoint) or unhealthy"),
    (EXIT_AUDIT_LOST, "done, but an audit line of it could not be written (said on stderr): do not run it again"),
    (EXIT_CONFIG, "configuration error (also a server that lacks what a command needs)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    (EXIT_PIPE, "stopped: the reader of stdout went away (`| head`); 128 + SIGPIPE, as GNU tools"),
]
