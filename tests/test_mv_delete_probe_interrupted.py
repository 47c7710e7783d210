"""mv's If-Match probe (s3/conditional.deletes_if_match) reads a DELETE whose If-Match the server rejects (400,
501: tests/test_mv_delete_probe_rejected.py) as "ignored". That reading is of a server's answer only: an
interrupt (Ctrl-C or SIGTERM unwinding while the probe waits to retry its connection) or a closed client is no
answer. Both were taken for a rejection: the finding "ignored" was kept for the client's life, and the move went
on to its DELETE (a HEAD, then a DELETE without If-Match) while the run was being interrupted. Now they are the
caller's. Real parts: a loopback port nothing listens on (its connection refused, retried), core/retry's
interrupt state; a client closed by its own close()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E

from helpers import closed_port


def _client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from its_store import load_settings
    from its_store.s3.client import S3Client

    from conftest import ServerInfo, environment_for
    names = {"default": "p-default", "video": "p-video", "models": "p-models", "logs": "p-logs"}
    environment_for(ServerInfo(f"127.0.0.1:{closed_port()}", "probeaccess", "probe-secret-key-0123"), names,
                    monkeypatch, tmp_path)
    return S3Client(load_settings(max_retries=2))


PROBE = "cam/.its-store-delete-probe-0123456789abcdef"


def _interrupted_then_closed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, probe: str) -> None:
    """The probe `probe` (a client method's name) while an interrupt unwinds: InterruptedError_; then, the
    client closed: ClosedError. Neither is read as a finding."""
    from its_store.core.retry import interrupting
    s3 = _client(monkeypatch, tmp_path)
    try:
        with interrupting(), pytest.raises(E.InterruptedError_):
            getattr(s3, probe)("p-video", PROBE)
    finally:
        s3.close()
    with pytest.raises(E.ClosedError):
        getattr(s3, probe)("p-video", PROBE)


def test_an_interrupt_or_a_closed_client_during_the_probe_is_no_rejection(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    _interrupted_then_closed(monkeypatch, tmp_path, "deletes_if_match")


def test_the_conditional_write_probe_takes_them_as_no_answer_too(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """Its sibling, the If-None-Match / If-Match PUT probe (conditional_write_gap), said "refuses conditional PUTs
    (interrupted ...)" and kept that for the client's life: the registry's writes then failed as unsupported
    (exit 78)."""
    _interrupted_then_closed(monkeypatch, tmp_path, "conditional_write_gap")
