"""The regular expressions a command compiles (issue 22, start-up): each costs ~0.3-3M instructions when it is
compiled, so ours wait for their first use (functools.cache'd functions, or a source string that re compiles
and caches on its first use). A `get` of one object (a HEAD and a GET) and a `sync` with nothing to do run for
real in a fresh interpreter against the session's server, and report which of ours they compiled.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import DEADLINE, ROOT

# module -> its patterns compiled on first use: none of them at import
LAZY = {"its_store.s3.answers": ["_root", "_prolog"], "its_store.s3.answer_paging": ["_truncated", "_url_encoded"],
        "its_store.s3.listing_page": ["_tokens", "_head"],
        "its_store.core.units": ["_size_re", "_duration_re", "_rfc3339"]}
# ... which of them each command needs: a sync reads its listing page
USED = {"get": set(), "sync": {"its_store.s3.answers._root", "its_store.s3.answers._prolog",
                               "its_store.s3.answer_paging._truncated", "its_store.s3.listing_page._tokens",
                               "its_store.s3.listing_page._head"}}
# module-level patterns left, each used on every path that imports its module (a location, a key, a request URL)
EAGER = {"its_store.core.refs": {"_BUCKET_RE", "_IP_RE", "_CONTROL", "_DOT_SEGMENT"},
         "its_store.core.remotes": {"_SCHEME"},
         "its_store.core.signing_text": None, "its_store.core.files": {"TEMP_NAME"},
         "its_store.state.stats_record": {"GAUGE_NAME"}, "its_store.state.stats_model": {"GAUGE_NAME"},
         "its_store.sync.deletes": {"_SEGMENT"}, "its_store.sync.remember": {"_MD5"},
         "its_store.state.service_cache": None}

_RUN = """
import json, re, sys
lazy = json.loads(sys.argv[1])
sys.argv = ["its-store", *sys.argv[2:]]
from its_store.__main__ import main
try:
    main()
except SystemExit as end:
    code = end.code
called = sorted(f"{m}.{f}" for m, fs in lazy.items() if m in sys.modules for f in fs
                if hasattr(getattr(sys.modules[m], f, None), "cache_info")
                and getattr(sys.modules[m], f).cache_info().currsize)
eager = {n: sorted(k for k, v in vars(m).items() if isinstance(v, re.Pattern))
         for n, m in list(sys.modules.items()) if n.startswith("its_store") and m is not None}
sys.stderr.write("\\nPATTERNS " + json.dumps([code, called, {n: v for n, v in eager.items() if v}]))
"""


def _patterns(env: dict[str, str], *argv: str) -> tuple[Any, set[str], dict[str, list[str]]]:
    environ = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    for name in ("MINIO_MULTIPART_THRESHOLD", "MINIO_PART_SIZE"):  # a size from the environment is parsed
        environ.pop(name, None)
    run = subprocess.run([sys.executable, "-c", _RUN, json.dumps(LAZY), *argv], capture_output=True, text=True,
                         timeout=DEADLINE, env=environ)
    tail = run.stderr.rpartition("\nPATTERNS ")[2]
    assert tail, run.stderr
    code, called, eager = json.loads(tail)
    return code, set(called), eager


@pytest.mark.parametrize("command", ["get", "sync"])
def test_a_command_compiles_only_the_patterns_it_uses(env: dict[str, str], cli: Any, bucket: str, tmp_path: Path,
                                                      command: str) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"frame" * 100)
    assert cli("sync", str(folder), f"s3://{bucket}/s/").exit_code == 0  # stored; the next sync has nothing to do
    argv = {"sync": ["sync", str(folder), f"s3://{bucket}/s/"],
            "get": ["get", f"s3://{bucket}/s/a.jpg", str(tmp_path / "a.jpg")]}[command]
    code, called, eager = _patterns(env, *argv)
    assert code == 0
    assert called == USED[command]
    for module, names in eager.items():  # no other module compiles one at import
        assert module in EAGER, (module, names)
        assert EAGER[module] is None or set(names) <= EAGER[module], (module, names)


def test_the_lazy_patterns_compile_to_what_they_were() -> None:
    """Each lazy pattern compiles (a typo would show only on its first use), and matches what it matched."""
    from its_store.core import lock, remote_config, remotes, units
    from its_store.s3 import answer_paging, answers, listing_page  # noqa: F401 - answer_paging: LAZY's, looked up
    for module, names in LAZY.items():
        for name in names:
            assert isinstance(getattr(sys.modules[module], name)(), re.Pattern), (module, name)
    assert answers._root().match(b"<s3:ListBucketResult x>").group(2) == b"ListBucketResult"
    assert listing_page._head().match(b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>')
    assert units.parse_size("64MiB") == 64 * 1024 * 1024 and units.parse_rfc3339("2026-12-07T07:38:27.5Z")
    assert re.fullmatch(remote_config._NAME, "edge-07") and not re.fullmatch(remote_config._NAME, "-x")
    assert lock.span_days("2w") == 14
    said = remotes.said_of_remote("s3://b/k: check MINIO_ACCESS_KEY", "edge")
    assert said == "edge:b/k: check remote edge's access_key"
