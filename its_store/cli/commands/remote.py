"""`its-store remote add|ls|show|rm|test`: named endpoints (core/remotes.py), used as NAME:BUCKET/KEY.

The secret key is never an argument (argv is visible to every user in `ps`): `remote add` reads it from
a file (--secret-key-file), standard input (--secret-key-stdin) or a hidden prompt on a terminal; with
none of them and no terminal it refuses (exit 2) instead of waiting for input that never comes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, add_commands, new_group
from its_store.cli.completion.callbacks import complete_remote_name
from its_store.cli.stdout_lost import stdin_bytes, stdin_is_terminal
from its_store.core.errors import EXIT_UNAVAILABLE, InvalidInputError
from its_store.core.secret_file import MAX_SECRET_BYTES

if TYPE_CHECKING:
    from its_store.core.remote_model import RemoteView



def _no_endpoint_flags() -> None:
    """Every `remote` command works on remotes, never on the default endpoint: the global flags that set
    the default endpoint (--endpoint, --region, ...) would be silently unused here, so they are refused
    (cli/locations.refuse_endpoint_flags), before anything is read or written. Called first by each
    command, not by the group's callback: that one runs before the command's own --help is read, so
    `--endpoint H remote add --help` showed the refusal, not the help."""
    from its_store.cli.locations import refuse_endpoint_flags
    refuse_endpoint_flags([])


remote_app = new_group(no_args_is_help=True,
                       help="Named remotes (endpoints): add, ls, show, rm, test. "
                            "Use one as NAME:BUCKET/KEY wherever a location is taken.")

Json = Annotated[bool, out.JsonOption]
NewName = Annotated[str, typer.Argument(help="The remote's name: lower-case letters, digits and '-'.")]
Name = Annotated[str, typer.Argument(help="The remote's name.", autocompletion=complete_remote_name)]


def add(
    name: NewName,
    url: Annotated[str, typer.Argument(help="http(s)://HOST[:PORT] of the endpoint (no path).")],
    access_key: Annotated[str, typer.Option("--access-key", help="The access key id.")],
    secret_key_file: Annotated[Path | None, typer.Option(
        "--secret-key-file", help="Read the secret key from this file (else --secret-key-stdin, else a "
                                  "hidden prompt on a terminal).", **LOCAL_PATH)] = None,
    secret_key_stdin: Annotated[bool, typer.Option(
        "--secret-key-stdin", help="Read the secret key from standard input.")] = False,
    region: Annotated[str | None, typer.Option(help="Region (default us-east-1).")] = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="CA certificates (PEM) to trust for this endpoint.",
        **LOCAL_PATH)] = None,
    verify_tls: Annotated[bool, typer.Option("--verify-tls/--no-verify-tls",
                                             help="Check the TLS certificate (--no-verify-tls: unsafe).")] = True,
    proxy: Annotated[str | None, typer.Option(help="HTTP proxy for this endpoint (default: HTTP(S)_PROXY).")]
    = None,
    bwlimit: Annotated[str | None, typer.Option(help="Bandwidth limit of this remote, e.g. 10M or a timetable "
                                                     "\"08:00,1M 19:00,off\".")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a remote of the same name.")] = False,
    json_: Json = False,
) -> None:
    """Add a remote to $XDG_CONFIG_HOME/its-store/remotes.toml (mode 0600; the secret key is stored there).

    Example: its-store remote add edge-07 https://10.7.0.2:9000 --access-key edge07 --secret-key-file ./edge07.key
    """
    _no_endpoint_flags()
    from its_store.core.remotes import add_remote
    if secret_key_file is not None and secret_key_stdin:
        raise InvalidInputError("give --secret-key-file or --secret-key-stdin, not both")
    # the secret is read (a prompt answered) only once the name, the URL, the options and the file are
    # known good, and the name free (core/remotes.add_remote)
    saved = add_remote(name, url, access_key=access_key, secret_key=lambda: _read_secret(secret_key_file,
                                                                                          secret_key_stdin),
                       region=region, ca_bundle=ca_bundle, verify_tls=verify_tls, proxy=proxy, bwlimit=bwlimit,
                       replace=replace)
    verb = "replaced" if saved.replaced else "added"
    out.result(saved, lambda: out.talk(f"{verb} remote {saved.name} ({saved.url}) in {saved.path}"))


def _read_secret(path: Path | None, stdin: bool) -> str:
    """The secret key from the one place given; a hidden prompt only on a terminal."""
    if path is not None:  # a regular file, bounded (core/secret_file.read_secret_file): a pipe is --secret-key-stdin
        from its_store.core.secret_file import read_secret_file
        try:
            return read_secret_file(path)
        except ValueError as exc:
            raise InvalidInputError(f"--secret-key-file {path}: cannot read it: {exc}",
                                    hint="a pipe or a command's output: --secret-key-stdin") from None
    if stdin:
        return _secret_text(stdin_bytes().read(MAX_SECRET_BYTES + 1), "standard input")
    if not stdin_is_terminal():
        raise InvalidInputError("no terminal to ask for the secret key on",
                                hint="give --secret-key-file FILE or --secret-key-stdin")
    import getpass
    return _secret_text(getpass.getpass("Secret key: ").encode("utf-8"), "the prompt")


def _secret_text(raw: bytes, where: str) -> str:
    """One line of UTF-8 text, surrounding whitespace removed (as MINIO_SECRET_KEY_FILE is read)."""
    if len(raw) > MAX_SECRET_BYTES:
        raise InvalidInputError(f"{where}: longer than {MAX_SECRET_BYTES} bytes: not a secret key")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidInputError(f"{where}: the secret key is not UTF-8 text") from None
    if not text:
        raise InvalidInputError(f"{where}: no secret key")
    return text


def ls(json_: Json = False) -> None:
    """List the remotes (from the file and the environment), secrets masked. --json prints JSON Lines.

    Example: its-store remote ls --json | jq -r .name
    """
    _no_endpoint_flags()
    from its_store.core.remotes import load_remotes
    views = [remote.view() for remote in load_remotes().values()]
    if out.STATE.json:
        out.emit_jsonl(views)
        return
    out.table(["name", "url", "access key", "region", "source"],
              ([v.name, v.url, v.access_key, v.region or "", v.source] for v in views))


def show(name: Name, json_: Json = False) -> None:
    """Show one remote, its secret key masked.

    Example: its-store remote show edge-07 --json
    """
    _no_endpoint_flags()
    from its_store.core.remotes import get_remote
    view = get_remote(name).view()
    out.result(view, lambda: _show_human(view))


def _show_human(view: RemoteView) -> None:
    out.table(["field", "value"], ([k, "" if v is None else str(v)] for k, v in view.model_dump().items()))


def rm(name: Name, json_: Json = False) -> None:
    """Remove a remote from the file (one defined by variables: unset them).

    Example: its-store remote rm edge-07
    """
    _no_endpoint_flags()
    from its_store.core.remotes import remove_remote
    removed = remove_remote(name)
    out.result(removed, lambda: out.talk(f"removed remote {removed.name} from {removed.path}"))


def test(name: Name, json_: Json = False) -> None:
    """Check that the remote's endpoint answers and its keys work (the `health` check, on that endpoint).

    Exit 0 when reachable with working keys (configured buckets missing there: degraded, still 0), 69 when not.
    Each request waits at most MINIO_HEALTH_TIMEOUT (5 s) and is not retried.

    Example: its-store remote test edge-07
    """
    from its_store.cli.commands.admin import health_human
    from its_store.cli.locations import use_endpoint
    from its_store.core.remotes import validate_name
    from its_store.service.health import RemoteHealth
    use_endpoint(validate_name(name))
    report = out.STATE.service().get_health_status()
    result = RemoteHealth(remote=name, **report.model_dump())
    out.result(result, lambda: health_human(result))
    if result.status == "unhealthy":
        raise typer.Exit(EXIT_UNAVAILABLE)


def register(app: typer.Typer) -> None:
    add_commands(remote_app, add, ls, show, rm, test)
    app.add_typer(remote_app, name="remote")
