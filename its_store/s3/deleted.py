"""DeleteObjects asked so that its answer says what each delete did: removed, or hidden behind a marker.

minio's public `remove_objects` sends its request with <Quiet>true</Quiet> and yields only the failures:
the server then names no deleted key, so its <DeleteMarker> and <DeleteMarkerVersionId> never arrive, and
whether a delete in a versioned bucket erased an object or only hid it behind a delete marker was known
only by asking the bucket's versioning (s3:GetBucketVersioning, which a least-privilege key may lack).

So the client sends it non-quiet through its one private call (`_raw`): the body built by minio's
DeleteRequest (the public minio.deleteobjects) and `minio.xml.marshal` (an internal helper, not in minio's
API documentation: used here only, in request(), guarded by tests/test_s3_adapter.py
test_delete_objects_body_still_built_by_minio), with the Content-MD5 S3 requires, and the answer read here.
Each <Deleted> entry of a key asked without a version id gives `said[key]`: True when it says DeleteMarker true (hidden,
the data still stored), False when it says false, None when it says nothing (S3 omits it in an unversioned
bucket; a server may omit it anyway): the caller then falls back on the bucket's versioning, and says
"unknown" when that cannot be read either (service/versions.marker_of). A single DELETE says the same in
its `x-amz-delete-marker` header (`header_said`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from its_store.s3.keys import Failure, Item

Said = dict[str, "bool | None"]  # key -> a delete marker left (True), none (False), not said (None)
MARKER_HEADER = "x-amz-delete-marker"


def request(items: list[Item]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one non-quiet DeleteObjects of `items` (at most 1,000)."""
    from minio.deleteobjects import DeleteObject, DeleteRequest
    from minio.xml import marshal
    body = marshal(DeleteRequest([DeleteObject(k, v) for k, v in items], quiet=False))
    digest = hashlib.md5(body, usedforsecurity=False).digest()  # S3 asks Content-MD5 of DeleteObjects
    return body, {"Content-MD5": base64.b64encode(digest).decode()}


def read(data: bytes, chunk: list[Item], said: Said) -> list[Failure]:
    """The failures of one answer (key, version id, "Code: message"), each key asked that no entry names
    among them (unnamed()); what each <Deleted> of a key asked without a version id says of its marker goes
    into `said`. An <Error> document as the whole answer (a 200 S3 may give) is one failure naming no key
    (keys.with_versions makes it every key's). Raises what ElementTree raises on a body that is no XML (the
    caller reads it inside s3/errors.parsing)."""
    from xml.etree import ElementTree
    root = ElementTree.fromstring(data)
    if _name(root.tag) == "Error":
        return [("", None, f"{_text(root, 'Code')}: {_text(root, 'Message')}")]
    versionless = {k for k, v in chunk if v is None}
    failures: list[Failure] = []
    named: set[tuple[str, str | None]] = set()  # (key, version id or None) of each entry of the answer
    for entry in root:
        kind = _name(entry.tag)
        if kind not in ("Deleted", "Error"):  # another element names no key deleted (S3 sends none)
            continue
        key = _text(entry, "Key")
        named.add((key, _text(entry, "VersionId") or None))
        if kind == "Error":
            why = f"{_text(entry, 'Code')}: {_text(entry, 'Message')}"
            failures.append((key, _text(entry, "VersionId") or None, why))
        elif kind == "Deleted" and key in versionless:
            marker = _text(entry, "DeleteMarker").strip().lower()
            said[key] = True if marker == "true" else False if marker == "false" else None
    asked = {k for k, _ in chunk}
    if any(key not in asked for key, _, _ in failures):
        return failures  # a refusal naming no key asked stands for every key (keys.with_versions says so)
    return failures + unnamed(chunk, named)


def unnamed(chunk: list[Item], named: set[tuple[str, str | None]]) -> list[Failure]:
    """The failures of the keys asked that no entry of a non-quiet answer names (one asked with a version id is
    named by an entry of that key with that version id or with none; one asked without, by any entry of that
    key): the server has not said they were deleted, so they are not reported deleted (an answer cut short, a
    server that dropped an entry)."""
    keys = {k for k, _ in named}
    why = "BadAnswer: the server's answer did not name this key: not known to be deleted"
    return [(k, v, why) for k, v in chunk
            if not ((k in keys) if v is None else ((k, v) in named or (k, None) in named))]


def header_said(headers: Mapping[str, str]) -> bool | None:
    """What a DELETE's answer says of its marker: its x-amz-delete-marker header (None when absent)."""
    value = (headers.get(MARKER_HEADER) or "").strip().lower()
    return True if value == "true" else False if value == "false" else None


def _name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: Element, name: str) -> str:
    """The text of `element`'s child `name`, whatever namespace the server put it in ("" when absent)."""
    for child in element:
        if _name(child.tag) == name:
            return str(child.text or "")
    return ""
