"""`its-store tag set|get|rm`: tags of an object (s3://B/K) or, with no key, of the bucket (s3://B)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, new_group
from its_store.cli.locations import remote_ref, shown
from its_store.core.errors import InvalidInputError
from its_store.core.units import parse_pairs

if TYPE_CHECKING:
    from its_store.service.tags import TagSet

tag_app = new_group(no_args_is_help=True, help="Tags of objects and buckets: set, get, remove.")

Json = Annotated[bool, out.JsonOption]
Target = Annotated[str, typer.Argument(help="s3://BUCKET/KEY for an object, s3://BUCKET for the bucket.")]
VersionId = Annotated[str | None, typer.Option("--version-id", help="Tags of this object version.")]


def _target(text: str) -> tuple[str, str | None]:
    ref = remote_ref(text)
    if ref.key.endswith("/"):
        raise InvalidInputError(f"{text} names a prefix; tags belong to an object or a bucket",
                                hint="use s3://BUCKET/KEY or s3://BUCKET")
    return ref.bucket, ref.key or None


def set_(
    target: Target,
    pairs: Annotated[list[str], typer.Argument(help="Tags as key=value.")],
    replace: Annotated[bool, typer.Option("--replace", help="Drop tags not named here.")] = False,
    version_id: VersionId = None,
    json_: Json = False,
) -> None:
    """Add or change tags (others are kept unless --replace). At most 10 per object, 50 per bucket.

    Example: its-store tag set s3://its-video/cam1/frame_0001.jpg incident=42 review=pending
    """
    bucket, key = _target(target)
    result = out.STATE.service().tagging().set(bucket, key, parse_pairs(pairs, what="tag"),
                                              version_id=version_id, replace=replace)
    out.result(result, lambda: _show(result))


def get(target: Target, version_id: VersionId = None, json_: Json = False) -> None:
    """Show the tags of an object (or one version of it) or of a bucket.

    Example: its-store tag get s3://its-video/cam1/frame_0001.jpg --json
    """
    bucket, key = _target(target)
    result = out.STATE.service().tagging().get(bucket, key, version_id)
    out.result(result, lambda: _show(result))


def rm(
    target: Target,
    names: Annotated[list[str] | None, typer.Argument(help="Tag keys to remove (default: all).")] = None,
    version_id: VersionId = None,
    json_: Json = False,
) -> None:
    """Remove the named tags, or every tag when none is named.

    Example: its-store tag rm s3://its-video/cam1/frame_0001.jpg review
    """
    bucket, key = _target(target)
    result = out.STATE.service().tagging().remove(bucket, key, names, version_id=version_id)

    def human() -> None:
        out.talk("removed: " + (", ".join(result.removed) or "nothing"))
        _show(result)

    out.result(result, human)


def _show(result: TagSet) -> None:
    if not result.tags:
        out.talk(f"{_where(result)} has no tags")
        return
    out.table(["tag", "value"], ([k, v] for k, v in sorted(result.tags.items())))


def _where(result: TagSet) -> str:
    return shown(result.bucket, result.key) if result.key else shown(result.bucket)


def register(app: typer.Typer) -> None:
    set_.__name__ = "set"
    add_commands(tag_app, set_, get, rm)
    app.add_typer(tag_app, name="tag")
