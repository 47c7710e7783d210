"""`model verify`: re-read every stored file of a version and check it against the manifest's sha256.

A pull verifies what it downloads, but a version nobody pulled can rot unseen (a tool overwrote an
object, a disk failed under the server). This streams each object through service/objects.py (bounded
buffers, several objects in parallel on the storage Context's pool), so memory stays bounded whatever the size, and
names every damaged file.
"""

from __future__ import annotations

import hashlib
from contextlib import closing
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry.manifest import stored_entries
from its_store.registry.results import VerifyReport
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext


class _Hasher:
    """A write-only stream that keeps the sha256 and size of what passes through it, nothing else."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def check_one(ctx: RegistryContext, prefix: str, entry: dict[str, Any]) -> dict[str, Any]:
    """{"path", "variant", "ok", "problem"?, "sha256_found"?} for one stored file. Read through
    service/objects.py (its SSE-C key when one is configured; the stored bytes, no decoding), in order, streamed."""
    from its_store.service.objects import download_to_stream
    key = prefix + entry["key"]
    row: dict[str, Any] = {"path": entry["key"], "variant": entry.get("variant"), "size": entry["size"]}
    sink = _Hasher()
    try:
        download_to_stream(ctx.storage, ctx.bucket, key, sink, raw=True)  # type: ignore[arg-type]
    except E.NotFoundError:
        return {**row, "ok": False, "problem": "missing"}
    except E.IntegrityError as exc:  # the object fails its own checksum (CRC32/ETag) on the way
        return {**row, "ok": False, "problem": f"unreadable: {exc.message}"}
    found = sink.digest.hexdigest()
    if sink.size != int(entry["size"]) or found != entry["sha256"]:
        problem = f"size {sink.size}, expected {entry['size']}" if sink.size != int(entry["size"]) else \
            "sha256 mismatch"
        return {**row, "ok": False, "problem": problem, "sha256_found": found}
    return {**row, "ok": True}


def verify(ctx: RegistryContext, name: str, version: str) -> VerifyReport:
    """The verify report; `damaged` lists every file whose bytes are not the registered ones."""
    manifest = ctx.docs.manifest(name, version)
    entries = stored_entries(manifest)
    prefix = f"{name}/{version}/"
    workers = max(1, min(ctx.workers, len(entries)))
    with closing(fan_out(lambda e: check_one(ctx, prefix, e), entries, workers=workers, name="its-verify")) as outs:
        rows = [out.result() for out in outs]  # in manifest order; the first error stops the rest
    damaged = [r for r in rows if not r["ok"]]
    return VerifyReport.model_validate({"model_name": name, "version": version, "files": len(rows),
                                        "verified_bytes": sum(r["size"] for r in rows if r["ok"]),
                                        "ok": not damaged, "damaged": damaged, "checked": rows})


def damaged_error(report: VerifyReport) -> E.IntegrityError:
    names = ", ".join(f"{r.path} ({r.problem})" for r in report.damaged)
    return E.IntegrityError(f"{report.model_name}@{report.version}: {len(report.damaged)} damaged "
                            f"file(s): {names}",
                            hint="the stored bytes changed after registration; re-register from a good copy")


def verify_model(ctx: RegistryContext, name: str, ref: str | None, *, check: bool = True) -> VerifyReport:
    """The verify report of NAME@REF; IntegrityError (exit 4) naming the damaged files when `check`."""
    from its_store.registry.query import resolve
    report = verify(ctx, name, resolve(ctx, name, ref))
    if check and report.damaged:
        raise damaged_error(report)
    return report
