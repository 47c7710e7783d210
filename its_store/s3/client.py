"""S3Client: every request to the server, through one minio.Minio client on one urllib3 pool.

One method per operation, each inside `errors()` so that callers see ItsStoreError only; results are
our own small types (ObjectStat, Entry, Body, Headers), never minio's or urllib3's. minio has public
calls for almost everything; it has none for the steps of a multipart upload run by our own thread
pool, for listing or resuming those, or for a PUT with `If-None-Match: *`. Those go through `_raw`,
the one function that calls minio's private `Minio._execute` (signing, region and error parsing stay
minio's); tests/test_s3_adapter.py fails loudly if a minio upgrade changes it. So do object listings:
minio has a call for them, but its parser cost ~60 µs a key; s3/listing.py sends the same requests
and reads the pages itself.

Over plain HTTP minio signs every body with its SHA-256; over TLS it sends UNSIGNED-PAYLOAD (with a
Content-MD5), as aws-cli does. A PUT of a Payload (s3/payload.py: a body hashed once, for the custody hash)
is signed with that hash instead of minio hashing the body again: the one override of a private minio
method, `PayloadMinio._build_headers`, the client's Minio (tests/test_s3_adapter.py guards it too). Uploads
also send a CRC32 (x-amz-checksum-crc32) that the server
stores, so that downloads can be verified cheaply later.

Cut by concern, as s3/governance.py and s3/copies.py are: focused objects built on each use and handed
this client's calls (s3/calls.py), never the client. The steps of a multipart upload are s3/multipart.py,
conditional writes and their probe s3/conditional.py, object tags s3/tagging.py; the methods here for those
hand the call on, so that every operation stays a method of the one client. The headers a write sends and
the small types answers come back as are s3/messages.py, re-exported here.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core import forks
from its_store.s3 import keys
from its_store.s3.copies import MIN_PART, ServerCopies
from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import crc32_of
from its_store.s3.errors import errors, failure_error, from_code, parsing, translate
from its_store.s3.governance import BYPASS_HEADER, Governance
from its_store.s3.listing import Entry
from its_store.s3.messages import (
    Body,
    BucketEntry,
    Headers,
    ObjectStat,
    Written,
    check_ascii,
    object_headers,
    written_of,
)
from its_store.s3.payload import PAYLOAD_SHA256, Payload
from its_store.s3.pool import build_pool

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from minio import Minio
    from minio.helpers import DictType
    from urllib3 import BaseHTTPResponse

    from its_store.core.bwlimit import Limiter
    from its_store.core.settings import Settings
    from its_store.s3.conditional import ConditionalWrites
    from its_store.s3.crc import PartETag
    from its_store.s3.deleted import Said
    from its_store.s3.messages import Custody
    from its_store.s3.multipart import Multipart
    from its_store.s3.pacing import Pacer
    from its_store.s3.tagging import ObjectTags

__all__ = ["BYPASS_HEADER", "MIN_PART", "Body", "BucketEntry", "Entry", "Headers", "ObjectStat", "Payload", "S3Client",
           "Written", "errors", "failure_error", "from_code", "object_headers", "translate"]


# the names minio's put_object would not have sent as user metadata (minio.helpers.normalize_headers), beside x-amz-*
_MAX_PUT = 5 * 1024 ** 3  # S3's largest single PUT (and minio's largest part)
_STANDARD = frozenset({"cache-control", "content-encoding", "content-type", "content-disposition", "content-language"})


def _minio_dict(headers: Mapping[str, str] | None) -> DictType | None:
    """Our str headers as minio's parameter type (a dict invariant in a wider value type): a copy."""
    return None if headers is None else {**headers}


def _put_headers(headers: Mapping[str, str], data: bytes) -> dict[str, str]:
    """The headers S3Client.put sends for `headers`, as put_object would have named them (user metadata as
    X-Amz-Meta-*), with a CRC32 of `data` unless a checksum is given, Content-Type last. Conditional headers
    and a payload hash are refused (ValueError): they have their own calls."""
    sent: dict[str, str] = {}
    content_type = headers.get("Content-Type") or "application/octet-stream"
    checksum = False
    for name, value in headers.items():
        low = name.lower()
        if low in ("if-match", "if-none-match"):
            raise ValueError("conditional PUTs go through put_if_absent / put_if_match")
        if low == PAYLOAD_SHA256:  # the seam's own: only the hash of a Payload, made from its bytes
            raise ValueError("the payload's SHA-256 is sent for a Payload, never given as a header")
        if name == "Content-Type":
            continue
        if not low.startswith("x-amz-") and low not in _STANDARD:  # as put_object named it: user metadata
            name = "X-Amz-Meta-" + name
        sent[name] = value
        checksum = checksum or low.startswith("x-amz-checksum-")
    if not checksum:
        sent[CRC_HEADER] = crc32_of(data)
    check_ascii(content_type, sent)
    sent["Content-Type"] = content_type
    return sent


class S3Client:
    """Thread-safe S3 calls with our headers and errors, over one minio client. Policy, lifecycle,
    object lock, retention and legal hold are `s3.governance` (s3/governance.py), server-side copies
    `s3.copies` (s3/copies.py); multipart steps, conditional writes and object tags are handed on to
    s3/multipart.py, s3/conditional.py and s3/tagging.py."""

    def __init__(self, settings: Settings, pool_size: int | None = None, *, bwlimit: str | None = None,
                 limiters: Sequence[Limiter] | None = None) -> None:
        """`bwlimit`: this endpoint's own bandwidth limit (a remote's), paced besides the process's
        MINIO_BWLIMIT; `limiters`: the limiters to pace with instead of both (tests: a fake clock)."""
        self.settings = settings
        self.endpoint = settings.endpoint
        self._pool_size = pool_size or settings.max_pool_connections
        self._pacer: Pacer | None = None  # no limit (the usual case): s3/pacing and core/bwlimit not imported (~2 ms)
        if limiters is not None or settings.bwlimit is not None or bwlimit is not None:
            from its_store.s3.pacing import pacer_for
            self._pacer = pacer_for(settings, bwlimit, limiters)
        self._closed = False
        self._connect()
        forks.renew_in_child(self._connect)  # a forked child never writes to the parent's kept-alive sockets
        self._tagging_ok: set[str] = set()  # buckets whose GET ?tagging answered S3's XML
        self._conditional: dict[str, str | None] = {}  # bucket -> what conditional_write_gap() found
        self._bare_if_match: set[str] = set()  # buckets whose server matches If-Match only without quotes
        self._delete_if_match: dict[str, bool | None] = {}  # bucket -> whether its server honours If-Match on DELETE

    def _connect(self) -> None:
        """A new pool and the minio client on it (at start, and in a forked child: the parent's pool is
        dropped there; its sockets are closed in the child only, the parent goes on using them)."""
        from its_store.s3.payload import payload_minio
        s = self.settings
        self._http = build_pool(s, self._pool_size)
        self._probing = threading.Lock()  # one probe of a bucket at a time (a forked child gets its own)
        self._http.closed = self._closed  # a child forked after close() gets a pool that sends nothing either
        self._http.pacer = self._pacer  # request bodies go out paced (s3/pacing.py)
        self._minio = payload_minio()(endpoint=s.endpoint, access_key=s.access_key,
                                      secret_key=s.secret_key.get_secret_value(), secure=s.secure,
                                      region=s.region or None, http_client=self._http)

    @property
    def governance(self) -> Governance:
        """Bucket policy, lifecycle, object lock, retention and legal hold, through this client's calls."""
        return Governance(self._current_minio, self._raw, self.stat)

    @property
    def copies(self) -> ServerCopies:
        """Server-side copies, through this client's calls."""
        return ServerCopies(self._current_minio, self.stat, self._raw, self.settings.max_retries + 1)
    # Built on each use (a few attribute stores): kept on self, they would hold bound methods of self, a
    # reference cycle that keeps the client and its pool's sockets alive until the garbage collector runs.

    def _current_minio(self) -> Minio:
        return self._minio  # not the object itself: _connect() replaces it in a forked child

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the pool's kept-alive connections and send nothing more: a later request, also one of an
        operation another thread is still running, raises ItsStoreError (s3/pool.checked_urlopen) instead
        of opening new connections. Twice is harmless."""
        self._closed = True
        self._http.closed = True
        self._http.clear()

    def _raw(self, method: str, bucket: str, key: str | None = None, *, body: bytes | None = None,
             headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
             place: str | None = None) -> BaseHTTPResponse:
        """The ONE call of minio's private API (Minio._execute), for requests minio has no public call
        for or whose answer we read ourselves: multipart steps on our own pool, listing objects (s3/listing.py),
        uploads and parts, conditional PUTs. `place`: what an error names after the bucket (default `key`;
        a listing names its prefix)."""
        keys.check_addressable(key)
        with errors(bucket, key if place is None else place):
            return self._minio._execute(method, bucket, key, body=body, headers=_minio_dict(headers),
                                        query_params=_minio_dict(query))

    # -- buckets -------------------------------------------------------------------------------------
    def list_buckets(self) -> list[BucketEntry]:
        with errors():
            return [BucketEntry(b.name, b.creation_date) for b in self._minio.list_buckets()]

    def bucket_exists(self, bucket: str) -> bool:
        """HEAD the bucket, as minio's bucket_exists does, but its 404 through s3/errors: a 404 no S3 server
        marked (a proxy's) is no "the bucket does not exist" (minio's own call answers False to any)."""
        try:
            self._raw("HEAD", bucket)
        except E.BucketNotFoundError:
            return False
        return True

    def make_bucket(self, bucket: str, object_lock: bool = False) -> None:
        region = self.settings.region
        with errors(bucket):
            self._minio.make_bucket(bucket_name=bucket, location=None if region in ("", "us-east-1") else region,
                                    object_lock=object_lock)

    def remove_bucket(self, bucket: str) -> None:
        with errors(bucket):
            self._minio.remove_bucket(bucket_name=bucket)

    def set_versioning(self, bucket: str, enabled: bool) -> None:
        from minio.commonconfig import ENABLED
        from minio.versioningconfig import SUSPENDED, VersioningConfig
        with errors(bucket):
            self._minio.set_bucket_versioning(
                bucket_name=bucket, config=VersioningConfig(ENABLED if enabled else SUSPENDED))

    def get_versioning(self, bucket: str) -> str | None:
        with errors(bucket):
            return self._minio.get_bucket_versioning(bucket_name=bucket).status

    def get_bucket_encryption(self, bucket: str) -> tuple[str, str | None] | None:
        """(algorithm, KMS key id) of the bucket's default encryption, or None when it has none."""
        with errors(bucket):
            config = self._minio.get_bucket_encryption(bucket_name=bucket)
        rule = config.rule if config is not None else None
        return (rule.sse_algorithm, rule.kms_master_key_id) if rule is not None else None

    def set_bucket_encryption(self, bucket: str, kms_key_id: str | None = None) -> None:
        """Default encryption SSE-S3 (AES256), or SSE-KMS with `kms_key_id`."""
        from minio.sseconfig import Rule, SSEConfig
        rule = Rule.new_sse_kms_rule(kms_key_id) if kms_key_id else Rule.new_sse_s3_rule()
        with errors(bucket):
            self._minio.set_bucket_encryption(bucket_name=bucket, config=SSEConfig(rule))

    def delete_bucket_encryption(self, bucket: str) -> None:
        with errors(bucket):
            self._minio.delete_bucket_encryption(bucket_name=bucket)

    # -- tags, versions, lifecycle (plain dicts in and out) ------------------------------------------
    def get_bucket_tags(self, bucket: str) -> dict[str, str]:
        with errors(bucket):
            return dict(self._minio.get_bucket_tags(bucket_name=bucket) or {})

    def set_bucket_tags(self, bucket: str, tags: dict[str, str]) -> None:
        from minio.commonconfig import Tags
        value = Tags.new_bucket_tags()
        value.update(tags)
        with errors(bucket):
            self._minio.set_bucket_tags(bucket_name=bucket, tags=value)

    def delete_bucket_tags(self, bucket: str) -> None:
        with errors(bucket):
            self._minio.delete_bucket_tags(bucket_name=bucket)

    # -- object tags (s3/tagging.py) -------------------------------------------------------------------
    def _tags(self) -> ObjectTags:
        """Built on each use, like `governance`; the buckets whose server showed object tagging stay with this
        client (`_tagging_ok`)."""
        from its_store.s3.tagging import ObjectTags
        return ObjectTags(self._current_minio, self._tagging_ok)

    def get_tags(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        """The object's tags; {} when the server has no tagging, and for an answer it said is empty (s3/tagging.py)."""
        return self._tags().get_tags(bucket, key, version_id)

    def require_tags(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        """The object's tags for `tag get` / `tag rm`: refused on a server without object tagging (exit 1)."""
        return self._tags().require_tags(bucket, key, version_id)

    def set_tags(self, bucket: str, key: str, tags: dict[str, str], version_id: str | None = None) -> None:
        """Replace the object's tags; nothing is sent to a server that has shown no tagging (s3/tagging.py)."""
        self._tags().set_tags(bucket, key, tags, version_id)

    def delete_tags(self, bucket: str, key: str, version_id: str | None = None) -> None:
        """Remove the object's tags; refused like set_tags on a server without tagging."""
        self._tags().delete_tags(bucket, key, version_id)

    # -- deletes of many (keys, versions) ----------------------------------------------------------------
    def remove_versions(self, bucket: str, items: list[tuple[str, str | None]], *, bypass_governance: bool = False,
                        said: Said | None = None) -> list[tuple[str, str | None, str]]:
        """Delete (key, version id) pairs: batches of 1,000, and one DELETE for each key XML cannot carry
        (s3/keys.py). Returns the failures as (key, version id, message), the message starting with the
        server's error code (AccessDenied for a locked version). `bypass_governance` sends
        x-amz-bypass-governance-retention (never lifts compliance or a hold). With `said` (a dict), each
        batch is asked non-quiet and what the server says of each key's delete marker goes into it
        (s3/deleted.py: True hidden, False removed, None not said); without, minio's quiet batch."""
        from minio.deleteobjects import DeleteObject
        extra = {BYPASS_HEADER: "true"} if bypass_governance else {}

        def batch(chunk: list[tuple[str, str | None]]) -> list[tuple[str, str | None, str]]:
            if said is not None:
                from its_store.s3 import deleted
                body, headers = deleted.request(chunk)
                data = self._raw("POST", bucket, body=body, headers={**headers, **extra}, query={"delete": ""}).data
                with parsing(bucket, None, "DeleteObjects"):
                    return keys.with_versions(deleted.read(data, chunk, said), chunk)
            with errors(bucket):
                failures = self._minio.remove_objects(
                    bucket_name=bucket, delete_object_list=[DeleteObject(k, v) for k, v in chunk],
                    bypass_governance_mode=bypass_governance)
                found = [(f.name or "", f.version_id, f"{f.code}: {f.message}") for f in failures]
            return keys.with_versions(found, chunk)

        def single(key: str, version: str | None) -> None:
            marker = self.remove(bucket, key, version, headers=extra)
            if said is not None and version is None:
                said[key] = marker

        return keys.delete_all(list(items), batch, single)

    def remove_many(self, bucket: str, keys: list[tuple[str, str | None]],
                    said: Said | None = None) -> list[tuple[str, str]]:
        """Batch delete (<= 1000 per request). Returns (key, error message) failures; `said` as
        remove_versions fills it."""
        return [(k, message) for k, _, message in self.remove_versions(bucket, keys, said=said)]

    # -- objects ---------------------------------------------------------------------------------------
    def stat(self, bucket: str, key: str, version_id: str | None = None,
             headers: dict[str, str] | None = None) -> ObjectStat:
        """HEAD an object; `headers` carries an SSE-C key (codec/encryption.py)."""
        asked = {"x-amz-checksum-mode": "ENABLED", **(headers or {})}  # returns x-amz-checksum-crc32
        keys.check_addressable(key)
        with errors(bucket, key):
            obj = self._minio.stat_object(bucket_name=bucket, object_name=key, version_id=version_id,
                                          extra_headers=_minio_dict(asked))
        with parsing(bucket, key, "HeadObject"):  # minio's int() took "-1" and "+5" as a Content-Length
            said = Headers.of(obj.metadata)
            if "content-length" not in said:  # minio read it as 0: `stat` said 0 bytes (a header line http.client
                raise ValueError("no Content-Length")  # cannot parse also drops every header after it)
            return ObjectStat(bucket, key, said)

    def get(self, bucket: str, key: str, offset: int = 0, length: int = 0,
            version_id: str | None = None, headers: dict[str, str] | None = None) -> Body:
        """A streaming GET: a Body that holds a pool connection until closed (`with s3.get(...) as body:`).
        `length` 0 means to the end. The body is the stored bytes, also of an object stored with a
        Content-Encoding (gzip): nothing is decoded on the way (s3/pool.py)."""
        keys.check_addressable(key)
        with errors(bucket, key):
            resp = self._minio.get_object(bucket_name=bucket, object_name=key, offset=offset, length=length,
                                          request_headers=_minio_dict(headers), version_id=version_id)
        return Body(resp, bucket, key, self._pacer)

    def put(self, bucket: str, key: str, data: bytes | Payload, headers: dict[str, str]) -> Written:
        """One PUT of `data` with our headers (content type, x-amz-meta-*, tags, SSE) and a CRC32 the
        server checks and stores. Returns (etag, version_id, SSE headers of the answer).

        Sent as CreateMultipartUpload sends its headers (s3/multipart.py): through `_raw`, the request
        minio's put_object ends in (signed the same way, its payload's SHA-256 included), without
        put_object's wrapping of one in-memory body (a stream over it, read back; its name checks,
        which validate_bucket / validate_key made already; a copy of every header name, each looked at
        for user metadata, which ours name themselves: x-amz-meta-*): 26 of minio's 76 Python calls a frame.

        A Payload (s3/payload.py) is signed with the SHA-256 it was made with, hashed once for the custody
        hash and the signature; the server checks it against the body it receives."""
        known = data.sha256 if isinstance(data, Payload) else None
        data = data.data if isinstance(data, Payload) else data
        if not key:  # as put_object refused it: a PUT of the bucket itself is another request (CreateBucket)
            raise ValueError("object name cannot be empty")
        if len(data) > _MAX_PUT:  # as put_object refused it (MINIO_MULTIPART_THRESHOLD set above S3's limit)
            raise ValueError("a single PUT carries at most 5 GiB: lower MINIO_MULTIPART_THRESHOLD")
        sent = _put_headers(headers, data)
        if known is not None and not self.settings.secure:  # over TLS minio signs no payload: UNSIGNED-PAYLOAD
            sent[PAYLOAD_SHA256] = known
        resp = self._raw("PUT", bucket, key, body=data, headers=sent)
        return written_of(resp.headers)

    def list_objects(self, bucket: str, prefix: str = "", recursive: bool = True,
                     include_versions: bool = False, start_after: str | None = None) -> Iterator[Entry]:
        """Objects (or all versions and delete markers) under `prefix`, in the server's order; with
        recursive=False, common prefixes too (is_prefix). Listings ask for URL-encoded names and decode
        them, so any key comes back exactly; a name the server altered anyway is marked `garbled`. A
        listing that yields an entry twice pages in a loop: ServiceUnavailableError (answer_paging.Listed). An
        entry no S3 object can be (an empty key, a negative size) is BadAnswerError: every command that lists
        took it as is (`ls` showed "-5 B", `du` summed it, the HEAD of an empty key failed with no message).
        The pages are read by s3/listing.py (minio's parser cost ~60 µs a key), one page asked for ahead."""
        from its_store.s3.listing import list_entries
        return list_entries(self._raw, self.stat, bucket, prefix or "", recursive, include_versions, start_after)

    def remove(self, bucket: str, key: str, version_id: str | None = None,
               headers: dict[str, str] | None = None) -> bool | None:
        """One DELETE (the request minio's remove_object sends, through `_raw` to read its answer's headers).
        Returns what the answer says of a delete marker (x-amz-delete-marker: True, the object only hidden;
        False; None when it says nothing, as S3 in an unversioned bucket)."""
        from its_store.s3.deleted import header_said
        if not key:
            raise ValueError("object name cannot be empty")  # as remove_object refused it: no DELETE of the bucket
        query = {"versionId": version_id} if version_id else None
        resp = self._raw("DELETE", bucket, key, headers=headers, query=query)
        return header_said(resp.headers)

    def presign(self, method: str, bucket: str, key: str, expires: timedelta) -> str:
        with errors(bucket, key):
            return self._minio.get_presigned_url(method=method, bucket_name=bucket, object_name=key,
                                                 expires=expires)

    # -- conditional writes (s3/conditional.py) ----------------------------------------------------------
    def _conditional_writes(self) -> ConditionalWrites:
        """Built on each use, like `governance`; what its probes found stays with this client, in the
        two records handed to it."""
        from its_store.s3.conditional import ConditionalWrites
        return ConditionalWrites(self._raw, self.stat, self.remove, self.settings.max_retries,
                                 found=self._conditional, bare_if_match=self._bare_if_match,
                                 delete_found=self._delete_if_match, probing=self._probing)

    def put_if_absent(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> str:
        """PUT with `If-None-Match: *`: a write-once object. Raises AlreadyExistsError if present."""
        return self._conditional_writes().put_if_absent(bucket, key, data, headers)

    def put_if_match(self, bucket: str, key: str, data: bytes, headers: dict[str, str], etag: str) -> str:
        """PUT with `If-Match: ETAG` (compare-and-swap). Raises ConflictError if the object changed."""
        return self._conditional_writes().put_if_match(bucket, key, data, headers, etag)

    def deletes_if_match(self, bucket: str, probe_key: str,
                         left: Callable[[str], None] | None = None) -> bool | None:
        """Whether the server honours If-Match on DELETE in `bucket` (probed once: ConditionalWrites; None: the
        probe was refused, unknown; `left`: told the probe's delete marker)."""
        return self._conditional_writes().deletes_if_match(bucket, probe_key, left)

    def remove_marking(self, bucket: str, key: str) -> str | None:
        """One DELETE (as remove()); the version id of the delete marker it left as its answer names it, else None."""
        from its_store.s3.deleted import header_said
        if not key:
            raise ValueError("object name cannot be empty")  # as remove(): never the bucket's DELETE
        resp = self._raw("DELETE", bucket, key)
        return (resp.headers.get("x-amz-version-id") or None) if header_said(resp.headers) else None

    def if_match_form(self, bucket: str) -> str:
        """"quoted" or "bare": how If-Match names an ETag in `bucket` (for a cache of the probe's answer)."""
        return self._conditional_writes().if_match_form(bucket)

    def use_if_match_form(self, bucket: str, form: str) -> None:
        """Take the If-Match form a probe of an earlier process found (see if_match_form)."""
        self._conditional_writes().use_if_match_form(bucket, form)

    def conditional_write_gap(self, bucket: str, probe_key: str) -> str | None:
        """None when the server honours If-None-Match: * and If-Match on PUT in `bucket`, else which it
        ignores. Probed once per bucket (s3/conditional.py)."""
        return self._conditional_writes().conditional_write_gap(bucket, probe_key)

    # -- multipart uploads (s3/multipart.py) -----------------------------------------------------------
    def _multipart(self) -> Multipart:
        """Built on each use, like `governance` (a few attribute stores per part)."""
        from its_store.s3.multipart import Multipart
        return Multipart(self._raw, self.stat)

    def create_multipart(self, bucket: str, key: str, headers: dict[str, str]) -> str:
        """Start a multipart upload that declares CRC32 part checksums (see upload_part/complete)."""
        return self._multipart().create_multipart(bucket, key, headers)

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes,
                    headers: dict[str, str] | None = None, sha256: str | None = None) -> PartETag:
        """Upload one part with its CRC32; the returned ETag carries that CRC32 for complete_multipart.
        `sha256`: the part's SHA-256 an earlier read took, signed as its payload hash (s3/multipart.py)."""
        return self._multipart().upload_part(bucket, key, upload_id, number, data, headers, sha256)

    def complete_multipart(self, bucket: str, key: str, upload_id: str, etags: list[str],
                           custody: Custody | None = None, head: dict[str, str] | None = None) -> Written:
        """CompleteMultipartUpload; never re-sent: a lost answer (or NoSuchUpload) is read back by a HEAD (with
        the headers `head`: an SSE-C key)."""
        return self._multipart().complete_multipart(bucket, key, upload_id, etags, custody, head)

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        self._multipart().abort_multipart(bucket, key, upload_id)

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        """(key, upload_id) of incomplete multipart uploads under `prefix` (first 1,000)."""
        return self._multipart().list_multipart_uploads(bucket, prefix)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """{part number: (etag, size)} already uploaded to an incomplete multipart upload."""
        return self._multipart().list_parts(bucket, key, upload_id)
