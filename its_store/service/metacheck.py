"""User-metadata names read back once: a server may rewrite them (DESIGN.md: "Verify on the server what you
promised"; docs/concepts/locations.md, "Object types and metadata").

Ceph's RADOS Gateway 16.2 stores `x-amz-meta-camera_id` as `camera-id` and says nothing (HTTP puts `_` and
`-` in header names on a par, and some proxies drop `_` names altogether). The names its-store itself relies
on (its-sha256, its-codec, its-original-size, its-part-size, its-type, mtime) hold no `_`, so they read back
on every server (tests/test_server_gaps.py). A user's name is sent as given, the same on every server, and
the first upload with a `_` name to a bucket in this process is HEADed once: if the server gave the name
back with `-`, one warning says so, because `stat` then shows, and `ls --meta` filters by, the `-` name.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from its_store.core import errors as E

log = logging.getLogger("its_store.service.metacheck")

_META = "x-amz-meta-"
_CHECKED: set[tuple[str, str]] = set()  # (endpoint, bucket) whose `_` names were read back in this process
_GUARD = threading.Lock()


def underscored(headers: dict[str, str]) -> list[str]:
    """The user-metadata names of upload headers that hold a `_`."""
    if "_" not in "".join(headers):  # most uploads (every frame of a batch): no name holds one
        return []
    return sorted(name.lower()[len(_META):] for name in headers
                  if name.lower().startswith(_META) and "_" in name)


def check_names(endpoint: str, s3: Any, bucket: str, key: str, version_id: str | None, sent: list[str]) -> None:
    """After an upload that sent `_` names (`sent`): the first time per bucket and process, HEAD the version
    and warn when the server gave a name back with `-`. Advisory: a failed HEAD changes nothing."""
    if not sent:
        return
    with _GUARD:
        if (endpoint, bucket) in _CHECKED:
            return
        _CHECKED.add((endpoint, bucket))
    try:
        stat = s3.stat(bucket, key, version_id)
    except E.ItsStoreError:
        return
    back = {str(name).lower()[len(_META):] for name in (stat.metadata or {}) if str(name).lower().startswith(_META)}
    renamed = [name for name in sent if name not in back and name.replace("_", "-") in back]
    if renamed:
        pairs = ", ".join(f"{name} as {name.replace('_', '-')}" for name in renamed)
        log.warning("the server stores metadata names with '-' for '_' (s3://%s: %s): `stat` shows and "
                    "`ls --meta` filters by the name with '-'; use '-' in metadata names to be the same everywhere",
                    bucket, pairs)
