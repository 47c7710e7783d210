"""The fixed cost of a command: what the bench's commands import, run for real on an empty prefix.

Each command runs in a fresh interpreter (the console script's entry point) against the session's server,
and reports the modules it loaded. These tests fail if a module kept off these paths comes back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOT_ON_A_COMMAND_PATH = ("html",)  # s3/answers.py: only a listing marker with an "&" needs html.unescape
# no MINIO_BWLIMIT, no remote's limit: nothing to pace, so neither the pacer nor the limits' parser (~2 ms)
NOT_WITHOUT_A_LIMIT = {"its_store.core.bwlimit", "its_store.s3.pacing"}
NOT_ON_LS = {"its_store.codec.compression"}  # a listing hides the codec's metadata names, from core/models
# the checks of listing pages that would never end (~0.6M instructions): loaded by a listing's first page
NOT_WITHOUT_A_LISTING = {"its_store.s3.answer_paging"}
# modules libraries import at start-up for code its-store never runs on these paths: __main__.DEFERRED runs
# each on first use (asyncio ~50M instructions, the others ~27M together); _run reports the ones still waiting
# as not loaded, and their submodules show whether their code ran
NOT_RUN = {"asyncio", "asyncio.base_events", "asyncio.events", "_asyncio", "importlib.metadata",
           "importlib.metadata._meta", "zipfile", "configparser", "tarfile", "subprocess"}
# minio's modules that s3/deferred.py loads on first use (~200M instructions): none runs on these paths (its
# admin cryptography, the bucket configurations, S3 Select, multi-object delete, the answers of datatypes.py)
NOT_RUN_OF_MINIO = {"minio.crypto", "Crypto", "argon2", "minio.datatypes", "minio.deleteobjects", "minio.legalhold",
                    "minio.lifecycleconfig", "minio.notificationconfig", "minio.objectlockconfig",
                    "minio.replicationconfig", "minio.retention", "minio.select", "minio.sseconfig",
                    "minio.tagging", "minio.versioningconfig",
                    "minio.commonconfig", "minio.minioadmin"}  # ~33M: copies' and tags' classes, the admin client

CODE = r'''
import json, sys
sys.argv = ["its-store", *json.loads(sys.argv[1])]
from its_store.__main__ import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
# patterns compiled on first need: cli/logs' redactions (the first log line), the character classes of s3/keys,
# cli/output and core/refs (the first text that is not printable ASCII), s3/answers' checks of the governance
# answers (object lock, legal hold, retention, encryption), s3/listing_page's page patterns (the first listing page)
LAZY = {"its_store.cli.logs": "_redactions", "its_store.s3.keys": "_pattern", "its_store.cli.output": "_json_raw",
        "its_store.core.refs": "_unnameable", "its_store.s3.answers": "_compiled",
        "its_store.s3.listing_page": "_tokens"}
compiled = {m: getattr(sys.modules[m], f).cache_info().currsize for m, f in LAZY.items() if m in sys.modules}
def _waits(module):
    """Whether `module`'s code waits for its first use: __main__.DEFERRED, or s3/deferred.py's (its __getattr__)."""
    rest = vars(module).get("__getattr__")
    return (type(module).__name__ == "_RunOnFirstUse"
            or getattr(getattr(rest, "func", None), "__module__", None) == "its_store.s3.deferred")
waiting = sorted(n for n, m in list(sys.modules.items()) if m is not None and _waits(m))
sys.stderr.write("\nMODULES " + json.dumps([code, sorted(sys.modules), compiled, waiting]))
'''


def _run(argv: list[str], *, quiet: bool = True, lists: bool = True) -> tuple[int, set[str], str, str]:
    """(exit code, modules loaded, stderr, stdout) of `its-store [--quiet] ARGV` in a fresh interpreter; the
    run must not have compiled the patterns that wait for their first need (CODE's LAZY: ~7.5M instructions for
    cli/logs' redactions, ~3.7M for each character class, ~3M for the governance answers' checks): no line
    logged, no key or name but printable ASCII; unless it `lists`, not the listing pages' either (~4M)."""
    done = subprocess.run([sys.executable, "-c", CODE, json.dumps(["--quiet", *argv] if quiet else argv)],
                          capture_output=True, text=True,
                          timeout=120, check=False)
    head, _, tail = done.stderr.rpartition("\nMODULES ")
    assert tail, done.stderr
    code, modules, compiled, waiting = json.loads(tail)
    assert not any(n for m, n in compiled.items() if not (lists and m == "its_store.s3.listing_page")), (argv, compiled)
    return code, set(modules) - set(waiting), head, done.stdout


@pytest.mark.parametrize("command", ["ls", "get", "upload", "sync", "verify", "get-one", "sync-again"])
def test_bench_commands_load_only_what_they_use(bucket: str, tmp_path: Path, command: str) -> None:
    """On an empty prefix; `get-one` downloads one object (W3's command), `sync-again` finds nothing to do (W7's)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    prefix = f"s3://{bucket}/empty/"
    if command in ("get-one", "sync-again"):
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "frame.jpg").write_bytes(b"frame" * 1000)
        assert _run(["sync", str(tmp_path / "full"), f"s3://{bucket}/full/"])[0] == 0
    argv = {"ls": ["ls", prefix, "-r", "--json"], "get": ["get", prefix, str(tmp_path / "dst"), "-r"],
            "upload": ["upload", str(empty), prefix, "-r"], "sync": ["sync", str(empty), prefix, "--delete"],
            "verify": ["verify", prefix, "-r"],
            "get-one": ["get", f"{bucket}/full/frame.jpg", str(tmp_path / "frame.jpg")],
            "sync-again": ["sync", str(tmp_path / "full"), f"s3://{bucket}/full/"]}[command]
    code, modules, stderr, _ = _run(argv, lists=command != "get-one")
    assert (code, stderr) == (0, ""), stderr
    assert {"pydantic", "minio", "its_store.core.settings"} <= modules  # the command did read settings
    assert not {m for m in modules if m.split(".")[0] in NOT_ON_A_COMMAND_PATH}, command
    assert not modules & NOT_WITHOUT_A_LIMIT, command
    assert not modules & NOT_RUN, command
    assert not {m for m in modules if m in NOT_RUN_OF_MINIO or m.split(".")[0] in NOT_RUN_OF_MINIO}, command
    if command == "ls":
        assert not modules & NOT_ON_LS
    if command == "get-one":  # a HEAD and a GET: no listing
        assert not modules & NOT_WITHOUT_A_LISTING


@pytest.mark.parametrize("command", ["get", "sync"])
def test_the_summary_line_is_said_without_rich(bucket: str, tmp_path: Path, command: str) -> None:
    """Off a terminal, a command's summary line is a plain escaped line on stderr (cli/output.talk): rich's
    console, ~80M instructions of imports, is not loaded for it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = {"get": ["get", f"s3://{bucket}/empty/", str(tmp_path / "dst"), "-r"],
            "sync": ["sync", str(empty), f"s3://{bucket}/empty/"]}[command]
    code, modules, stderr, _ = _run(argv, quiet=False)
    assert code == 0 and stderr.startswith(("downloaded s3://", "copied 0 ")), stderr
    assert not {m for m in modules if m.split(".")[0] == "rich"}, command


def test_a_dotenv_file_is_read_below_the_environment(env: dict[str, str], tmp_path: Path) -> None:
    """With a .env in the working folder, its values show in `config` (names in any case, `export`, quotes)
    and the environment still wins over it."""
    (tmp_path / ".env").write_text("export MINIO_CACHE_TTL='77'\nminio_part_size=8MiB\n"
                                   f"MINIO_VIDEO_BUCKET=not-{env['MINIO_VIDEO_BUCKET']}\n")
    code, _, stderr, stdout = _run(["--json", "config"])
    assert (code, stderr) == (0, ""), stderr
    shown = json.loads(stdout)
    assert (shown["MINIO_CACHE_TTL"], shown["MINIO_PART_SIZE"]) == (77, 8 * 1024 * 1024)
    assert shown["MINIO_VIDEO_BUCKET"] == env["MINIO_VIDEO_BUCKET"]
