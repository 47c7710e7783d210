"""Typer's autocompletion= callbacks of the commands' name arguments, without the completion machinery.

Every command that takes an s3:// location (ls, get, sync, cp...) names one of these when its module is
imported, on every run; complete.py (the cache, the Completer, threading) is imported only when a callback
is called, i.e. when a shell asks Typer for completions (~5M instructions of each command's start-up
otherwise, callgrind). complete.py's docstring describes what they answer.
"""

from __future__ import annotations

from typing import Any


def complete_remote(ctx: Any, incomplete: str) -> list[str]:
    """autocompletion= of every s3:// argument (kind `object`): `s3://BUCKET/` then `s3://BUCKET/KEY...`.

    `ctx` is the typer.Context (typed Any: complete.py is also the scripts', which never import typer)."""
    from its_store.cli.completion.complete import callback
    return callback("object", ctx, incomplete)


def complete_model_ref(ctx: Any, incomplete: str) -> list[str]:
    """autocompletion= of NAME[@REF] arguments (kind `model`): model names, then versions, aliases, latest."""
    from its_store.cli.completion.complete import callback
    return callback("model", ctx, incomplete)


def complete_remote_name(ctx: Any, incomplete: str) -> list[str]:
    """autocompletion= of a remote's NAME (kind `remote`)."""
    from its_store.cli.completion.complete import callback
    return callback("remote", ctx, incomplete)
