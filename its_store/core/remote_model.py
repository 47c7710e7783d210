"""A named remote, validated (Remote), and what the `remote` commands return (RemoteView, RemoteSaved,
RemoteRemoved): secrets masked in every result.

A Remote is built from raw fields (core/remote_config.py: the file, the environment, or `remote add`)
by build_remote(), which names the exact source of a bad value in its one-line error: the variable
(ITS_STORE_REMOTE_EDGE_REGION) or the file's table and key. A value that may hold a secret (the
secret key, a proxy URL, an endpoint with user info) is never repeated in an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from its_store.core.errors import ConfigError, ItsStoreError
from its_store.core.models import Result
from its_store.core.netloc import check_host_port, check_proxy_url
from its_store.core.remote_config import env_var, name_problem
from its_store.core.signing_text import plain as _plain
from its_store.core.signing_text import region as _region_rule
from its_store.core.signing_text import secret_key

MASK = "********"
Source = Literal["file", "env", "file+env"]


def split_endpoint(text: str) -> tuple[str, bool | None]:
    """`host[:port]` of an endpoint URL, and whether its scheme says HTTPS (None: no scheme given).
    ValueError for another scheme, user info, or anything after the host: a remote names a whole
    endpoint, its buckets and keys go in the location (NAME:BUCKET/KEY). The URL is not repeated."""
    raw = text.strip()
    scheme, sep, rest = raw.partition("://")
    secure: bool | None = None
    if sep:
        if scheme.lower() not in ("http", "https"):
            raise ValueError("the URL must start with http:// or https:// (or be host:port)")
        secure = scheme.lower() == "https"
        raw = rest
    if raw.endswith("/") and raw.count("/") == 1:
        raw = raw[:-1]
    if any(c in raw for c in "/?#"):
        raise ValueError("the URL has a path (or a query): a remote is a whole endpoint, "
                         "http(s)://host[:port]; buckets and keys go in the location, NAME:BUCKET/KEY")
    check_host_port(raw, "the URL")
    return raw, secure


class Remote(BaseModel):
    """One named endpoint: where it is, how to sign in, how to reach it. `source` says where it was
    defined (the file, the environment, or both: the environment wins field by field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    endpoint: str                         # host[:port]
    secure: bool = False                  # https
    access_key: str
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None   # read when the remote is used (a file wins over secret_key)
    region: str | None = None             # None: us-east-1, as MINIO_REGION's default
    ca_bundle: Path | None = None
    verify_tls: bool = True
    proxy: str | None = None              # None: HTTP(S)_PROXY / NO_PROXY of the environment apply
    bwlimit: str | None = None            # its own limit (core/bwlimit form, kept canonical), on top of MINIO_BWLIMIT
    source: Source = "file"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = name_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        check_host_port(value, "the endpoint")
        return value

    @field_validator("access_key")
    @classmethod
    def _access_key(cls, value: str) -> str:
        return _plain(value, "the access key")

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret_key(value.get_secret_value())
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value is None else _region_rule(value)

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_proxy_url(value, bare=True)  # no path or query: a token written there would be stored and shown
        return value

    @field_validator("bwlimit")
    @classmethod
    def _bwlimit(cls, value: str | None) -> str | None:
        """Checked when the remote is added (exit 2) or read (exit 78), not when a transfer starts."""
        from its_store.core.bwlimit import canonical
        return canonical(value)

    @property
    def url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"

    def secret(self) -> SecretStr:
        """The secret key: read from `secret_key_file` when set (at each use: a rotated file is read
        anew), else `secret_key`. ConfigError (exit 78) when there is none or the file cannot be read."""
        if self.secret_key_file is not None:
            from its_store.core.secret_file import read_secret_file
            path = self.secret_key_file
            try:
                text = read_secret_file(path)
            except ValueError as exc:
                raise ConfigError(f"remote {self.name}: cannot read its secret key file {path}: {exc}") from None
            try:  # the rule of a secret key given directly (core/signing_text): nothing inside it but text
                secret_key(text, "the key it holds")
            except ValueError as exc:
                raise ConfigError(f"remote {self.name}: its secret key file {path}: {exc}") from None
            return SecretStr(text)
        if self.secret_key is None or not self.secret_key.get_secret_value():
            raise ConfigError(f"remote {self.name} has no secret key",
                              hint=f"set {env_var(self.name, 'secret_key')} or {env_var(self.name, 'secret_key_file')}"
                                   f", or `its-store remote add {self.name} URL --access-key K --replace`")
        return self.secret_key

    def table(self) -> dict[str, Any]:
        """The remote as a table of the file (its secret key in clear: the file is 0600)."""
        values = self.model_dump(exclude={"name", "source"}, exclude_none=True)
        if self.secret_key is not None:
            values["secret_key"] = self.secret_key.get_secret_value()
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()}

    def view(self) -> RemoteView:
        """What `remote show` and `remote ls` print: everything, the secret key masked."""
        from its_store.core.settings_urls import mask_url  # the one masking of a password in a URL
        return RemoteView(
            name=self.name, url=self.url, endpoint=self.endpoint, secure=self.secure, access_key=self.access_key,
            secret_key=MASK if self.secret_key is not None else "",
            secret_key_file=str(self.secret_key_file) if self.secret_key_file else None,
            region=self.region, ca_bundle=str(self.ca_bundle) if self.ca_bundle else None,
            verify_tls=self.verify_tls, proxy=mask_url(self.proxy, keep_path=False) if self.proxy else None,
            bwlimit=self.bwlimit,
            source=self.source)


def build_remote(name: str, values: Mapping[str, Any], *, source: Source, where: Callable[[str], str],
                 error: type[ItsStoreError] = ConfigError) -> Remote:
    """A Remote from raw fields; a bad one is `error` (ConfigError for the file and the environment,
    InvalidInputError for `remote add`), one line starting with `where(field)`: the value's source."""
    fields = dict(values)
    scheme_secure = None
    endpoint = fields.get("endpoint")
    if isinstance(endpoint, str):
        try:
            fields["endpoint"], scheme_secure = split_endpoint(endpoint)
        except ValueError as exc:
            raise error(f"{where('endpoint')}: {exc}") from None
        if scheme_secure is not None and "secure" not in fields:
            fields["secure"] = scheme_secure
    try:
        remote = Remote(name=name, source=source, **fields)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = str(err["loc"][0]) if err.get("loc") else "name"
        if err.get("type") == "missing":
            raise error(f"remote {name}: {where(field)} is not set") from None
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        raise error(f"{where(field)}: {msg}") from None
    if scheme_secure is not None and remote.secure != scheme_secure:
        raise error(f"{where('secure')}: says {'https' if remote.secure else 'http'}, but the endpoint's URL "
                    f"says {'https' if scheme_secure else 'http'}")
    if not remote.secure and (remote.ca_bundle is not None or not remote.verify_tls):
        # silently meaningless on plain HTTP: whoever set it believes the link is TLS
        field, what = ("ca_bundle", "a CA bundle") if remote.ca_bundle is not None else \
            ("verify_tls", "turning TLS verification off")
        raise error(f"{where(field)}: {what} is for an https:// endpoint, and this one is http://",
                    hint="give an https:// URL, or leave the option out")
    return remote


class RemoteView(Result):
    """A remote as `remote show` and `remote ls` print it. `secret_key` is "********" when a secret is
    stored (never the secret), "" when it comes from `secret_key_file` or is missing; `proxy` has its
    password (and any path or query) masked; `source` is file, env or file+env (the environment wins field by field)."""

    name: str
    url: str
    endpoint: str
    secure: bool
    access_key: str
    secret_key: str
    secret_key_file: str | None = None
    region: str | None = None
    ca_bundle: str | None = None
    verify_tls: bool = True
    proxy: str | None = None
    bwlimit: str | None = None
    source: Source = "file"


class RemoteSaved(RemoteView):
    """`remote add`: the remote as stored, `replaced` when it took the place of one of the same name
    (--replace), and the file it is in."""

    replaced: bool = False
    path: str


class RemoteRemoved(Result):
    """`remote rm`: the remote removed from the file at `path`."""

    name: str
    path: str
