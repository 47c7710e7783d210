"""Cheap settings for a completion: the endpoint, the cache folder and who asks (identity_of() of the
access key and secret), read from flags, the environment and .env without pydantic, on every TAB.

One concern: reading the configuration the way Settings reads it (same sources, same order, the secret file,
a remote's raw fields), only far cheaper. The real Settings are built only when the server is asked
(complete.py's Completer). Every name here is also importable from cli/completion/complete.py, as before.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DEFAULT_ACCESS_KEY, DEFAULT_SECRET = "minioadmin", "minioadmin123"  # Settings' defaults


def quick_config(env_file: str | None = None) -> dict[str, str]:
    """MINIO_* values from the environment over a .env file, upper-cased, without pydantic.

    Only used to find the cache and key it; the real Settings are built when the server is asked. The
    file passes the check Settings' does, and is read as the file checked (core/env_file.opened_env_file):
    another user's file, one others may write, or a FIFO is ConfigError, and then TAB offers nothing
    (suggest()), as the command itself would refuse to run (a stranger's .env must not choose the server
    asked, nor the cache whose names are offered). The file is read by python-dotenv, as Settings reads it
    (quotes, `export`, comments, ${VAR}): where TAB is pressed there is usually none, and then dotenv is
    not even imported (a few ms on every TAB). A line dotenv cannot parse is skipped; its warning goes
    where every suggester's stderr goes (suggest()).
    """
    from its_store.core.env_file import opened_env_file
    values: dict[str, str] = {}
    with opened_env_file(Path(env_file) if env_file else Path(".env")) as checked:
        if checked is not None:
            from dotenv import dotenv_values
            with contextlib.suppress(OSError, UnicodeDecodeError):
                for name, value in dotenv_values(checked, encoding="utf-8").items():
                    if value is not None:  # a bare NAME line: no value, as Settings reads it
                        values[name.upper()] = value
    for name, value in os.environ.items():
        if name.upper().startswith("MINIO_"):
            values[name.upper()] = value
    return values


def quick_identity(endpoint: str, config: dict[str, str]) -> str | None:
    """identity_of() of the credentials in `config` (quick_config), read as Settings reads them: the secret
    from MINIO_SECRET_KEY_FILE when that is set, else MINIO_SECRET_KEY. None when that file cannot be read:
    then the cache is not used at all."""
    from its_store.core.identity import identity_of  # hashlib + hmac only: a few ms, paid on every TAB
    secret = config.get("MINIO_SECRET_KEY", DEFAULT_SECRET)
    if config.get("MINIO_SECRET_KEY_FILE"):
        try:
            secret = Path(config["MINIO_SECRET_KEY_FILE"]).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
    return identity_of(endpoint, config.get("MINIO_ACCESS_KEY", DEFAULT_ACCESS_KEY), secret)


def quick_remote(name: str) -> tuple[str, str | None]:
    """The endpoint (host:port, as core/remote_model.split_endpoint reads the URL) and identity_of() of the
    remote `name`, from its raw fields (core/remotes.remote_fields: no pydantic), the secret read as
    Remote.secret() reads it. The identity is None when the secret cannot be read: then the cache is not
    used (and the real settings refuse the remote). UnknownRemoteError / ConfigError as get_remote()."""
    from its_store.core.identity import identity_of
    from its_store.core.remotes import remote_fields
    fields = remote_fields(name)
    url = str(fields.get("endpoint", "")).strip()
    endpoint = url.partition("://")[2] if "://" in url else url
    endpoint = endpoint[:-1] if endpoint.endswith("/") and endpoint.count("/") == 1 else endpoint
    secret, access_key = fields.get("secret_key"), fields.get("access_key")
    if fields.get("secret_key_file"):
        try:
            secret = Path(str(fields["secret_key_file"])).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            secret = None
    if not (endpoint and secret and isinstance(secret, str) and isinstance(access_key, str)):
        return endpoint, None
    return endpoint, identity_of(endpoint, access_key, secret)


def cache_dir(config: dict[str, str]) -> Path:
    """MINIO_CACHE_DIR, else $XDG_CACHE_HOME/its-store, else ~/.cache/its-store (as Settings does)."""
    if config.get("MINIO_CACHE_DIR"):
        return Path(config["MINIO_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "its-store"
