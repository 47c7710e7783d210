"""Session 29's attacker (issue 22): the changes merged this session, probed as a hostile user, a hostile
server and a different machine would. Each test is one finding (or one guard kept by it)."""

from __future__ import annotations

from typing import Any

import pytest
from faultserver import FaultServer
from test_bad_answers import fake, fake_cli  # noqa: F401 - the module's fake S3 and a CLI on it

from conftest import one_line_error

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
