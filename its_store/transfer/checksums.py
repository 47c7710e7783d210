"""Integrity checks that cost little CPU: CRC32 (S3 "additional checksums"), with MD5 ETags as a fallback.

Uploads send `x-amz-checksum-crc32` with every body (the server recomputes it, refuses a mismatch
and stores it; the body is also signed with its SHA-256 over plain HTTP, see s3/client.py); multipart
uploads declare CRC32 and list each part's checksum on completion, so the server keeps a composite
checksum (`<crc of part crcs>-N`). Downloads verify against that checksum when the server returns
one, else against the MD5 ETag. `crc32` (s3/crc.py) is ISA-L's when installed (~13 GB/s here), else
zlib's (~3.5 GB/s; same values); MD5 runs at ~0.4 GB/s, SHA-256 ~0.3.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from its_store.core import errors as E
from its_store.core.units import is_uint

# The CRC32 the S3 seam sends lives with it (s3/crc.py); crc32 is re-exported for download.py.
from its_store.s3.crc import crc32 as crc32
from its_store.s3.crc import crc32_b64, crc32_of
from its_store.s3.crc import crc32_combine as crc32_combine  # re-exported: ISA-L's, or the table method


@dataclass
class RangeSum:
    """What a downloaded range hashed to: CRC32 always, MD5 only when it is needed."""

    length: int
    crc32: int
    md5: bytes | None = None


@dataclass
class Expected:
    """What a download will be checked against, decided from one HEAD."""

    kind: str           # "crc32", "crc32-composite", "md5", "md5-multipart"
    value: str
    parts: int = 0

    @property
    def needs_md5(self) -> bool:
        return self.kind.startswith("md5")


def expected_for(size: int, etag: str, checksum: str | None, part_size: int | None,
                 verifiable_etag: bool, checksum_type: str | None = None) -> Expected | None:
    """Pick the cheapest check the server's answer allows, or None if nothing can be checked.

    `checksum_type` is x-amz-checksum-type: a COMPOSITE checksum is a CRC of the parts' CRCs, which
    can only be checked when the part boundaries are known (our part size, and a part count);
    some servers send it without the `-N` (moto's HEAD, without a type either: a multipart ETag then
    means composite unless the type says FULL_OBJECT). The part count is then the multipart ETag's
    (both describe the parts of the one upload); without our part size, the MD5 ETag is the only check
    left."""
    if checksum:
        value, dash, count = checksum.partition("-")
        kind = (checksum_type or "").upper()
        multipart_etag = "-" in etag.strip('"')
        composite = bool(count) or kind == "COMPOSITE" or (multipart_etag and kind != "FULL_OBJECT")
        if composite and not dash and multipart_etag:  # no -N at all (a malformed one is no count)
            count = etag.strip('"').rpartition("-")[2]
        if not composite:
            return Expected("crc32", value)
        if part_size and is_uint(count) and -(-size // part_size) == int(count):
            return Expected("crc32-composite", value, int(count))
    md5, _, count = etag.strip('"').partition("-")
    if not verifiable_etag or len(md5) != 32:
        return None
    if not count:
        return Expected("md5", md5)
    if part_size and is_uint(count) and -(-size // part_size) == int(count):  # not "²".isdigit()
        return Expected("md5-multipart", md5, int(count))
    return None


def verify(expected: Expected | None, sums: list[RangeSum], where: str) -> bool:
    """Compare range sums (in order; ranges aligned to parts for the composite kinds) with `expected`.

    Returns True when a check ran and passed, False when none could run (nothing to check against,
    or ranges that do not line up with the parts); a mismatch raises IntegrityError."""
    if expected is None:
        return False
    if expected.kind == "crc32":
        total = sums[0].crc32
        for item in sums[1:]:
            total = crc32_combine(total, item.crc32, item.length)
        got = crc32_b64(total)
    elif expected.kind == "crc32-composite":
        if len(sums) != expected.parts:
            return False
        got = crc32_of(b"".join((s.crc32 & 0xFFFFFFFF).to_bytes(4, "big") for s in sums))
    elif expected.kind == "md5" and len(sums) == 1:
        got = (sums[0].md5 or b"").hex()
    elif expected.kind == "md5-multipart" and len(sums) == expected.parts:
        got = hashlib.md5(b"".join(s.md5 or b"" for s in sums), usedforsecurity=False).hexdigest()
    else:
        return False
    if got != (expected.value.lower() if expected.needs_md5 else expected.value):  # hex MD5: any case
        raise E.IntegrityError(f"checksum mismatch for {where}: expected {expected.value}, got {got}",
                               hint="the local file was left untouched; retry the download")
    return True
