"""Completion as a user gets it: bash, zsh and fish in a terminal (tmux), the script from completions/ loaded the
way a user loads it, a line typed, TAB pressed, the screen read.

One tmux server and shell per test; each test presses TAB on commands, options, choices, buckets, keys, a
remote's buckets and keys, and model names, against the session's SeaweedFS. The names are asked of the server
once, in-process with patient network limits (a loaded machine may need more than the 300 ms a TAB allows),
which files them in the completion cache; the TABs then get them from the console script, as a user's second
TAB does. Every wait is for text on the screen, with a generous deadline as a safety net only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from its_store.cli.completion import complete
from its_store.cli.completion.scripts import FILES

from helpers import patient_completion

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEADLINE = 60.0  # seconds: a safety net against a hang, never a timing assertion


class Screen:
    """A shell in a detached tmux session of its own server (-L), 200x50, that keys are sent to."""

    def __init__(self, command: str, env: dict[str, str], cwd: Path) -> None:
        assert shutil.which("tmux"), "tmux is required"
        self.socket = f"its-complete-{secrets.token_hex(4)}"
        self.env = env
        self.tmux("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", "-c", str(cwd), command)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], env=self.env,
                              capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 0, done
        return done.stdout

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def key(self, *names: str) -> None:
        self.tmux("send-keys", "-t", "t", *names)

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-N", "-t", "t")  # -N: trailing spaces kept (TAB adds one)

    def wait_for(self, *wanted: str) -> str:
        """The screen once it shows every one of `wanted`."""
        end = time.monotonic() + DEADLINE
        while True:
            screen = self.text()
            if all(text in screen for text in wanted):
                return screen
            assert time.monotonic() < end, f"never shown: {wanted}\n{screen}"
            time.sleep(0.05)  # polling the screen: the condition is what is on it

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, timeout=DEADLINE)


def start(shell: str, env: dict[str, str], cwd: Path) -> Screen:
    """The shell with the checked-in script loaded as its docs say, and a bare prompt (`$ `, `% `, `> `)."""
    script = REPO / "completions" / FILES[shell]
    if shell == "bash":
        screen = Screen("bash --norc --noprofile", env, cwd)
        screen.type(f"PS1='$ '; source {script}; clear")
        prompt = "$ "
    elif shell == "zsh":
        screen = Screen("zsh -f", env, cwd)
        screen.type(f"PS1='%% '; autoload -Uz compinit; compinit -u -D; source {script}; clear")
        prompt = "% "
    else:
        screen = Screen(f"fish --no-config -C 'set -g fish_greeting; function fish_prompt; echo \"> \"; end; "
                        f"source {script}'", env, cwd)
        prompt = "> "
    if shell != "fish":
        screen.key("Enter")
    screen.wait_for(prompt)
    screen.prompt = prompt  # type: ignore[attr-defined]
    return screen


def fresh_line(screen: Screen) -> None:
    """Drop what is typed and what a TAB listed (C-e C-u: the line, as keys, not a signal racing them; C-l: the
    screen), and wait for the empty prompt."""
    screen.key("C-e", "C-u", "C-l")
    end = time.monotonic() + DEADLINE
    while screen.text().strip() != screen.prompt.strip():  # type: ignore[attr-defined]
        assert time.monotonic() < end, screen.text()
        time.sleep(0.05)


@pytest.fixture
def named(service, bucket, env, s3_server, tmp_path, monkeypatch) -> dict[str, Any]:
    """A bucket with keys and a registered model on the session server, their names filed in the completion
    cache (asked once, with patient limits), and the environment a user's shell would have, in which the
    remote `edge` (ITS_STORE_REMOTE_EDGE_*, no remotes file) is the same server reached as a remote."""
    from its_store import UploadRequest
    from its_store.registry.registry import ModelRegistry
    for key in ("camera_001/a.jpg", "camera_001/b.jpg", "camera_002/c.jpg", "camera_003/my clip.jpg"):
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"x"))
    for name in [n for n in os.environ if n.startswith("ITS_STORE_REMOTE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", f"http://{s3_server.endpoint}")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ACCESS_KEY", s3_server.access_key)
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY", s3_server.secret_key)
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    ModelRegistry(service).register_model(model_path=weights, model_name="yolo11_traffic", version="1.0.0")
    with pytest.MonkeyPatch.context() as mp:
        patient_completion(mp)
        assert complete.answer(["object", f"s3://{bucket}"]) == [f"s3://{bucket}/"]
        assert len(complete.answer(["object", f"s3://{bucket}/camera_001/"])) == 2
        assert complete.answer(["model", "yo"]) == ["yolo11_traffic"]
        assert complete.answer(["object", f"edge:{bucket[:-2]}"]) == [f"edge:{bucket}/"]
        assert len(complete.answer(["object", f"edge:{bucket}/camera_001/"])) == 2
        assert complete.answer(["object", f"edge:{bucket}/camera_003/"]) == [f"edge:{bucket}/camera_003/my clip.jpg"]
    shell_env = {k: v for k, v in os.environ.items() if not k.startswith(("_ITS_STORE", "TMUX"))}
    shell_env.update({"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path),
                      "TERM": "xterm-256color", "LANG": "C.UTF-8"})
    (tmp_path / "frame_0001.jpg").write_bytes(b"x")
    return {"bucket": bucket, "env": shell_env, "cwd": tmp_path}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_in_a_real_shell(shell, named):
    bucket = named["bucket"]
    screen = start(shell, named["env"], named["cwd"])
    try:
        screen.type("its-store buc")                          # a command
        screen.key("Tab")
        screen.wait_for("its-store bucket ")
        screen.type("lifec")                                  # a subcommand
        screen.key("Tab")
        screen.wait_for("its-store bucket lifecycle ")
        fresh_line(screen)

        screen.type("its-store upload frame_0001.jpg --ty")   # an option
        screen.key("Tab")
        screen.wait_for("--type ")
        screen.type("mod")                                    # its choices
        screen.key("Tab")
        screen.wait_for("--type model_artifact ")
        fresh_line(screen)

        screen.type(f"its-store ls s3://{bucket[:-2]}")       # a bucket (from the server, via the cache)
        screen.key("Tab")
        screen.wait_for(f"its-store ls s3://{bucket}/")
        screen.type("camera_001/")                            # keys under a prefix: a list of two
        screen.key("Tab")
        if shell == "bash":
            screen.key("Tab")                                 # bash lists on the second TAB
        screen.wait_for("_001/a.jpg", "_001/b.jpg")           # (fish's list starts them with …)
        fresh_line(screen)

        screen.type(f"its-store ls edge:{bucket[:-2]}")       # a remote's bucket: bash splits the word at ':'
        screen.key("Tab")
        screen.wait_for(f"its-store ls edge:{bucket}/")
        screen.type("camera_001/")                            # its keys
        screen.key("Tab")
        if shell == "bash":
            screen.key("Tab")
        screen.wait_for("_001/a.jpg", "_001/b.jpg")
        fresh_line(screen)

        screen.type(f"its-store ls edge:{bucket}/camera_003/") # a key with a space: quoted as the shell reads it
        screen.key("Tab")
        screen.wait_for(f"its-store ls edge:{bucket}/camera_003/my\\ clip.jpg")
        fresh_line(screen)

        screen.type("its-store model show yo")                # a model name
        screen.key("Tab")
        screen.wait_for("its-store model show yolo11_traffic")
        fresh_line(screen)

        screen.type("its-store upload frame_")                # a local file: the shell's own completion
        screen.key("Tab")
        screen.wait_for("its-store upload frame_0001.jpg")
    finally:
        screen.close()
