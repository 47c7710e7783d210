"""Operation counters: success rate, bytes, speeds, cache hits. Thread-safe, cheap to update.

`StorageStats` is what `StorageService.get_stats()` returns; the method names follow the product
documentation (get_success_rate(), get_cache_hit_rate(), average_upload_speed_bps).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OpCounter:
    count: int = 0
    failures: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass
class StorageStats:
    operations: dict[str, OpCounter] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, op: str, *, ok: bool, nbytes: int = 0, seconds: float = 0.0) -> None:
        with self._lock:
            counter = self.operations.setdefault(op, OpCounter())
            counter.count += 1
            counter.failures += 0 if ok else 1
            if ok:
                counter.bytes += nbytes
                counter.seconds += seconds

    def record_cache(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.cache_hits += 1
            else:
                self.cache_misses += 1

    @property
    def total_operations(self) -> int:
        return sum(c.count for c in self.operations.values())

    @property
    def failed_operations(self) -> int:
        return sum(c.failures for c in self.operations.values())

    def get_success_rate(self) -> float:
        """Percentage (0-100) of operations that succeeded; 100 when nothing has run yet."""
        total = self.total_operations
        return 100.0 if total == 0 else 100.0 * (total - self.failed_operations) / total

    def get_cache_hit_rate(self) -> float:
        """Percentage (0-100) of metadata lookups answered by the cache."""
        total = self.cache_hits + self.cache_misses
        return 0.0 if total == 0 else 100.0 * self.cache_hits / total

    def _speed(self, op: str) -> float:
        counter = self.operations.get(op)
        if not counter or counter.seconds <= 0:
            return 0.0
        return counter.bytes / counter.seconds

    @property
    def average_upload_speed_bps(self) -> float:
        """Bytes per second averaged over successful uploads."""
        return self._speed("upload")

    @property
    def average_download_speed_bps(self) -> float:
        return self._speed("download")

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_operations": self.total_operations,
            "failed_operations": self.failed_operations,
            "success_rate": round(self.get_success_rate(), 3),
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
            "cache_hit_rate": round(self.get_cache_hit_rate(), 3),
            "average_upload_speed_bps": round(self.average_upload_speed_bps, 1),
            "average_download_speed_bps": round(self.average_download_speed_bps, 1),
            "operations": {name: vars(c).copy() for name, c in sorted(self.operations.items())},
        }
