"""Live completion of names: buckets and keys (s3://), model refs, remotes; from a cache, else the server.

The shell scripts (cli/completion/scripts.py) complete commands and options themselves and run
`_ITS_STORE_COMPLETE=names its-store KIND INCOMPLETE [GLOBAL OPTION...]` only for the names of one KIND
(KINDS: object, model, remote); main() answers it, one name a line, without importing Typer, click, rich,
pydantic or minio while the cache answers. A new kind of name is one entry in KINDS, and one Typer
autocompletion= callback (callbacks.py: complete_remote() and the others) that names it, from which the scripts learn
which arguments and options complete that kind.

A completion runs on every TAB, so it must be quick and silent:
- Answers come first from a small JSON cache (`<cache dir>/completion.json`, TTL_SECONDS), read
  without importing pydantic, the settings or minio. Every answer is kept for who asked: the
  endpoint and core/identity.py's identity_of(endpoint, access key, secret), i.e. the access key and
  an HMAC fingerprint of the secret, never the secret. They are read cheaply from flags, the
  environment and .env (the same sources, in the same order, as Settings; the secret from
  MINIO_SECRET_KEY_FILE when set). So another access key, or the right one with a wrong secret, is
  never offered names it was not shown by the server: it misses, asks, and is refused. A remote's names
  (`NAME:BUCKET/KEY`) are kept for that remote's endpoint and keys (quick_remote(), from core/remotes
  without pydantic): the default endpoint and a remote never mix answers.
- On a miss, the real settings, service and S3 client are built (a few hundred ms of imports, more on a
  loaded machine: not counted in the deadline, no network is used for them), and the network call runs in a
  daemon thread with short timeouts and no retries. It is given DEADLINE_SECONDS when the cache has an
  answer for this identity to offer, even stale; past it we offer that. With nothing to offer (a cold
  cache) it is given COLD_DEADLINE_SECONDS, as a late answer beats none (a listing on a loaded machine
  takes longer than 0.3 s). One completion stops waiting HARD_CAP_SECONDS after its Completer was made
  (the building of settings, service and client included, unlike the deadlines: a machine too loaded to
  build them in time gets no names). What the cap cannot cut (a secret file on a hung mount read before
  it, a C call of the abandoned thread holding the GIL) ends at main()'s watchdog (WATCHDOG_SECONDS, exit 1,
  nothing printed): the shell never hangs. An answer is filed only when the real
  settings name the same identity as the cheap reading. When the
  server refuses the credentials (access denied, bad signature, unknown key), the identity's entries
  are dropped and nothing is offered, not even a stale answer.
- Nothing is ever printed to the shell but names: every failure means "no suggestions".
- A suggestion is one line, exact, or absent: a listed key or bucket with a control character (a newline
  would add made-up entries to the shell's list, an ESC would drive the terminal), a line or paragraph
  separator or a bidi control is dropped (_typable). It cannot be typed anyway; `ls` shows it escaped.

Layout: this module is the request (KINDS and their suggesters, Typer's callbacks, main() for the scripts)
and the Completer that answers it from the cache or the server within the deadline (the tunables above
it: TTL_SECONDS, DEADLINE_SECONDS, COLD_DEADLINE_SECONDS, HARD_CAP_SECONDS, WATCHDOG_SECONDS, the
timeouts). The cache file is names_cache.py, the cheap reading of the settings quick_settings.py; their
names are importable from here too.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

# The cache file and the cheap settings live in their own modules; their names stay importable from here.
from its_store.cli.completion.names_cache import CACHE_FILE as CACHE_FILE
from its_store.cli.completion.names_cache import CACHE_VERSION as CACHE_VERSION
from its_store.cli.completion.names_cache import MAX_ENTRIES as MAX_ENTRIES
from its_store.cli.completion.names_cache import CompletionCache as CompletionCache
from its_store.cli.completion.quick_settings import DEFAULT_ACCESS_KEY as DEFAULT_ACCESS_KEY
from its_store.cli.completion.quick_settings import DEFAULT_SECRET as DEFAULT_SECRET
from its_store.cli.completion.quick_settings import cache_dir as cache_dir
from its_store.cli.completion.quick_settings import quick_config as quick_config
from its_store.cli.completion.quick_settings import quick_identity as quick_identity
from its_store.cli.completion.quick_settings import quick_remote as quick_remote

T = TypeVar("T")
TTL_SECONDS = 60           # fresh answers; older ones are fetched again
STALE_SECONDS = 24 * 3600  # offered when the server does not answer in time
DEADLINE_SECONDS = 0.3     # wait on the network when the cache has an answer (even stale) to offer instead
COLD_DEADLINE_SECONDS = 2.0  # wait when it has none: a late answer beats none
HARD_CAP_SECONDS = 3.0     # from the Completer's making, its building included (a model ref asks twice)
WATCHDOG_SECONDS = HARD_CAP_SECONDS + 1.0  # main() ends the process by then, whatever still runs (_watchdog)
CONNECT_TIMEOUT = 0.25
READ_TIMEOUT = COLD_DEADLINE_SECONDS  # the deadlines cut the wait; a shorter read timeout would cut it first
MAX_ITEMS = 200            # suggestions per listing (a shell cannot show more usefully)
SCHEME = "s3://"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]\Z")
# C0, DEL, C1, the line and paragraph separators, and the bidi controls: never in a suggestion
_UNTYPABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The root options a completion reads (Completer), and the root option that sets each: the scripts pass the
# global options typed before the command, and root_params() reads these from them.
ROOT_PARAMS = ("endpoint", "region", "secure", "env_file")
ROOT_OPTIONS = {"--endpoint": "endpoint", "--region": "region", "--env-file": "env_file"}
SECURE_FLAGS = {"--secure": True, "--insecure": False}
INSTRUCTION = "names"      # _ITS_STORE_COMPLETE=names: a script asks for names (main())
PROBE = "\x00kind:"        # what a callback answers to scripts.py, which asks each parameter its kind


# ----------------------------------------------------------------------------- the kinds of name
def _suggest_object(completer: Completer, incomplete: str) -> list[str]:
    """`s3://BUCKET/`, then `s3://BUCKET/KEY...` one level under the typed prefix; `NAME:` of remotes, then
    `NAME:BUCKET/` and `NAME:BUCKET/KEY...` on that remote's endpoint (core/remotes.parse_location's rule)."""
    if incomplete.startswith(SCHEME):
        return _under(completer, SCHEME, incomplete[len(SCHEME):])
    if SCHEME.startswith(incomplete):  # nothing typed yet, or s3:/ on the way to s3://
        return [f"{SCHEME}{name}/" for name in completer.buckets()] + _remotes(incomplete)
    from its_store.core.remotes import remote_part
    name = remote_part(incomplete)
    if name is None:  # a local path, or BUCKET/KEY without the scheme
        return _remotes(incomplete)
    return _under(completer.on_remote(name), f"{name}:", incomplete[len(name) + 1:])


def _remotes(incomplete: str) -> list[str]:
    return [f"{name}:" for name in remote_names() if f"{name}:".startswith(incomplete)]


def _under(completer: Completer, head: str, rest: str) -> list[str]:
    """After `head` (`s3://` or `NAME:`): the buckets starting with `rest`, or the keys of BUCKET/PREFIX."""
    if "/" not in rest:
        return [f"{head}{name}/" for name in completer.buckets() if name.startswith(rest)]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET_RE.match(bucket):
        return []
    return [f"{head}{bucket}/{key}" for key in completer.keys(bucket, prefix)]


def _suggest_model(completer: Completer, incomplete: str) -> list[str]:
    """Names are the top-level prefixes of the models bucket, versions the prefixes under NAME/."""
    bucket = completer.config.get("MINIO_MODELS_BUCKET") or "its-models"
    name, at, ref = incomplete.partition("@")
    if not at:
        # a model name starts with a letter or digit (registry/refs.py): `_index/` (dedup) is no model
        return [key[:-1] for key in completer.keys(bucket, name) if key.endswith("/") and key[:1].isalnum()]
    versions = [key[len(name) + 1:-1] for key in completer.keys(bucket, f"{name}/") if key.endswith("/")]
    refs = ["latest", *_newest_first(versions), *completer.aliases(bucket, name)]
    return [f"{name}@{r}" for r in dict.fromkeys(refs) if r.startswith(ref)]


def _suggest_remote(completer: Completer, incomplete: str) -> list[str]:
    """The names of the configured remotes (`remote show NAME`)."""
    return [name for name in remote_names() if name.startswith(incomplete)]


def remote_names() -> list[str]:
    """The names of the named remotes (remotes.toml and ITS_STORE_REMOTE_* variables): core/remotes.names(),
    which needs no pydantic and never raises."""
    from its_store.core.remotes import names
    return names()


# KIND -> suggester(completer, incomplete): the names a script may ask for. A new kind of name: one entry here
# and one callback in callbacks.py (Typer's autocompletion=, which also tells scripts.py where the kind is completed).
KINDS: dict[str, Callable[[Completer, str], list[str]]] = {
    "object": _suggest_object,
    "model": _suggest_model,
    "remote": _suggest_remote,
}


# --------------------------------------------------------------- Typer's autocompletion= callbacks
# (complete_remote() and the others are in callbacks.py, which the command modules import without this module)
def callback(kind: str, ctx: Any, incomplete: str) -> list[str]:
    """The names of `kind` for Typer's own completion; to scripts.py, which asks with PROBE in the context's
    meta (click's public Context.meta), the kind itself."""
    if getattr(ctx, "meta", {}).get(PROBE):
        return [PROBE + kind]
    try:
        params = dict(ctx.find_root().params)
    except AttributeError:
        params = {}
    return suggest(kind, params, incomplete)


# ---------------------------------------------------------------------------- the scripts' request
def main(argv: list[str]) -> int:
    """`_ITS_STORE_COMPLETE=names its-store KIND INCOMPLETE [GLOBAL OPTION...]`: answer() one name a line. Exit
    0 (no answer is no names; only the watchdog's exit is 1): a shell shows no error from a TAB. The answer is
    sought under a watchdog (_watchdog): a process still seeking it WATCHDOG_SECONDS after main() began ends there, with
    nothing printed (exit 1, which the scripts ignore). Once written, a process that abandoned a thread ends at
    once (os._exit): the interpreter's own exit would wait for a C call of that thread holding the GIL."""
    with _watchdog():
        found = "".join(f"{name}\n" for name in answer(argv)).encode("utf-8", "surrogateescape")
    try:
        sys.stdout.buffer.write(found)
        sys.stdout.flush()
    except (OSError, ValueError):  # the shell went away: nothing to say, nothing left to flush at exit
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if threading.active_count() > 1:  # a request still running (run_with_deadline abandoned it)
        os._exit(0)
    return 0


@contextlib.contextmanager
def _watchdog() -> Iterator[None]:
    """End the process (os._exit(1), nothing printed) if the block runs past WATCHDOG_SECONDS. The deadlines
    and the hard cap are waits of the main thread, which a stall they do not cover outlives: a read of the
    settings (a secret file or .env on a hung mount, a FIFO) blocks before any deadline, and a C call
    holding the GIL (a listing page of millions of entries parsed by the abandoned thread) keeps the main
    thread from waking at the cap and the interpreter from exiting. faulthandler's watchdog is a C thread
    that needs no GIL; what it dumps goes to /dev/null. The scripts ignore the exit status."""
    import faulthandler
    with open(os.devnull, "w") as sink:
        faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=sink)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()


def answer(argv: list[str]) -> list[str]:
    """The names of KIND (argv[0]) that start with INCOMPLETE (argv[1]); argv[2:] are the global options typed
    before the command, of which --endpoint, --region, --secure/--insecure and --env-file decide who asks."""
    if len(argv) < 2 or argv[0] not in KINDS:
        return []
    incomplete = argv[1]
    return [name for name in suggest(argv[0], root_params(argv[2:]), incomplete) if name.startswith(incomplete)]


def root_params(words: list[str]) -> dict[str, Any]:
    """ROOT_PARAMS from the global options typed before the command (`--endpoint H`, `--endpoint=H`, the
    last one winning, as click reads them); the others, and their values, are passed over."""
    params: dict[str, Any] = dict.fromkeys(ROOT_PARAMS)
    rest = iter(words)
    for word in rest:
        name, eq, value = word.partition("=")
        if name in ROOT_OPTIONS:
            params[ROOT_OPTIONS[name]] = value if eq else next(rest, None)
        elif word in SECURE_FLAGS:
            params["secure"] = SECURE_FLAGS[word]
    return params


def suggest(kind: str, root_params: dict[str, Any], incomplete: str) -> list[str]:
    """The names of `kind` for `incomplete`, given the root options (ROOT_PARAMS): the one place every live
    suggestion passes (cache or server, script or Typer), with stderr swallowed (a completion offers nothing
    rather than print an error) and only typable names let out."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            found = KINDS[kind](Completer(root_params), incomplete)
    except Exception:  # noqa: BLE001 - never an error in the user's shell
        return []
    return _typable(found)


def _typable(values: list[str]) -> list[str]:
    """`values` without those holding a character no shell line can carry as typed (see _UNTYPABLE)."""
    return [value for value in values if isinstance(value, str) and not _UNTYPABLE.search(value)]


def _newest_first(versions: list[str]) -> list[str]:
    from its_store.registry.refs import is_version, parse_version
    valid = [v for v in versions if is_version(v)]
    return sorted(valid, key=lambda v: parse_version(v).sort_key(), reverse=True)


class Completer:
    """Bucket and key suggestions for one endpoint, from the cache file or the server: the default one
    (MINIO_* and the global options), or with `remote`, that named remote's (on_remote())."""

    def __init__(self, root_params: dict[str, Any], now: float | None = None, *, remote: str | None = None,
                 config: dict[str, str] | None = None, until: float | None = None) -> None:
        self.params = root_params
        self.until = time.monotonic() + HARD_CAP_SECONDS if until is None else until  # the hard cap (_fetch)
        self.remote = remote
        self.config = quick_config(root_params.get("env_file")) if config is None else config
        if remote is None:
            self.endpoint = root_params.get("endpoint") or self.config.get("MINIO_ENDPOINT") or "localhost:9000"
            self.identity = quick_identity(self.endpoint, self.config)
        else:
            self.endpoint, self.identity = quick_remote(remote)
        self.server = f"{self.endpoint}|{self.identity}"  # every cache key starts with who asks
        self.cache = CompletionCache(cache_dir(self.config) / CACHE_FILE if self.identity else None)
        self.now = time.time() if now is None else now
        self._service: Any = None

    def on_remote(self, name: str) -> Completer:
        """The same request on the endpoint of the remote `name`: its URL and keys, its own cache entries
        (the cache file is the default's: MINIO_CACHE_DIR), the same deadline. UnknownRemoteError or
        ConfigError for a name nobody defines or a refused remotes file: no suggestions (suggest())."""
        return Completer(self.params, self.now, remote=name, config=self.config, until=self.until)

    # -------------------------------------------------------------------------------- buckets
    def buckets(self) -> list[str]:
        return self._cached(f"{self.server}\nbuckets", self._bucket_names)

    def _cached(self, key: str, fetch: Callable[[Any], list[str]]) -> list[str]:
        """A fresh cache entry, else `fetch(service)` (then cached), else a stale entry, else []."""
        entry = self.cache.get(key)
        if entry and self.now - entry["t"] < TTL_SECONDS:
            fresh: list[str] = entry["items"]
            return fresh
        stale = entry["items"] if entry and self.now - entry["t"] < STALE_SECONDS else None
        items = self._fetch(fetch, cold=stale is None)
        if items is None:  # no answer in time, or an error other than a refusal (see _fetch)
            return stale or []
        self._file(key, {"t": self.now, "items": items, "complete": True})
        return items

    def _bucket_names(self, svc: Any) -> list[str]:
        """Through the metadata cache (itself keyed by identity), with the server's errors raised: a
        refusal must be told from a slow server (StorageService.cached_bucket_names() says [] for both)."""
        def fetch() -> list[str]:
            return [b.name for b in svc.list_buckets()]
        cache = getattr(svc, "cache", None)
        return sorted((cache.bucket_names(fetch) if cache is not None else fetch()) or [])

    def aliases(self, bucket: str, name: str) -> list[str]:
        def fetch(svc: Any) -> list[str]:  # the registry's own read (parsed and validated); absent: none
            from its_store.registry.aliases import aliases_key
            from its_store.registry.store import DocStore
            stored = DocStore(svc.s3, bucket).get(aliases_key(name))
            return sorted(stored.doc["aliases"]) if stored is not None else []
        return self._cached(f"{self.server}\naliases\n{bucket}\n{name}", fetch)

    # ----------------------------------------------------------------------------------- keys
    def keys(self, bucket: str, prefix: str) -> list[str]:
        """Keys and sub-prefixes right under `prefix` that start with it (one level, like `ls`)."""
        hit = self._cached_keys(bucket, prefix)
        if hit is not None:
            return hit
        stale = self._cached_keys(bucket, prefix, max_age=STALE_SECONDS)
        fetched = self._fetch(lambda svc: self._list(svc, bucket, prefix), cold=stale is None)
        if fetched is None:
            return stale or []
        items, complete = fetched
        self._file(f"{self.server}\nkeys\n{bucket}\n{prefix}", {"t": self.now, "items": items, "complete": complete})
        return items

    def _cached_keys(self, bucket: str, prefix: str, max_age: float = TTL_SECONDS) -> list[str] | None:
        """From the longest cached listing that covers `prefix`: a complete one of the same level."""
        head = f"{self.server}\nkeys\n{bucket}\n"
        best: tuple[int, list[str]] | None = None
        for key, entry in self.cache.entries():
            if not key.startswith(head) or self.now - entry["t"] >= max_age:
                continue
            listed = key[len(head):]
            same_level = prefix.startswith(listed) and "/" not in prefix[len(listed):]
            if same_level and (entry["complete"] or listed == prefix) and (best is None or len(listed) > best[0]):
                best = (len(listed), [k for k in entry["items"] if k.startswith(prefix)])
        return None if best is None else best[1]

    def _list(self, svc: Any, bucket: str, prefix: str) -> tuple[list[str], bool]:
        from its_store.core.models import ListObjectsRequest
        request = ListObjectsRequest(bucket=bucket, prefix=prefix, recursive=False, max_keys=MAX_ITEMS + 1)
        keys = [info.key for info in svc.iter_objects(request)]
        return keys[:MAX_ITEMS], len(keys) <= MAX_ITEMS

    # -------------------------------------------------------------------------------- network
    def _fetch(self, call: Callable[[Any], T], *, cold: bool) -> T | None:
        """`call(service)` within DEADLINE_SECONDS (COLD_DEADLINE_SECONDS when `cold`: the cache has nothing
        to offer instead), never past the completion's hard cap; else None (timeout or an error). The
        clock starts once the service and its S3 client are built. When the server refused these
        credentials, every cached answer of this identity is dropped and Refused raised: who is refused
        now is offered nothing, not even what it was shown before."""
        svc = self._build_service()
        wait = min(COLD_DEADLINE_SECONDS if cold else DEADLINE_SECONDS, self.until - time.monotonic())
        outcome = run_with_deadline(lambda: call(svc), max(wait, 0.0))
        if isinstance(outcome, BaseException):
            from its_store.core.errors import AccessDeniedError
            if isinstance(outcome, AccessDeniedError):
                self.cache.forget(self.server + "\n")
                raise Refused from outcome
            return None
        return outcome

    def _file(self, key: str, entry: dict[str, Any]) -> None:
        """Cache an answer of the server, only under the identity it was given to: the cheap reading of
        the configuration (quick_identity) must name the identity the real settings asked with."""
        if self._service is None:
            return
        from its_store.core.identity import identity_of
        s = self._service.settings
        endpoint = self.endpoint if self.remote is None else s.endpoint  # a remote's: as its Settings spell it
        if identity_of(endpoint, s.access_key, s.secret_key.get_secret_value()) == self.identity:
            self.cache.put(key, entry)

    def _build_service(self) -> Any:
        """The real settings (env, .env, flags) with completion-sized timeouts and no retries."""
        if self._service is None:
            from its_store.core.settings import load_settings
            from its_store.service.storage import StorageService
            p = self.params
            settings = load_settings(p.get("env_file"), endpoint=p.get("endpoint"), region=p.get("region"),
                                     secure=p.get("secure"), max_retries=0, connect_timeout=CONNECT_TIMEOUT,
                                     read_timeout=READ_TIMEOUT, warn_typos=False)  # TAB prints nothing
            if self.remote is not None:  # its endpoint, keys, TLS and proxy; the limits above stay
                from its_store.core.remotes import settings_for
                settings = settings_for(self.remote, settings)
            self._service = StorageService(settings, workers=1)
            self._service.s3  # noqa: B018 - the client built (minio imported) before any deadline runs
        return self._service


class Refused(Exception):
    """The server refused the credentials: no suggestions at all (suggest_*() turn it into [])."""


def run_with_deadline(fn: Callable[[], T], seconds: float) -> T | Exception | None:
    """fn() in a daemon thread: its result, the exception it raised, or None if it is not done in time
    (the thread is abandoned)."""
    box: list[T | Exception] = []

    def target() -> None:
        try:
            box.append(fn())
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which decides
            box.append(exc)

    thread = threading.Thread(target=target, name="its-complete", daemon=True)
    thread.start()
    thread.join(seconds)
    return box[0] if box else None
