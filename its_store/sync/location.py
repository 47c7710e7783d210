"""Where one sync (engine.Sync) reads and where it writes: each side s3://BUCKET/PREFIX or a local folder, the
kind of sync that makes (an upload, a download, a copy between prefixes or endpoints), the context each side
runs on, and what is refused before anything is listed (two local sides, overlapping prefixes).

Kept apart from the engine: what a sync is asked to do, decided once, read by the march (engine.py) and the
transfers (transfers.py) alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from its_store.core import errors as E
from its_store.service.context import Context, HasContext, as_context


@dataclass(frozen=True)
class Location:
    """s3://BUCKET/PREFIX (bucket set) or a local folder (path set)."""

    bucket: str | None = None
    key: str = ""
    path: Path | None = None

    @property
    def remote(self) -> bool:
        return self.bucket is not None

    @classmethod
    def parse(cls, text: str) -> Location:
        """s3://BUCKET/PREFIX or a local folder, by core/remotes.parse_location's rule (a remote's
        NAME: is refused: sync/copy.one_endpoint)."""
        from its_store.core.remotes import one_endpoint
        if not isinstance(text, str):
            raise E.InvalidInputError(f"{text!r} is not a location", hint="sync takes folders and s3://BUCKET/PREFIX/")
        if not text or text == "-":
            raise E.InvalidInputError(f"{text!r} is not a folder", hint="sync takes folders and s3://BUCKET/PREFIX/")
        where = one_endpoint(text)
        if where.ref is not None:
            return cls(bucket=where.ref.bucket, key=where.ref.key)
        from its_store.core.localname import checked
        return cls(path=Path(checked(text)))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.remote else str(self.path)


def remote_prefix(key: str) -> str:
    """A remote side's key as the prefix its objects are listed under (a folder: ends with '/')."""
    return key if (not key or key.endswith("/")) else key + "/"


class Route:
    """One sync's two sides, and the contexts they run on: `ctx` the source's (an upload's: the destination's,
    which sends it), `dst_ctx` the destination's; `cross` a copy between two endpoints (service/xcopy); `kind`
    "upload", "download" or "copy". A plain class: as a dataclass it cost ~6M instructions to define, at every
    sync's start-up."""

    __slots__ = ("cross", "ctx", "dst", "dst_ctx", "dst_prefix", "kind", "src", "src_prefix")

    def __init__(self, src: Location, dst: Location, kind: str, ctx: Context, dst_ctx: Context, cross: bool,
                 src_prefix: str, dst_prefix: str) -> None:
        self.src, self.dst, self.kind, self.ctx, self.dst_ctx = src, dst, kind, ctx, dst_ctx
        self.cross, self.src_prefix, self.dst_prefix = cross, src_prefix, dst_prefix

    @classmethod
    def of(cls, owner: Context | HasContext, source: str, dest: str,
           dest_owner: Context | HasContext | None = None) -> Route:
        """The route from `source` to `dest`; InvalidInputError for two local folders or overlapping prefixes."""
        src, dst = Location.parse(source), Location.parse(dest)
        if not src.remote and not dst.remote:
            raise E.InvalidInputError("both locations are local", hint="one of them must be s3://BUCKET/PREFIX/")
        kind = "copy" if (src.remote and dst.remote) else ("upload" if dst.remote else "download")
        # `owner` is the source's context, `dest_owner` the destination's (an upload runs on the latter)
        owned = as_context(owner)
        dst_ctx = as_context(dest_owner) if dest_owner is not None else owned
        ctx = dst_ctx if kind == "upload" else owned
        src_prefix = remote_prefix(src.key) if src.remote else ""
        dst_prefix = remote_prefix(dst.key) if dst.remote else ""
        cross = False
        if kind == "copy":  # service/xcopy is imported only where it may be used
            from its_store.service.xcopy import is_cross
            from its_store.service.xmove import one_server_nested
            cross = is_cross(ctx, dst_ctx)
            if src.bucket == dst.bucket and (src_prefix.startswith(dst_prefix) or dst_prefix.startswith(src_prefix)) \
                    and (not cross or one_server_nested(ctx, src_prefix, dst_ctx, dst_prefix, str(src.bucket))):
                raise E.InvalidInputError("source and destination overlap", hint="sync between disjoint prefixes")
        return cls(src, dst, kind, ctx, dst_ctx, cross, src_prefix, dst_prefix)

    def key_of(self, rel: str) -> str:
        """The key of a pair's path on the remote side (the source's for a download)."""
        if self.kind == "download":
            return self.src_prefix + rel
        return self.dst_prefix + rel
