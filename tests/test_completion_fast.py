"""The fast completion path (cli/completion/fast.py) answers byte for byte like the Typer app, or hands over.

Each request is answered twice, by the Typer app (CliRunner, in-process, the way test_completion.py asks
it) and by fastcomplete.respond() in the same environment, for bash, zsh and fish. The fast path may
decline (Fallback: the console script then runs the Typer app); where it answers, stdout and exit code
must be identical. Lines marked FAST must be answered by the fast path. A few requests also go through
the real console script against the Typer app in a separate process.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from its_store.cli.completion import fast as fastcomplete
from its_store.cli.completion.generate import TABLE, table_source

from conftest import app_command
from helpers import seed_completion_cache

BIN = Path(sys.executable).parent
SHELLS = ("bash", "zsh", "fish")
WIDE = {"COLUMNS": "400", "TERM": "xterm"}  # rich wraps no help text at this width
TYPER_APP = "import sys; sys.argv[0] = 'its-store'\nfrom its_store.cli.app import run\nrun()"


# ------------------------------------------------------------------------------- the two paths
def request(shell: str, line: str, fish_action: str = "get-args") -> dict[str, str]:
    """The environment a shell sets for a completion of `line` (cursor at the end)."""
    env = {"_ITS_STORE_COMPLETE": f"complete_{shell}"}
    if shell == "bash":  # bash splits words at ':' and '=' (COMP_WORDBREAKS)
        words = line.replace(":", " : ").replace("=", " = ").split()
        if line.endswith(" "):
            words.append("")
        return {**env, "COMP_WORDS": "\n".join(words), "COMP_CWORD": str(len(words) - 1), "COMP_LINE": line,
                "COMP_POINT": str(len(line))}
    env["_TYPER_COMPLETE_ARGS"] = line
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = fish_action
    return env


def by_typer(env: dict[str, str]) -> tuple[str, int]:
    result = CliRunner().invoke(app_command(), [], env=env, prog_name="its-store", catch_exceptions=False)
    assert result.stderr == "", result.stderr
    return result.stdout, result.exit_code


def by_fast(env: dict[str, str]) -> tuple[str, int] | None:
    """fastcomplete's answer (None: it hands over to Typer), with `env` in os.environ as well."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        try:
            text, code = fastcomplete.respond(env["_ITS_STORE_COMPLETE"], os.environ, False)
        except fastcomplete.Fallback:
            return None
    return ("" if text is None else text), code


def compare(shell: str, line: str, fish_action: str = "get-args", **extra: str) -> bool:
    """Assert both paths agree on `line`; True when the fast path answered it."""
    env = {**WIDE, **request(shell, line, fish_action), **extra}
    fast = by_fast(env)
    if fast is None:
        return False
    assert fast == by_typer(env), f"{shell}: {line!r}"
    return True


FAST = [  # command lines the fast path answers itself (and must answer like Typer)
    "its-store ", "its-store u", "its-store x", "its-store -", "its-store --", "its-store --e", "its-store --endpoint ",
    "its-store --endpoint=", "its-store --endpoint=x ", "its-store --json ", "its-store -q -v -", "its-store -qv ",
    "its-store --bogus ", "its-store --bogus ls ", "its-store -x ls ", "its-store --retries ", "its-store --secure --",
    "its-store --insecure --s", "its-store --env-file .env -", "its-store -h ", "its-store ls --help ",
    "its-store bucket ", "its-store bucket c", "its-store bucket nope ", "its-store bucket create x --",
    "its-store bucket create x --preset ", "its-store bucket create x --preset=l", "its-store bucket create --preset=",
    "its-store bucket versioning b ", "its-store bucket versioning b o", "its-store bucket versioning b on ",
    "its-store bucket lifecycle ", "its-store bucket lifecycle set b --preset v", "its-store bucket encryption s",
    "its-store bucket lifecycle set b -f ", "its-store bucket create x --versioning --",
    "its-store model ", "its-store model p", "its-store model register f --", "its-store model list --sort ",
    "its-store model register f -n ", "its-store model register f -nfoo -", "its-store model list -w a -",
    "its-store tag ", "its-store tag set s3://b/k a=b ", "its-store tag rm -", "its-store tag get s3://b/k --ver",
    "its-store cache ", "its-store cache c", "its-store cache stats -", "its-store audit ", "its-store audit tail -",
    "its-store audit tail -n ", "its-store audit tail -n5 -", "its-store audit s",
    "its-store upload f.jpg --type ", "its-store upload f.jpg --type=mo", "its-store upload f.jpg -t ",
    "its-store upload f.jpg -tv", "its-store upload f.jpg -t=v", "its-store upload f.jpg --type VIDEO",
    "its-store upload -r f --r", "its-store upload f.jpg x -- ", "its-store upload f.jpg -- -",
    "its-store upload a b c ", "its-store upload f.jpg --compress ", "its-store upload f.jpg --sse s",
    "its-store upload --meta a=1 --meta b=2 --m", "its-store upload --json f -",
    "its-store ls --type v", "its-store ls --type video_frame --type ", "its-store ls -- -", "its-store ls -r -",
    "its-store ls x -r --type", "its-store presign s3://b/k --method ", "its-store presign s3://b/k --method g",
    "its-store rm a b c -", "its-store rm --dry-run --", "its-store rm -ry -", "its-store health ",
    "its-store health -", "its-store stats --prometheus ", "its-store stats --reset --", "its-store restore x -",
    "its-store 'quoted arg ", 'its-store ls "s3', "its-store ls\\ x ", "its-store upload ", "its-store ls ./",
    "its-store get s3://nope-bucket/", "its-store ls s3://Bad_Bucket/x", "its-store --endpoint",
    "its-store ls --type=", "its-store upload f.jpg --type=", "its-store = ", "its-store ls =",
    "its-store --version=x ", "its-store --install-completion ", "its-store --show-completion --",
]


@pytest.mark.parametrize("shell", SHELLS)
def test_static_answers_match_typer(shell, env):
    unanswered = [line for line in FAST if not compare(shell, line)]
    assert unanswered == []


@pytest.mark.parametrize("line", ["its-store --version ", "its-store -V ls ", "its-store -qV ls s3://"])
def test_callbacks_that_print_hand_over_to_typer(line, env):
    """click runs --version's callback while completing (it prints the version): Typer answers that."""
    for shell in SHELLS:
        assert by_fast({**WIDE, **request(shell, line)}) is None
        assert "its-store " in by_typer({**WIDE, **request(shell, line)})[0]


def test_fish_is_args_exit_codes(env):
    for line in ("its-store ", "its-store upload ", "its-store upload f.jpg --type ", "its-store health "):
        assert compare("fish", line, fish_action="is-args")
        assert compare("fish", line, fish_action="")
    assert by_fast(request("fish", "its-store upload ", "is-args")) == ("", 1)
    assert by_fast(request("fish", "its-store bucket ", "is-args")) == ("", 0)


def test_help_wider_than_the_console_hands_over(env):
    """rich wraps long help at the console width: the fast path answers only where it would not."""
    line = "its-store upload f --s"
    for index, shell in enumerate(("zsh", "fish")):
        longest = max(_need(text, index) for text in ("Server-side encryption: none, s3 (SSE-S3",
                                                       "File with the 32-byte"))  # upload's own help texts
        assert compare(shell, line, COLUMNS=str(longest))
        env_narrow = {**WIDE, **request(shell, line), "COLUMNS": str(longest - 1)}
        assert by_fast(env_narrow) is None
        assert by_typer(env_narrow) != by_typer({**env_narrow, "COLUMNS": str(longest)})  # Typer did wrap
    assert compare("bash", line, COLUMNS="20")  # bash shows no help
    assert compare("zsh", "its-store bucket ", COLUMNS="80", TERM="dumb")


def _need(prefix: str, shell: int) -> int:
    """The least console width at which the help starting with `prefix` is not wrapped (zsh 0, fish 1)."""
    from its_store.cli.completion import _table
    return next(entry[2 * shell + 1] for text, entry in _table.HELP.items() if text.startswith(prefix))


def test_other_requests_hand_over(env):
    assert by_fast({**request("bash", "its-store "), "_ITS_STORE_COMPLETE": "source_bash"}) is None
    assert by_fast({**request("zsh", "its-store "), "_ITS_STORE_COMPLETE": "complete_powershell"}) is None
    assert by_fast({**request("zsh", "its-store "), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}) is None
    old_bash = {k: v for k, v in request("bash", "its-store ").items() if k != "COMP_LINE"}
    assert by_fast(old_bash) is None


def test_random_command_lines_match_typer(env):
    """Lines drawn from the table's own words (and some noise), for every shell."""
    from its_store.cli.completion import _table
    words = ["--", "-", "=", "x", "s3://", "s3://b/k", "-qv", "-Z", "--nope", "a=b", "./f", "''"]
    for node in _table.COMMANDS.values():
        words += list(node["commands"]) + list(node["long"]) + list(node["short"])
        words += [c for p in node["params"] if isinstance(p["complete"], tuple) and p["complete"][0] == "choice"
                  for c in p["complete"][1]]
    rng = random.Random(20240611)
    answered = total = 0
    for _ in range(120):
        line = "its-store " + " ".join(rng.choice(words) for _ in range(rng.randint(0, 5)))
        line += rng.choice([" ", "", " -", " --", "="])
        for shell in SHELLS:
            total += 1
            answered += compare(shell, line, MINIO_ENDPOINT="127.0.0.1:9")
    assert answered > 0.8 * total  # hand-overs are the exception (--version, long help)


# ---------------------------------------------------------------------------- live suggestions
@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Network limits for a loaded machine, where these tests need the server's real answer."""
    from its_store.cli.completion import complete as module
    monkeypatch.setattr(module, "DEADLINE_SECONDS", 30.0)
    monkeypatch.setattr(module, "CONNECT_TIMEOUT", 5.0)
    monkeypatch.setattr(module, "READ_TIMEOUT", 20.0)


@pytest.fixture
def tree(service, bucket, patient) -> str:
    from its_store import UploadRequest
    for key in ("camera_001/a.jpg", "camera_001/b.jpg", "camera_002/c:d.jpg", "top.txt", "we ird/$x'.txt"):
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"x"))
    return bucket


def test_buckets_and_keys_match_typer(tree, env):
    lines = [f"its-store ls s3://{tree[:-2]}", "its-store ls s3:", "its-store ls ", "its-store ls s",
             f"its-store get s3://{tree}/cam", f"its-store stat s3://{tree}/camera_001/", f"its-store rm s3://{tree}/t",
             f"its-store rm s3://{tree}/top.txt s3://{tree}/camera_002/", f"its-store ls s3://{tree}/w",
             f"its-store upload f.jpg s3://{tree}/camera_00", f"its-store presign s3://{tree}/camera_002/",
             f"its-store --endpoint {env['MINIO_ENDPOINT']} ls s3://{tree}/c",
             f"its-store --json -q ls -r s3://{tree}/camera_001/a"]
    compare("bash", lines[0])  # the first answer fills the cache; both paths then read it
    for shell in SHELLS:
        for line in lines:
            assert compare(shell, line), f"{shell}: {line!r}"
    assert "camera_001/" in by_fast(request("fish", f"its-store ls s3://{tree}/cam"))[0]


def test_endpoint_and_env_file_flags_key_the_cache(env, tmp_path, monkeypatch):
    """--endpoint and --env-file pick the cache entry, on both paths, wherever they are typed."""
    _seed(Path(env["MINIO_CACHE_DIR"]), "127.0.0.1:9", env["MINIO_ACCESS_KEY"], ["flag-bucket"])
    _seed(Path(env["MINIO_CACHE_DIR"]), "127.0.0.1:7", "from-file", ["file-bucket"])
    (tmp_path / "other.env").write_text("MINIO_ENDPOINT=127.0.0.1:7\nMINIO_ACCESS_KEY=from-file\n")
    (tmp_path / ".env").write_text("MINIO_ENDPOINT=127.0.0.1:6\n")  # read only without --env-file
    monkeypatch.delenv("MINIO_ENDPOINT")
    for shell in SHELLS:
        for line in ("its-store --endpoint 127.0.0.1:9 ls s3://", "its-store --endpoint=127.0.0.1:9 rm x s3://f",
                     "its-store --endpoint 127.0.0.1:8 --endpoint 127.0.0.1:9 ls s3://"):
            assert compare(shell, line)
            assert "flag-bucket" in by_fast({**WIDE, **request(shell, line)})[0]
        monkeypatch.delenv("MINIO_ACCESS_KEY")
        for line in ("its-store --env-file other.env ls s3://", "its-store --env-file=other.env -q rm s3://f"):
            assert compare(shell, line)
            assert "file-bucket" in by_fast({**WIDE, **request(shell, line)})[0]
        monkeypatch.setenv("MINIO_ACCESS_KEY", env["MINIO_ACCESS_KEY"])


def _seed(cache_dir: Path, endpoint: str, access_key: str, buckets: list[str]) -> None:
    """Bucket names as a completion by this identity (the test's secret) would have cached them."""
    seed_completion_cache(cache_dir, endpoint, access_key, os.environ["MINIO_SECRET_KEY"], {"buckets": buckets})


def test_model_refs_match_typer(env, service, patient, tmp_path):
    from its_store.registry.registry import ModelRegistry
    registry = ModelRegistry(service)
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    for version in ("1.0.0", "2.0.0", "1.10.0"):
        registry.register_model(model_path=weights, model_name="yolo11_traffic", version=version)
    registry.promote("yolo11_traffic", "1.10.0", "production")
    lines = ["its-store model show yo", "its-store model list ", "its-store model pull yolo11_traffic@",
             "its-store model url yolo11_traffic@p", "its-store model rm yolo11_traffic@1", "its-store model aliases "]
    for shell in SHELLS:
        for line in lines:
            assert compare(shell, line), f"{shell}: {line!r}"
    assert by_fast(request("bash", "its-store model url yolo11_traffic@p"))[0] == "yolo11_traffic@production\n"


# ------------------------------------------------------------------------------ the real script
@pytest.mark.parametrize(("shell", "line", "fish_action"), [
    ("bash", "its-store bucket ", ""), ("zsh", "its-store upload f --type ", ""),
    ("zsh", "its-store bucket ", ""), ("fish", "its-store model ", "get-args"),
    ("fish", "its-store upload ", "is-args"), ("bash", "its-store -V ", ""),
    ("bash", "its-store ls s3://cached-", ""), ("zsh", "its-store ls s3://cached-bucket/", ""),
])
def test_console_script_matches_the_typer_app(shell, line, fish_action, env):
    """The real entry point (fast path, or Typer when it hands over) against the Typer app, as processes."""
    _seed(Path(env["MINIO_CACHE_DIR"]), env["MINIO_ENDPOINT"], env["MINIO_ACCESS_KEY"], ["cached-bucket"])
    run_env = {**{k: v for k, v in os.environ.items() if not k.startswith("_ITS_STORE")}, **WIDE,
               **request(shell, line, fish_action)}
    fast = subprocess.run([str(BIN / "its-store")], env=run_env, capture_output=True, timeout=60)
    typer = subprocess.run([sys.executable, "-c", TYPER_APP], env=run_env, capture_output=True, timeout=60)
    assert (fast.returncode, fast.stdout, fast.stderr) == (typer.returncode, typer.stdout, typer.stderr)
    assert fast.stderr == b""


def test_checked_in_table_is_current():
    """`make completions` output is checked in; regenerate with it when this fails."""
    assert TABLE.read_text(encoding="utf-8") == table_source(), f"{TABLE} is stale: run `make completions`"
