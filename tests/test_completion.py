"""Shell completion: the scripts in completions/, and live answers (buckets, keys, enum values).

Live answers are asked the way a shell asks them: the completion environment variables, through the
app in-process (CliRunner: the Typer path) or through the real console script and the real bash script
(the fast path of cli/completion/fast.py; test_completion_fast.py compares the two).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from its_store.cli.app import app
from its_store.cli.completion.complete import CACHE_FILE, TTL_SECONDS
from its_store.cli.completion.fast import relative_to_bash_word
from its_store.cli.completion.generate import FILES
from its_store.cli.completion.shells import relative_answers

from helpers import seed_completion_cache

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NO_DETECT = "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"


def its_store_exe() -> str:
    exe = BIN / "its-store"
    assert exe.is_file(), f"console script missing: {exe} (pip install -e .)"
    return str(exe)


def shell_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_ITS_STORE") and k != NO_DETECT}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


# ------------------------------------------------------------------------------ the scripts
@pytest.mark.parametrize("shell", sorted(FILES))
def test_checked_in_script_is_current(shell):
    """`make completions` output is checked in; regenerate with it when this fails."""
    checked_in = REPO / "completions" / FILES[shell]
    assert checked_in.is_file(), f"{checked_in} missing: run `make completions`"
    out = subprocess.run([its_store_exe()], env=shell_env(_ITS_STORE_COMPLETE=f"source_{shell}"),
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == checked_in.read_text().strip(), f"{checked_in} is stale: run `make completions`"
    shown = subprocess.run([its_store_exe(), "--show-completion", shell], env=shell_env(**{NO_DETECT: "1"}),
                           capture_output=True, text=True, timeout=60, check=True)
    assert shown.stdout.strip() == checked_in.read_text().strip()


def test_zsh_script_starts_with_compdef():
    assert (REPO / "completions" / FILES["zsh"]).read_text().startswith("#compdef its-store\n")


def test_install_completion_installs_our_bash_script(tmp_path):
    env = shell_env(HOME=str(tmp_path), **{NO_DETECT: "1"})
    out = subprocess.run([its_store_exe(), "--install-completion", "bash"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out
    installed = tmp_path / ".bash_completions" / "its-store.sh"
    assert installed.read_text().strip() == (REPO / "completions" / FILES["bash"]).read_text().strip()
    assert f"source '{installed}'" in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize(("value", "typed", "current", "reply"), [
    ("s3://its-video/", "s3://its-", "//its-", "//its-video/"),       # bash split at ':'
    ("s3://its-video/", "s3:", ":", "://its-video/"),
    ("s3://its-video/", "s3", "s3", "s3://its-video/"),
    ("video_frame", "--type=vid", "vid", "video_frame"),             # bash split at '='
    ("video_frame", "--type=", "=", "=video_frame"),
    ("video_frame", "--type=vid", "--type=vid", "video_frame"),      # no split: unchanged
    ("s3://b/k", "s3://b/", None, "s3://b/k"),                        # old script: no COMP_WORDS
])
def test_reply_relative_to_bash_word(value, typed, current, reply):
    assert relative_to_bash_word(value, typed, current) == reply


@pytest.mark.parametrize(("answer", "typed", "current", "reply"), [
    ("s3://a/\ns3://b/\n", "s3://", "//", "//a/\n//b/\n"),       # Typer's bash answer, one value a line
    ("\n", "s3:", ":", "\n"),                                      # nothing offered stays nothing
    ("", "s3:", ":", ""),
    ("video_frame\n", "--type=v", "v", "video_frame\n"),
])
def test_typer_bash_answers_relative_to_bash_word(answer, typed, current, reply):
    assert relative_answers(answer, typed, current) == reply


def _private_uses(path: Path) -> list[str]:
    """Imports of private modules or names of typer, click or rich in `path`, and private attributes
    read from them (`typer._click`, `from typer.core import _X`, `rich_utils._get_rich_console`), or
    private methods overridden or called through super() in subclasses of their classes."""
    import ast
    import re
    tree = ast.parse(path.read_text(encoding="utf-8"))
    third = ("typer", "click", "rich")
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in third:
                    aliases.add(alias.asname or alias.name.split(".")[0])
                    found += [alias.name] if any(p.startswith("_") for p in alias.name.split(".")) else []
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in third:
            parts = node.module.split(".")
            found += [node.module] if any(p.startswith("_") for p in parts) else []
            for alias in node.names:
                aliases.add(alias.asname or alias.name)
                found += [f"{node.module}.{alias.name}"] if alias.name.startswith("_") else []
    private = re.compile(r"^_[^_]|^_$")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private.match(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            from_super = isinstance(root, ast.Call) and ast.unparse(root.func) == "super"
            if from_super or (isinstance(root, ast.Name) and root.id in aliases):
                found.append(f"{ast.unparse(node)} (line {node.lineno})")
        elif isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name | ast.Attribute) and
                                                    ast.unparse(b).split(".")[0] in aliases for b in node.bases):
            found += [f"{node.name}.{f.name} overrides a private method" for f in node.body
                      if isinstance(f, ast.FunctionDef) and private.match(f.name)]
    return found


def test_cli_uses_no_private_typer_click_or_rich_api():
    """Completion and help rely on public API only (DESIGN.md): a Typer upgrade may move its privates."""
    cli = REPO / "its_store" / "cli"
    found = {str(p.relative_to(REPO)): uses for p in sorted(cli.rglob("*.py")) if (uses := _private_uses(p))}
    assert found == {}


# -------------------------------------------------------------------------------- live answers
def bash_request(line: str) -> dict[str, str]:
    """The environment bash gives a completion of `line` (cursor at the end), with its ':' word split."""
    words = line.replace(":", " : ").split()
    if line.endswith(" "):
        words.append("")
    return {"_ITS_STORE_COMPLETE": "complete_bash", "COMP_WORDS": "\n".join(words),
            "COMP_CWORD": str(len(words) - 1), "COMP_LINE": line, "COMP_POINT": str(len(line))}


def complete(line: str, shell: str = "bash", **extra: str) -> list[str]:
    """Completions of `line` through the app in-process; asserts nothing reaches stderr."""
    if shell == "bash":
        env = bash_request(line)
    else:
        env = {"_ITS_STORE_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line,
               "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    result = CliRunner().invoke(app, [], env={**env, **extra}, prog_name="its-store", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Network limits for a loaded CI machine, where these tests need the server's real answer.

    The real limits (300 ms) are exercised by the hung-server tests, which do not use this fixture.
    """
    from its_store.cli.completion import complete as module
    monkeypatch.setattr(module, "DEADLINE_SECONDS", 30.0)
    monkeypatch.setattr(module, "CONNECT_TIMEOUT", 5.0)
    monkeypatch.setattr(module, "READ_TIMEOUT", 20.0)


@pytest.fixture
def tree(service, bucket, patient) -> str:
    from its_store import UploadRequest
    for key in ("camera_001/a.jpg", "camera_001/b.jpg", "camera_002/c.jpg", "top.txt"):
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"x"))
    return bucket


def test_bucket_names(tree):
    assert complete(f"its-store ls s3://{tree[:-2]}") == [f"//{tree}/"]
    assert f"://{tree}/" in complete("its-store ls s3:")
    assert f"s3://{tree}/" in complete("its-store ls ")
    assert f"s3://{tree}/" in complete("its-store ls s")


def test_keys_under_the_typed_prefix(tree):
    assert complete(f"its-store get s3://{tree}/cam") == [f"//{tree}/camera_001/", f"//{tree}/camera_002/"]
    assert complete(f"its-store stat s3://{tree}/camera_001/") == [
        f"//{tree}/camera_001/a.jpg", f"//{tree}/camera_001/b.jpg"]
    assert complete(f"its-store rm s3://{tree}/t") == [f"//{tree}/top.txt"]
    assert complete(f"its-store presign s3://{tree}/camera_002/") == [f"//{tree}/camera_002/c.jpg"]
    assert complete(f"its-store upload f.jpg s3://{tree}/camera_00") == [
        f"//{tree}/camera_001/", f"//{tree}/camera_002/"]


def test_zsh_and_fish_get_the_same_answers(tree):
    zsh = "\n".join(complete(f"its-store ls s3://{tree}/cam", shell="zsh"))
    assert zsh == f"""_arguments '*: :(("s3\\\\://{tree}/camera_001/"\n"s3\\\\://{tree}/camera_002/"))'"""
    assert complete(f"its-store ls s3://{tree}/cam", shell="fish") == [
        f"s3://{tree}/camera_001/", f"s3://{tree}/camera_002/"]


def test_local_paths_are_left_to_the_shell(tree):
    assert complete("its-store upload ") == []             # SOURCE is a local file: bash -o default
    assert complete(f"its-store get s3://{tree}/top.txt ") == []
    assert complete("its-store ls ./") == []


def test_enum_values():
    assert complete("its-store upload f.jpg --type ") == [
        "video_frame", "model_artifact", "log", "dataset", "metadata", "other"]
    assert complete("its-store upload f.jpg --type=mo") == ["model_artifact"]
    assert complete("its-store ls s3://b --type v") == ["video_frame"]
    assert complete("its-store presign s3://b/k --method ") == ["GET", "PUT"]


def test_answers_come_from_the_cache_until_it_expires(tree, service, env):
    from its_store import UploadRequest
    line = f"its-store ls s3://{tree}/camera_001/"
    before = complete(line)
    service.upload_object(UploadRequest(bucket=tree, key="camera_001/new.jpg", data=b"x"))
    assert complete(line) == before                      # fresh cache entry: no listing
    assert complete(f"its-store ls s3://{tree}/camera_001/a") == [f"//{tree}/camera_001/a.jpg"]
    cache = Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE
    doc = json.loads(cache.read_text())
    for entry in doc["entries"].values():
        entry["t"] -= TTL_SECONDS + 1
    cache.write_text(json.dumps(doc))
    assert f"//{tree}/camera_001/new.jpg" in complete(line)
    assert oct(cache.stat().st_mode & 0o777) == "0o600"


def _seed_cache(cache_dir: Path, endpoint: str, env: dict[str, str], age: float) -> None:
    seed_completion_cache(cache_dir, endpoint, env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"],
                          {"buckets": ["cached-bucket"], "keys\ncached-bucket\n": ["k1", "dir/"]}, age=age)


@pytest.fixture
def silent_server() -> Any:
    """A TCP server that accepts connections and never answers: a hung S3 endpoint."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in conns:
        conn.close()
    sock.close()


def test_hung_server_gets_stale_cache_or_nothing(env, silent_server, tmp_path):
    cache_dir = Path(env["MINIO_CACHE_DIR"])
    extra = {"MINIO_ENDPOINT": silent_server}
    assert complete("its-store ls s3://", **extra) == []
    _seed_cache(cache_dir, silent_server, env, age=TTL_SECONDS * 5)  # stale, not fresh
    assert complete("its-store ls s3://", **extra) == ["//cached-bucket/"]
    assert complete("its-store ls s3://cached-bucket/", **extra) == ["//cached-bucket/k1", "//cached-bucket/dir/"]


def test_fresh_cache_answers_without_a_server(env, tmp_path):
    """Through the real console script: a fresh cache answers even with the endpoint down."""
    down = "127.0.0.1:9"  # discard port: nothing listens
    _seed_cache(Path(env["MINIO_CACHE_DIR"]), down, env, age=0)
    out = subprocess.run([its_store_exe()], env=shell_env(MINIO_ENDPOINT=down, **bash_request("its-store ls s3://c")),
                         capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout.split(), out.stderr) == (0, ["//cached-bucket/"], "")
    mods = subprocess.run(
        [sys.executable, "-c", "import runpy, sys; sys.argv=['its-store']\ntry:\n runpy.run_module("
         "'its_store', run_name='__main__')\nexcept SystemExit: pass\nprint(sorted(sys.modules), file=sys.stderr)"],
        env=shell_env(MINIO_ENDPOINT=down, **bash_request("its-store ls s3://c")), capture_output=True, text=True,
        timeout=60)
    assert "'minio'" not in mods.stderr and "'its_store.core.settings'" not in mods.stderr, mods.stderr[-500:]


def test_errors_never_reach_the_shell(env):
    assert complete("its-store ls s3://", MINIO_MAX_WORKERS="0") == []           # a config error
    assert complete("its-store ls s3://", MINIO_ENDPOINT="127.0.0.1:9") == []    # refused
    assert complete("its-store ls s3://Bad_Bucket/x") == []


def test_real_bash_script(tree):
    """Source completions/its-store.bash in a real bash and complete as bash would.

    The cache is filled in-process first (patient limits), so the console script answers from it:
    this also checks that separate processes share the cache.
    """
    assert complete(f"its-store ls s3://{tree}/cam")
    bash = shutil.which("bash")
    assert bash, "bash is required"
    script = REPO / "completions" / FILES["bash"]
    code = (f"source {script}\n"
            f'COMP_WORDS=(its-store ls s3 : //{tree}/cam); COMP_CWORD=4\n'
            f'COMP_LINE="its-store ls s3://{tree}/cam"; COMP_POINT=${{#COMP_LINE}}\n'
            "_its_store_completion its-store\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
            'complete -p its-store\n')
    out = subprocess.run([bash, "--norc", "-c", code], env=shell_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out
    assert out.stdout.splitlines() == [f"//{tree}/camera_001/", f"//{tree}/camera_002/",
                                       "complete -o default -F _its_store_completion its-store"]
    assert out.stderr == ""


def test_model_names_versions_and_aliases(env, service, patient, tmp_path):
    from its_store.registry.registry import ModelRegistry
    registry = ModelRegistry(service)
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    for version in ("1.0.0", "2.0.0", "1.10.0"):
        registry.register_model(model_path=weights, model_name="yolo11_traffic", version=version)
    registry.register_model(model_path=weights, model_name="plates", version="0.1.0")
    registry.promote("yolo11_traffic", "1.10.0", "production")

    assert complete("its-store model show yo") == ["yolo11_traffic"]
    assert complete("its-store model list ") == ["plates", "yolo11_traffic"]
    assert complete("its-store model pull yolo11_traffic@") == [
        "yolo11_traffic@latest", "yolo11_traffic@2.0.0", "yolo11_traffic@1.10.0", "yolo11_traffic@1.0.0",
        "yolo11_traffic@production"]
    assert complete("its-store model url yolo11_traffic@p") == ["yolo11_traffic@production"]
    assert complete("its-store model rm plates@") == ["plates@latest", "plates@0.1.0"]


# ------------------------------------------------------------------------------ who is answered
def _age_cache(env: dict[str, str], seconds: float) -> None:
    cache = Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE
    doc = json.loads(cache.read_text())
    for entry in doc["entries"].values():
        entry["t"] -= seconds
    cache.write_text(json.dumps(doc))


def test_a_wrong_secret_is_never_offered_cached_names(tree, env):
    """The tester's report: the cache was keyed by endpoint and access key only, so right after a completion
    with good credentials, the same access key with a wrong secret was offered the bucket and key names."""
    wrong = {"MINIO_SECRET_KEY": env["MINIO_SECRET_KEY"] + "-wrong"}
    names, keys = f"its-store ls s3://{tree[:-2]}", f"its-store ls s3://{tree}/cam"
    assert complete(names) == [f"//{tree}/"] and complete(keys) == [f"//{tree}/camera_001/", f"//{tree}/camera_002/"]
    assert complete(names, **wrong) == [] and complete(keys, **wrong) == []  # asked the server: refused
    assert complete(keys) == [f"//{tree}/camera_001/", f"//{tree}/camera_002/"]  # the good identity still is
    text = (Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE).read_text()
    assert env["MINIO_SECRET_KEY"] not in text and tree in text  # filed by fingerprint, never by the secret


def test_the_secret_file_names_the_identity_as_settings_read_it(tree, env, tmp_path):
    """MINIO_SECRET_KEY_FILE wins over MINIO_SECRET_KEY, as in Settings: the cheap key follows it."""
    secret_file = tmp_path / "secret"
    secret_file.write_text(env["MINIO_SECRET_KEY"] + "\n")
    by_file = {"MINIO_SECRET_KEY": "not-this-one", "MINIO_SECRET_KEY_FILE": str(secret_file)}
    assert complete(f"its-store ls s3://{tree}/cam", **by_file) == [f"//{tree}/camera_001/", f"//{tree}/camera_002/"]
    assert complete(f"its-store ls s3://{tree}/cam", MINIO_SECRET_KEY="not-this-one") == []
    assert complete(f"its-store ls s3://{tree}/cam", MINIO_SECRET_KEY_FILE=str(tmp_path / "missing")) == []


def test_stale_answers_go_only_to_who_was_shown_them(tree, env, s3_server):
    """When the server does not answer, a stale answer is offered to the identity that was shown it, never
    to a wrong secret; once the server refuses an identity, its cached answers are dropped."""
    from faultproxy import FaultProxy
    from faultserver import s3_error
    mode = {"now": "pass"}

    def answer(seen: Any) -> bytes | None:
        if mode["now"] == "busy":
            return s3_error(503, "SlowDown", "Please reduce your request rate.", seen.path, head=seen.method == "HEAD")
        if mode["now"] == "deny":
            return s3_error(403, "AccessDenied", "Access Denied.", seen.path, head=seen.method == "HEAD")
        return None

    wanted = [f"//{tree}/camera_001/", f"//{tree}/camera_002/"]
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}
        wrong = {**via, "MINIO_SECRET_KEY": env["MINIO_SECRET_KEY"] + "-wrong"}
        line = f"its-store ls s3://{tree}/cam"
        assert complete(line, **via) == wanted
        _age_cache(env, TTL_SECONDS + 1)  # stale now: the server is asked first
        mode["now"] = "busy"
        assert complete(line, **wrong) == []  # the server said nothing: nothing cached for this identity
        assert complete(line, **via) == wanted  # the identity that was shown them gets the stale answer
        mode["now"] = "deny"
        assert complete(line, **via) == []  # refused now: not even what it was shown before
        mode["now"] = "busy"
        assert complete(line, **via) == []  # and its answers are gone from the cache


# ------------------------------------------------------------------ keys that a shell line cannot carry
EVIL_KEYS = ("k/evil\ns3://fake-bucket/\nk/second-fake", "k/esc\x1b]0;pwned\x07.jpg", "k/bidi\u202egpj.exe")


def _fast(line: str, **extra: str) -> list[str]:
    """The fast path's bash answer (fast.respond, as `its-store` runs it without Typer), one value a line."""
    from its_store.cli.completion import fast
    text, code = fast.respond("complete_bash", {**os.environ, **bash_request(line), **extra}, False)
    assert code == 0 and text is not None
    return [value for value in text.split("\n") if value]


def test_keys_with_control_characters_are_never_offered(service, bucket, patient):
    """A key holding a newline would add made-up entries (one per line) to the shell's list, one holding ESC
    would drive the terminal: such candidates are dropped on both paths, from the server and from the cache;
    the typable keys beside them are offered exactly."""
    for key in (*EVIL_KEYS, "k/plain.jpg"):
        service.s3.put(bucket, key, b"x", {})  # written by another tool: its-store refuses such keys
    line = f"its-store get s3://{bucket}/k/"
    typer_path = complete(line)
    assert typer_path == [f"//{bucket}/k/plain.jpg"], typer_path
    assert _fast(line) == typer_path  # answered from the cache the first completion filed
    assert complete(f"its-store get s3://{bucket}/k/e", shell="fish") == []
    for shell in ("zsh", "fish"):
        text = "\n".join(complete(line, shell=shell))
        assert "fake" not in text and "\x1b" not in text and "\u202e" not in text, (shell, text)


def test_an_injected_cache_entry_with_control_characters_is_not_offered(env, tmp_path):
    """The completion cache is a file: a candidate planted there with a newline is dropped as well."""
    seed_completion_cache(Path(env["MINIO_CACHE_DIR"]), env["MINIO_ENDPOINT"], env["MINIO_ACCESS_KEY"],
                          env["MINIO_SECRET_KEY"], {"buckets": ["good-bucket", "bad\nfake-bucket"],
                                                     "keys\ngood-bucket\n": ["a.jpg", "b\x1b[2J.jpg"]})
    assert complete("its-store ls s3://") == ["//good-bucket/"]
    assert complete("its-store ls s3://good-bucket/") == ["//good-bucket/a.jpg"]
    assert _fast("its-store ls s3://good-bucket/") == ["//good-bucket/a.jpg"]
