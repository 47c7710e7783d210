"""The generated completion scripts, run by real bash, zsh and fish (one shell process per batch of lines).

bash: the completion function with COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD set as bash sets them
(its words split at ':' and '=' too), COMPREPLY read back. zsh: the function the completion widget calls
(__its_store_candidates; compadd and _describe need a live line editor: test_completion_tmux.py drives
those). fish: `complete -C LINE`, fish's own completion of a command line. Names (buckets, model refs) come
through the real console script from a fresh completion cache filed for a dead endpoint, so no server is
asked: what is tested is the script's request (kind, word, global options) and its reading of the answer.
The remote `edge` (ITS_STORE_REMOTE_EDGE_*) is another dead endpoint whose cache holds a bucket named as the
default endpoint's, with other keys: `edge:` words get the remote's names, split by bash at ':'.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from its_store.cli.app import COMMANDS
from its_store.cli.completion.scripts import FILES, tree

from conftest import app_command
from helpers import seed_completion_cache

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOWN = "127.0.0.1:9"  # nothing listens: names come from the cache
EDGE = "127.0.0.1:7"  # the remote `edge` (ITS_STORE_REMOTE_EDGE_*): nothing listens either
SECRET = "shell-test-secret"
SEP = "\x1e"  # between the answers of two lines


@pytest.fixture
def names_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose completion cache knows two buckets, keys and a model, for a dead endpoint (and
    other buckets for DOWN's neighbour, which only `--endpoint` picks)."""
    cache = tmp_path / "cache"
    seed_completion_cache(cache, DOWN, "shell-user", SECRET, {
        "buckets": ["cam-video", "cam-models"], "keys\ncam-video\n": ["camera_001/", "camera_002/", "top.txt"],
        "keys\ncam-models\n": ["yolo11_traffic/", "plates/", "_index/"]})
    seed_completion_cache(cache, "127.0.0.1:8", "shell-user", SECRET, {"buckets": ["other-endpoint"]})
    seed_completion_cache(cache, EDGE, "edge-user", SECRET, {  # the remote `edge`: a bucket named as the default's
        "buckets": ["cam-video", "edge-only"], "keys\ncam-video\n": ["edge_cam/", "edge.txt"]})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "_ITS_STORE", "ITS_STORE_REMOTE_"))}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "MINIO_ENDPOINT": DOWN,
                "MINIO_ACCESS_KEY": "shell-user", "MINIO_SECRET_KEY": SECRET, "MINIO_CACHE_DIR": str(cache),
                "MINIO_MODELS_BUCKET": "cam-models", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "ITS_STORE_REMOTE_EDGE_ENDPOINT": f"http://{EDGE}", "ITS_STORE_REMOTE_EDGE_ACCESS_KEY": "edge-user",
                "ITS_STORE_REMOTE_EDGE_SECRET_KEY": SECRET})
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "frame_0001.jpg").write_bytes(b"x")
    return env


def _run(argv: list[str], script: str, env: dict[str, str], cwd: Path) -> str:
    found = shutil.which(argv[0])
    assert found, f"{argv[0]} is required"
    done = subprocess.run([found, *argv[1:]], input=script, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stderr == "", done
    return done.stdout


def bash(lines: list[str], env: dict[str, str], cwd: Path) -> list[list[str]]:
    """COMPREPLY for each line (cursor at its end), and `complete -p` last."""
    code = [f"source {shlex.quote(str(REPO / 'completions' / FILES['bash']))}"]
    for line in lines:
        words = line.replace(":", " : ").replace("=", " = ").split()
        if line.endswith(" "):
            words.append("")
        code += [f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}",
                 f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={len(words) - 1}",
                 "COMPREPLY=(); _its_store_completion its-store", 'printf "%s\\n" "${COMPREPLY[@]}"',
                 f"printf '{SEP}\\n'"]
    out = _run(["bash", "--norc", "--noprofile"], "\n".join([*code, "complete -p its-store"]), env, cwd)
    return [[w for w in chunk.split("\n") if w] for chunk in out.split(f"{SEP}\n")]


def zsh(lines: list[str], env: dict[str, str], cwd: Path) -> list[tuple[str, list[str]]]:
    """(kind, candidates) of __its_store_candidates for each line, as the widget would call it."""
    code = [f"source {shlex.quote(str(REPO / 'completions' / FILES['zsh']))}"]
    for line in lines:
        words = line.split()
        cur = "" if line.endswith(" ") else words.pop()
        code += [f"__its_store_candidates its-store {' '.join(shlex.quote(w) for w in [cur, *words[1:]])}",
                 "print -r -- $REPLY; print -rl -- $reply", f"print -r -- '{SEP}'"]
    out = _run(["zsh", "-f"], "\n".join(["local -a reply; local REPLY", *code]), env, cwd)
    answers = [[w for w in chunk.split("\n") if w] for chunk in out.split(f"{SEP}\n")[:-1]]
    return [(answer[0], answer[1:]) for answer in answers]


def fish(lines: list[str], env: dict[str, str], cwd: Path) -> list[list[str]]:
    """What `complete -C LINE` offers for each line, without the descriptions."""
    code = [f"source {shlex.quote(str(REPO / 'completions' / FILES['fish']))}"]
    for line in lines:
        code += [f"complete -C {fish_quote(line)}", f"echo '{SEP}'"]
    out = _run(["fish", "--no-config"], "\n".join(code), env, cwd)
    return [[w.split("\t")[0] for w in chunk.split("\n") if w] for chunk in out.split(f"{SEP}\n")[:-1]]


def fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def starting(prefix: str, kind: str, words: list[str]) -> list[str]:
    """What zsh's compadd (or _describe, for `name:help` rows) keeps of `words` for a typed prefix."""
    shown = [w.split(":")[0] for w in words] if kind in ("commands", "options") else words
    return [w for w in shown if w.startswith(prefix)]


# ---------------------------------------------------------------------------------- the cases
ROOT_OPTIONS = ["--json", "--quiet", "-q", "--verbose", "-v", "--debug", "--endpoint", "--region", "--secure",
                "--insecure", "--retries", "--no-verify-tls", "--env-file", "--bwlimit", "--version", "-V",
                "--install-completion", "--show-completion", "--help", "-h"]
TYPES = ["video_frame", "model_artifact", "log", "dataset", "metadata", "other"]
# (line, what is offered): as bash shows it (relative to bash's own word), fish (whole tokens) and zsh
CASES = [
    ("its-store ", list(COMMANDS)),
    ("its-store bu", ["bucket"]),
    ("its-store -q --endpoint h:1 bu", ["bucket"]),
    ("its-store bucket ", ["ls", "create", "rm", "info", "versioning", "lifecycle", "encryption", "retention",
                           "policy"]),
    ("its-store bucket lifecycle ", ["set", "show", "rm"]),
    ("its-store bucket l", ["ls", "lifecycle"]),
    ("its-store -", ROOT_OPTIONS),
    ("its-store --e", ["--endpoint", "--env-file"]),
    ("its-store upload f.jpg --t", ["--type", "--tag"]),
    ("its-store --endpoint h:1 ls --ty", ["--type"]),
    ("its-store upload f.jpg --type ", TYPES),
    ("its-store upload f.jpg -t v", ["video_frame"]),
    ("its-store upload --type video_frame f.jpg --compress z", ["zstd"]),
    ("its-store presign s3://b/k --method ", ["GET", "PUT"]),
    ("its-store bucket versioning b ", ["on", "off", "status"]),
    ("its-store completion show ", ["bash", "zsh", "fish"]),
    ("its-store ls s3://cam-", ["s3://cam-video/", "s3://cam-models/"]),
    ("its-store ls s3://cam-video/cam", ["s3://cam-video/camera_001/", "s3://cam-video/camera_002/"]),
    ("its-store rm s3://cam-video/top.txt s3://cam-video/t", ["s3://cam-video/top.txt"]),
    ("its-store upload f.jpg s3://cam-v", ["s3://cam-video/"]),
    ("its-store --endpoint=127.0.0.1:8 -q ls s3://o", ["s3://other-endpoint/"]),
    ("its-store --endpoint 127.0.0.1:8 --endpoint 127.0.0.1:9 ls s3://cam-m", ["s3://cam-models/"]),
    ("its-store model show ", ["yolo11_traffic", "plates"]),
    ("its-store model pull yo", ["yolo11_traffic"]),
    ("its-store ls ed", ["edge:"]),                       # a remote's name, then its buckets and keys
    ("its-store ls edge:cam", ["edge:cam-video/"]),
    ("its-store ls edge:cam-video/", ["edge:cam-video/edge_cam/", "edge:cam-video/edge.txt"]),
    ("its-store cp s3://cam-video/top.txt edge:cam-video/edge_", ["edge:cam-video/edge_cam/"]),
    ("its-store --endpoint 127.0.0.1:8 ls edge:e", ["edge:edge-only/"]),  # --endpoint is the default's
    ("its-store ls nope:", []),
    ("its-store remote show ", ["edge"]),
]
EQUALS = ("its-store upload f.jpg --type=mo", "model_artifact")  # bash splits the word at '='


def _bash_view(line: str, value: str) -> str:
    """`value` as bash's reply: relative to bash's current word, which bash split at ':' and '='."""
    word = line.split(" ")[-1]
    tail = word.replace("=", ":").split(":")[-1] if (":" in word or "=" in word) else word
    return value[len(word) - len(tail):]


def test_bash(names_env, tmp_path):
    lines = [line for line, _ in CASES] + [EQUALS[0], "its-store upload ", "its-store ls s3:", "its-store ls edge:"]
    answers = bash(lines, names_env, tmp_path / "work")
    for (line, offered), got in zip(CASES, answers, strict=False):
        assert sorted(got) == sorted(_bash_view(line, value) for value in offered), line
    assert answers[len(CASES)] == [EQUALS[1]]
    assert answers[len(CASES) + 1] == []  # SOURCE is a local file: `complete -o default` lists the files
    assert sorted(answers[len(CASES) + 2]) == ["://cam-models/", "://cam-video/"]
    assert sorted(answers[len(CASES) + 3]) == [":cam-video/", ":edge-only/"]  # bash's word is ':', replaced whole
    assert answers[-1] == ["complete -o default -F _its_store_completion its-store"]


def test_zsh(names_env, tmp_path):
    lines = [line for line, _ in CASES] + [EQUALS[0], "its-store upload ", "its-store ls ./", "its-store ls edge:"]
    answers = zsh(lines, names_env, tmp_path / "work")
    for (line, offered), (kind, got) in zip(CASES, answers, strict=False):
        cur = "" if line.endswith(" ") else line.split()[-1]
        assert sorted(starting(cur, kind, got)) == sorted(offered), line
    assert answers[len(CASES)] == ("values", TYPES)  # the widget moves `--type=` out of the way (compset -P)
    assert answers[len(CASES) + 1] == ("files", [])
    assert answers[len(CASES) + 2] == ("names", [])  # no names: the widget offers _files
    assert answers[len(CASES) + 3] == ("names", ["edge:cam-video/", "edge:edge-only/"])


def test_fish(names_env, tmp_path):
    lines = [line for line, _ in CASES] + [EQUALS[0], "its-store upload ", "its-store upload frame",
                                            "its-store ls edge:"]
    answers = fish(lines, names_env, tmp_path / "work")
    for (line, offered), got in zip(CASES, answers, strict=False):
        assert sorted(got) == sorted(offered), line
    assert answers[len(CASES)] == ["--type=model_artifact"]
    assert answers[len(CASES) + 1] == ["frame_0001.jpg"] and answers[len(CASES) + 2] == ["frame_0001.jpg"]
    assert sorted(answers[len(CASES) + 3]) == ["edge:cam-video/", "edge:edge-only/"]


def test_every_command_and_option_of_the_app_is_offered(tmp_path):
    """The bash script against the click tree itself: at every command path, exactly its subcommands, then
    exactly its options (the zsh and fish tables are written from the same walk, scripts.tree)."""
    nodes = tree(app_command())
    lines = []
    for node in nodes:
        path = " ".join(("its-store", *node.path))
        lines += [f"{path} ", f"{path} -"]
    env = {**os.environ, "HOME": str(tmp_path)}
    answers = bash(lines, env, tmp_path)
    for index, node in enumerate(nodes):
        commands, options = answers[2 * index], answers[2 * index + 1]
        if node.commands:
            assert commands == [name for name, _, _ in node.commands], node.path
        assert options == [name for name, _, _ in node.options], node.path
    assert len(nodes) > 70
