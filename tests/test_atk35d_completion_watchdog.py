"""Session 35 (atk4): a TAB never hangs the shell, even where the completion's deadlines do not reach.

The deadlines and the hard cap (cli/completion/complete.py) are waits of the main thread on the network
thread. Before them, the settings are read: a secret file on a hung mount (here a FIFO no one writes,
which blocks open() the same way) held the completion process, and with it the user's shell,
for ever. Now main() seeks the answer under faulthandler's watchdog (WATCHDOG_SECONDS), which ends the
process with nothing printed. No duration is asserted: the process ends (a generous subprocess timeout
that, without the watchdog, is what ends it), and it printed nothing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from test_completion import its_store_exe, shell_env

from helpers import silent_tcp_server

GENEROUS = 60  # seconds: the process ends by WATCHDOG_SECONDS; without the watchdog it never does


def _tab(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """`_ITS_STORE_COMPLETE=names its-store ARGV...` as a shell script runs it; TimeoutExpired if it hangs."""
    return subprocess.run([its_store_exe(), *argv], env=env, capture_output=True, text=True, timeout=GENEROUS)


def test_a_secret_file_that_blocks_does_not_hang_the_tab(tmp_path: Path) -> None:
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    with silent_tcp_server() as endpoint:
        env = shell_env(_ITS_STORE_COMPLETE="names", MINIO_ENDPOINT=endpoint, MINIO_CACHE_DIR=str(tmp_path / "c"),
                        MINIO_SECRET_KEY_FILE=str(fifo))
        env.pop("MINIO_SECRET_KEY", None)
        out = _tab(env, "object", "s3://")
    assert (out.stdout, out.stderr) == ("", "")

