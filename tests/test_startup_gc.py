"""The its-store process starts without cyclic collections (core/heap.collect_rarely_during_start_up): its
start-up objects live until it exits, so the collector's passes over them during the imports were wasted. The
start-up ends when the S3 client exists: frozen, and the collector's thresholds given back for the command's
own work. Observed in a real process against the session server, through gc.callbacks (no patching)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT

WATCH = """
import gc, json, sys
early = []
def seen(phase, info):
    if phase != "start":
        return
    out = sys.modules.get("its_store.cli.output")
    svc = out.STATE.open_service if out is not None else None
    if svc is None or not svc.ctx.s3_opened:  # before the S3 client exists: the start-up
        early.append(info["generation"])
sys.argv = ["its-store", *ARGS]
from its_store.__main__ import main  # what the interpreter and the console script load first is not ours
gc.collect()  # a young generation left near its threshold by those imports is not the start-up's doing
gc.callbacks.append(seen)
before = gc.get_threshold()
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
sys.stderr.write(json.dumps({"code": code, "early": early, "frozen": gc.get_freeze_count(),
                             "before": before, "after": gc.get_threshold()}) + "\\n")
"""


def _run(args: list[str], env: dict[str, str]) -> dict:
    code = WATCH.replace("ARGS", repr(args))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_no_collection_runs_before_the_client_exists_and_the_thresholds_come_back(env, tmp_path) -> None:
    import os
    seen = _run(["--quiet", "ls"], {**os.environ, **env})  # lists the buckets: builds the client, asks the server
    assert seen["code"] == 0
    assert seen["early"] == [], f"{len(seen['early'])} collections ran during the start-up"
    assert seen["frozen"] > 10_000  # the start-up's objects, out of every later pass
    assert seen["after"] == seen["before"]  # the command's own garbage is collected as usual


def test_a_command_without_a_client_gives_the_thresholds_back(env) -> None:
    import os
    seen = _run(["--help"], {**os.environ, **env})
    assert seen["code"] in (0, None)
    assert seen["after"] == seen["before"]
