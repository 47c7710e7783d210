"""AWS Signature Version 4 for S3 requests, and the canonical URI and query encoding it signs.
Standard library only."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
UNSIGNED_MIN = 64 * 1024  # bodies this large with a CRC32 go unsigned: the server checks the CRC32
NOT_SIGNED = frozenset({"user-agent", "content-length", "authorization", "connection", "expect"})
_QUERY_SAFE = "-_.~"


class Signer:
    """AWS Signature Version 4 for one identity and region; the day's signing key is cached."""

    def __init__(self, access_key: str, secret_key: str, region: str) -> None:
        self._access = access_key
        self._secret = secret_key.encode()
        self._region = region or "us-east-1"
        self._day_key: tuple[str, bytes] = ("", b"")

    def __repr__(self) -> str:  # never the secret
        return f"Signer({self._access!r}, region={self._region!r})"

    def _key(self, day: str) -> bytes:
        cached = self._day_key
        if cached[0] == day:
            return cached[1]
        key = b"AWS4" + self._secret
        for part in (day, self._region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._day_key = (day, key)
        return key

    def sign(self, method: str, path: str, query: str, headers: dict[str, str], payload_hash: str) -> None:
        """Add x-amz-date, x-amz-content-sha256 and Authorization to `headers` (host must be there)."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers["x-amz-date"] = stamp
        headers["x-amz-content-sha256"] = payload_hash
        signed = sorted((k.lower(), " ".join(str(v).split())) for k, v in headers.items()
                        if k.lower() not in NOT_SIGNED)
        names = ";".join(k for k, _ in signed)
        canonical = "\n".join((method, path, query, "".join(f"{k}:{v}\n" for k, v in signed), names,
                               payload_hash))
        day = stamp[:8]
        scope = f"{day}/{self._region}/s3/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self._access}/{scope}, "
                                    f"SignedHeaders={names}, Signature={signature}")


def canonical_query(query: dict[str, str] | None) -> str:
    if not query:
        return ""
    return "&".join(f"{quote(k, safe=_QUERY_SAFE)}={quote(str(v), safe=_QUERY_SAFE)}"
                    for k, v in sorted(query.items()))


def object_path(bucket: str, key: str | None) -> str:
    """Path-style URI, each segment percent-encoded once (the SigV4 canonical form for S3)."""
    return f"/{bucket}/{quote(key, safe='/~')}" if key else f"/{bucket}"


def payload_hash(body: bytes | memoryview, headers: dict[str, str]) -> str:
    """x-amz-content-sha256 for a body: UNSIGNED-PAYLOAD when it is UNSIGNED_MIN or more and carries
    x-amz-checksum-crc32 (over plain HTTP a signed payload means a SHA-256 of every byte on both
    sides, ~3.5 CPU-s per GiB each, while the CRC32 the server verifies protects the bytes as well
    against corruption), else its SHA-256."""
    if len(body) >= UNSIGNED_MIN and "x-amz-checksum-crc32" in headers:
        return UNSIGNED
    return hashlib.sha256(body).hexdigest() if len(body) else EMPTY_SHA256
