"""Session 29's attacker (issue 22): the changes merged this session, probed as a hostile user, a hostile
server and a different machine would. Each test is one finding (or one guard kept by it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer
from test_bad_answers import fake, fake_cli  # noqa: F401 - the module's fake S3 and a CLI on it

from conftest import one_line_error
from helpers import DEADLINE, ROOT

# -- 3. garbage that reads as "nothing" under a merge ------------------------------------------------------
# The "missing" form: the answer's root element alone (<LifecycleConfiguration/>, <Tagging/>). Read alone it
# may mean "none"; but a merge that reads it so and writes back drops what the server holds.
MERGES = [
    ("GetBucketLifecycleConfiguration", ("bucket", "lifecycle", "set", "s3://bad", "--expire-days", "3",
                                         "--id", "new"), ("bad", "lifecycle"), b"r1"),
    ("GetBucketTagging", ("tag", "set", "s3://bad", "c=d"), ("bad", "tagging"), b"<Key>a</Key>"),
    ("GetObjectTagging", ("tag", "set", "s3://bad/k", "c=d"), ("bad/k", "tagging"), b"<Key>a</Key>"),
]


@pytest.mark.parametrize(("call", "args", "config", "kept"), MERGES, ids=[m[0] for m in MERGES])
def test_a_merge_never_drops_what_an_empty_answer_hid(fake: FaultServer, fake_cli: Any, call: str,  # noqa: F811
                                                      args: tuple[str, ...], config: tuple[str, str],
                                                      kept: bytes) -> None:
    fake.garble[call] = "missing"
    run = fake_cli(*args)
    stored = fake.configs.get(config, b"")
    assert kept in stored, (run.exit_code, run.stdout, run.stderr, stored)
    if call == "GetBucketLifecycleConfiguration":  # S3 says NoSuchLifecycleConfiguration for none: refused
        line = one_line_error(run)
        assert run.exit_code == 1 and f"answer to {call}" in line and "--replace" in run.stderr, run


# -- 4. a forked child of a server's owner is no owner ----------------------------------------------------
FORKING_OWNER = """
import os, signal, sys
from its_store.testing import children
mark = sys.argv[1]

class Server:  # what children.own() is given: stop() kills the server's process group, removes its folder
    def stop(self, remove=True):
        with open(mark, "a") as f:
            f.write(f"{os.getpid()}\\n")

children.own(Server())
child = os.fork()
if child == 0:  # a worker that ends normally (sys.exit: atexit runs)
    sys.exit(0)
os.waitpid(child, 0)
child = os.fork()
if child == 0:  # a worker told to stop (multiprocessing's terminate(): SIGTERM)
    signal.raise_signal(signal.SIGTERM)
    os._exit(3)
_, status = os.waitpid(child, 0)
print(os.getpid(), os.waitstatus_to_exitcode(status), flush=True)
"""


def test_a_forked_child_never_stops_its_parents_servers(tmp_path: Path) -> None:
    """A process forked by a server's owner (a multiprocessing worker, a test that forks) inherits the
    owned list, the atexit hook and the SIGTERM handler: its normal exit or its SIGTERM stopped the
    OWNER's servers (killed their process group, removed their folder) while the owner went on using them.
    Only the owner's own end stops them."""
    mark = tmp_path / "stopped"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", FORKING_OWNER, str(mark)], env=env, capture_output=True,
                          text=True, timeout=DEADLINE, check=True)
    owner, killed = done.stdout.split()
    assert killed == str(-signal.SIGTERM), done  # the child still dies of SIGTERM
    assert mark.read_text().split() == [owner], (owner, mark.read_text())  # stopped once, by its owner's exit
