"""Where named remotes are configured: the file `$XDG_CONFIG_HOME/its-store/remotes.toml` and the
variables `ITS_STORE_REMOTE_<NAME>_<FIELD>`, and the rule for a remote's name.

Raw tables only here (field -> value as read): core/remote_model.py validates them into Remote models
and core/remotes.py is the API over both. No pydantic, and tomllib / tomli_w / filelock only when a
file is read or written: completion lists remote names through this module on every TAB.

The file holds secret keys, so it is treated as ssh treats its keys and config: a file holding a
secret that group or others may read is refused, so is a file others may write (they could point a
remote at their own server) or one owned by another user. It is rewritten whole, atomically, mode
0600 (core/files.write_atomic), under a lock (core/files.take_lock): two `remote add` at once both land.
"""

from __future__ import annotations

import os
import re
import stat as st
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from its_store.core.errors import ConfigError, InvalidInputError, ItsStoreError
from its_store.core.refs import printable, quoted

T = TypeVar("T")

FILE_NAME = "remotes.toml"
ENV_PREFIX = "ITS_STORE_REMOTE_"
MAX_FILE_BYTES = 1024 * 1024
# every field of a remote, by its name in the file; in a variable name it is upper case
FIELDS = ("endpoint", "access_key", "secret_key", "secret_key_file", "region", "secure", "ca_bundle",
          "verify_tls", "proxy", "bwlimit")
_SUFFIXES = sorted((f.upper() for f in FIELDS), key=len, reverse=True)  # longest first: SECRET_KEY_FILE
# a DNS label in lower case: it is a word of a location (NAME:bucket/key) and, upper case with '_' for
# '-', of a variable name; one letter or digit at each end, at most 63 characters
# (compiled by re on their first use: a command that names no remote compiles neither)
_NAME = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ENV_NAME = r"[A-Z0-9_]+"
RESERVED = frozenset({"s3"})  # `s3:` would read as the start of s3://
HEADER = ("# its-store remotes: written by `its-store remote add` and `remote rm` (which keep no comments).\n"
          "# It holds secret keys: keep it mode 0600. See docs/guides/many-endpoints.md.\n\n")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a remote, or None."""
    if name in RESERVED:
        return f"{name!r} is reserved (s3://BUCKET/KEY is the default endpoint)"
    if not re.fullmatch(_NAME, name):
        return "a remote's name is 1-63 lower-case letters, digits and '-', a letter or digit at each end"
    return None


def validate_name(name: str, *, error: type[ItsStoreError] = InvalidInputError) -> str:
    """`name`, if it can name a remote; else `error` (exit 2 for a command's input, 78 for configuration)."""
    problem = name_problem(name)
    if problem is not None:
        raise error(f"invalid remote name {quoted(name)}: {problem}",
                    hint="e.g. edge-07, central (no '/', ':' or '_')")
    return name


def env_var(name: str, field: str) -> str:
    """The variable of `field` of remote `name`: ITS_STORE_REMOTE_EDGE_07_SECRET_KEY for (edge-07, secret_key)."""
    return f"{ENV_PREFIX}{name.upper().replace('-', '_')}_{field.upper()}"


def env_tables(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The remotes the environment defines: {name: {field: value}}. A variable that starts with
    ITS_STORE_REMOTE_ but names no field, or no valid remote, is a ConfigError: a typo must not
    leave a remote silently unconfigured."""
    tables: dict[str, dict[str, str]] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX):
            continue
        rest = var[len(ENV_PREFIX):]
        suffix = next((s for s in _SUFFIXES if rest.endswith("_" + s)), None)
        if suffix is None:
            raise ConfigError(f"{printable(var)}: names no field of a remote",
                              hint=f"{ENV_PREFIX}<NAME>_<FIELD>, FIELD one of {', '.join(s.upper() for s in FIELDS)}")
        part = rest[: -len(suffix) - 1]
        name = part.lower().replace("_", "-")
        if not re.fullmatch(_ENV_NAME, part) or name_problem(name) is not None:
            raise ConfigError(f"{printable(var)}: {quoted(part)} names no remote",
                              hint="the name in upper case with '_' for '-': "
                                   f"{ENV_PREFIX}EDGE_07_ENDPOINT for the remote edge-07")
        tables.setdefault(name, {})[suffix.lower()] = value
    return tables


def remotes_path(environ: Mapping[str, str]) -> Path:
    """$XDG_CONFIG_HOME/its-store/remotes.toml, ~/.config when XDG_CONFIG_HOME is unset or relative
    (the XDG spec ignores a relative one)."""
    base = environ.get("XDG_CONFIG_HOME", "")
    if base and os.path.isabs(base):
        return Path(base) / "its-store" / FILE_NAME
    if environ.get("HOME"):
        return Path(environ["HOME"]) / ".config" / "its-store" / FILE_NAME
    from its_store.core.home import home_folder
    root = home_folder(hint="set HOME or XDG_CONFIG_HOME (where remotes.toml is)") / ".config"
    return root / "its-store" / FILE_NAME


# -- reading -------------------------------------------------------------------------------------------

def read_tables(path: Path) -> dict[str, dict[str, Any]]:
    """The remotes of the file at `path` ({} when there is none), each a table of known fields; the
    file refused (ConfigError, exit 78) when it is not TOML of that shape, or when its owner or
    permissions let someone else read its secrets or change it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not st.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: not a regular file")
        data = os.read(fd, MAX_FILE_BYTES + 1)  # a regular file: one read returns it whole
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {_reason(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES} bytes: not a remotes file")
    _check_folder(path.parent)  # before anything read there is trusted
    tables = _parse(path, data)
    check_access(path, info, holds_secret(tables))
    return tables


def _parse(path: Path, data: bytes) -> dict[str, dict[str, Any]]:
    import tomllib
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:  # its message names a line and column, never the text there
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib's parser recurses per level: '[[[[...' a few thousand deep
        raise ConfigError(f"{path}: not a remotes file (arrays or tables nested too deeply)") from None
    extra = [k for k in doc if k != "remotes"]
    if extra:
        raise ConfigError(f"{path}: unknown key {quoted(extra[0])}", hint="remotes are tables [remotes.NAME]")
    remotes = doc.get("remotes", {})
    if not isinstance(remotes, dict):
        raise ConfigError(f"{path}: 'remotes' is not a table", hint="remotes are tables [remotes.NAME]")
    for name, table in remotes.items():
        validate_name(name, error=ConfigError)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [remotes.{name}] is not a table")
        unknown = [k for k in table if k not in FIELDS]
        if unknown:
            raise ConfigError(f"{path}: [remotes.{name}]: unknown key {quoted(unknown[0])}",
                              hint=f"known: {', '.join(FIELDS)}")
    return remotes


def holds_secret(tables: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether any remote in `tables` holds a secret key, or a proxy URL with a password in it."""
    from urllib.parse import urlsplit
    for table in tables.values():
        if table.get("secret_key"):
            return True
        proxy = table.get("proxy")
        if isinstance(proxy, str) and "@" in proxy:
            try:
                if urlsplit(proxy if "://" in proxy else "http://" + proxy).password:
                    return True
            except ValueError:
                return True  # unreadable: counted as holding one
    return False


def check_access(path: Path, info: os.stat_result, secret: bool, *,
                 changes: str = "point a remote at another server",
                 owner_hint: str = "remotes are read only from a file of your own",
                 secret_refused: bool = True) -> None:
    """ssh's rule for its keys and config: only its owner (or root) may own it, nobody else may write it,
    and nobody else may read it when it holds a secret. The one rule for every configuration file this
    tool reads (remotes.toml here, the .env file in core/settings): `changes` says what a stranger's
    change could do. `secret_refused=False`: a secret others may read is a warning (logged), not a
    refusal (a compose .env file is often 0644 and already shared with the containers' users)."""
    mode = st.S_IMODE(info.st_mode)
    me = os.geteuid()
    if info.st_uid not in (me, 0):
        raise ConfigError(f"{path}: owned by another user (uid {info.st_uid}), not by this one (uid {me}) or root",
                          hint=owner_hint)
    if mode & 0o022:
        raise ConfigError(f"{path}: permissions {mode:04o}: others may change it (and {changes})",
                          hint=f"chmod 600 {path}")
    if secret and mode & 0o044:
        message = f"{path}: permissions {mode:04o} are too open: it holds secret keys that group or others may read"
        if secret_refused:
            raise ConfigError(message, hint=f"chmod 600 {path}")
        import logging
        logging.getLogger("its_store.settings").warning("%s (chmod 600 %s)", message, path)


def _check_folder(folder: Path) -> None:
    """ssh's rule for ~/.ssh, for the folder of the remotes file: its owner's (or root's), and nobody else
    may write it: whoever may write it can remove remotes.toml and put a link to another file in its
    place, or a link where `remote add` makes its lock file. A folder not there yet is made 0700 by
    update_tables."""
    try:
        info = os.stat(folder)
    except OSError:
        return
    me = os.geteuid()
    if info.st_uid not in (me, 0):
        raise ConfigError(f"{folder}: the remotes file's folder is owned by another user (uid {info.st_uid})",
                          hint="keep remotes.toml in a folder of your own (XDG_CONFIG_HOME)")
    mode = st.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise ConfigError(f"{folder}: permissions {mode:04o}: others may replace the remotes file in this folder",
                          hint=f"chmod 700 {folder}")


def _reason(exc: OSError) -> str:
    from its_store.core.files import reason_of
    return reason_of(exc)


# -- writing -------------------------------------------------------------------------------------------

def update_tables(path: Path, change: Callable[[dict[str, dict[str, Any]]], T]) -> T:
    """Read the file's remotes, let `change` modify them in place, write them back: under the file's
    lock, atomically, mode 0600. If `change` raises, or the file as read is refused, nothing is
    written. A folder or file that cannot be written is ConfigError (exit 78), naming the path."""
    from its_store.core.files import take_lock
    from its_store.core.private_dirs import make_private_folder
    folder = path.parent
    try:
        make_private_folder(folder)
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else folder
        raise ConfigError(f"cannot write the remotes file's folder {where}: {_reason(exc)}") from None
    _check_folder(folder)  # before the lock file is made there and a secret written
    try:
        release = take_lock(folder / f".{FILE_NAME}.lock")
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else folder
        raise ConfigError(f"cannot write the remotes file's folder {where}: {_reason(exc)}") from None
    try:
        tables = read_tables(path)
        result = change(tables)
        _write(path, tables)
        return result
    finally:
        release()


def _write(path: Path, tables: dict[str, dict[str, Any]]) -> None:
    """The tables as TOML, written whole or not at all; through a symbolic link to its target (a
    dotfile manager's link is kept)."""
    import tomli_w

    from its_store.core.errors import LocalIOError
    from its_store.core.files import write_atomic
    clean = {name: {k: (str(v) if isinstance(v, Path) else v) for k, v in table.items() if v is not None}
             for name, table in sorted(tables.items())}
    text = HEADER + (tomli_w.dumps({"remotes": clean}) if clean else "")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        write_atomic(target, text, 0o600, durable=True)
    except LocalIOError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
