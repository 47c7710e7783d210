"""Named remotes: several endpoints, each with its own URL, keys, region, CA, proxy and bandwidth limit,
addressed as `NAME:BUCKET/KEY` (rclone's form) wherever a location is accepted.

- Defined in `$XDG_CONFIG_HOME/its-store/remotes.toml` (`its-store remote add`; core/remote_config.py
  reads and writes it) and by `ITS_STORE_REMOTE_<NAME>_<FIELD>` variables, which win field by field.
- `parse_location(text)`: which endpoint a location names (a remote, or None for the default one of
  MINIO_*) and its bucket and key, or (where a command also takes local paths) a local path.
- `settings_for(name, base)`: the Settings of that remote's endpoint, with the base's other options.
- `names()`: the names, cheaply and never failing (completion); `remote_fields(name)`: one remote's
  fields, unvalidated, cheaply (completion keys its cache with them).

The rule of a location, in this order:
1. `s3://BUCKET/KEY`: the default endpoint (MINIO_*), as always;
2. `SCHEME://...`: refused (only s3:// is a scheme here);
3. a ':' with no '/' before it, `NAME:BUCKET/KEY`: the remote NAME (`NAME:` alone: its buckets).
   A name that is not a remote's is an error, never a local path;
4. anything else: a local path where the command takes one (cp, mv, sync, verify), else BUCKET/KEY on
   the default endpoint. So a local path with a ':' in its first segment is written `./a:b` or as an
   absolute path, exactly as with rclone.

Nothing here reads os.environ unless the caller passes none (the CLI, at its entry point); nothing
here talks to the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core.errors import ConfigError, InvalidInputError
from its_store.core.refs import RemoteRef, parse_remote, printable, quoted
from its_store.core.remote_config import (
    env_tables,
    env_var,
    name_problem,
    read_tables,
    remotes_path,
    update_tables,
    validate_name,
)

if TYPE_CHECKING:
    from its_store.core.remote_model import Remote, RemoteRemoved, RemoteSaved, Source
    from its_store.core.settings import Settings

__all__ = ["Location", "UnknownRemoteError", "add_remote", "get_remote", "load_remotes", "names",
           "parse_location", "remote_fields", "remove_remote", "settings_for", "validate_name"]

LOCAL_HINT = "a local path with ':' is written ./NAME:... or as an absolute path"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class UnknownRemoteError(ConfigError):
    """A location or command names a remote that neither the file nor the environment defines (exit 78)."""

    code = "unknown_remote"


# -- addressing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Location:
    """Where a location points: `remote` (a remote's name; None: the default endpoint of MINIO_*) and
    `ref` (bucket and key; bucket '' when none was named), or `path`, a local path as written."""

    remote: str | None = None
    ref: RemoteRef | None = None
    path: str | None = None

    @property
    def is_local(self) -> bool:
        return self.ref is None

    def s3_text(self) -> str:
        """`s3://BUCKET/KEY` of the ref: how the one-endpoint library (a Copier, a Sync over one
        Context) is given a location once its endpoint is chosen."""
        assert self.ref is not None, "a local path has no s3:// form"
        return f"s3://{self.ref.bucket}/{self.ref.key}"

    def __str__(self) -> str:
        if self.ref is None:
            return str(self.path)
        return f"{self.remote}:{self.ref.bucket}/{self.ref.key}" if self.remote else str(self.ref)


def remote_part(text: str) -> str | None:
    """The NAME of `NAME:REST` (a ':' before any '/'), or None when `text` is not in that form
    (s3://, another scheme, a path)."""
    head, colon, _ = text.partition(":")
    if not colon or "/" in head or _SCHEME.match(text):
        return None
    return head


def parse_location(text: str, *, local_ok: bool = False, allow_no_bucket: bool = False) -> Location:
    """THE rule of a location (see the module's docstring). `local_ok`: anything that is neither
    s3:// nor NAME: is a local path (cp, mv, sync, verify); else it is BUCKET/KEY on the default
    endpoint. `allow_no_bucket`: `s3:///KEY`, `NAME:` and `NAME:/KEY` are accepted, with bucket ''
    (`ls NAME:` lists that remote's buckets; `upload F NAME:` uses the --type's default bucket).
    Only the syntax is checked here: whether NAME is defined is settings_for()'s question."""
    if text.startswith("s3://"):
        return Location(None, parse_remote(text, allow_no_bucket=allow_no_bucket))
    if _SCHEME.match(text):
        raise InvalidInputError(f"invalid location {quoted(text)}",
                                hint="use s3://BUCKET/KEY, NAME:BUCKET/KEY or a local path")
    name = remote_part(text)
    if name is None:
        if local_ok:
            return Location(path=text)
        return Location(None, parse_remote(text, allow_no_bucket=allow_no_bucket))
    problem = name_problem(name)
    if problem is not None:
        raise InvalidInputError(f"{quoted(text)}: invalid remote name {quoted(name)}: {problem}",
                                hint=LOCAL_HINT)
    rest = text[len(name) + 1:]
    if "://" in rest:
        raise InvalidInputError(f"{quoted(text)}: a remote's location is NAME:BUCKET/KEY",
                                hint="no scheme after the remote's name")
    if not rest and not allow_no_bucket:
        raise InvalidInputError(f"missing bucket in {quoted(text)}", hint=f"use {name}:BUCKET/KEY")
    try:
        ref = parse_remote(rest, allow_no_bucket=allow_no_bucket)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{quoted(text)}: {exc.message}", hint=f"use {name}:BUCKET/KEY") from None
    return Location(name, ref)


def one_endpoint(text: str) -> Location:
    """parse_location() of `text` (local paths allowed) for the library, which works on the one
    endpoint of its Context (a Copier, a Sync): a remote's `NAME:` is refused there. The CLI chooses
    the endpoint from the location and hands over s3://BUCKET/KEY (cli/locations.py)."""
    where = parse_location(text, local_ok=True)
    if where.remote is not None:
        raise InvalidInputError(f"{quoted(text)} names the remote {where.remote!r}; this works on the "
                                "endpoint of its service",
                                hint=f"build the service with core.remotes.settings_for({where.remote!r}, settings) "
                                     f"and give s3://BUCKET/KEY; {LOCAL_HINT}")
    return where


# compiled by re on the first message they reword (~1M instructions), not at every command's start
_DEFAULT_PLACE = r"s3://(?=[a-z0-9])"  # s3://BUCKET..., not the s3:// of a usage hint
_DEFAULT_VARIABLE = r"\bMINIO_(ENDPOINT|ACCESS_KEY|SECRET_KEY|REGION|SECURE|CA_BUNDLE|VERIFY_TLS)\b"


def said_of_remote(text: str, remote: str) -> str:
    """`text`, an error's message or hint from below the CLI, said of the remote `remote`. The layers
    below know one endpoint and call its places s3://BUCKET/KEY and its settings MINIO_*: on a
    remote, `object not found: s3://b/k (hint: check MINIO_ACCESS_KEY ...)` sent the user to the
    default endpoint's object and variables. Here s3://BUCKET/KEY becomes REMOTE:BUCKET/KEY and
    MINIO_X the remote's own field x."""
    text = re.sub(_DEFAULT_PLACE, f"{remote}:", text)
    return re.sub(_DEFAULT_VARIABLE, lambda m: f"remote {remote}'s {m.group(1).lower()}", text)


# -- the remotes ---------------------------------------------------------------------------------------

def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def names(environ: Mapping[str, str] | None = None, path: Path | None = None) -> list[str]:
    """The names of the remotes, sorted, for completion: never raises (a file that cannot be read or
    is refused gives no names, a bad variable none of its own); no pydantic, one small file read."""
    env = _environ(environ)
    found: set[str] = set()
    try:
        found.update(read_tables(path or remotes_path(env)))
    except (ConfigError, OSError):
        pass
    try:
        found.update(env_tables(env))
    except ConfigError:
        found.update(n for n in _env_names(env) if name_problem(n) is None)
    return sorted(found)


def _env_names(environ: Mapping[str, str]) -> set[str]:
    """The names of single variables that are well-formed (names() after a bad variable)."""
    out: set[str] = set()
    for var, value in environ.items():
        try:
            out.update(env_tables({var: value}))
        except ConfigError:
            continue
    return out


def load_remotes(environ: Mapping[str, str] | None = None, path: Path | None = None) -> dict[str, Remote]:
    """Every remote, validated: the file's, with the environment's fields over them, and the ones the
    environment alone defines. ConfigError (exit 78) for the first bad one, naming its source."""
    env = _environ(environ)
    where = path or remotes_path(env)
    file_tables, environment = read_tables(where), env_tables(env)
    return {name: _merge(name, file_tables.get(name), environment.get(name), where)
            for name in sorted(set(file_tables) | set(environment))}


def get_remote(name: str, environ: Mapping[str, str] | None = None, path: Path | None = None) -> Remote:
    """The remote `name`, validated (only it: a bad remote does not stop the use of another).
    UnknownRemoteError when neither the file nor the environment defines it."""
    env = _environ(environ)
    where = path or remotes_path(env)
    from_file, from_env = _tables_of(name, env, where)
    return _merge(name, from_file, from_env, where)


def remote_fields(name: str, environ: Mapping[str, str] | None = None, path: Path | None = None) -> dict[str, object]:
    """The fields of the remote `name` as get_remote() merges them (the environment's over the file's, its
    secret whole), NOT validated, without pydantic: what completion keys its cache with on every TAB
    (cli/completion/complete.py). Only get_remote()'s Remote reaches a server. UnknownRemoteError for a
    name nobody defines, ConfigError for a refused file or a bad variable, as get_remote()."""
    env = _environ(environ)
    return _merged_fields(*_tables_of(name, env, path or remotes_path(env)))


def _tables_of(name: str, env: Mapping[str, str], where: Path) -> tuple[Mapping[str, object] | None,
                                                                         Mapping[str, str] | None]:
    """The raw tables of `name` in the file and in the environment; UnknownRemoteError when both are absent."""
    validate_name(name)
    from_file, from_env = read_tables(where).get(name), env_tables(env).get(name)
    if from_file is None and from_env is None:
        known = names(env, where)
        raise UnknownRemoteError(f"unknown remote {name!r}",
                                 hint=(f"known: {', '.join(known)}" if known else "none is defined: "
                                       "its-store remote add NAME URL --access-key KEY") + f"; {LOCAL_HINT}")
    return from_file, from_env


def _merged_fields(from_file: Mapping[str, object] | None, from_env: Mapping[str, str] | None) -> dict[str, object]:
    """The environment's fields over the file's; a secret from the environment replaces the file's whole
    (its key and its key file)."""
    file_fields, env_fields = dict(from_file or {}), dict(from_env or {})
    if "secret_key" in env_fields or "secret_key_file" in env_fields:
        file_fields.pop("secret_key", None)
        file_fields.pop("secret_key_file", None)
    return {**file_fields, **env_fields}


def _merge(name: str, from_file: Mapping[str, object] | None, from_env: Mapping[str, str] | None,
           path: Path) -> Remote:
    from its_store.core.remote_model import build_remote
    env_fields = dict(from_env or {})

    def where(field: str) -> str:
        if field in env_fields or from_file is None:
            return env_var(name, field)
        return f"{path} [remotes.{name}] {field}"

    source: Source = "file+env" if (from_file is not None and from_env) else ("file" if from_file is not None
                                                                             else "env")
    return build_remote(name, _merged_fields(from_file, from_env), source=source, where=where)


def settings_for(remote: str | None, base: Settings, *, environ: Mapping[str, str] | None = None,
                 path: Path | None = None) -> Settings:
    """The Settings of the endpoint of `remote` (None: `base` itself, the default endpoint): its URL,
    keys, region, CA bundle, TLS verification and proxy replace the base's; every other option
    (buckets, workers, part sizes, cache, audit log, codecs, SSE-C key) is the base's. The remote's
    `bwlimit` becomes the settings' `endpoint_bwlimit`: paced on top of the base's `bwlimit`, the process's
    one budget, which stays. Every setting the remote replaces may be left unread in `base`
    (load_settings(default_endpoint=False), as the CLI does for a command on remotes only).

    UnknownRemoteError (78) for a name nobody defined; ConfigError (78) for a remote that cannot be
    used (no secret, a secret file that cannot be read)."""
    if remote is None:
        return base
    found = get_remote(remote, environ, path)
    if found.ca_bundle is not None and found.secure:  # OpenSSL blocks on a FIFO: said here, naming the remote
        from its_store.core.files import not_a_file
        why = not_a_file(found.ca_bundle)
        if why is not None:
            raise ConfigError(f"remote {remote}: its ca_bundle {found.ca_bundle} is {why}, not a PEM file of CA "
                              "certificates")
    values = {name: getattr(base, name) for name in type(base).model_fields}
    values.update(endpoint=found.endpoint, secure=found.secure, access_key=found.access_key,
                  secret_key=found.secret(), secret_key_file=None, region=found.region or "us-east-1",
                  ca_bundle=found.ca_bundle, verify_tls=found.verify_tls)
    if found.proxy:  # its own proxy, for both schemes and whatever NO_PROXY says
        values.update(http_proxy=found.proxy, https_proxy=found.proxy, no_proxy=None)
    values["endpoint_bwlimit"] = found.bwlimit
    try:
        settings = type(base)(**values)
    except InvalidInputError as exc:  # a remote's value Settings refuses: the remote's configuration
        raise ConfigError(f"remote {remote}: {exc.message}") from None
    settings._remote = remote  # what its audit lines name (Settings.remote)
    return settings


# -- changing the file ----------------------------------------------------------------------------------

def add_remote(name: str, url: str, *, access_key: str, secret_key: str | Callable[[], str],
               region: str | None = None, ca_bundle: Path | None = None, verify_tls: bool = True,
               proxy: str | None = None, bwlimit: str | None = None, replace: bool = False,
               environ: Mapping[str, str] | None = None, path: Path | None = None) -> RemoteSaved:
    """Store a remote in the file (created 0600 with its folder 0700), under the file's lock.
    InvalidInputError (2) for a bad name or value, nothing written; AlreadyExistsError (5) for a name
    the file has unless `replace`. The secret is stored in the file: it is never an argument of a
    command (`remote add` reads it from a file, standard input or a hidden prompt).

    `secret_key` may be a function that reads it (a prompt): it is called only once everything else is
    known to be good (the name, free unless `replace`; the URL; every option; the file and its folder
    readable and private), so that nobody types a secret for a command that then refuses a typo."""
    from its_store.core.errors import AlreadyExistsError
    from its_store.core.remote_model import RemoteSaved
    validate_name(name)
    fields: dict[str, object] = {"endpoint": url, "access_key": access_key, "region": region,
                                 "verify_tls": verify_tls, "proxy": proxy, "bwlimit": bwlimit,
                                 "ca_bundle": _absolute(ca_bundle) if ca_bundle is not None else None}
    _new_remote(name, fields)  # every value but the secret, checked before it is asked for
    target = path or remotes_path(_environ(environ))

    def refuse_taken(tables: Mapping[str, object]) -> bool:
        existed = name in tables
        if existed and not replace:
            raise AlreadyExistsError(f"remote {name!r} exists in {target}",
                                     hint="add --replace to change it, or `its-store remote rm` it first")
        return existed

    refuse_taken(read_tables(target))  # before the secret; again under the lock below
    remote = _new_remote(name, {**fields, "secret_key": secret_key() if callable(secret_key) else secret_key})

    def change(tables: dict[str, dict[str, object]]) -> bool:
        existed = refuse_taken(tables)
        tables[name] = remote.table()
        return existed

    replaced = update_tables(target, change)
    return RemoteSaved(**remote.view().model_dump(), replaced=replaced, path=str(target))


def _new_remote(name: str, fields: Mapping[str, object]) -> Remote:
    """The Remote `remote add` stores, or InvalidInputError (2) naming the option or argument at fault."""
    from its_store.core.remote_model import build_remote
    options = {"endpoint": "URL", "secret_key": "secret key", "verify_tls": "--no-verify-tls"}
    return build_remote(name, {k: v for k, v in fields.items() if v is not None}, source="file",
                        where=lambda field: options.get(field, "--" + field.replace("_", "-")),
                        error=InvalidInputError)


def _absolute(path: Path) -> Path:
    """A CA bundle given to `remote add` must exist (a typo fails now, not at each later use) and is
    stored absolute (the remote is used from any folder)."""
    if not path.is_file():
        why = "not a regular file (a PEM file of CA certificates)" if path.exists() else "no such file"
        raise InvalidInputError(f"--ca-bundle {printable(str(path))}: {why}")
    return path.resolve()


def remove_remote(name: str, *, environ: Mapping[str, str] | None = None, path: Path | None = None) -> RemoteRemoved:
    """Remove a remote from the file. One the environment alone defines cannot be removed here
    (ConfigError naming its variables); one nobody defines is UnknownRemoteError."""
    from its_store.core.remote_model import RemoteRemoved
    validate_name(name)
    env = _environ(environ)
    target = path or remotes_path(env)

    def change(tables: dict[str, dict[str, object]]) -> None:
        if name in tables:
            del tables[name]
            return
        _not_in_file(name, env)

    if name not in read_tables(target):  # before any lock or folder is made: nothing written
        _not_in_file(name, env)
    update_tables(target, change)
    return RemoteRemoved(name=name, path=str(target))


def _not_in_file(name: str, env: Mapping[str, str]) -> None:
    if name in env_tables(env):
            raise ConfigError(f"remote {name!r} is defined by the environment ({env_var(name, '*')}), "
                              "not by the file", hint="unset those variables")
    raise UnknownRemoteError(f"unknown remote {name!r}", hint="see `its-store remote ls`")
