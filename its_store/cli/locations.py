"""Locations on the command line: which endpoint a command works on.

Every command that takes a location parses it here (core/remotes.parse_location: `s3://BUCKET/KEY`,
`BUCKET/KEY`, `NAME:BUCKET/KEY`, and where a command also takes local paths, a path). The location's
endpoint becomes this invocation's (output.STATE.remote), before the service is built: the service of
a command is always the one of the endpoint its locations name. A command's locations must all be on
one endpoint, except the source and destination of cp, mv and sync, which may be on two: those go to
`cross_endpoint()`.

The library below stays one endpoint per Context: it is given `s3://BUCKET/KEY` once the endpoint is
chosen, and refuses `NAME:` (it cannot know which endpoint its Context is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from its_store.cli import output as out
from its_store.core.errors import InvalidInputError
from its_store.core.remotes import Location, parse_location

if TYPE_CHECKING:
    from pathlib import Path

    from its_store.core.models import Result
    from its_store.core.refs import RemoteRef


# the global flags that set the default endpoint's own settings (cli/app.root): the flag as the user wrote it,
# from the override it set
_ENDPOINT_FLAGS: dict[tuple[str, object], str] = {("secure", True): "--secure", ("secure", False): "--insecure",
                                                   ("verify_tls", False): "--no-verify-tls"}


def endpoint_flags() -> list[str]:
    """The global flags given that set the default endpoint (--endpoint, --region, --secure/--insecure,
    --no-verify-tls), as written on the command line."""
    given = out.STATE.overrides
    return [_ENDPOINT_FLAGS.get((name, given.get(name)), f"--{name}") for name in ("endpoint", "region", "secure",
                                                                                   "verify_tls")
            if given.get(name) is not None]


def refuse_endpoint_flags(remotes: list[str | None]) -> None:
    """THE rule of the default endpoint's flags on a command whose endpoints are `remotes` (None: the
    default one): they set the default endpoint (s3://) and nothing else. On a command with no s3://
    location they would be silently unused (a remote takes every one of them from its own
    configuration), so they are refused (exit 2) before any request; beside an s3:// location (cp, mv,
    sync between a remote and s3://) they apply to the s3:// side. `remotes` empty: a command on remotes
    that names none (`remote ls`)."""
    flags = endpoint_flags()
    if not flags or None in remotes:
        return
    name = next((r for r in remotes if r is not None), None)
    whose = f"remote {name} takes its settings from its" if name else "remotes take their settings from their"
    raise InvalidInputError(f"{flags[0]} sets the default endpoint (s3:// locations); {whose} configuration",
                            hint=f"see `its-store remote show {name or 'NAME'}`; "
                                 "`its-store remote add --replace` changes one")


def use_endpoint(remote: str | None) -> None:
    """Make `remote` (None: the default endpoint) this invocation's endpoint. A second location on
    another endpoint is refused (InvalidInputError), so is a choice after the service was built (a
    command that asked for its service before parsing its location: a bug, said loudly), so are the
    default endpoint's flags on a remote (refuse_endpoint_flags)."""
    refuse_endpoint_flags([remote])
    _choose(remote)


def _choose(remote: str | None) -> None:
    state = out.STATE
    if state.remote_named and state.remote != remote:
        raise InvalidInputError("these locations are on different endpoints "
                                f"({_endpoint_name(state.remote)} and {_endpoint_name(remote)})",
                                hint="one command works on one endpoint (cp, mv and sync copy between two)")
    if state.open_service is not None and state.remote != remote:
        raise RuntimeError("the endpoint of a location was chosen after the service was built")
    state.remote, state.remote_named = remote, True


def _endpoint_name(remote: str | None) -> str:
    return f"remote {remote}" if remote else "the default endpoint (s3://)"


def shown(bucket: str, key: str | None = None) -> str:
    """A bucket (`key` None) or a key or prefix of this invocation's endpoint, as the user writes it:
    `NAME:BUCKET/KEY` on a remote, `s3://BUCKET/KEY` on the default endpoint. THE way a command shows
    a location it worked on (summaries, tables, confirmation prompts): `s3://B/K` printed for a
    remote's object names another store's object once pasted into the next command (`rm s3://B/K`
    deletes on the default endpoint)."""
    where = f"{bucket}/{key}" if key is not None else bucket
    return f"{out.STATE.remote}:{where}" if out.STATE.remote else f"s3://{where}"


def remote_ref(text: str, *, allow_no_bucket: bool = False) -> RemoteRef:
    """The bucket and key of a remote location (`s3://B/K`, `B/K`, `NAME:B/K`), its endpoint chosen."""
    location = parse_location(text, allow_no_bucket=allow_no_bucket)
    use_endpoint(location.remote)
    assert location.ref is not None
    return location.ref


def locate(text: str) -> Location:
    """A location that may also be a local path (verify's first argument), its endpoint chosen when it
    is remote."""
    location = parse_location(text, local_ok=True)
    if not location.is_local:
        use_endpoint(location.remote)
    return location


def pair(source: str, dest: str) -> tuple[Location, Location, bool]:
    """cp, mv and sync: SOURCE and DEST parsed (local paths allowed), and whether they are on two
    different endpoints (`cross`). When they are not, their one endpoint is chosen for this invocation.
    Two remotes are one endpoint when they reach the same URL with the same keys (a server-side copy
    works there) through the same proxy: cloned edge boxes often share one LAN address and their
    default keys, and only their proxies tell them apart. The check reads both remotes, so an unknown
    one fails here, before any work."""
    src, dst = parse_location(source, local_ok=True), parse_location(dest, local_ok=True)
    remote = [loc.remote for loc in (src, dst) if not loc.is_local]
    if remote:  # beside an s3:// location, the default endpoint's flags are that side's
        refuse_endpoint_flags(remote)
    if len(remote) == 2 and remote[0] != remote[1] and not _same_endpoint(remote[0], remote[1]):
        return src, dst, True
    if remote:
        _choose(remote[0])
    return src, dst, False


def _same_endpoint(a: str | None, b: str | None) -> bool:
    from its_store.core.remotes import settings_for
    base = out.STATE.base_settings(default_endpoint=None in (a, b))  # two remotes: MINIO_ENDPOINT is no concern
    one, two = settings_for(a, base), settings_for(b, base)
    return (one.secure, one.server_id(), one.access_key, one.secret_key.get_secret_value()) == \
        (two.secure, two.server_id(), two.access_key, two.secret_key.get_secret_value())  # server_id: one spelling


def library_text(location: Location) -> str:
    """What the one-endpoint library (Copier, Sync) is given once the endpoint is chosen."""
    return str(location.path) if location.is_local else location.s3_text()


def source_key(cross: bool, key_file: Path | None) -> dict[str, Path]:
    """--source-sse-c-key-file as an option of the copy: only a copy between two endpoints reads with one
    key and writes with another; anywhere else there is one key (--sse-c-key-file), and a second one
    given there would be silently unused, so it is refused (exit 2) before any request."""
    if key_file is None:
        return {}
    if not cross:
        raise InvalidInputError("--source-sse-c-key-file is for copies between two endpoints",
                                hint="within one endpoint, or to or from a local path, the one key is --sse-c-key-file")
    return {"source_sse_c_key_file": key_file}


def cross_endpoint(command: str, source: Location, dest: Location, **options: Any) -> Result:
    """THE hook of cp, mv and sync between two endpoints (`edge:b/p/ central:b/p/`, or one side on the
    default endpoint): the copy streamed through this process (service/xcopy.py). `command` is "cp",
    "mv" or "sync"; `options` are the command's own: cp and mv pass recursive, move, shard, workers,
    options (the SSE-C key files) and take a BatchResult back; sync passes options (SyncOptions),
    workers and on_item, and takes a SyncReport back. The command renders the result as it renders its
    one-endpoint result.

    Each side gets its own service, from core/remotes.settings_for(location.remote, base settings):
    its own client, cache, journal, sync state and stats. Both settings are read before either
    service is built (a bad remote is exit 78 with nothing read or written), and both services are
    closed here (the app closes only the one service a command asked out.STATE for)."""
    from contextlib import ExitStack

    from its_store.service.storage import StorageService
    settings = out.STATE.settings_of(source.remote), out.STATE.settings_of(dest.remote)
    workers = options.get("workers")
    with ExitStack() as services:
        src, dst = (services.enter_context(StorageService(one, workers=workers)) for one in settings)
        if command == "sync":
            from its_store.sync.engine import Sync
            return Sync(src, source.s3_text(), dest.s3_text(), options["options"], dest_owner=dst,
                        on_item=options.get("on_item")).run()
        from its_store.sync.copy import Copier
        copier = Copier(src, dest_owner=dst, workers=workers, options=options.get("options"))
        return copier.copy(source.s3_text(), dest.s3_text(), recursive=options.get("recursive", False),
                           move=options.get("move", False), shard=options.get("shard"))
