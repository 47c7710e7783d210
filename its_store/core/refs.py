"""Remote references (s3://BUCKET/KEY or BUCKET/KEY), bucket and key rules, key-to-path safety, and
how a key (or any text from outside) is shown to a human: printable().

Pure functions: no network, no heavy imports.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from its_store.core.errors import InvalidInputError

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class RemoteRef:
    """A parsed remote reference. `bucket` is '' when the user named none (default bucket applies)."""

    bucket: str
    key: str

    @property
    def is_prefix(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_remote(text: str, *, allow_no_bucket: bool = False) -> RemoteRef:
    """Parse 's3://B/K', 'B/K', 'B', 's3://B/' and (if allowed) 's3:///K' (no bucket: use the default)."""
    raw = text.strip()
    if raw.startswith("s3://"):
        raw = raw[5:]
    elif "://" in raw:
        raise InvalidInputError(f"invalid remote reference {text!r}", hint="use s3://BUCKET/KEY")
    bucket, _, key = raw.partition("/")
    if not bucket:
        if not allow_no_bucket:
            raise InvalidInputError(f"missing bucket in {text!r}", hint="use s3://BUCKET/KEY")
        return RemoteRef("", validate_key(key, allow_prefix=True))
    validate_bucket(bucket)
    if key:
        validate_key(key, allow_prefix=True)
    return RemoteRef(bucket, key)


def validate_bucket(name: str) -> str:
    """S3 bucket naming rules: 3-63 chars of a-z 0-9 . -, alphanumeric at both ends, not an IP."""
    if not _BUCKET_RE.match(name) or ".." in name or _IP_RE.match(name):
        raise InvalidInputError(
            f"invalid bucket name {name!r}",
            hint="3-63 characters: lowercase letters, digits, '.', '-'; start and end alphanumeric",
        )
    return name


def validate_key(key: str, *, allow_prefix: bool = False) -> str:
    """Object key rules we enforce: non-empty, <= 1024 UTF-8 bytes, no NUL, no '.'/'..' segments."""
    if not key:
        if allow_prefix:
            return key
        raise InvalidInputError("empty object key", hint="name the object: s3://BUCKET/KEY")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidInputError(f"object key longer than {MAX_KEY_BYTES} bytes")
    if "\x00" in key or any(ord(c) < 32 for c in key):
        raise InvalidInputError("object key contains control characters")
    segments = key.split("/")
    if any(seg in (".", "..") for seg in segments):
        raise InvalidInputError(f"object key {key!r} has '.' or '..' segments")
    if not allow_prefix and key.endswith("/"):
        raise InvalidInputError(f"object key {key!r} ends with '/'", hint="name an object, not a prefix")
    return key


def join_key(prefix: str, relative: str) -> str:
    """Join a destination prefix and a relative POSIX path into a key."""
    rel = relative.replace(os.sep, "/").lstrip("/")
    if not prefix:
        return rel
    return prefix if prefix.endswith("/") and not rel else (prefix.rstrip("/") + "/" + rel)


def safe_local_path(root: Path, relative_key: str, base: str | None = None,
                    folders: dict[str, str] | None = None) -> Path:
    """Map a key (relative to a listed prefix) under `root`, refusing anything that escapes it.

    Keys are not paths: '../../etc/x', '/abs', 'a/../../b' and empty segments are refused, and so is
    a path that leaves `root` through a symlink. `base` is os.path.realpath(root), when the caller
    maps many keys under one root (a batch download) and has resolved it once; `folders` then
    caches the resolved parent folders between calls. (The last segment needs no resolving: the
    file is replaced by a rename, which never follows a symlink.)
    """
    segments = relative_key.rstrip("/").split("/")
    if (not relative_key or relative_key.startswith("/") or "\\" in relative_key
            or any(p in ("..", ".", "") for p in segments)):
        raise InvalidInputError(f"refusing unsafe key {relative_key!r}: it would escape {root}")
    base = base or os.path.realpath(root)
    parent_key = "/".join(segments[:-1])
    parent = folders.get(parent_key) if folders is not None else None
    if parent is None:
        parent = os.path.realpath(os.path.join(base, *segments[:-1]))
        if parent != base and not parent.startswith(base.rstrip(os.sep) + os.sep):
            raise InvalidInputError(f"refusing unsafe key {relative_key!r}: it would escape {root}")
        if folders is not None:
            folders[parent_key] = parent
    return Path(parent, segments[-1])


_SHORT_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: object) -> str:
    """`text` as one line that shows exactly what it holds and cannot drive a terminal.

    Keys come from other clients: a newline in one would forge a whole listing line, ESC/OSC
    sequences would recolour or retitle the terminal, U+202E would reverse what follows. So every
    character that is not printable (str.isprintable: C0 and C1 controls, DEL, the line and paragraph
    separators U+2028/U+2029, bidi overrides and other format characters, unassigned code points, lone
    surrogates) is written as the escape of a Python string literal: \\t \\n \\r, else \\xHH,
    \\uHHHH or \\UHHHHHHHH; and a backslash is written \\\\, so that two different texts never
    show the same (a Python string literal's escapes: the text can be read back exactly). Printable
    text, the usual case, is returned as it is.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable() and "\\" not in value:
        return value
    return "".join(c if (c.isprintable() and c != "\\") else _escape_char(c) for c in value)


def _escape_char(c: str) -> str:
    short = _SHORT_ESCAPES.get(c)
    if short is not None:
        return short
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
