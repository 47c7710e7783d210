"""Which request can carry a key exactly, and what happens to the keys one cannot.

A request names a key in one of two ways, and neither carries every key another client may store:
- the URL path (HEAD, GET, PUT, a single DELETE): any character, percent-encoded, but a '.' or '..'
  segment is resolved away by URL normalisation (urllib3's, and that of proxies), so the request
  would reach ANOTHER key: such keys are refused here (`check_addressable`), never sent;
- XML (a DeleteObjects body; listing answers): XML 1.0 cannot hold C0 controls other than tab,
  newline and carriage return, and a parser turns a carriage return into a newline. So a batch
  delete carries only `xml_safe` keys; the others go as one DELETE each (`delete_all`), and a batch
  the server refuses as a whole is retried key by key, so that one key never fails the others.
  Listings ask for `encoding-type=url` (s3/listing.py, as minio did) and decode the names; a server
  that ignores it for a listing writes U+FFFD for what XML cannot hold (SeaweedFS's version listing
  does): such a name is `garbled`, and no delete is ever sent for it (it would "succeed" on a key that does not exist).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from its_store.core import errors as E
from its_store.core.refs import UnsafeKeyError

BATCH = 1000  # keys per DeleteObjects request (the S3 maximum)

# what XML 1.0 cannot carry exactly: C0 controls but tab and newline (a CR reads back as LF), the
# non-characters U+FFFE/U+FFFF and lone surrogates
XML_UNSAFE = "[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]"

Item = tuple[str, "str | None"]          # (key, version id)
Failure = tuple[str, "str | None", str]  # (key, version id, "Code: message")


# what an XML writer cannot write at all (a carriage return it can, as &#xD;): a server that ignores
# encoding-type=url writes U+FFFD instead (Go's encoding/xml, SeaweedFS's)
XML_INVALID = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"


@functools.cache
def _pattern(chars: str) -> re.Pattern[str]:
    """XML_UNSAFE or XML_INVALID compiled, on the first key that is not printable ASCII: no command's start
    pays for them (~3.7M instructions each, a class over the surrogates), and most never need them."""
    return re.compile(chars)


def as_garbled(key: str) -> str:
    """The name a server that ignores encoding-type=url lists for `key`."""
    if key.isascii() and key.isprintable():  # U+0020-U+007E only: nothing in XML_INVALID
        return key
    return _pattern(XML_INVALID).sub("\ufffd", key)


def xml_safe(key: str) -> bool:
    """Whether an XML body carries `key` exactly."""
    if key.isascii() and key.isprintable():  # U+0020-U+007E only: nothing in XML_UNSAFE
        return True
    return _pattern(XML_UNSAFE).search(key) is None


def dot_segments(key: str) -> bool:
    """Whether `key` has a '.' or '..' segment, which a URL path does not carry exactly."""
    if "." not in key:
        return False
    wrapped = f"/{key}/"  # each segment between two slashes: a '.' or '..' one is "/./" or "/../" here
    return "/./" in wrapped or "/../" in wrapped


def check_addressable(key: str | None) -> None:
    """Refuse, before any request, a key whose URL would name another key ('a/../b' is sent as 'b'):
    UnsafeKeyError, which a batch reports as skipped (such a key can still be listed, and deleted
    with a prefix: rm -r)."""
    if key and dot_segments(key):
        raise UnsafeKeyError(key, "its '.' or '..' segment would be resolved away in a request URL, which "
                                  "would reach another key; nothing was sent")


def garbled(name: str, head: Callable[[], object]) -> bool:
    """Whether a listed name was altered by the server. U+FFFD is what a server writes for a character
    XML cannot hold when it ignores encoding-type=url; a key may hold a real U+FFFD too, so such a
    name is checked with `head` (a HEAD of the name and its version): "not found" means the name is
    not the key's. Names without U+FFFD cost nothing."""
    if "\ufffd" not in name:
        return False
    try:
        head()
    except E.ObjectNotFoundError:
        return True
    except E.ItsStoreError:
        return False  # it exists (a delete marker answers 405; SSE-C asks for its key)
    return False


def within_prefix(key: str, prefix: str) -> bool:
    """Whether a listed name begins with the prefix asked for, a U+FFFD of it standing only for a character of
    the prefix that XML cannot hold (what a server writes for one when it ignores encoding-type=url). Any
    other U+FFFD is held to the prefix: `q/\ufffd/x` listed under p/ was fetched as p/'s `\ufffd/x` and deleted
    by `rm -r` and `sync --delete` of p/ (atk2, s35)."""
    head = key[:len(prefix)]
    return head == prefix or (len(head) == len(prefix) and all(
        k == p or (k == "\ufffd" and (p < " " or "\x7f" <= p <= "\x9f")) for p, k in zip(prefix, head, strict=True)))


RETRY_ALONE = ("InternalError:", "ServiceUnavailable:", "SlowDown:")  # a batch entry's failure worth a 2nd try


def delete_all(items: list[Item], batch: Callable[[list[Item]], list[Failure]],
               single: Callable[[str, str | None], None]) -> list[Failure]:
    """Delete every (key, version) pair; return the failures. `batch` sends one DeleteObjects of up
    to 1,000 XML-safe pairs (raising if the server refuses the request as a whole); `single` one
    DELETE. A batch refused as a whole for its content (InvalidInputError: MalformedXML and the like,
    or a server without DeleteObjects) is sent again key by key, and so is an entry the batch failed with
    the server's own error (RETRY_ALONE); one unreachable server still raises."""
    failures: list[Failure] = []
    one_by_one = [(k, v) for k, v in items if not xml_safe(k)]
    carried = [(k, v) for k, v in items if xml_safe(k)]
    for start in range(0, len(carried), BATCH):
        chunk = carried[start:start + BATCH]
        try:
            failed = batch(chunk)
        except E.ItsStoreError as exc:
            if not refused_as_a_whole(exc):
                raise
            one_by_one += chunk
            continue
        # an entry the server failed with its own error inside the batch is sent again alone (a DELETE is
        # idempotent): SeaweedFS fails a long-named key's version there and deletes it when asked alone
        one_by_one += [(k, v) for k, v, message in failed if message.startswith(RETRY_ALONE)]
        failures += [f for f in failed if not f[2].startswith(RETRY_ALONE)]
    for key, version in one_by_one:
        failure = _single(single, key, version)
        if failure is not None:
            failures.append(failure)
    return failures


def with_versions(failures: list[Failure], chunk: list[Item]) -> list[Failure]:
    """A batch's failures with their version ids: moto names a refused entry (a locked version) by its
    key alone; such a failure stands for every version of that key the batch asked for, so that none of
    them is reported deleted (the safe error: a version really deleted beside it is reported refused). A
    refusal that names no key of the batch (no <Key>: a server breaking the spec) stands for every key of the
    batch no other entry names, for the same reason: nothing is reported deleted that may not be."""
    out: list[Failure] = []
    asked_keys = {k for k, _ in chunk}
    unnamed = [message for key, _, message in failures if key not in asked_keys]
    for key, version, message in failures:
        if key not in asked_keys:
            continue
        asked = [v for k, v in chunk if k == key and v is not None]
        if version is None and asked:
            out += [(key, v, message) for v in asked]
        else:
            out.append((key, version, message))
    if unnamed:  # a refusal naming no key we asked for (no <Key>, or another one): every key of the batch
        named = {(k, v) for k, v, _ in out}  # not refused by name already is a failure too
        why = (f"BadAnswer: the server's answer listed a failure for no key of this batch ({unnamed[0]}): "
               "not known to be deleted")  # not the server's code: it refused something else, not this key
        out += [(k, v, why) for k, v in chunk if (k, v) not in named and (k, None) not in named]
    return out


def refused_as_a_whole(exc: E.ItsStoreError) -> bool:
    """A batch the server would not read (its body or the operation), not one it could not reach."""
    return isinstance(exc, E.InvalidInputError) or getattr(exc, "s3_code", "") in ("NotImplemented",
                                                                                   "MethodNotAllowed")


def _single(single: Callable[[str, str | None], None], key: str, version: str | None) -> Failure | None:
    """One DELETE; its failure in the batch's form. A key with '.'/'..' segments is never sent."""
    if dot_segments(key):
        return (key, version, "InvalidObjectName: neither a batch (XML) nor a URL can name this key exactly; "
                              "not deleted")
    try:
        single(key, version)
    except E.ServiceUnavailableError:
        raise
    except E.ItsStoreError as exc:
        code = getattr(exc, "s3_code", "") or exc.code
        return (key, version, f"{code}: {getattr(exc, 's3_message', '') or exc.message}")
    return None
