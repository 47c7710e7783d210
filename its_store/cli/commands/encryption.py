"""Bucket default encryption: `its-store bucket encryption set|show|rm s3://BUCKET`.

Registered under the `bucket` group of cli/commands/bucket.py (which does not import this module).
Per-object encryption is on `upload --sse` (see cli/commands/objects.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, new_group
from its_store.cli.locations import remote_ref, shown
from its_store.core.errors import InvalidInputError

if TYPE_CHECKING:
    from its_store.codec.encryption import BucketEncryption

Json = Annotated[bool, out.JsonOption]
Bucket = Annotated[str, typer.Argument(help="s3://BUCKET")]

encryption_app = new_group(no_args_is_help=True,
                             help="Bucket default encryption (SSE-S3, or SSE-KMS with a KMS key).")


def _bucket(target: str) -> str:
    ref = remote_ref(target)
    if ref.key:
        raise InvalidInputError(f"{target} names an object; bucket encryption takes s3://BUCKET")
    return ref.bucket


def set_(
    target: Bucket,
    kms_key: Annotated[str | None, typer.Option(
        "--kms-key", help="SSE-KMS with this KMS key id (needs a KMS on the server); default SSE-S3.")] = None,
    json_: Json = False,
) -> None:
    """Encrypt new objects of a bucket by default (SSE-S3 unless --kms-key).

    Example: its-store bucket encryption set s3://its-models
    """
    bucket = _bucket(target)
    result = out.STATE.service().set_bucket_encryption(bucket, kms_key)
    out.result(result, lambda: out.talk(f"default encryption of {shown(result.bucket)}: {result.sse}"))


def show(target: Bucket, json_: Json = False) -> None:
    """Show a bucket's default encryption (none, SSE-S3 or SSE-KMS).

    Example: its-store bucket encryption show s3://its-models --json
    """
    bucket = _bucket(target)
    result = out.STATE.service().get_bucket_encryption(bucket)
    out.result(result, lambda: _show_human(result))


def _show_human(result: BucketEncryption) -> None:
    rows = [["bucket", shown(result.bucket)], ["encryption", result.sse or "none"],
            ["algorithm", result.algorithm or ""]]
    if result.kms_key_id:
        rows.append(["kms key", result.kms_key_id])
    out.table(["field", "value"], rows)


def rm(target: Bucket, json_: Json = False) -> None:
    """Remove a bucket's default encryption (objects already stored stay encrypted).

    Example: its-store bucket encryption rm s3://its-models
    """
    bucket = _bucket(target)
    result = out.STATE.service().delete_bucket_encryption(bucket)
    out.result(result, lambda: out.talk(f"default encryption of {shown(result.bucket)} removed"))


def register(app: typer.Typer) -> None:
    """Attach `encryption` to the `bucket` group (cli/commands/bucket.py), as lifecycle.py does."""
    from its_store.cli.commands.bucket import bucket_app
    set_.__name__ = "set"
    add_commands(encryption_app, set_, show, rm)
    bucket_app.add_typer(encryption_app, name="encryption")
