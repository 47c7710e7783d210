"""Finding of an attack on d3f20e5 (service/kept.settled: a setting or lock is read back up to 3 more times
over ~1.4 s before "not kept"). The pauses go through core/retry.pause_before_retry, which answers False at
once while an interrupt unwinds (core/retry.interrupting: a fan-out's main thread joining its workers after
Ctrl-C / SIGTERM). settled then BREAKS and returns the last read, and the caller decides "not kept" on it:
a worker that was waiting for a lagging lock (upload -r --retain / --legal-hold, retention set -r,
sync --retain: lockcheck.ensure_locked) reports LockNotKeptError 's3://B/k was stored, but without the
retention asked for (...): this version is NOT protected; this server does not keep object locks' into
the item and the write's audit line (verified false, the custody record), for a version whose lock may well
have been kept: it was the interrupt, not the server. Fails now (left failing).
"""

from __future__ import annotations

import pytest

from its_store.core.retry import interrupting
from its_store.service.kept import settled


def test_an_interrupt_during_the_settle_wait_is_no_verdict() -> None:
    """The read-back's second read would find the setting kept; an interrupt unwinding during the first
    pause must end the wait as an interrupt (or read once more), never return the unsettled first read for
    the caller to call "not kept". Fix (shallow, the one loop): in settled, when pause_before_retry answers
    False, raise the interrupt's own error (core/errors.Interrupted, or a KeyboardInterrupt as the fan-out
    expects of an interrupted worker) instead of `break`; a lock/setting not checked because of an
    interrupt is then reported interrupted (exit 130), its audit line `unchecked`, not `verified: false`."""
    reads = iter([{"lock": None}, {"lock": "GOVERNANCE"}])
    with interrupting():
        try:
            found = settled(lambda: next(reads), lambda got: got["lock"] is not None, pauses=(0.2,))
        except BaseException:  # noqa: BLE001 - any interrupt-shaped end is the fix
            return
    pytest.fail(f"settled returned an unsettled read during an interrupt: {found} (the caller says 'not kept')")
