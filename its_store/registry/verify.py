"""`model verify`: re-read every stored file of a version and check it against the manifest's sha256.

A pull verifies what it downloads, but a version nobody pulled can rot unseen (a tool overwrote an
object, a disk failed under the server). This streams each object (1 MiB at a time, several objects in
parallel on the service's pool), so memory stays bounded whatever the size, and names every damaged file.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry.manifest import HASH_CHUNK, stored_entries

if TYPE_CHECKING:
    from its_store.registry.registry import ModelRegistry


def check_one(reg: ModelRegistry, prefix: str, entry: dict[str, Any]) -> dict[str, Any]:
    """{"path", "variant", "ok", "problem"?, "sha256_found"?} for one stored file."""
    key = prefix + entry["key"]
    row: dict[str, Any] = {"path": entry["key"], "variant": entry.get("variant"), "size": entry["size"]}
    try:
        body = reg.s3.get(reg.bucket, key)
    except E.NotFoundError:
        return {**row, "ok": False, "problem": "missing"}
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in body.stream(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        body.close()
    found = digest.hexdigest()
    if size != int(entry["size"]) or found != entry["sha256"]:
        problem = f"size {size}, expected {entry['size']}" if size != int(entry["size"]) else "sha256 mismatch"
        return {**row, "ok": False, "problem": problem, "sha256_found": found}
    return {**row, "ok": True}


def verify(reg: ModelRegistry, name: str, version: str) -> dict[str, Any]:
    """The verify report; `damaged` lists every file whose bytes are not the registered ones."""
    manifest = reg.docs.manifest(name, version)
    entries = stored_entries(manifest)
    prefix = f"{name}/{version}/"
    workers = max(1, min(reg.service.workers, len(entries)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="its-verify") as pool:
        rows = list(pool.map(lambda e: check_one(reg, prefix, e), entries))
    damaged = [r for r in rows if not r["ok"]]
    return {"model_name": name, "version": version, "files": len(rows), "verified_bytes": sum(
        r["size"] for r in rows if r["ok"]), "ok": not damaged, "damaged": damaged, "checked": rows}


def damaged_error(report: dict[str, Any]) -> E.IntegrityError:
    names = ", ".join(f"{r['path']} ({r['problem']})" for r in report["damaged"])
    return E.IntegrityError(f"{report['model_name']}@{report['version']}: {len(report['damaged'])} damaged "
                            f"file(s): {names}",
                            hint="the stored bytes changed after registration; re-register from a good copy")
