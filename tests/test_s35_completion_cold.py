"""Session 35 (small, gap e): a completion with a cold cache waits for a slow server; one with something
to offer does not; a hard cap bounds every wait.

The server is made slow by a FaultProxy (tests/faultproxy.py) that holds each request 2 x DEADLINE_SECONDS
before passing it on to SeaweedFS: slower than the 0.3 s deadline, always. Before, a TAB with nothing
cached offered nothing (the listing answered after the deadline, and after the 0.3 s read timeout). Now
a cold cache waits COLD_DEADLINE_SECONDS; a stale answer is still offered at the short deadline, and
the hard cap (HARD_CAP_SECONDS, all the waits of one completion) wins over both. No duration is asserted:
the proxy's hold is a floor, the outcomes are names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_gaps33_denied_settings import _port

from its_store.cli.completion import complete

from helpers import seed_completion_cache


@pytest.fixture
def slow(s3_server: Any, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[str]:
    """The endpoint of a slow SeaweedFS (the default endpoint of this test's environment)."""
    with FaultProxy(_port(s3_server.endpoint), stall_seconds=2 * complete.DEADLINE_SECONDS) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        yield proxy.endpoint


def _ask(capfd: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    found = complete.answer(list(argv))
    assert capfd.readouterr().err == ""
    return found


def test_a_cold_cache_waits_for_a_slow_listing(slow: str, bucket: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert _ask(capfd, "object", f"s3://{bucket[:-2]}") == [f"s3://{bucket}/"]


def test_a_stale_answer_is_still_offered_at_the_short_deadline(slow: str, env: dict[str, str], bucket: str,
                                                              capfd: pytest.CaptureFixture[str]) -> None:
    seed_completion_cache(Path(env["MINIO_CACHE_DIR"]), slow, env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"],
                          {"buckets": ["cached-bucket"]}, age=complete.TTL_SECONDS * 5)
    assert _ask(capfd, "object", "s3://") == ["s3://cached-bucket/"]


def test_the_hard_cap_wins_over_the_cold_deadline(slow: str, bucket: str, monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(complete, "HARD_CAP_SECONDS", 0.0)
    assert _ask(capfd, "object", f"s3://{bucket[:-2]}") == []
