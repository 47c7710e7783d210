"""HealthStatus: the health report as a dict that is also awaitable (the documented
`storage.get_health_status()['status']` without `await`, and `await storage.get_health_status()`).

One concern: when and where the check runs (on first read, or in a worker thread when awaited) while
every dict read still sees the whole report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from its_store.aio.runner import _Runner

if TYPE_CHECKING:  # pragma: no cover
    from its_store.service.health import HealthReport


class HealthStatus(dict[str, Any]):
    """The health report as a dict, filled on first read, or in a worker thread when awaited.

    `storage.get_health_status()['status']` (as the documentation writes it) and
    `(await storage.get_health_status())['status']` both work; only the awaited form keeps the
    event loop free while the endpoint is checked.
    """

    def __init__(self, check: Callable[[], HealthReport], runner: _Runner) -> None:
        super().__init__()
        self._check = check
        self._runner = runner
        self._done = False
        self._lock = threading.Lock()

    def _fill(self) -> HealthStatus:
        with self._lock:
            if not self._done:
                dict.update(self, self._check().model_dump())
                self._done = True
        return self

    def __await__(self) -> Generator[Any, None, HealthStatus]:
        if self._done:
            return self
        return (yield from self._runner.run(self._fill).__await__())

    # Every read goes through _fill(), so the report is there however it is looked at.
    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self._fill(), key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self._fill(), key)

    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self._fill())

    def __len__(self) -> int:
        return dict.__len__(self._fill())

    def __eq__(self, other: object) -> bool:
        return dict.__eq__(self._fill(), other)

    __hash__ = None

    def __repr__(self) -> str:
        return dict.__repr__(self._fill())

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self._fill(), key, default)

    def keys(self) -> Any:
        return dict.keys(self._fill())

    def values(self) -> Any:
        return dict.values(self._fill())

    def items(self) -> Any:
        return dict.items(self._fill())

    def copy(self) -> dict[str, Any]:
        return dict(self._fill().items())

