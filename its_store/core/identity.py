"""Who asked, as the caches spell it: identity_of(endpoint, access key, secret).

Light on purpose (hashlib and hmac only): shell completion keys its answers with it on every TAB
(cli/completion/complete.py), as the metadata cache does (state/service_cache.py).
"""

from __future__ import annotations

import hashlib
import hmac

IDENTITY_CONTEXT = b"its-store metadata cache identity v1"


def identity_of(endpoint: str, access_key: str, secret: str | None) -> str:
    """Who asked, as cache keys spell it: "<access key>/<fingerprint>", the fingerprint being the first 128
    bits of HMAC-SHA256(secret, context, endpoint, access key). Never the secret: the fingerprint cannot be
    turned back into it, and being keyed by the endpoint and access key it is unique per identity (no
    table of precomputed fingerprints serves two identities). A salt kept in the cache itself would add
    nothing against a reader of that cache, and would split a Redis shared by several machines."""
    message = b"\0".join((IDENTITY_CONTEXT, endpoint.encode("utf-8"), access_key.encode("utf-8")))
    digest = hmac.new((secret or "").encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]
    return f"{access_key}/{digest}"


CACHE_MAC_CONTEXT = b"its-store metadata cache MAC key v1"


def cache_key_of(endpoint: str, access_key: str, secret: str | None) -> bytes:
    """The key of the metadata cache's entry MACs (state/cache._encode): HMAC-SHA256(secret, another
    context, endpoint, access key). Not identity_of's digest, which every cache reader sees in the item
    names; this one is never stored, so only a holder of the secret can make an entry that verifies."""
    message = b"\0".join((CACHE_MAC_CONTEXT, endpoint.encode("utf-8"), access_key.encode("utf-8")))
    return hmac.digest((secret or "").encode("utf-8"), message, "sha256")
