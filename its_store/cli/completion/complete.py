"""Live completion of s3:// arguments: bucket names, and keys under the typed prefix.

A completion runs on every TAB, so it must be quick and silent:
- Answers come first from a small JSON cache (`<cache dir>/completion.json`, TTL_SECONDS), read
  without importing pydantic, the settings or minio. The cache is keyed by endpoint and access key,
  which are read cheaply from flags, the environment and .env (the same sources, in the same order,
  as Settings).
- On a miss, the real settings and service are built (a few hundred ms of imports), and the network
  call runs in a daemon thread with short timeouts, no retries and a DEADLINE_SECONDS deadline. Past
  it we offer what the cache had, even stale, or nothing: the shell never hangs.
- Nothing is ever printed to the shell: every failure means "no suggestions".
- No Typer here: complete_remote()/complete_model_ref() are the Typer autocompletion= callbacks,
  suggest_remote()/suggest_model_ref() the same answers for completion/fast.py, which parses the root
  options (ROOT_PARAMS) itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
TTL_SECONDS = 60           # fresh answers; older ones are fetched again
STALE_SECONDS = 24 * 3600  # offered when the server does not answer in time
DEADLINE_SECONDS = 0.3     # longest wait on the network per completion
CONNECT_TIMEOUT = 0.25
READ_TIMEOUT = 0.3
MAX_ITEMS = 200            # suggestions per listing (a shell cannot show more usefully)
MAX_ENTRIES = 256          # cache entries kept
CACHE_FILE = "completion.json"
SCHEME = "s3://"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
# The root options a completion reads (Completer): the fast path passes these, parsed from the words.
ROOT_PARAMS = ("endpoint", "region", "secure", "env_file")


def complete_remote(ctx: Any, incomplete: str) -> list[str]:
    """autocompletion= callback of every s3:// argument: `s3://BUCKET/` then `s3://BUCKET/KEY...`.

    `ctx` is the typer.Context (typed Any: this module is also the fast path's, which never imports typer).
    """
    return suggest_remote(_root_params(ctx), incomplete)


def complete_model_ref(ctx: Any, incomplete: str) -> list[str]:
    """autocompletion= callback of NAME[@REF] arguments: model names, then versions, aliases, latest."""
    return suggest_model_ref(_root_params(ctx), incomplete)


def suggest_remote(root_params: dict[str, Any], incomplete: str) -> list[str]:
    """complete_remote() given the root options (ROOT_PARAMS) instead of a Typer context."""
    return _quietly(_suggest, root_params, incomplete)


def suggest_model_ref(root_params: dict[str, Any], incomplete: str) -> list[str]:
    """complete_model_ref() given the root options (ROOT_PARAMS) instead of a Typer context."""
    return _quietly(_suggest_model, root_params, incomplete)


def _quietly(suggest: Any, root_params: dict[str, Any], incomplete: str) -> list[str]:
    """Run a suggester with stderr swallowed: a completion offers nothing rather than print an error."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            return suggest(Completer(root_params), incomplete)
    except Exception:  # noqa: BLE001 - never an error in the user's shell
        return []


def _root_params(ctx: Any) -> dict[str, Any]:
    try:
        return dict(ctx.find_root().params)
    except AttributeError:
        return {}


def _suggest(completer: Completer, incomplete: str) -> list[str]:
    if not incomplete.startswith(SCHEME):
        if not SCHEME.startswith(incomplete):  # a local path, or BUCKET/KEY without the scheme
            return []
        incomplete = SCHEME
    rest = incomplete[len(SCHEME):]
    if "/" not in rest:
        return [f"{SCHEME}{name}/" for name in completer.buckets() if name.startswith(rest)]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET_RE.match(bucket):
        return []
    return [f"{SCHEME}{bucket}/{key}" for key in completer.keys(bucket, prefix)]


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


def _newest_first(versions: list[str]) -> list[str]:
    from its_store.registry.refs import is_version, parse_version
    valid = [v for v in versions if is_version(v)]
    return sorted(valid, key=lambda v: parse_version(v).sort_key(), reverse=True)


class Completer:
    """Bucket and key suggestions for one endpoint, from the cache file or the server."""

    def __init__(self, root_params: dict[str, Any], now: float | None = None) -> None:
        self.params = root_params
        self.config = quick_config(root_params.get("env_file"))
        endpoint = root_params.get("endpoint") or self.config.get("MINIO_ENDPOINT") or "localhost:9000"
        self.server = f"{endpoint}|{self.config.get('MINIO_ACCESS_KEY', 'minioadmin')}"
        self.cache = CompletionCache(cache_dir(self.config) / CACHE_FILE)
        self.now = time.time() if now is None else now
        self._service: Any = None

    # -------------------------------------------------------------------------------- buckets
    def buckets(self) -> list[str]:
        return self._cached(f"{self.server}\nbuckets", self._bucket_names)

    def _cached(self, key: str, fetch: Callable[[Any], list[str]]) -> list[str]:
        """A fresh cache entry, else `fetch(service)` (then cached), else a stale entry, else []."""
        entry = self.cache.get(key)
        if entry and self.now - entry["t"] < TTL_SECONDS:
            return entry["items"]
        items = self._fetch(fetch)
        if not items:  # timeout or error (cached_bucket_names() says [] for both): never cache that
            return entry["items"] if entry and self.now - entry["t"] < STALE_SECONDS else []
        self.cache.put(key, {"t": self.now, "items": items, "complete": True})
        return items

    def _bucket_names(self, svc: Any) -> list[str]:
        cached = getattr(svc, "cached_bucket_names", None)  # the metadata cache, when there is one
        names = cached() if callable(cached) else [b.name for b in svc.list_buckets()]
        return sorted(names)

    def aliases(self, bucket: str, name: str) -> list[str]:
        def fetch(svc: Any) -> list[str]:
            from its_store.registry.aliases import read
            return sorted(read(svc.s3, bucket, name)[0].get("aliases") or {})
        return self._cached(f"{self.server}\naliases\n{bucket}\n{name}", fetch)

    # ----------------------------------------------------------------------------------- keys
    def keys(self, bucket: str, prefix: str) -> list[str]:
        """Keys and sub-prefixes right under `prefix` that start with it (one level, like `ls`)."""
        hit = self._cached_keys(bucket, prefix)
        if hit is not None:
            return hit
        fetched = self._fetch(lambda svc: self._list(svc, bucket, prefix))
        if fetched is None:
            stale = self._cached_keys(bucket, prefix, max_age=STALE_SECONDS)
            return stale or []
        items, complete = fetched
        self.cache.put(f"{self.server}\nkeys\n{bucket}\n{prefix}",
                       {"t": self.now, "items": items, "complete": complete})
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
    def _fetch(self, call: Callable[[Any], T]) -> T | None:
        """`call(service)` within DEADLINE_SECONDS, or None (timeout or any error)."""
        svc = self._build_service()
        return run_with_deadline(lambda: call(svc), DEADLINE_SECONDS)

    def _build_service(self) -> Any:
        """The real settings (env, .env, flags) with completion-sized timeouts and no retries."""
        if self._service is None:
            from its_store.core.settings import load_settings
            from its_store.service.storage import StorageService
            p = self.params
            settings = load_settings(p.get("env_file"), endpoint=p.get("endpoint"), region=p.get("region"),
                                     secure=p.get("secure"), max_retries=0, connect_timeout=CONNECT_TIMEOUT,
                                     read_timeout=READ_TIMEOUT)
            self._service = StorageService(settings, workers=1)
        return self._service


def run_with_deadline(fn: Callable[[], T], seconds: float) -> T | None:
    """fn() in a daemon thread; None if it fails or is not done in time (the thread is abandoned)."""
    box: list[T] = []

    def target() -> None:
        with contextlib.suppress(Exception):
            box.append(fn())

    thread = threading.Thread(target=target, name="its-complete", daemon=True)
    thread.start()
    thread.join(seconds)
    return box[0] if box else None


# ------------------------------------------------------------------------------------ the cache
class CompletionCache:
    """A small JSON file of {key: {"t", "items", "complete"}}; private (0600), replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._data = data["entries"] if data.get("version") == 1 else {}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self._data = {}
        return self._data

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self._load().get(key)
        return entry if isinstance(entry, dict) and "t" in entry and "items" in entry else None

    def entries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, entry in list(self._load().items()):
            if isinstance(entry, dict) and "t" in entry and "items" in entry:
                yield key, {"complete": False, **entry}

    def put(self, key: str, entry: dict[str, Any]) -> None:
        data = self._load()
        data[key] = entry
        if len(data) > MAX_ENTRIES:
            for old in sorted(data, key=lambda k: data[k].get("t", 0))[:len(data) - MAX_ENTRIES]:
                del data[old]
        from its_store.core.errors import ItsStoreError
        from its_store.core.files import write_atomic
        with contextlib.suppress(OSError, ItsStoreError):  # a cache: never worth an error on TAB
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps({"version": 1, "entries": data}), 0o600)


# ----------------------------------------------------------------------------- cheap settings
def quick_config(env_file: str | None = None) -> dict[str, str]:
    """MINIO_* values from the environment over a .env file, upper-cased, without pydantic.

    Only used to find the cache and key it; the real Settings are built when the server is asked.
    """
    values: dict[str, str] = {}
    path = Path(env_file) if env_file else Path(".env")
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in path.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep and not name.startswith("#"):
                values[name.strip().upper()] = value.strip().strip("'\"")
    for name, value in os.environ.items():
        if name.upper().startswith("MINIO_"):
            values[name.upper()] = value
    return values


def cache_dir(config: dict[str, str]) -> Path:
    """MINIO_CACHE_DIR, else $XDG_CACHE_HOME/its-store, else ~/.cache/its-store (as Settings does)."""
    if config.get("MINIO_CACHE_DIR"):
        return Path(config["MINIO_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "its-store"
