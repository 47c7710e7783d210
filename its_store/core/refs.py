"""Remote references (s3://BUCKET/KEY or BUCKET/KEY), bucket and key rules, key-to-path safety, and
how a key (or any text from outside) is shown to a human: printable().

Pure functions: no network, no heavy imports.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from its_store.core.errors import InvalidInputError

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]\Z")  # \Z: "$" also matches before a final "\n"
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+\Z")
_CONTROL = re.compile("[\x00-\x1f]")
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")  # a '.' or '..' segment
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
    """Parse 's3://B/K', 'B/K', 'B', 's3://B/' and (if allowed) 's3:///K' (no bucket: use the default).
    The text is taken as written: a space at either end is part of the key ('s3://b/x ' is the key
    'x ', which S3 allows and other clients store), or makes the location invalid. Stripping it made
    `rm 's3://b/x '` delete x, and `upload - 's3://b/x '` overwrite it."""
    raw = text
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
    if type(name) is not str or not _BUCKET_RE.match(name) or ".." in name or _IP_RE.match(name):
        raise InvalidInputError(
            f"invalid bucket name {name!r}",
            hint="3-63 characters: lowercase letters, digits, '.', '-'; start and end alphanumeric",
        )
    return name


def validate_prefix(prefix: str) -> str:
    """A library call's `prefix` (du, iter_versions, verify): a str ("" for the whole bucket), checked before any
    request; a key prefix's own rules are the listing's (a prefix may be any text a key starts with)."""
    if type(prefix) is not str:
        raise InvalidInputError(f"prefix must be a str, not {type(prefix).__name__}")
    return prefix


def validate_version_id(version_id: str | None) -> str | None:
    """A version id a caller names (None: the current version). An empty one is refused, never read as "the
    current version": `rm --version-id "$VID"` with an empty VID deleted the current object (for good, in an
    unversioned bucket) where one version was asked for; a retention or a legal hold landed on it. A control
    character is no id a server hands out."""
    if version_id is None:
        return None
    if type(version_id) is not str:
        raise InvalidInputError(f"version id must be a str, not {type(version_id).__name__}")
    if not version_id or _CONTROL.search(version_id) or version_id.strip() != version_id:
        raise InvalidInputError(f"bad version id {printable(version_id) if version_id else repr(version_id)}",
                                hint="name a version listed by `its-store ls --versions`, or leave "
                                     "--version-id out for the current one")
    return version_id


def validate_key(key: str, *, allow_prefix: bool = False, existing: bool = False) -> str:
    """Object key rules we enforce: non-empty, <= 1024 UTF-8 bytes, UTF-8 (a local file name that is not,
    b'frame\\xff.jpg', reaches us as surrogate escapes, which no request, audit line or state entry can
    carry), no NUL, no '.'/'..' segments.
    `existing`: a key that names what is already stored (from a listing, by any client) only needs to be
    a key: non-empty, UTF-8 and <= 1024 bytes. Control characters, '.'/'..' segments and a trailing '/' are
    refused for keys we are asked to create or typed by a user, never for keys another client stored:
    s3/keys.py decides per request what can carry such a key (a '.'/'..' segment: a batch delete only)."""
    if type(key) is str and _plain_new_key(key, allow_prefix) and not existing:
        return key  # the checks below would all pass (tests/test_key_fast_path.py): a camera frame's key
    return _validate_key(key, allow_prefix=allow_prefix, existing=existing)


def _plain_new_key(key: str, allow_prefix: bool) -> bool:
    """The common key, printable ASCII with no '.'/'..' segment, that every check of _validate_key passes:
    said in a few string methods (its UTF-8 length is its length, it has no control character)."""
    if not (key and key.isascii() and key.isprintable() and len(key) <= MAX_KEY_BYTES):
        return False
    wrapped = f"/{key}/"  # a '.' or '..' segment (_DOT_SEGMENT) is "/./" or "/../" in it
    return "/./" not in wrapped and "/../" not in wrapped and (allow_prefix or not key.endswith("/"))


def _validate_key(key: str, *, allow_prefix: bool, existing: bool) -> str:
    """validate_key, every check in turn (the one that fails raises its own error)."""
    if type(key) is not str:  # a script's int or None: one clear error, not an AttributeError deep inside
        raise InvalidInputError(f"object key must be a str, not {type(key).__name__}")
    if not key:
        if allow_prefix:
            return key
        raise InvalidInputError("empty object key", hint="name the object: s3://BUCKET/KEY")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidInputError(f"object key longer than {MAX_KEY_BYTES} bytes")
    if not _is_utf8(key):
        raise InvalidInputError(f"object key {printable(key)} is not UTF-8 (a local name in another encoding?)",
                                hint="S3 keys are UTF-8: rename the file")
    if existing:
        return key
    if _CONTROL.search(key):
        raise InvalidInputError("object key contains control characters")
    if _DOT_SEGMENT.search(key):
        raise InvalidInputError(f"object key {key!r} has '.' or '..' segments")
    if not allow_prefix and key.endswith("/"):
        raise InvalidInputError(f"object key {key!r} ends with '/'", hint="name an object, not a prefix")
    return key


def validate_new_key(key: str, *, copy_of: str | None = None) -> str:
    """validate_key for a key we are asked to CREATE (an upload, a copy or move target, a sync target, a
    registry file): also no empty segment, '//' or a leading '/', and no backslash. SeaweedFS merges empty
    segments (a PUT of `dd//b.txt` or `/dd/b.txt` replaces `dd/b.txt`) and takes a backslash for '/' (a PUT
    of `dd\\b.txt` replaces `dd/b.txt`), so such a write could silently replace another object, which is why
    '.'/'..' segments are refused. Keys already stored stay readable and deletable.

    A key ending in '/' names a prefix, and is refused, except as the copy of a stored object whose key
    ends in '/' too (`copy_of`, the source key of an s3->s3 copy: a `dir/` holding bytes is an object as
    any other, and its copy keeps its own name below the new prefix). Every other check still holds.

    A printable ASCII key with no '.'/'..' or empty segment, backslash or trailing '/' passes every check
    (tests/test_key_fast_path.py): said in a few string methods, as a camera frame's key is checked twice
    (core/refs.local_key, then object_upload.upload_walked)."""
    if (type(key) is str and _plain_new_key(key, False) and not key.startswith("/") and "//" not in key
            and "\\" not in key):
        return key
    return _validate_new_key(key, copy_of=copy_of)


def _validate_new_key(key: str, *, copy_of: str | None = None) -> str:
    """validate_new_key, every check in turn."""
    validate_key(key, allow_prefix=bool(key) and key.endswith("/") and bool(copy_of) and str(copy_of).endswith("/"))
    if key.startswith("/") or "//" in key:
        raise InvalidInputError(f"object key {key!r} has an empty segment ('//' or a leading '/')",
                                hint="some servers merge empty segments and would replace another object: "
                                     "drop the extra '/'")
    if "\\" in key:  # SeaweedFS writes (reads, deletes) 'd\\f2' as 'd/f2': the PUT replaced that object
        raise InvalidInputError(f"object key {key!r} holds a backslash, a folder separator to some servers",
                                hint="those servers would write it as '/' and replace another object: use '/'")
    return key


def _nameable(text: str) -> bool:
    """Whether this process's file-name encoding can hold `text` (always in UTF-8 mode, as the CLI runs; a
    program using the library under an ASCII or Latin locale cannot write every key as a file name)."""
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return True


def _is_utf8(text: str) -> bool:
    """No lone surrogates (os.fsdecode's escapes of bytes that are not UTF-8): encodable as UTF-8."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def join_key(prefix: str, relative: str) -> str:
    """Join a destination prefix and a relative POSIX path into a key."""
    rel = relative.replace(os.sep, "/").lstrip("/")
    if not prefix:
        return rel
    return prefix if prefix.endswith("/") and not rel else (prefix.rstrip("/") + "/" + rel)


class UnsafeKeyError(InvalidInputError):
    """A listed key (or a manifest path) that has no safe local name: it is skipped and reported, and
    the other keys go on (get -r, sync s3 -> local, mv -r to a folder; model pull refuses it)."""

    code = "unsafe_key"

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"skipped {key}: {reason}")
        self.key, self.reason = key, reason


NAME_MAX = 255  # bytes in one file name (Linux filesystems; the OS would answer ENAMETOOLONG)
# characters a file name must not hold: C0/C1 controls and DEL (a name is shown by ls, shells, logs),
# the line and paragraph separators, and the bidi controls that make a name read as another
UNNAMEABLE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


@functools.cache
def _unnameable() -> re.Pattern[str]:
    """UNNAMEABLE compiled, by the first name that is not printable ASCII (not at every command's start)."""
    return re.compile(UNNAMEABLE)


def is_folder_marker(key: str, size: int | None) -> bool:
    """An empty object named like a folder (`dir/`, the S3 console's "Create folder"): no data, passed over.
    One ending in '/' that holds bytes is an object as any other (fetched, verified, or reported skipped)."""
    return key.endswith("/") and not size


def local_name_problem(relative: str) -> str | None:
    """Why `relative` cannot be both a key (below a prefix) and a file's path (below a folder), or None:
    THE rule of every path that maps one to the other, both ways. Downloads (get -r, sync s3 -> local,
    mv -r/cp -r to a folder, model pull) skip a key it refuses; uploads of a walk (upload -r, cp -r,
    mv -r, sync local -> s3) fail a file it refuses, never sending it under another key.

    Keys are not paths: an empty, '.' or '..' segment or a leading '/' could leave the folder; a
    backslash is a folder separator to Windows and to some servers (SeaweedFS stores 'a\\b' as
    'a/b', which sync --delete would then delete as "not in the source"); a control or bidi character
    would make the name lie in a terminal; a segment over 255 bytes cannot be a file name; a name
    that is not UTF-8 cannot be a key; a key ending in '/' that holds bytes (an empty one is a folder
    marker, never fetched) names no file."""
    if _plain_relative(relative):
        return None  # every check below would pass (tests/test_key_fast_path.py): a camera frame's name
    return _name_problem(relative)


def _plain_relative(relative: str) -> bool:
    """A printable ASCII path of non-empty segments, none '.' or '..' or longer than NAME_MAX, no backslash,
    no '/' at either end: the common name, which local_name_problem passes (said in a few string methods)."""
    if not (relative.isascii() and relative.isprintable()) or "\\" in relative:
        return False
    wrapped = f"/{relative}/"
    return ("//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped
            and (len(relative) <= NAME_MAX or all(len(p) <= NAME_MAX for p in relative.split("/"))))


def _name_problem(relative: str) -> str | None:
    """local_name_problem, every check in turn."""
    if relative.endswith("/") and relative.strip("/"):  # an object under a folder marker's name, holding bytes
        return "it ends in '/', as a folder's name does: no file can have it"
    segments = relative.rstrip("/").split("/")
    if not relative or relative.startswith("/") or any(p in ("..", ".", "") for p in segments):
        return "it would escape the folder ('.', '..' or empty segment, or a leading '/')"
    if "\\" in relative:
        return "it holds a backslash, a folder separator to Windows and to some servers"
    if not _is_utf8(relative):
        return "it is not UTF-8, which an object key must be"
    if not relative.isascii() and not _nameable(relative):
        return (f"this process's file names are {sys.getfilesystemencoding()}, which cannot hold it "
                "(run Python in UTF-8 mode: PYTHONUTF8=1)")
    if not (relative.isascii() and relative.isprintable()) and _unnameable().search(relative):
        return "it holds a control or bidi character, which a file name must not"
    if any(len(p.encode("utf-8")) > NAME_MAX for p in segments):
        return f"a part of it is longer than {NAME_MAX} bytes, the longest file name"
    return None


class UnsafeNameError(InvalidInputError):
    """A local file found by a walk whose name cannot be a key (local_name_problem): that file fails,
    reported with its (escaped) name, and the others go on. Never sent under another key. Its code
    is invalid_input (exit 2), as the key rule's other refusals."""

    def __init__(self, relative: str, reason: str) -> None:
        super().__init__(f"its name cannot be an object key: {reason}",
                         hint="rename the file")
        self.relative, self.reason = relative, reason


def local_key(prefix: str, relative: str) -> str:
    """THE key of a file a walk found at `relative` (a path below the walked folder) under `prefix`:
    refused (UnsafeNameError) when local_name_problem() refuses the name, so that what is uploaded
    can come back down under the same name, and is stored under the key that was reported."""
    problem = None if _plain_relative(relative) else _name_problem(relative)  # local_name_problem's two paths
    if problem is not None:
        raise UnsafeNameError(relative, problem)
    return validate_new_key(join_key(prefix, relative))


def safe_local_path(root: Path, relative_key: str, base: str | None = None,
                    folders: dict[str, str] | None = None) -> Path:
    """Map a key (relative to a listed prefix) under `root`, refusing (UnsafeKeyError) a key that
    local_name_problem() refuses or a path that leaves `root` through a symlink.

    `base` is os.path.realpath(root), when the caller maps many keys under one root (a batch
    download) and has resolved it once; `folders` then caches the resolved parent folders between
    calls. (The last segment needs no resolving: the file is replaced by a rename, which never
    follows a symlink.)
    """
    problem = local_name_problem(relative_key)
    if problem is not None:
        raise UnsafeKeyError(relative_key, problem)
    segments = relative_key.rstrip("/").split("/")
    base = base or os.path.realpath(root)
    parent_key = "/".join(segments[:-1])
    parent = folders.get(parent_key) if folders is not None else None
    if parent is None:
        parent = os.path.realpath(os.path.join(base, *segments[:-1]))
        if parent != base and not parent.startswith(base.rstrip(os.sep) + os.sep):
            raise UnsafeKeyError(relative_key, f"it would leave {root} through a symlink")
        if folders is not None:
            folders[parent_key] = parent
    return Path(parent, segments[-1])


_SHORT_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def quoted(text: str, limit: int = 80) -> str:
    """`text` in single quotes for a one-line message, through printable() once (a repr of it escaped
    each backslash twice, 'C:\\foo' read as four), cut after `limit` characters (a 5,000-character
    remote name was repeated whole in its error)."""
    if len(text) <= limit:
        return f"'{printable(text)}'"
    return f"'{printable(text[:limit])}'... ({len(text)} characters)"


def printable(text: object) -> str:
    """`text` as one line that shows exactly what it holds and cannot drive a terminal.

    Keys come from other clients: a newline in one would forge a whole listing line, ESC/OSC
    sequences would recolour or retitle the terminal, U+202E would reverse what follows. So every
    character that is not printable (str.isprintable: C0 and C1 controls, DEL, the line and paragraph
    separators U+2028/U+2029, bidi overrides and other format characters, unassigned code points, lone
    surrogates) is written as the escape of a Python string literal: \\t \\n \\r, else \\xHH (ASCII),
    \\uHHHH or \\UHHHHHHHH; and a backslash is written \\\\, so that two different texts never
    show the same (a Python string literal's escapes: the text can be read back exactly). A local name's
    byte that is not UTF-8 is \\xHH, that byte (_escape_char). Printable text, the usual case, is returned
    as it is.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable() and "\\" not in value:
        return value
    return "".join(c if (c.isprintable() and c != "\\") else _escape_char(c) for c in value)


def _escape_char(c: str) -> str:
    """One character's escape. A byte of a local name that is not UTF-8 (Python holds it as the lone surrogate
    U+DC80..U+DCFF, os.fsdecode's surrogateescape) is shown as that byte, \\xHH, as `ls -b`, rclone and the
    watcher (sync/watch_files.escaped) show it, never as \\udcHH; so \\xHH above \\x7f names a byte only, and a
    code point U+0080..U+00FF that is not printable (C1 controls, NBSP, soft hyphen) is \\u00HH."""
    short = _SHORT_ESCAPES.get(c)
    if short is not None:
        return short
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x80 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def folder_prefix(key: str) -> str:
    """The prefix a recursive command (`rm -r`, `du`, `get -r`, `verify -r`) works on for the argument `key`:
    the folder `key/`, never every key that merely starts with it (`cam1` is `cam1/`, not `cam10/` nor
    `cam1x`); "" (the whole bucket) and a key ending in '/' as they are."""
    return key if (not key or key.endswith("/")) else key + "/"


def merged_form(key: str) -> str:
    """The key SeaweedFS answers for `key`: it reads a backslash as '/' and merges empty segments ('d\\f',
    'd//f' and '/d/f' all name 'd/f'). A key that is its own merged form names itself on every server."""
    slashed = key.replace("\\", "/")  # 'd\\' is read as the folder key 'd/'
    return "/".join(part for part in slashed.split("/") if part) + ("/" if slashed.endswith("/") else "")


def may_be_another(key: str) -> bool:
    """Whether some server answers a request for `key` with another object (merged_form)."""
    return merged_form(key) not in (key, "")
