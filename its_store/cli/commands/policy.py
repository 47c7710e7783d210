"""`bucket policy set|show|rm`: who may do what where, anonymous access included.

Registered under the `bucket` group of cli/commands/bucket.py (which does not import this module).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, add_commands, confirm, new_group
from its_store.cli.commands.bucket import Bucket, Json, bucket_app, bucket_name
from its_store.cli.locations import shown

if TYPE_CHECKING:
    from its_store.service.policy import PolicyView

policy_app = new_group(no_args_is_help=True, help="Bucket policy: public read/write under a prefix, or any JSON.")


def set_(
    target: Bucket,
    public_read: Annotated[list[str] | None, typer.Option(
        "--public-read", help="Anyone may GET objects under this prefix (repeatable).")] = None,
    public_write: Annotated[list[str] | None, typer.Option(
        "--public-write", help="Anyone may PUT objects under this prefix (repeatable).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="The policy as a JSON file.", **LOCAL_PATH)] = None,
    json_: Json = False,
) -> None:
    """Replace the bucket's policy. Making anything public prints a warning on stderr.

    Example: its-store bucket policy set s3://its-snapshots --public-read share/
    """
    name = bucket_name(target)
    document = None
    if file is not None:
        from its_store.service.policy import load_policy
        document = load_policy(file)
    view = out.STATE.service().policies().set(name, public_read=public_read, public_write=public_write,
                                              document=document)
    if view.public:
        _warn(f"{shown(name)} is now public: " + "; ".join(s.text for s in view.summary if s.anonymous))
    count = len(view.summary)
    out.result(view, lambda: out.talk(f"{shown(name)}: policy set ({count} statement{'s' if count != 1 else ''})"))


def _warn(message: str) -> None:
    """A warning on stderr even with --json (stdout stays data); only --quiet silences it."""
    if not out.STATE.quiet:
        out.stderr_line(f"its-store: warning: {message}")


def show(target: Bucket, json_: Json = False) -> None:
    """Print the bucket's policy JSON and, for a human, who may do what where (none: exit 0).

    Example: its-store bucket policy show s3://its-snapshots --json | jq .public
    """
    name = bucket_name(target)
    view = out.STATE.service().policies().get(name)
    out.result(view, lambda: _show_human(view))


def _show_human(view: PolicyView) -> None:
    import json
    if view.policy is None:
        out.talk(f"{shown(view.bucket)} has no policy: only its credentials' owners have access")
        return
    out.block(json.dumps(view.policy, indent=2))  # several lines: kept, controls escaped
    out.talk(("PUBLIC: " if view.public else "") + f"{shown(view.bucket)}:")
    for line in view.lines():
        out.talk(f"  {line}")


def rm(
    target: Bucket,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required without a terminal).")] = False,
    json_: Json = False,
) -> None:
    """Remove the bucket's policy: back to access with credentials only.

    Example: its-store bucket policy rm s3://its-snapshots --yes
    """
    name = bucket_name(target)
    if not yes:
        confirm(f"Remove the policy of {shown(name)}?", action="to remove a bucket policy", hint="add --yes")
    result = out.STATE.service().policies().remove(name)
    out.result(result, lambda: out.talk(f"{shown(name)}: policy removed" if result.removed
                                        else f"{shown(name)} had no policy"))


def register(app: typer.Typer) -> None:
    """Attach `policy` to the `bucket` group (cli/commands/bucket.py), as lifecycle.py does."""
    set_.__name__ = "set"
    add_commands(policy_app, set_, show, rm)
    bucket_app.add_typer(policy_app, name="policy")
