"""Settings: the MINIO_* variables the product documents, a .env file, and CLI overrides.

Two ways in, on purpose:
- `load_settings()` (the CLI, get_storage_service(), a StorageService built without settings) reads the
  environment and `./.env`. Precedence: its arguments (CLI flags) > environment > .env > defaults; a bad
  value is one ConfigError line naming the variable (exit 78).
- `Settings(endpoint=..., ...)` built in code uses only what it is given, plus the defaults: no .env, no
  MINIO_* (a stray MINIO_CREATE_BUCKETS=false must not change a program's own settings), no REDIS_URL or
  proxy variables. A bad value is InvalidInputError naming the field (exit 2). The default locations of
  the cache and audit log still follow XDG_CACHE_HOME / XDG_STATE_HOME (where the defaults are).
Library code receives a Settings and never touches os.environ.

The `config` view of the settings (SettingsView) and the rules about URL settings (NO_PROXY, the webhook
URL, masking) live in settings_view.py and settings_urls.py; their names are still importable from here.
"""

from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    AliasChoices,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from its_store.core.errors import ConfigError, InvalidInputError
from its_store.core.home import home_folder
from its_store.core.netloc import check_host_port, check_proxy_url, same_proxy_origin, same_server_netloc, shown_origin
from its_store.core.units import is_uint, parse_size, shown

if TYPE_CHECKING:
    from its_store.core.settings_urls import bypasses_proxy, check_webhook_url, webhook_origin
    from its_store.core.settings_view import SettingsView

__all__ = ["ENDPOINT_FIELDS", "ENV_PREFIX", "NETWORK_FIELDS", "SECRET_FIELDS", "Settings", "SettingsView",
           "bypasses_proxy", "check_webhook_url", "load_settings", "webhook_origin"]

# names that moved by concern, still offered here (core/lazy.py): imported on their first use only
_MOVED = {"SettingsView": "settings_view", "bypasses_proxy": "settings_urls", "check_webhook_url": "settings_urls",
          "webhook_origin": "settings_urls"}
if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), _MOVED, "its_store.core")

ENV_PREFIX = "MINIO_"
SECRET_FIELDS = ("secret_key", "sse_c_key", "model_webhook_secret")
NETWORK_FIELDS = ("http_proxy", "https_proxy", "no_proxy", "ssl_cert_file", "ssl_cert_dir")
# the default endpoint's own settings: what a named remote replaces (core/remotes.settings_for), so that a
# command whose locations are all remotes' reads none of them (load_settings(default_endpoint=False))
ENDPOINT_FIELDS = ("endpoint", "access_key", "secret_key", "secret_key_file", "secure", "region", "ca_bundle",
                   "verify_tls", "endpoint_bwlimit")
# True only while load_settings() builds a Settings: the one place the environment and .env are read
_FROM_ENVIRONMENT: ContextVar[bool] = ContextVar("its_store_settings_from_environment", default=False)
# ... and whether it reads a .env file: without one, the .env source would walk every field to find nothing
# (pydantic-settings' per-field analysis: ~10M instructions of every command's start-up), so it is left out
_WITH_DOTENV: ContextVar[bool] = ContextVar("its_store_settings_with_dotenv", default=True)


class Settings(BaseSettings):
    """Effective configuration. Field `x` is read from `MINIO_X`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore",
        case_sensitive=False, validate_default=True,
    )

    # Connection
    endpoint: str = "localhost:9000"
    access_key: str = "minioadmin"
    secret_key: SecretStr = SecretStr("minioadmin123")
    secret_key_file: Path | None = None
    secure: bool = False
    region: str = "us-east-1"
    ca_bundle: Path | None = None
    verify_tls: bool = True  # MINIO_VERIFY_TLS=false (or --no-verify-tls) skips certificate checks
    # Buckets
    default_bucket: str = "its-camera-ai"
    models_bucket: str = "its-models"
    video_bucket: str = "its-video"
    logs_bucket: str = "its-logs"
    # Performance
    multipart_threshold: int = 64 * 1024 * 1024
    # 0: chosen from the file size. MINIO_MULTIPART_CHUNKSIZE (and `multipart_chunksize`) is the product
    # documentation's name for it; MINIO_PART_SIZE wins when both are in one place
    part_size: int = Field(default=0, validation_alias=AliasChoices(
        "part_size", "MINIO_PART_SIZE", "multipart_chunksize", "MINIO_MULTIPART_CHUNKSIZE"))
    max_pool_connections: int = Field(default=20, ge=1, le=1024)
    max_workers: int = Field(default=8, ge=1, le=256)
    max_retries: int = Field(default=3, ge=0, le=20)
    connect_timeout: float = Field(default=5.0, gt=0, le=86400, allow_inf_nan=False)  # inf: OverflowError deep in
    read_timeout: float = Field(default=60.0, gt=0, le=86400, allow_inf_nan=False)    # urllib3, not one line
    # `health` and `remote test`: each request of the check waits at most this long, and none is retried
    health_timeout: float = Field(default=5.0, gt=0, le=86400, allow_inf_nan=False)
    bwlimit: str | None = None  # MINIO_BWLIMIT / --bwlimit: RATE, UP:DOWN or a timetable (core/bwlimit.py)
    # this endpoint's own limit, paced on top of bwlimit (the process's budget): a remote's `bwlimit`
    # (core/remotes.settings_for); MINIO_ENDPOINT_BWLIMIT for the default endpoint
    endpoint_bwlimit: str | None = None
    # Features
    enable_caching: bool = True
    cache_ttl: int = Field(default=3600, ge=0)
    enable_versioning: bool = True
    enable_encryption: bool = True
    enable_compression: bool = True
    sse_c_key: SecretStr | None = None   # base64 of a 32-byte SSE-C key (see its_store.codec.encryption)
    sse_c_key_file: Path | None = None  # a file holding the key (raw, base64 or hex)
    create_buckets: bool = True
    # Local state (cache, stats, model pulls) and audit
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/its-store (~/.cache/its-store)
    redis_url: str | None = None   # MINIO_REDIS_URL, or the common REDIS_URL
    audit_log: Path | None = None  # default: $XDG_STATE_HOME/its-store/audit.log
    # Network: the usual proxy and CA variables (either case), read here so that the s3 seam never
    # reads os.environ; MINIO_HTTP_PROXY etc. override them for this tool alone
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: str | None = None
    ssl_cert_file: Path | None = None
    ssl_cert_dir: Path | None = None
    # Model registry: webhooks on register/promote/rm (registry/webhooks.py) and offline answers
    model_webhook_url: str | None = None          # MINIO_MODEL_WEBHOOK_URL
    model_webhook_secret: SecretStr | None = None  # MINIO_MODEL_WEBHOOK_SECRET: HMAC-SHA256 key of X-Its-Signature
    offline: bool = Field(default=False, validation_alias=AliasChoices("ITS_STORE_OFFLINE", "offline"))
    # the named remote these settings are of (core/remotes.settings_for); None: the default endpoint, or
    # settings built in code. Not a setting (no variable sets it): what the audit line names.
    _remote: str | None = PrivateAttr(default=None)

    if not TYPE_CHECKING:  # a type checker keeps BaseSettings' signature
        def __init__(self, **values: Any) -> None:
            try:
                super().__init__(**values)
            except ValidationError as exc:
                if _FROM_ENVIRONMENT.get():
                    raise  # load_settings() names the variable (ConfigError)
                from its_store.core.models import invalid_input
                raise invalid_input(exc, "Settings") from None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The arguments alone, unless load_settings() asked for the environment and .env too."""
        if _FROM_ENVIRONMENT.get():
            if not _WITH_DOTENV.get():  # no .env file: its source would give nothing (see _WITH_DOTENV)
                return init_settings, env_settings, file_secret_settings
            return init_settings, env_settings, dotenv_settings, file_secret_settings
        return (init_settings,)

    @field_validator("multipart_threshold", "part_size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int:
        try:
            return parse_size(value if isinstance(value, int) else str(value))
        except InvalidInputError as exc:
            raise ValueError(exc.message) from None

    @field_validator("max_pool_connections", "max_workers", "max_retries", "cache_ttl", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        """A count from the environment is ASCII digits (core/units.is_uint): pydantic alone also takes
        "+7", "1_0" and "12.0", which no other number this tool reads allows."""
        if isinstance(value, str) and not is_uint(value.strip()):
            raise ValueError(f"{shown(value)} is not a whole number (ASCII digits 0-9 only)")
        return value

    @field_validator("bwlimit", "endpoint_bwlimit")
    @classmethod
    def _bwlimit(cls, value: str | None) -> str | None:
        """Checked when the settings are read (a bad form is one line: exit 78 from the environment), and
        kept in its canonical form (equal limits share one bucket per process). None (no limit, the usual
        case) imports nothing: core/bwlimit's dataclasses cost ~2 ms of every command's start-up."""
        if value is None:
            return None
        from its_store.core.bwlimit import canonical
        return canonical(value)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return value.strip()

    @field_validator("secret_key_file", "ca_bundle", "sse_c_key_file", "cache_dir", "audit_log", "ssl_cert_file",
                     "ssl_cert_dir", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        """An empty path is refused: Path("") is the current folder, so MINIO_CACHE_DIR= (a compose file's
        blank) put the cache, stats, journals and sync state into whatever folder a command ran in."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: name a path, or leave the variable unset for the default")
        return value

    @field_validator("access_key", "secret_key", "region")
    @classmethod
    def _signed(cls, value: Any, info: ValidationInfo) -> Any:
        """What goes into every signed request, by THE rule of core/signing_text (a remote's too)."""
        from its_store.core import signing_text
        if info.field_name == "region":  # empty: none given, the SDK asks each bucket's (GetBucketLocation)
            return signing_text.region(value) if value else value
        if isinstance(value, SecretStr):
            signing_text.secret_key(value.get_secret_value())
        else:
            signing_text.plain(value, f"the {(info.field_name or 'key').replace('_', ' ')}", limit=1024,
                               header=info.field_name != "secret_key")
        return value

    @field_validator("model_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not (value and value.strip()):
            return value
        from its_store.core.settings_urls import check_webhook_url
        return check_webhook_url(value.strip())

    @model_validator(mode="after")
    def _normalize(self) -> "Settings":
        endpoint = self.endpoint
        scheme, sep, rest = endpoint.partition("://")
        if sep:
            if scheme.lower() not in ("http", "https"):
                raise ValueError(f"MINIO_ENDPOINT: unsupported scheme {scheme!r} (use http or https)")
            self.secure = scheme.lower() == "https"
            endpoint = rest
        endpoint = endpoint.rstrip("/") if endpoint.count("/") == 1 and endpoint.endswith("/") else endpoint
        if not endpoint or "/" in endpoint or "?" in endpoint or "#" in endpoint:
            raise ValueError("MINIO_ENDPOINT: must be host[:port] with no path, e.g. localhost:9000")
        check_host_port(endpoint, "MINIO_ENDPOINT")
        self.endpoint = endpoint
        self._local_defaults()
        if self.secret_key_file is not None:
            from its_store.core.secret_file import read_secret_file  # bounded, never waits on a FIFO
            try:
                text = read_secret_file(self.secret_key_file)
            except ValueError as exc:
                raise ValueError(f"MINIO_SECRET_KEY_FILE: cannot read {self.secret_key_file}: {exc}") from None
            from its_store.core.signing_text import secret_key
            try:  # the rule of MINIO_SECRET_KEY: a newline or control character inside is refused here too
                secret_key(text, "the key it holds")
            except ValueError as exc:
                raise ValueError(f"MINIO_SECRET_KEY_FILE: {self.secret_key_file}: {exc}") from None
            self.secret_key = SecretStr(text)
        return self

    def _local_defaults(self) -> None:
        """XDG locations for local state; from the environment (load_settings() only): REDIS_URL as a
        fallback for MINIO_REDIS_URL, and the usual proxy and CA variables."""
        import os
        if self.cache_dir is None:
            self.cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or home_folder() / ".cache") / "its-store"
        if self.audit_log is None:
            state = Path(os.environ.get("XDG_STATE_HOME") or home_folder() / ".local" / "state")
            self.audit_log = state / "its-store" / "audit.log"
        if not _FROM_ENVIRONMENT.get():
            return
        if self.redis_url is None and os.environ.get("REDIS_URL"):
            self.redis_url = os.environ["REDIS_URL"]
        for name in NETWORK_FIELDS:
            if getattr(self, name) is None:
                value = os.environ.get(name) or os.environ.get(name.upper())  # curl's order: lower case first
                if value:
                    setattr(self, name, Path(value) if name.startswith("ssl_") else value.strip())

    def proxy(self) -> str | None:
        """The proxy URL requests to the endpoint go through, or None (no proxy, or NO_PROXY matches).
        ConfigError (78) for one urllib3 could not use (checked here, where it is used: a malformed
        HTTPS_PROXY that NO_PROXY bypasses, or that only other programs use, stops nothing)."""
        url = self._proxy_url()
        if url is not None:
            try:
                check_proxy_url(url)
            except ValueError as exc:
                raise ConfigError(f"{'HTTPS_PROXY' if self.secure else 'HTTP_PROXY'}: {exc}",
                                  hint="see `its-store config`") from None
        return url

    def _proxy_url(self) -> str | None:
        url = self.https_proxy if self.secure else self.http_proxy
        if not url:
            return None
        from its_store.core.settings_urls import bypasses_proxy
        if bypasses_proxy(self.endpoint, self.no_proxy or ""):
            return None
        return url if "://" in url else f"http://{url}"

    def server_id(self) -> str:
        """Which server requests reach: THE key of everything kept per endpoint (the metadata cache, the
        upload and watch journals, the sync state, the registry's offline copy and document memo, the
        per-process memos of lockcheck and metacheck, the audit log's identity) and what tells two
        endpoints apart: MINIO_ENDPOINT, and the proxy it is reached through when there is one. Cloned
        edge boxes often share one LAN address (and their default keys), and named remotes reach them
        through their own proxies: by the endpoint alone, one box's cached metadata answered for
        another, and one box resumed another's upload. Without a proxy it is MINIO_ENDPOINT in the one
        spelling below. The proxy's user info, path and query are never part of it
        (core/netloc.shown_origin). The endpoint is in one spelling for every spelling of its address
        (core/netloc.same_server_netloc: `LOCALHOST:9000`, `localhost.:9000` and `localhost:09000` are
        `localhost:9000`; `host:443` over https is `host`), so that mv, cp and sync --delete see one server
        under two spellings as one endpoint (an overlap is refused as on one), and its cache and journals
        are one; the proxy likewise (core/netloc.same_proxy_origin: `HTTP://Proxy:03128` is
        `http://proxy:3128`). An endpoint written lower-case, with a port other than the scheme's default
        (the usual `host:9000`), and a proxy written as that function writes it keep the key they had before
        their spelling was made one; others (`HOST:9000`, `host:80` over http) had their state kept under
        the text as written, which is no longer looked up: the next sync HEADs again, an interrupted upload
        starts anew (--resume finds no parts), a watcher starts a new journal (its first pass finds again
        the files still in the folder)."""
        proxy = self.proxy()
        endpoint = same_server_netloc(self.endpoint, self.secure)
        return f"{endpoint} via {same_proxy_origin(proxy)}" if proxy else endpoint

    def former_server_id(self) -> str | None:
        """server_id() as versions before its one spelling wrote it (MINIO_ENDPOINT as written), None when
        that is server_id() itself: where the state kept per server still is for an endpoint written
        `Host:9000` or `host:443` (https). The stores that must not lose it (upload and watch journals, the
        registry's offline documents) take it over on first use (core/statefile.adopt)."""
        proxy = self.proxy()
        former = f"{self.endpoint} via {shown_origin(proxy)}" if proxy else self.endpoint
        return None if former == self.server_id() else former

    @property
    def remote(self) -> str | None:
        """The name of the remote these settings are of (None: the default endpoint of MINIO_*)."""
        return self._remote

    @property
    def scheme(self) -> str:
        return "https" if self.secure else "http"

    def bucket_for_type(self, object_type: str) -> str:
        """The default bucket of an ObjectType value (see docs/concepts/locations.md, the bucket table)."""
        return {
            "video_frame": self.video_bucket,
            "model_artifact": self.models_bucket,
            "log": self.logs_bucket,
        }.get(str(object_type), self.default_bucket)

    @field_serializer("redis_url", "http_proxy", "https_proxy", "model_webhook_url", when_used="json")
    def _shown_url(self, value: str | None, info: Any) -> str | None:
        """A URL that may hold a password or token, as `config` shows it (model_dump_json, a script's log)."""
        from its_store.core.settings_urls import shown_url
        return shown_url(info.field_name, value)

    def __repr_args__(self) -> Any:
        """repr() and str() mask those URLs too; the values themselves stay usable by the code."""
        from its_store.core.settings_urls import URL_FIELDS, shown_url
        for name, value in super().__repr_args__():
            yield name, shown_url(name, value) if name in URL_FIELDS and isinstance(value, str) else value

    def public_view(self) -> "SettingsView":
        """Every setting with its MINIO_ name, secrets masked: for `its-store config`."""
        from its_store.core.settings_urls import URL_FIELDS, mask_url, shown_url
        from its_store.core.settings_view import SettingsView
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif name in URL_FIELDS:
                value = shown_url(name, value)
            elif isinstance(value, Path):
                value = str(value)
            out[name.upper() if name in NETWORK_FIELDS else "ITS_STORE_OFFLINE" if name == "offline"
                else ENV_PREFIX + name.upper()] = value
        proxy = self._proxy_url()  # as set, even when proxy() refuses it: `config` is where to look
        out["proxy"] = mask_url(proxy, keep_path=False) if proxy else None  # the one in use for MINIO_ENDPOINT
        return SettingsView.model_validate(out)


def load_settings(env_file: str | Path | None = None, *, default_endpoint: bool = True, warn_typos: bool = True,
                  **overrides: Any) -> "Settings":
    """Build Settings, turning any validation error into one ConfigError line naming the variable.

    `overrides` are CLI flags (None means "not given"). An explicit env_file must exist.

    A MINIO_* name of the environment or the .env file read that is no setting but close to one (a typo:
    MINIO_ENABLE_COMPRESION) is logged as one warning (logger its_store.core.setting_typos; the CLI prints it as
    `its-store: warning: ...`), once per name and process (core/setting_typos.py); `warn_typos=False`: not
    looked for (TAB completion, which prints nothing).

    `default_endpoint=False`: the base of a named remote's settings (core/remotes.settings_for), for a
    command whose every location is a remote's. The default endpoint's own settings (ENDPOINT_FIELDS:
    MINIO_ENDPOINT, its keys and key file, MINIO_SECURE, MINIO_REGION, MINIO_CA_BUNDLE, MINIO_VERIFY_TLS,
    MINIO_ENDPOINT_BWLIMIT, and the flags that set them) are then neither read nor checked, but left at
    their defaults: a remote replaces every one of them, and a broken MINIO_SECRET_KEY_FILE must not stop
    work on another endpoint. Every other setting is read and checked as always.
    """
    kwargs = {k: v for k, v in overrides.items() if v is not None}
    if not default_endpoint:  # given here, they beat the environment and .env, which are never parsed for them
        kwargs.update({name: Settings.model_fields[name].get_default(call_default_factory=True)
                       for name in ENDPOINT_FIELDS})
    if env_file is not None:
        _check_env_file(Path(env_file))
    from its_store.core.env_file import opened_env_file  # checked, and read as the file checked
    reading = _FROM_ENVIRONMENT.set(True)
    try:
        with opened_env_file(Path(env_file) if env_file is not None else Path(".env")) as checked:
            kwargs["_env_file"] = checked  # None: no .env, not even one made after the check
            dotenv = _WITH_DOTENV.set(checked is not None)
            try:
                settings = Settings(**kwargs)
            finally:
                _WITH_DOTENV.reset(dotenv)
            if warn_typos and (checked is not None or _unknown_in_environment()):
                from its_store.core.setting_typos import warn_typos as warn
                warn(checked, setting_names())
    except ValidationError as exc:
        raise ConfigError(_describe(exc), hint="see `its-store config` and docs/concepts/configuration.md") from None
    except ValueError as exc:  # e.g. a .env file that cannot be parsed
        raise ConfigError(f"invalid configuration: {exc}") from None
    finally:
        _FROM_ENVIRONMENT.reset(reading)
    if "secure" in kwargs:  # a flag beats the scheme of MINIO_ENDPOINT too
        settings.secure = bool(kwargs["secure"])
    return settings


_SETTING_NAMES: frozenset[str] = frozenset()


def setting_names() -> frozenset[str]:
    """Every MINIO_* name a setting is read from, upper case, aliases included (MINIO_MULTIPART_CHUNKSIZE)."""
    global _SETTING_NAMES
    if not _SETTING_NAMES:
        names: set[str] = set()
        for name, field in Settings.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(str(choice).upper() for choice in alias.choices if isinstance(choice, str))
            else:
                names.add(ENV_PREFIX + name.upper())
        _SETTING_NAMES = frozenset(name for name in names if name.startswith(ENV_PREFIX))
    return _SETTING_NAMES


def _unknown_in_environment() -> bool:
    """Whether a MINIO_* variable (any case) is no setting: the gate of core/setting_typos, which a run whose
    environment holds only settings (and which reads no .env file) does not even import."""
    import os
    ours = setting_names()
    return any(name[:6].upper() == ENV_PREFIX and name.upper() not in ours for name in os.environ)


MAX_ENV_FILE = 1024 * 1024  # an --env-file larger than this is no env file (/dev/zero's like would fill memory)


def _check_env_file(path: Path) -> None:
    """An explicit --env-file: a regular file of at most MAX_ENV_FILE bytes, else one ConfigError line that says
    what it is (it used to say "not found" of a folder, a device, a FIFO). Then read as ./.env is (env_file)."""
    import stat as st
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"env file not found: {path}") from None
    except OSError as exc:
        from its_store.core.files import reason_of
        raise ConfigError(f"cannot read env file {path}: {reason_of(exc)}") from None
    if not st.S_ISREG(info.st_mode):
        from its_store.core.overwrite import kind_of
        raise ConfigError(f"env file {path} is {kind_of(info.st_mode)}, not a regular file",
                          hint="--env-file names a file of NAME=value lines")
    if info.st_size > MAX_ENV_FILE:
        raise ConfigError(f"env file {path} is larger than {MAX_ENV_FILE} bytes: not an env file",
                          hint="--env-file names a file of NAME=value lines")


def _describe(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = [str(part) for part in err.get("loc", ()) if part != "__root__"]
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if not loc:
        return msg
    name = ENV_PREFIX + loc[0].upper()
    if loc[0] in SECRET_FIELDS:
        return f"{name}: invalid value"
    if loc[0] == "model_webhook_url":  # the message names it safely; the input holds the token
        return msg
    value = err.get("input")
    shown = (f" (got {value!r})" if isinstance(value, (str, int, float)) and len(str(value)) < 80
             and repr(value) not in msg else "")
    # `MINIO_X=64MB  # 64 MiB`: a .env file's comment, which systemd's EnvironmentFile= and docker --env-file
    # keep in the value (python-dotenv drops it)
    comment = " (an inline comment? systemd and docker env files keep it in the value)" if (
        isinstance(value, str) and " #" in value) else ""
    return f"{name}: {msg}{shown}{comment}"
