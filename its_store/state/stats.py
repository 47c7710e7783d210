"""Operation counters: success rate, bytes, speeds, cache hits. Thread-safe, cheap to update, kept between runs.

`StorageStats` counts in-process; what it counted since the last flush is merged into a `StatsStore`
(`<MINIO_CACHE_DIR>/stats.json`) under an exclusive file lock, so two processes finishing at once both
land their counts. Stats stay on the local disk even when the metadata cache is in Redis: they are this
machine's figures, exported per host to node_exporter (`to_prometheus()`); a shared Redis would make
every host export everybody's totals.

`StorageService.get_stats()` returns the persisted totals; the method names follow the product
documentation (get_success_rate(), get_cache_hit_rate(), average_upload_speed_bps).

Layout: this module is the store (StatsStore: stats.json under its lock, flush_pending, flush_when_collected);
the model (StorageStats, StatsTally, OpCounter) is state/stats_model.py (StatsReset: state/reports.py, created
on first use), the file's format and delta arithmetic state/stats_record.py, the node_exporter textfile
state/stats_prometheus.py. All their names are importable here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from its_store.core.errors import ItsStoreError
from its_store.core.jsontext import loads

# The model, the file format and the Prometheus export live in their own modules; every name stays importable
# from here, as before (its_store.StorageStats, service/context.py, the tests and cli/schemas.py name this module).
from its_store.state.stats_prometheus import to_prometheus as to_prometheus
from its_store.state.stats_prometheus import write_prometheus as write_prometheus
from its_store.state.stats_record import StatsRecord as StatsRecord
from its_store.state.stats_record import _check_record, _is_empty
from its_store.state.stats_record import merge_delta as merge_delta

if TYPE_CHECKING:
    from its_store.state.reports import StatsReset as StatsReset
    from its_store.state.stats_model import AUTOFLUSH_SECONDS as AUTOFLUSH_SECONDS
    from its_store.state.stats_model import OpCounter as OpCounter
    from its_store.state.stats_model import StatsTally as StatsTally
    from its_store.state.stats_model import StorageStats as StorageStats
else:  # created on first use (the live counter's model when something is counted, `stats --reset`'s report)
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"StatsReset": "reports", **dict.fromkeys(
        ("AUTOFLUSH_SECONDS", "OpCounter", "StatsTally", "StorageStats"), "stats_model")}, "its_store.state")

log = logging.getLogger("its_store.state.stats")


class StatsStore:
    """Totals of every run on this machine: one small JSON file, read-modify-written under flock."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / "stats.json"
        self.lock_path = self.directory / "stats.lock"
        self._warned = False

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        from its_store.core.files import file_lock
        return file_lock(self.lock_path)

    def _read(self) -> StatsRecord:
        """The record on disk; missing → empty; unreadable, or not a regular file (a FIFO would block
        this read forever, holding stats.lock) → kept aside as stats.json.corrupt, empty."""
        from its_store.core.statefile import read_state
        try:
            record = loads(read_state(self.path).decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
            _check_record(record)
            return cast("StatsRecord", record)
        except FileNotFoundError:
            return {}
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("stats file %s was unreadable (%s); starting from zero", self.path, exc)
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_suffix(".json.corrupt"))
            return {}

    def _write(self, record: StatsRecord) -> None:
        atomic_write_text(self.path, json.dumps(record, indent=1, sort_keys=True) + "\n")  # 0600, as all state

    def warn_once(self) -> bool:
        """True the first time a save failed: the run says so once, not at every flush that retries."""
        first, self._warned = not self._warned, True
        return first

    def merge(self, delta: StatsRecord) -> None:
        """Add a delta to the totals (raises OSError if the folder is not writable)."""
        if _is_empty(delta):
            return
        with self._locked():
            record = merge_delta(self._read(), delta)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            record.setdefault("since", now)
            record["updated"] = now
            record["version"] = 1
            self._write(record)

    def load(self) -> StorageStats:
        with self._locked():
            from its_store.state.stats_model import StorageStats
            return StorageStats.from_record(self._read())

    def reset(self) -> StatsReset:
        """Zero the totals (a fresh `since`)."""
        from its_store.core.errors import LocalIOError
        try:
            with self._locked():
                self._write({"version": 1, "since": datetime.now(UTC).isoformat(timespec="seconds"),
                             "operations": {}, "cache_hits": 0, "cache_misses": 0})
        except OSError as exc:
            raise LocalIOError(f"cannot reset the stats in {self.path}: {exc.strerror or exc}") from None
        from its_store.state.reports import StatsReset
        return StatsReset()


def flush_pending(stats: StorageStats, store: StatsStore) -> bool:
    """Persist what `stats` counted since the last flush. Never raises; a failed delta is kept for later."""
    delta = stats.take_pending()
    if _is_empty(delta):
        return True
    try:
        store.merge(delta)
        return True
    except ImportError:  # run by the garbage collector while filelock (the lock) was half imported: later
        stats.restore_pending(delta)
        return False
    except (OSError, ItsStoreError) as exc:  # a full disk, a folder that takes no write: the atomic write's
        stats.restore_pending(delta)         # LocalIOError as much as an OSError of the lock file
        reason = exc.message if isinstance(exc, ItsStoreError) else (exc.strerror or str(exc))
        if store.warn_once():
            log.warning("cannot save stats to %s: %s", store.path, reason)
        return False


def flush_when_collected(stats: StorageStats, store: StatsStore) -> None:
    """The flush of a service garbage-collected without close() (weakref.finalize). The collector runs at
    any allocation, also in the middle of the import of filelock that the stats lock needs: such a flush
    cannot take the lock then (ImportError), and is made again at exit instead of printing "Exception
    ignored in: <finalize object>" into the program's stderr and losing the counts."""
    if not flush_pending(stats, store):
        import atexit
        atexit.register(flush_pending, stats, store)


def atomic_write_text(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a file whole or not at all (core/files.py's atomic write); private (0600) unless `mode` says
    otherwise, as every state file (the audit log, the journals, the sync state)."""
    from its_store.core.files import write_atomic
    write_atomic(path, text, mode)
