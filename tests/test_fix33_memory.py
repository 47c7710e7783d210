"""Session 33, fix: a command that runs out of memory (`ulimit -v`, LimitAS= of a service unit) says so.

It said "unexpected MemoryError: (hint: run with --debug for a traceback and report it)": a bug to report,
where the cause is the machine's limit. Now it is one line, "out of memory", exit 1 (docs/concepts/exit-codes.md).
A policy file read whole is the allocation here: 3 GB (sparse) under an 800 MB address-space limit.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli_process


def test_out_of_memory_is_one_clear_line(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    big = tmp_path / "policy.json"
    with open(big, "wb") as f:
        f.truncate(3 * 1024**3)
    for args in (["bucket", "policy", "set", bucket, "--file", str(big)],
                 ["--json", "bucket", "policy", "set", bucket, "--file", str(big)]):
        done = run_cli_process(args, env, tmp_path, prefix=("prlimit", "--as=800000000"))
        assert done.exit_code == 1, done
        assert "Traceback" not in done.stderr and "unexpected" not in done.stdout + done.stderr, done
        if args[0] == "--json":
            assert json.loads(done.stdout)["error"]["code"] == "out_of_memory", done
        else:
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("its-store: error: out of memory"), done
