"""Shell completion: the generated scripts, installing them, and the names a script asks its-store for.

The scripts (cli/completion/scripts.py) complete commands, options and choices themselves; they run in real
shells in test_completion_shells.py (one process per shell) and, typed into by a user under tmux, in
test_completion_tmux.py. Here: the scripts are current and installable, and `_ITS_STORE_COMPLETE=names`
(cli/completion/complete.py) answers bucket, key and model names from the server and the cache, for the
identity that asks, never with an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from its_store.cli.completion import complete
from its_store.cli.completion.complete import CACHE_FILE, TTL_SECONDS
from its_store.cli.completion.scripts import FILES, SHELLS, script, tree

from conftest import app_command
from helpers import patient_completion, seed_completion_cache

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def its_store_exe() -> str:
    exe = BIN / "its-store"
    assert exe.is_file(), f"console script missing: {exe} (pip install -e .)"
    return str(exe)


def shell_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_ITS_STORE")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    """Each shell's script for the app as it is now (one walk of the command tree)."""
    nodes = tree(app_command())
    return {shell: script(shell, nodes) for shell in SHELLS}


# ------------------------------------------------------------------------------ the scripts
@pytest.mark.parametrize("shell", SHELLS)
def test_checked_in_script_is_current(shell, scripts):
    """`make completions` output is checked in; regenerate with it when this fails."""
    checked_in = REPO / "completions" / FILES[shell]
    assert checked_in.is_file(), f"{checked_in} missing: run `make completions`"
    assert checked_in.read_text(encoding="utf-8").strip() == scripts[shell], f"{checked_in} is stale: make completions"


@pytest.mark.parametrize("shell", SHELLS)
def test_show_completion_detects_the_shell(shell, scripts):
    """`--show-completion` run from a shell prints that shell's script (Typer's option names, our scripts); the
    shell stays its parent (`; true`: no exec of a lone command)."""
    found = shutil.which(shell)
    assert found, f"{shell} is required"
    out = subprocess.run([found, "-c", "its-store --show-completion; true"], env=shell_env(), capture_output=True,
                         text=True, timeout=120)
    assert (out.returncode, out.stderr) == (0, ""), out
    assert out.stdout.strip() == scripts[shell]


def test_show_names_the_shell_and_click_source_instruction(scripts):
    runner = CliRunner()
    shown = runner.invoke(app_command(), ["completion", "show", "fish"], prog_name="its-store")
    assert (shown.exit_code, shown.stdout.strip()) == (0, scripts["fish"])
    sourced = runner.invoke(app_command(), [], prog_name="its-store", env={"_ITS_STORE_COMPLETE": "source_zsh"})
    assert (sourced.exit_code, sourced.stdout.strip()) == (0, scripts["zsh"])
    assert scripts["zsh"].startswith("#compdef its-store\n")


def test_a_shell_without_a_script_is_one_line_error():
    out = subprocess.run([its_store_exe()], env=shell_env(_ITS_STORE_COMPLETE="source_tcsh"), capture_output=True,
                         text=True, timeout=120)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.splitlines() == ["its-store: error: no completion script for 'tcsh' (hint: one of: bash, zsh, "
                                       "fish)"]
    run = CliRunner().invoke(app_command(), ["completion", "show", "tcsh"], prog_name="its-store")
    assert run.exit_code == 2 and len(run.stderr.splitlines()) == 1, run.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_install_puts_the_script_where_the_shell_loads_it(shell, scripts, tmp_path):
    """Where Typer's --install-completion put its script (ours replaces it), the rc line added once."""
    for _ in range(2):
        run = CliRunner().invoke(app_command(), ["completion", "install", shell], prog_name="its-store",
                                 env={"HOME": str(tmp_path)})
        assert run.exit_code == 0, run.output
    path = {"bash": tmp_path / ".bash_completions" / "its-store.sh", "zsh": tmp_path / ".zfunc" / "_its-store",
            "fish": tmp_path / ".config" / "fish" / "completions" / "its-store.fish"}[shell]
    assert path.read_text(encoding="utf-8").strip() == scripts[shell]
    assert f"{shell} completion installed in {path}" in run.stdout
    rc = {"bash": (tmp_path / ".bashrc", f"source '{path}'"),
          "zsh": (tmp_path / ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit")}.get(shell)
    if rc is not None:
        assert rc[0].read_text().splitlines().count(rc[1]) == 1


def test_install_completion_flag_keeps_the_rc_file(tmp_path):
    """The root's --install-completion, from bash: the script, and one line appended to an existing .bashrc
    (which keeps its content and mode)."""
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text("alias ll='ls -l'")
    bashrc.chmod(0o600)
    out = subprocess.run(["bash", "-c", "its-store --install-completion; true"], env=shell_env(HOME=str(tmp_path)),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out
    installed = tmp_path / ".bash_completions" / "its-store.sh"
    assert installed.read_text().strip() == (REPO / "completions" / FILES["bash"]).read_text().strip()
    assert bashrc.read_text() == f"alias ll='ls -l'\nsource '{installed}'\n"
    assert oct(bashrc.stat().st_mode & 0o777) == "0o600"


def _private_uses(path: Path) -> list[str]:
    """Imports of private modules or names of typer, click or rich in `path`, and private attributes
    read from them (`typer._click`, `from typer.core import _X`, `rich_utils._get_rich_console`), or
    private methods overridden or called through super() in subclasses of their classes."""
    import ast
    import re
    tree_ = ast.parse(path.read_text(encoding="utf-8"))
    third = ("typer", "click", "rich")
    found, aliases = [], set()
    for node in ast.walk(tree_):
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
    for node in ast.walk(tree_):
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


def test_scripts_ask_only_for_kinds_that_exist(scripts):
    """Every `:KIND` a script may ask for is one complete.KINDS answers, and each Typer callback names one."""
    import re
    asked = set(re.findall(r"':(\w+)'", scripts["bash"]))
    assert asked == {"object", "model", "remote"} and asked <= set(complete.KINDS)
    assert set(complete.KINDS) == {"object", "model", "remote"}


def test_global_options_read_for_names_are_the_apps():
    """complete.root_params reads --endpoint, --region, --env-file and --secure/--insecure by name: they must
    be the root's options, taking a value (or not) as it reads them, setting the parameters Completer reads."""
    root = app_command()
    options = {name: param for param in root.params if param.param_type_name == "option"
               for name in [*param.opts, *param.secondary_opts]}
    for name, dest in complete.ROOT_OPTIONS.items():
        assert options[name].name == dest and not options[name].is_flag, name
    for name in complete.SECURE_FLAGS:
        assert options[name].name == "secure" and options[name].is_flag, name
    assert set(complete.ROOT_OPTIONS.values()) | {"secure"} == set(complete.ROOT_PARAMS)
    assert complete.root_params(["-q", "--endpoint", "h:1", "--retries", "3", "--endpoint=h:2", "--insecure",
                                 "--env-file", "x.env"]) == {"endpoint": "h:2", "region": None, "secure": False,
                                                              "env_file": "x.env"}


# -------------------------------------------------------------------------------- live answers
@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Network limits for a loaded CI machine, where these tests need the server's real answer.

    The real limits (300 ms) are exercised by the hung-server tests, which do not use this fixture.
    """
    patient_completion(monkeypatch)


@pytest.fixture
def ask(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> Any:
    """ask(KIND, WORD, *GLOBAL_OPTIONS, **env): what `_ITS_STORE_COMPLETE=names its-store KIND WORD ...`
    answers, in-process; asserts nothing reached stderr."""
    def run(kind: str, word: str, *root: str, **extra: str) -> list[str]:
        with monkeypatch.context() as mp:
            for name, value in extra.items():
                mp.setenv(name, value)
            found = complete.answer([kind, word, *root])
        assert capfd.readouterr().err == ""
        return found
    return run


@pytest.fixture
def tree_bucket(service, bucket, patient) -> str:
    from its_store import UploadRequest
    for key in ("camera_001/a.jpg", "camera_001/b.jpg", "camera_002/c.jpg", "top.txt"):
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"x"))
    return bucket


def test_bucket_names(tree_bucket, ask):
    b = tree_bucket
    assert ask("object", f"s3://{b[:-2]}") == [f"s3://{b}/"]
    for word in ("s3:", "", "s", "s3://"):
        assert f"s3://{b}/" in ask("object", word), word


def test_keys_under_the_typed_prefix(tree_bucket, ask):
    b = tree_bucket
    assert ask("object", f"s3://{b}/cam") == [f"s3://{b}/camera_001/", f"s3://{b}/camera_002/"]
    assert ask("object", f"s3://{b}/camera_001/") == [f"s3://{b}/camera_001/a.jpg", f"s3://{b}/camera_001/b.jpg"]
    assert ask("object", f"s3://{b}/t") == [f"s3://{b}/top.txt"]
    assert ask("object", f"s3://{b}/camera_002/") == [f"s3://{b}/camera_002/c.jpg"]


def test_local_paths_are_left_to_the_shell(tree_bucket, ask):
    assert ask("object", "./") == [] and ask("object", "f.jpg") == [] and ask("object", "/tmp/") == []


def test_answers_come_from_the_cache_until_it_expires(tree_bucket, service, env, ask):
    from its_store import UploadRequest
    b = tree_bucket
    before = ask("object", f"s3://{b}/camera_001/")
    service.upload_object(UploadRequest(bucket=b, key="camera_001/new.jpg", data=b"x"))
    assert ask("object", f"s3://{b}/camera_001/") == before  # fresh cache entry: no listing
    assert ask("object", f"s3://{b}/camera_001/a") == [f"s3://{b}/camera_001/a.jpg"]
    _age_cache(env, TTL_SECONDS + 1)
    assert f"s3://{b}/camera_001/new.jpg" in ask("object", f"s3://{b}/camera_001/")
    assert oct((Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE).stat().st_mode & 0o777) == "0o600"


def _seed_cache(cache_dir: Path, endpoint: str, env: dict[str, str], age: float) -> None:
    seed_completion_cache(cache_dir, endpoint, env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"],
                          {"buckets": ["cached-bucket"], "keys\ncached-bucket\n": ["k1", "dir/"]}, age=age)


@pytest.fixture
def silent_server() -> Any:
    """A TCP server that accepts connections and never answers: a hung S3 endpoint."""
    from helpers import silent_tcp_server
    with silent_tcp_server() as endpoint:
        yield endpoint


def test_hung_server_gets_stale_cache_or_nothing(env, silent_server, ask):
    cache_dir = Path(env["MINIO_CACHE_DIR"])
    assert ask("object", "s3://", MINIO_ENDPOINT=silent_server) == []
    _seed_cache(cache_dir, silent_server, env, age=TTL_SECONDS * 5)  # stale, not fresh
    assert ask("object", "s3://", MINIO_ENDPOINT=silent_server) == ["s3://cached-bucket/"]
    assert ask("object", "s3://cached-bucket/", "--endpoint", silent_server) == ["s3://cached-bucket/k1",
                                                                                 "s3://cached-bucket/dir/"]


def test_fresh_cache_answers_without_a_server(env):
    """Through the real console script: a fresh cache answers even with the endpoint down, and neither the
    settings nor minio are imported for it."""
    down = "127.0.0.1:9"  # discard port: nothing listens
    _seed_cache(Path(env["MINIO_CACHE_DIR"]), down, env, age=0)
    request = shell_env(MINIO_ENDPOINT=down, _ITS_STORE_COMPLETE="names")
    out = subprocess.run([its_store_exe(), "object", "s3://c"], env=request, capture_output=True, text=True,
                         timeout=60)
    assert (out.returncode, out.stdout, out.stderr) == (0, "s3://cached-bucket/\n", "")
    mods = subprocess.run(
        [sys.executable, "-c", "import runpy, sys; sys.argv=['its-store', 'object', 's3://c']\ntry:\n runpy."
         "run_module('its_store', run_name='__main__')\nexcept SystemExit: pass\nprint(sorted(sys.modules), "
         "file=sys.stderr)"], env=request, capture_output=True, text=True, timeout=60)
    assert mods.stdout == "s3://cached-bucket/\n"
    assert "'its_store'" in mods.stderr, mods.stderr[-500:]  # the listing printed: the process was not cut short
    assert "'minio'" not in mods.stderr and "'its_store.core.settings'" not in mods.stderr, mods.stderr[-500:]


def test_errors_never_reach_the_shell(env, ask):
    assert ask("object", "s3://", MINIO_MAX_WORKERS="0") == []           # a config error
    assert ask("object", "s3://", MINIO_ENDPOINT="127.0.0.1:9") == []    # refused
    assert ask("object", "s3://Bad_Bucket/x") == []
    assert ask("no-such-kind", "x") == [] and complete.answer(["object"]) == []
    out = subprocess.run([its_store_exe(), "object", "s3://"], capture_output=True, text=True, timeout=60,
                         env=shell_env(MINIO_ENDPOINT="127.0.0.1:9", _ITS_STORE_COMPLETE="names"))
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_global_options_pick_who_asks(env, tmp_path, ask, monkeypatch):
    """--endpoint and --env-file typed before the command pick the cache entry (the last one given wins)."""
    cache = Path(env["MINIO_CACHE_DIR"])
    seed_completion_cache(cache, "127.0.0.1:9", env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"],
                          {"buckets": ["flag-bucket"]})
    seed_completion_cache(cache, "127.0.0.1:7", "from-file", env["MINIO_SECRET_KEY"], {"buckets": ["file-bucket"]})
    (tmp_path / "other.env").write_text("MINIO_ENDPOINT=127.0.0.1:7\nMINIO_ACCESS_KEY=from-file\n")
    (tmp_path / ".env").write_text("MINIO_ENDPOINT=127.0.0.1:6\n")  # read only without --env-file
    monkeypatch.delenv("MINIO_ENDPOINT")
    for root in (["--endpoint", "127.0.0.1:9"], ["--endpoint=127.0.0.1:9", "-q"],
                 ["--endpoint", "127.0.0.1:8", "--endpoint", "127.0.0.1:9"]):
        assert ask("object", "s3://", *root) == ["s3://flag-bucket/"], root
    monkeypatch.delenv("MINIO_ACCESS_KEY")
    for root in (["--env-file", "other.env"], ["--env-file=other.env", "-q"]):
        assert ask("object", "s3://", *root) == ["s3://file-bucket/"], root


def test_model_names_versions_and_aliases(env, service, patient, tmp_path, ask):
    from its_store.registry.registry import ModelRegistry
    registry = ModelRegistry(service)
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    for version in ("1.0.0", "2.0.0", "1.10.0"):
        registry.register_model(model_path=weights, model_name="yolo11_traffic", version=version)
    registry.register_model(model_path=weights, model_name="plates", version="0.1.0")
    registry.promote("yolo11_traffic", "1.10.0", "production")

    assert ask("model", "yo") == ["yolo11_traffic"]
    assert ask("model", "") == ["plates", "yolo11_traffic"]
    assert ask("model", "yolo11_traffic@") == [
        "yolo11_traffic@latest", "yolo11_traffic@2.0.0", "yolo11_traffic@1.10.0", "yolo11_traffic@1.0.0",
        "yolo11_traffic@production"]
    assert ask("model", "yolo11_traffic@p") == ["yolo11_traffic@production"]
    assert ask("model", "plates@") == ["plates@latest", "plates@0.1.0"]


def test_typer_protocol_of_older_scripts_still_answers(tree_bucket):
    """A script Typer once installed asks with `complete_zsh`: Typer answers it through the lazy group and the
    same callbacks (slower: the whole app), commands and names alike."""
    def typer_answer(line: str) -> str:
        env = {"_ITS_STORE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
        result = CliRunner().invoke(app_command(), [], env=env, prog_name="its-store", catch_exceptions=False)
        assert (result.exit_code, result.stderr) == (0, "")
        return result.stdout
    assert "lifecycle" in typer_answer("its-store bucket ")
    assert f"{tree_bucket}/camera_001/" in typer_answer(f"its-store ls s3://{tree_bucket}/cam")


# ------------------------------------------------------------------------------ who is answered
def _age_cache(env: dict[str, str], seconds: float) -> None:
    cache = Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE
    doc = json.loads(cache.read_text())
    for entry in doc["entries"].values():
        entry["t"] -= seconds
    cache.write_text(json.dumps(doc))


def test_a_wrong_secret_is_never_offered_cached_names(tree_bucket, env, ask):
    """The tester's report: the cache was keyed by endpoint and access key only, so right after a completion
    with good credentials, the same access key with a wrong secret was offered the bucket and key names."""
    b = tree_bucket
    wrong = {"MINIO_SECRET_KEY": env["MINIO_SECRET_KEY"] + "-wrong"}
    keys = [f"s3://{b}/camera_001/", f"s3://{b}/camera_002/"]
    assert ask("object", f"s3://{b[:-2]}") == [f"s3://{b}/"] and ask("object", f"s3://{b}/cam") == keys
    assert ask("object", f"s3://{b[:-2]}", **wrong) == [] and ask("object", f"s3://{b}/cam", **wrong) == []
    assert ask("object", f"s3://{b}/cam") == keys  # the good identity still is
    text = (Path(env["MINIO_CACHE_DIR"]) / CACHE_FILE).read_text()
    assert env["MINIO_SECRET_KEY"] not in text and b in text  # filed by fingerprint, never by the secret


def test_the_secret_file_names_the_identity_as_settings_read_it(tree_bucket, env, tmp_path, ask):
    """MINIO_SECRET_KEY_FILE wins over MINIO_SECRET_KEY, as in Settings: the cheap key follows it."""
    b = tree_bucket
    secret_file = tmp_path / "secret"
    secret_file.write_text(env["MINIO_SECRET_KEY"] + "\n")
    by_file = {"MINIO_SECRET_KEY": "not-this-one", "MINIO_SECRET_KEY_FILE": str(secret_file)}
    assert ask("object", f"s3://{b}/cam", **by_file) == [f"s3://{b}/camera_001/", f"s3://{b}/camera_002/"]
    assert ask("object", f"s3://{b}/cam", MINIO_SECRET_KEY="not-this-one") == []
    assert ask("object", f"s3://{b}/cam", MINIO_SECRET_KEY_FILE=str(tmp_path / "missing")) == []


def test_stale_answers_go_only_to_who_was_shown_them(tree_bucket, env, s3_server, ask):
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

    b = tree_bucket
    wanted = [f"s3://{b}/camera_001/", f"s3://{b}/camera_002/"]
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}
        wrong = {**via, "MINIO_SECRET_KEY": env["MINIO_SECRET_KEY"] + "-wrong"}
        word = f"s3://{b}/cam"
        assert ask("object", word, **via) == wanted
        _age_cache(env, TTL_SECONDS + 1)  # stale now: the server is asked first
        mode["now"] = "busy"
        assert ask("object", word, **wrong) == []  # the server said nothing: nothing cached for this identity
        assert ask("object", word, **via) == wanted  # the identity that was shown them gets the stale answer
        mode["now"] = "deny"
        assert ask("object", word, **via) == []  # refused now: not even what it was shown before
        mode["now"] = "busy"
        assert ask("object", word, **via) == []  # and its answers are gone from the cache


# ------------------------------------------------------------------ keys that a shell line cannot carry
EVIL_KEYS = ("k/evil\ns3://fake-bucket/\nk/second-fake", "k/esc\x1b]0;pwned\x07.jpg", "k/bidi\u202egpj.exe")


def test_keys_with_control_characters_are_never_offered(service, bucket, patient, ask):
    """A key holding a newline would add made-up entries (one per line) to the shell's list, one holding ESC
    would drive the terminal: such candidates are dropped, from the server and from the cache; the typable
    keys beside them are offered exactly."""
    for key in (*EVIL_KEYS, "k/plain.jpg"):
        service.s3.put(bucket, key, b"x", {})  # written by another tool: its-store refuses such keys
    assert ask("object", f"s3://{bucket}/k/") == [f"s3://{bucket}/k/plain.jpg"]  # from the server
    assert ask("object", f"s3://{bucket}/k/") == [f"s3://{bucket}/k/plain.jpg"]  # from the cache it filed
    assert ask("object", f"s3://{bucket}/k/e") == []


def test_an_injected_cache_entry_with_control_characters_is_not_offered(env, ask):
    """The completion cache is a file: a candidate planted there with a newline is dropped as well."""
    seed_completion_cache(Path(env["MINIO_CACHE_DIR"]), env["MINIO_ENDPOINT"], env["MINIO_ACCESS_KEY"],
                          env["MINIO_SECRET_KEY"], {"buckets": ["good-bucket", "bad\nfake-bucket"],
                                                     "keys\ngood-bucket\n": ["a.jpg", "b\x1b[2J.jpg"]})
    assert ask("object", "s3://") == ["s3://good-bucket/"]
    assert ask("object", "s3://good-bucket/") == ["s3://good-bucket/a.jpg"]
