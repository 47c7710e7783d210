"""THE rule for the text that goes into every signed request: the access key (in the Authorization
header), the secret key (in the signing key) and the region (in the credential scope and the host).

One rule for the default endpoint's settings (MINIO_ACCESS_KEY, MINIO_SECRET_KEY, MINIO_REGION, --region:
core/settings.py) and for a remote's (core/remote_model.py), checked when they are read: exit 78 naming
the setting. A secret key read from a file (MINIO_SECRET_KEY_FILE, a remote's secret_key_file) follows the
same rule as one given directly (`secret_key`): the file's surrounding whitespace is dropped, but a newline or
any control character INSIDE the key is refused as it is in MINIO_SECRET_KEY (it passed before: a key that
can only fail to sign). Unchecked, a key read from a file with its newline reached http.client, whose "Invalid
header value" printed the whole Authorization header, and a region minio's BaseURL refuses ('us east',
'x/y') was an "unexpected ValueError" on the first request (a raw ValueError from the library).
"""

from __future__ import annotations

import re

# minio's own rule for a region (minio/helpers.py: BaseURL), as a full match: its `$` let 'us-east-1\n' by;
# ASCII only (minio's lets a Unicode digit '١' or the Kelvin sign, a 'k' ignoring case, into the header)
_REGION = re.compile(r"(?!_)(?!-)[a-z_\d-]{1,63}(?<!-)(?<!_)", re.IGNORECASE | re.ASCII)


def plain(value: str, what: str, *, limit: int = 256, header: bool = True) -> str:
    """`value` if it holds no space or control character (and is not absurdly long), and is ASCII when it
    goes into a header (`header`: the access key; a secret key only signs, as UTF-8); the value is never
    repeated in the error (it may be a secret)."""
    if not value or len(value) > limit or any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(f"{what} must be 1-{limit} printable characters without spaces")
    if header and not value.isascii():  # an HTTP header is ASCII: was "a header value is not ASCII: '密钥'", exit 2
        raise ValueError(f"{what} must be ASCII (it is sent in the Authorization header)")
    return value


def secret_key(value: str, what: str = "the secret key") -> str:
    """THE rule for a secret key wherever it comes from (MINIO_SECRET_KEY, MINIO_SECRET_KEY_FILE's text, a
    remote's secret_key or secret_key_file): up to 1024 printable characters, no space or control character;
    UTF-8 allowed (it only signs, it is never sent). The value is never repeated in the error."""
    return plain(value, what, limit=1024, header=False)


def region(value: str) -> str:
    """`value` if it is a region the S3 client accepts: 1-63 letters, digits, '-' or '_', not starting or
    ending with '-' or '_' (us-east-1, eu-central-1, garage, default)."""
    if not _REGION.fullmatch(value):
        raise ValueError("the region must be 1-63 letters, digits, '-' or '_' (e.g. us-east-1)")
    return value
