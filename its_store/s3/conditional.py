"""Conditional writes, one S3Client's: a PUT with `If-None-Match: *` (write-once) or `If-Match: ETAG`
(compare-and-swap), and the probe that tells whether a bucket's server honours them.

minio has no public call that keeps If-* headers on a PUT, so each is one request through the client's
`_raw` (still the ONE caller of minio's private API, tests/test_s3_adapter.py). A conditional PUT is never
re-sent blindly (s3/pool.py): when its answer is lost, the object is read back through the client's `stat`.
What a probe found (which condition a bucket's server ignores, and whether its If-Match takes the ETag only
bare) is kept by the client for its life; S3Client builds a ConditionalWrites on each use and hands it its
calls (s3/calls.py) and those two records.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from contextlib import AbstractContextManager
from functools import partial
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import crc32_of
from its_store.s3.messages import check_ascii

if TYPE_CHECKING:
    from collections.abc import Callable

    from its_store.s3.calls import Raw, Remove, Stat

__all__ = ["ConditionalWrites"]

log = logging.getLogger("its_store.s3")
_NO_ETAG = "0" * 32  # an If-Match that no stored object carries (no MD5 is known to be all zeros)


class ConditionalWrites:
    """The conditional writes of one S3Client (see the module docstring)."""

    def __init__(self, raw: Raw, stat: Stat, remove: Remove, retries: int, *, found: dict[str, str | None],
                 bare_if_match: set[str], delete_found: dict[str, bool | None],
                 probing: AbstractContextManager[object]) -> None:
        """`found`: bucket -> what conditional_write_gap() found; `bare_if_match`: the buckets whose server
        matches If-Match only without quotes; `delete_found`: bucket -> whether its server honours If-Match on
        DELETE (deletes_if_match); `probing`: the client's lock held while a bucket's DELETE is probed, so that
        the workers of one batch probe it once, not each. All the client's, kept for its life and updated here."""
        self._raw, self._stat, self._remove, self._retries = raw, stat, remove, retries
        self._found, self._bare_if_match = found, bare_if_match
        self._delete_found, self._probing = delete_found, probing
        self._answered: list[str | None] | None = None  # during a probe: the version ids its PUTs' answers named

    def put_if_absent(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> str:
        """PUT with `If-None-Match: *`: a write-once object. Raises AlreadyExistsError if present."""
        try:
            return self._put_conditional(bucket, key, data, {**headers, "If-None-Match": "*"})
        except E.ConflictError:
            raise E.AlreadyExistsError(f"already exists: s3://{bucket}/{key}") from None

    def put_if_match(self, bucket: str, key: str, data: bytes, headers: dict[str, str], etag: str) -> str:
        """PUT with `If-Match: ETAG` (compare-and-swap). Raises ConflictError if the object changed. The ETag
        goes quoted, as HTTP writes it, or bare where the probe found that the server matches only that
        (radosgw 16.2; SeaweedFS and moto match only the quoted form): see conditional_write_gap."""
        bare = etag.strip(chr(34))
        value = bare if bucket in self._bare_if_match else f'"{bare}"'
        return self._put_conditional(bucket, key, data, {**headers, "If-Match": value})

    def if_match_form(self, bucket: str) -> str:
        """"quoted" or "bare": how If-Match names an ETag in `bucket` (for a cache of the probe's answer)."""
        return "bare" if bucket in self._bare_if_match else "quoted"

    def use_if_match_form(self, bucket: str, form: str) -> None:
        """Take the If-Match form a probe of an earlier process found (see if_match_form)."""
        if form == "bare":
            self._bare_if_match.add(bucket)
        else:
            self._bare_if_match.discard(bucket)

    def _put_conditional(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> str:
        """A conditional PUT (minio has no public call that keeps If-* headers). It is never re-sent
        blindly (s3/pool.py): when its answer is lost (or is no S3 answer: an HTML page from a portal or
        proxy, a 5xx), the object is read back, and only what that proves is said: ours (same MD5) is a
        success; another object is a ConflictError, except under If-Match when it still carries the ETag
        asked for (the PUT was not applied, yet its condition holds: no refusal); nothing (or that
        unchanged object) means it did not arrive and it is sent again; a refusal of that second PUT is read
        back too (the first may have landed late: ours is a success). Given up, the error is the PUT's own
        (exit 69), never the read back's "not found" nor a refusal that no server made."""
        if not key:  # as put() refuses it: a PUT of the bucket itself is a CreateBucket, and its 409 (an
            raise ValueError("object name cannot be empty")  # existing bucket) would read as "already exists"
        sent = {**headers, CRC_HEADER: crc32_of(data)}
        check_ascii(sent.get("Content-Type", ""), sent)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        for attempt in range(self._retries + 1):
            try:
                resp = self._raw("PUT", bucket, key, body=data, headers=sent)
                if self._answered is not None:
                    self._answered.append(resp.headers.get("x-amz-version-id"))
                return (resp.headers.get("etag") or "").strip('"')
            except E.ConflictError:
                if attempt and self._ours(bucket, key, md5):  # the lost one landed late: refused as ours
                    return md5
                raise
            except E.ServiceUnavailableError as exc:
                try:
                    found = self._stat(bucket, key)
                except E.ObjectNotFoundError:
                    if attempt >= self._retries or "If-Match" in sent:
                        raise exc from None  # what the PUT met, not "not found"
                    continue
                if found.etag == md5:
                    return found.etag
                if "If-Match" not in sent or found.etag != sent["If-Match"].strip(chr(34)):
                    raise E.ConflictError(f"PreconditionFailed: s3://{bucket}/{key} was written by someone "
                                          "else") from None
                if attempt >= self._retries:  # If-Match, the object as asked: not applied, not refused
                    raise exc from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _ours(self, bucket: str, key: str, md5: str) -> bool:
        """Whether the object now holds our bytes: a refusal met when a PUT is sent again after a lost answer
        may be of the first one, stored after the read back found nothing (a gateway's 504 in front of a
        server still writing)."""
        try:
            return self._stat(bucket, key).etag == md5
        except E.ItsStoreError:
            return False

    def deletes_if_match(self, bucket: str, probe_key: str,
                         left: Callable[[str], None] | None = None) -> bool | None:
        """Whether the server honours `If-Match` on a DELETE in `bucket`, probed once per bucket for the client's
        life: one DELETE of `probe_key` (a key that holds no object, in a name the caller reserves) with an
        If-Match no object carries. A server that honours it refuses (SeaweedFS 412, moto and AWS 404: no object
        to match; a 404 is checked by the same DELETE without If-Match, _plain_probe); one that ignores it answers
        2xx (MinIO, rclone serve s3, Ceph RGW 16.2: tests/test_mv_delete_if_match_ignored.py) and, in a versioned
        bucket, leaves a delete marker on that key, removed at once by the version id its answer names (refused, a
        warning names it and the command that removes it: it was left silently). None: unknown, the probe refused
        (AccessDenied: a key allowed to delete only some names), a 404 either way, or a conflict other than 412
        (409 OperationAborted), kept like a finding (tests/test_mv_delete_probe_denied.py,
        test_atk38_probe_404_any_key.py, test_atk38b_probe_409.py). A DELETE with If-Match rejected
        (400 InvalidArgument, 501 NotImplemented, any other answer that refuses it: a server that knows no If-Match
        on DELETE) is False, as ignored: the caller's DELETE goes without it (it failed every move:
        tests/test_mv_delete_probe_rejected.py). Other errors (no answer, a 5xx, no such bucket, an interrupt, a
        closed client: tests/test_mv_delete_probe_interrupted.py) are the caller's and nothing is kept.
        `left(version id)`: called with a delete marker a probe left (before it is removed; its errors are not the
        caller's): the caller removes stale ones of killed runs (service/delete_guard.py)."""
        if bucket in self._delete_found:
            return self._delete_found[bucket]
        with self._probing:
            if bucket not in self._delete_found:  # another worker may have probed it meanwhile
                self._delete_probe(bucket, probe_key, left)
        return self._delete_found[bucket]

    def _delete_probe(self, bucket: str, probe_key: str, left: Callable[[str], None] | None) -> None:
        """deletes_if_match's one probe of `bucket` (its docstring), its finding kept. A 404 is honoured only when
        the same key's DELETE without If-Match is not also a 404: a server that answers 404 to a DELETE of any
        key holding nothing (Google Cloud Storage's XML API) tells nothing by it, and taking it for honoured let
        mv's DELETE go out with an If-Match such a server ignores, no HEAD before it: a rewrite lost
        (tests/test_atk38_probe_404_any_key.py). Unknown then (None), as when refused."""
        try:
            resp = self._raw("DELETE", bucket, probe_key, headers={"If-Match": f'"{_NO_ETAG}"'})
        except E.ConflictError as exc:  # 412 PreconditionFailed: refused for its If-Match. Another conflict (409
            # OperationAborted, InvalidBucketState) is no answer to it: unknown (tests/test_atk38b_probe_409.py)
            self._delete_found[bucket] = True if exc.s3_code == "PreconditionFailed" else None
            return
        except E.ObjectNotFoundError:
            self._delete_found[bucket] = self._plain_probe(bucket, probe_key, left)
            return
        except E.AccessDeniedError:
            self._delete_found[bucket] = None
            return
        except (E.ServiceUnavailableError, E.NotFoundError, E.InterruptedError_, E.ClosedError):
            raise  # no answer to read (an interrupt unwinding while it waits to retry, a closed client): the caller's
        except E.ItsStoreError as exc:  # the DELETE refused for its If-Match: the server knows no such condition
            log.debug("the If-Match probe of bucket %s was refused (%s): a DELETE goes without it", bucket, exc)
            self._delete_found[bucket] = False
            return
        self._drop_marker(bucket, probe_key, resp.headers.get("x-amz-version-id"), left)
        self._delete_found[bucket] = False

    def _plain_probe(self, bucket: str, probe_key: str, left: Callable[[str], None] | None) -> bool | None:
        """After a 404 to the If-Match probe: the same DELETE without If-Match. Answered (S3: 204, a delete marker
        in a versioned bucket, removed at once), the 404 was the If-Match's: honoured. Another 404 (or a refusal):
        unknown."""
        try:
            resp = self._raw("DELETE", bucket, probe_key, headers={})
        except (E.ObjectNotFoundError, E.AccessDeniedError, E.ConflictError):
            return None
        self._drop_marker(bucket, probe_key, resp.headers.get("x-amz-version-id"), left)
        return True

    def _drop_marker(self, bucket: str, probe_key: str, marker: str | None, left: Callable[[str], None] | None
                     ) -> None:
        """The delete marker a probe's DELETE left (`marker`: the version id its answer named), removed; refused
        (a key that may DeleteObject, not DeleteObjectVersion), a warning names it and the command that removes it.
        First `left(marker)` (deletes_if_match), whose errors are not the caller's."""
        if not marker:
            return
        if left is not None:
            with contextlib.suppress(E.ItsStoreError):
                left(marker)
        try:
            self._remove(bucket, probe_key, marker)
        except E.ItsStoreError as exc:
            from shlex import quote
            where = f"s3://{bucket}/{probe_key}"
            log.warning("the If-Match probe left a delete marker on %s (version %s) that could not be removed "
                        "(%s): `its-store rm %s --version-id %s` removes it", where, marker, exc.message,
                        quote(where), quote(marker))

    def conditional_write_gap(self, bucket: str, probe_key: str) -> str | None:
        """None when the server honours If-None-Match: * and If-Match on PUT in `bucket`, else which it
        ignores (`rclone serve s3` both: a second write-once PUT overwrites). Probed once per bucket, like
        S3Client's `_tagging_ok`: the new `probe_key` (in a prefix the caller reserves) is PUT write-once, again
        write-once (must be refused), then If-Match a wrong ETag (must be refused); lost answers are read
        back as for any conditional PUT. Then every version it wrote is deleted (_remove_probe)."""
        if bucket not in self._found:
            written, self._answered = [0], []
            try:
                self._found[bucket] = self._probe_conditional(bucket, probe_key, written)
            finally:
                answered, self._answered = self._answered, None
                self._remove_probe(bucket, probe_key, written[0], [v for v in answered if v])
        return self._found[bucket]

    def _remove_probe(self, bucket: str, key: str, written: int, versions: list[str]) -> None:
        """Delete the probe's versions by the ids its PUT answers named (no HEAD: a key that may write and
        not read, S3's s3:PutObject without s3:GetObject, left every probe behind), newest first; those
        no answer named (an unversioned bucket, an answer lost) by a HEAD for the version, and by the key
        alone where that HEAD is refused (unversioned: that removes it). Errors are not the caller's."""
        for version in reversed(versions):
            with contextlib.suppress(E.ItsStoreError):
                self._remove(bucket, key, version)
        for _ in range(written - len(versions)):
            try:
                version_id = self._stat(bucket, key).version_id
            except E.ObjectNotFoundError:
                return
            except E.ItsStoreError:
                version_id = None
            with contextlib.suppress(E.ItsStoreError):
                self._remove(bucket, key, version_id)

    def _probe_conditional(self, bucket: str, key: str, written: list[int]) -> str | None:
        """The probe's steps: a new key write-once (must be stored), again write-once (must be refused),
        If-Match a wrong ETag (must be refused), If-Match the right ETag (must be stored: quoted, or else
        bare, which radosgw 16.2 needs and then is used for this bucket)."""
        headers = {"Content-Type": "text/plain"}
        etag = ""
        steps: tuple[tuple[Callable[[str, str, bytes, dict[str, str]], str], type[E.ItsStoreError], str], ...]
        steps = ((self.put_if_absent, E.AlreadyExistsError, ""), (self.put_if_absent, E.AlreadyExistsError,
                 "ignores If-None-Match: *"), (partial(self.put_if_match, etag="0" * 32), E.ConflictError,
                                               "ignores If-Match"))
        for step, (put, refusal, gap) in enumerate(steps):
            try:
                stored = put(bucket, key, f"its-store conditional write probe {step}".encode(), headers)
            except refusal:
                if step == 0:
                    raise  # a new random key that "exists": no answer to trust
                continue  # refused (412), as it must be
            except (E.ServiceUnavailableError, E.AccessDeniedError, E.NotFoundError, E.InterruptedError_,
                    E.ClosedError):
                raise  # no answer that tells (an interrupt, a closed client: tests/test_mv_delete_probe_interrupted)
            except E.ItsStoreError as exc:  # 501 NotImplemented and the like
                return f"refuses conditional PUTs ({exc.message})"
            written[0] += 1
            if gap:
                return gap
            etag = stored
        for form in ("quoted", "bare"):  # the compare-and-swap itself: the right ETag must be taken
            self.use_if_match_form(bucket, form)
            try:
                etag = self.put_if_match(bucket, key, b"its-store conditional write probe 3", headers, etag)
            except E.ConflictError:
                continue
            written[0] += 1
            return None
        self.use_if_match_form(bucket, "quoted")
        return "refuses If-Match even when the ETag matches"

