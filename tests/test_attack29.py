"""Session 29's attacker (issue 22): the changes merged this session, probed as a hostile user, a hostile
server and a different machine would. Each test is one finding (or one guard kept by it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import Conn, FaultServer, Request, response, s3_error
from test_bad_answers import fake, fake_cli  # noqa: F401 - the module's fake S3 and a CLI on it
from test_remotes import config, offline_cli  # noqa: F401 - a remotes file of its own, a CLI without a server

from its_store.core import errors as E

from conftest import ServerInfo, environment_for, one_line_error
from helpers import DEADLINE, ROOT, ctrl_c_when

# -- 3. garbage that reads as "nothing" under a merge ------------------------------------------------------
# The "missing" form: the answer's root element alone (<LifecycleConfiguration/>, <Tagging/>). Read alone it
# may mean "none"; but a merge that reads it so and writes back drops what the server holds.
MERGES = [
    ("GetBucketLifecycleConfiguration", ("bucket", "lifecycle", "set", "s3://bad", "--expire-days", "3",
                                         "--id", "new"), ("bad", "lifecycle"), b"r1"),
    ("GetBucketTagging", ("tag", "set", "s3://bad", "c=d"), ("bad", "tagging"), b"<Key>a</Key>"),
    ("GetObjectTagging", ("tag", "set", "s3://bad/k", "c=d"), ("bad/k", "tagging"), b"<Key>a</Key>"),
]


@pytest.mark.parametrize(("call", "args", "where", "kept"), MERGES, ids=[m[0] for m in MERGES])
def test_a_merge_never_drops_what_an_empty_answer_hid(fake: FaultServer, fake_cli: Any, call: str,  # noqa: F811
                                                      args: tuple[str, ...], where: tuple[str, str],
                                                      kept: bytes) -> None:
    fake.garble[call] = "missing"
    run = fake_cli(*args)
    stored = fake.configs.get(where, b"")
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


# -- 5. the first Ctrl-C with no fan-out: one file's multipart upload -------------------------------------


class BusyParts:
    """Answers every UploadPart with 503 SlowDown and a Retry-After of a day; `waiting`: one was answered."""

    def __init__(self) -> None:
        self.hits, self.waiting = 0, threading.Event()

    def __call__(self, server: FaultServer, req: Request, conn: Conn) -> bool:
        if s3_call(req) != "UploadPart":
            return False
        conn.read_body(req)
        conn.send(s3_error(503, "SlowDown", "Please reduce your request rate.", req.path,
                           headers={"Retry-After": "86400"}))
        self.hits += 1
        self.waiting.set()
        return True


@pytest.mark.parametrize("recursive", [False, True], ids=["one-file", "upload-r"])
def test_ctrl_c_cuts_the_back_off_of_one_files_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      recursive: bool) -> None:
    """`upload big.bin s3://b/k` (no -r: no fan-out, its parts sent by transfer/parts.bounded_pool's workers;
    with -r too, where fan_out's join cuts it):
    the first Ctrl-C while a part waits out a Retry-After of a day ends it (exit 130), no retry sent, the
    multipart upload aborted, nothing stored. The process ending at all is the proof; no time is measured."""
    busy = BusyParts()
    with FaultServer(busy, buckets=("its-b",)) as server:
        (tmp_path / "up").mkdir()
        (tmp_path / "up" / "big.bin").write_bytes(b"frame" * 1000)
        environment_for(ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123"),
                        dict.fromkeys(("default", "video", "models", "logs"), "its-b"), monkeypatch, tmp_path)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MINIO_MAX_RETRIES": "5", "MINIO_MULTIPART_THRESHOLD": "1KiB"}
        code, text = ctrl_c_when(busy.waiting, ["upload", "--compress", "none", *(
            ["up", "s3://its-b/", "-r"] if recursive else ["up/big.bin", "s3://its-b/big.bin"])], env, tmp_path,
            "the part's back-off (Retry-After: one day)")
        assert code == E.EXIT_INTERRUPTED, text
        assert "Traceback" not in text and "its-store: error: interrupted" in text, text
        assert busy.hits == 1, [(r.method, r.target) for r in server.requests]  # no retry
        assert not server.uploads and ("its-b", "big.bin") not in server.objects, server.uploads  # aborted, not stored


# -- 2. the default endpoint's flags on `remote`: refused, but help still shown ----------------------------
@pytest.mark.parametrize("command", [["add"], ["ls"], ["show"], ["rm"], ["test"]])
def test_help_of_a_remote_command_is_shown_beside_the_flags(offline_cli: Any, config: Path,  # noqa: F811
                                                             command: list[str]) -> None:
    """`its-store --endpoint H remote add --help` printed the refusal of --endpoint (the group's callback
    runs before its command's --help is read) instead of the help; the command itself still refuses it."""
    run = offline_cli("--endpoint", "h:2", "remote", *command, "--help")
    assert run.exit_code == 0 and "Usage:" in run.stdout, run
    assert not config.parent.exists()


def test_the_default_endpoints_variables_are_no_flags(offline_cli: Any, config: Path) -> None:  # noqa: F811
    """Guard: MINIO_ENDPOINT, MINIO_REGION, MINIO_SECURE in the environment (even unusable ones) are not the
    flags: a command on remotes only is not refused for them."""
    env = {"MINIO_ENDPOINT": "nowhere:1", "MINIO_REGION": "eu-9", "MINIO_SECURE": "maybe",
           "ITS_STORE_REMOTE_EDGE_ENDPOINT": "http://h:1", "ITS_STORE_REMOTE_EDGE_ACCESS_KEY": "a",
           "ITS_STORE_REMOTE_EDGE_SECRET_KEY": "edge-secret-0123"}
    run = offline_cli("remote", "ls", extra_env=env)
    assert run.exit_code == 0 and "edge" in run.stdout, run
    run = offline_cli("remote", "show", "edge", extra_env=env)
    assert run.exit_code == 0 and "http://h:1" in run.stdout, run


# -- 1. a file whose size its stat does not tell ----------------------------------------------------------
@pytest.mark.parametrize("compress", ["none", "auto", "zstd"])
def test_a_proc_file_is_not_stored_empty(fake: FaultServer, fake_cli: Any, compress: str) -> None:  # noqa: F811
    """/proc files are regular files whose st_size is 0 whatever they hold: `upload /proc/self/status` stored
    an empty object (its its-sha256 that of no bytes) and said "uploaded", exit 0. A /sys file (st_size 4096,
    fewer bytes) is refused as changed (exit 5); an empty stat must be checked the same way (one read past it)."""
    run = fake_cli("upload", "--compress", compress, "/proc/self/status", "s3://bad/status")
    assert ("bad", "status") not in fake.objects, run
    assert run.exit_code == 2 and one_line_error(run) and "/proc" in run.stderr, run


THREAD_OWNER = """
import os, sys, threading
mark = sys.argv[1]

def start():  # a fixture run in a thread: the first import of children is there
    from its_store.testing import children

    class Server:
        def stop(self, remove=True):
            with open(mark, "a") as f:
                f.write(f"{os.getpid()}\\n")
    children.own(Server())

starter = threading.Thread(target=start)
starter.start()
starter.join()
print(os.getpid(), flush=True)
"""


def test_servers_owned_from_a_thread_stop_at_a_normal_exit(tmp_path: Path) -> None:
    """children.py was first imported from a thread: its hook then set nothing, not even atexit (which any
    thread may register), so a normal exit left the servers' folders behind (their process killed by the
    parent-death signal only). A normal exit stops them however the module came in."""
    mark = tmp_path / "stopped"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", THREAD_OWNER, str(mark)], env=env, capture_output=True,
                          text=True, timeout=DEADLINE, check=True)
    assert mark.exists() and mark.read_text().split() == done.stdout.split(), done


@pytest.mark.parametrize("body", [b'{"Version": "2012-10-17"}', b'{"Version": "2012-10-17", "Statement": "all"}',
                                  b"{}"], ids=["no-statement", "statement-a-string", "empty-object"])
def test_a_policy_without_statements_is_a_bad_answer(fake: FaultServer, fake_cli: Any, body: bytes) -> None:  # noqa: F811
    """S3 answers NoSuchBucketPolicy when a bucket has none, and stores no policy without a Statement (a list,
    or one statement object). Such an answer read as a policy with no statement said "not public" of a
    bucket whose real policy it hid (health, bucket info): it is a bad answer, the bucket's exposure unknown."""
    def policy(server: FaultServer, req: Request, conn: Conn) -> bool:
        if s3_call(req) != "GetBucketPolicy":
            return False
        conn.send(response(200, body, content_type="application/json"))
        return True
    fake.handler = policy
    run = fake_cli("bucket", "policy", "show", "s3://bad")
    assert run.exit_code == 1 and "answer to GetBucketPolicy" in one_line_error(run), run
    doc = fake_cli("bucket", "info", "s3://bad", "--json").json()
    assert doc["public"] is None and "answer to GetBucketPolicy" in doc["unknown"]["public"], doc


def test_a_bucket_tag_merge_never_drops_what_an_empty_tag_set_hid(fake: FaultServer, fake_cli: Any) -> None:  # noqa: F811
    """A bucket's tags answered as an empty <TagSet> (S3 says NoSuchTagSet when there are none) while the bucket
    holds a=b: `tag set s3://bad c=d` merged with "none" and wrote c=d alone, a=b lost. Refused (exit 1);
    `tag get` still reads it as no tags, --replace writes without reading."""
    def empty(server: FaultServer, req: Request, conn: Conn) -> bool:
        if s3_call(req) != "GetBucketTagging":
            return False
        conn.send(response(200, b'<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/'
                                b'doc/2006-03-01/"><TagSet></TagSet></Tagging>', content_type="application/xml"))
        return True
    fake.handler = empty
    run = fake_cli("tag", "set", "s3://bad", "c=d")
    assert b"<Key>a</Key>" in fake.configs[("bad", "tagging")], (run, fake.configs[("bad", "tagging")])
    assert run.exit_code == 1 and "answer to GetBucketTagging" in one_line_error(run) and "--replace" in run.stderr
    assert fake_cli("tag", "get", "s3://bad").exit_code == 0
