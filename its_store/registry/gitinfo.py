"""The git state of the folder a model is registered from: commit, branch, dirty flag, remote.

`git` is run as a subprocess with a short timeout (no GitPython: one more dependency for four
questions). Anything that goes wrong (no git, not a checkout, a hung hook) means "no git info", never a
failed registration. A remote URL loses any user:password part: secrets never reach a manifest. A command
the checkout's config names is never run: core.fsmonitor is turned off (_git), a clean filter makes the dirty
flag unknown (_runs_commands); submodules are left out of the status (their own config could name a filter):
dirty is the checkout's files'.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TIMEOUT = 5.0


def _git(folder: Path, *args: str) -> str | None:
    from its_store.core.child_env import child_environment
    try:
        done = subprocess.run(["git", "-C", str(folder), "-c", "core.fsmonitor=false", *args],
                              capture_output=True, text=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL,
                              env=child_environment())
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def strip_credentials(url: str) -> str:
    """https://user:token@host/x.git -> https://host/x.git; scp-like git@host:x.git stays as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


# What `git status` would run from the checkout's own config: a clean filter (or a filter process) is run on
# every file whose stat changed. core.fsmonitor, the other one, is turned off in _git.
_COMMANDS = r"^filter\..*\.(clean|process)$"


def _runs_commands(folder: Path) -> bool:
    """True when the checkout's config names a command that `git status` would run: a model folder from
    elsewhere (an unpacked archive, a clone) is not trusted to run code when its-store records a commit;
    its dirty flag is then unknown. The user's own global and system config is not the folder's (`git lfs
    install` puts filter.lfs.clean there: every model's flag was unknown); a file the checkout includes is
    reported under the including scope (local, worktree), so it counts."""
    if not _git(folder, "config", "--get-regexp", _COMMANDS):
        return False
    scoped = _git(folder, "config", "--show-scope", "--get-regexp", _COMMANDS)  # git >= 2.26
    if scoped is None:  # an older git: whose config it is cannot be told, so unknown, as before
        return True
    return any(line.split("\t", 1)[0] not in ("global", "system") for line in scoped.splitlines() if line)


def git_info(folder: Path | str) -> dict[str, Any] | None:
    """{"commit", "branch", "dirty", "remote"} of the checkout holding `folder`, or None if it is not one."""
    folder = Path(folder)
    commit = _git(folder, "rev-parse", "--verify", "-q", "HEAD")
    if not commit:
        return None
    branch = _git(folder, "rev-parse", "--abbrev-ref", "HEAD")
    status = None if _runs_commands(folder) else _git(folder, "--no-optional-locks", "status", "--porcelain",
                                                      "--untracked-files=no", "--ignore-submodules=all")
    remote = _git(folder, "config", "--get", "remote.origin.url")
    return {"commit": commit, "branch": None if branch in (None, "HEAD") else branch,
            "dirty": bool(status) if status is not None else None,
            "remote": strip_credentials(remote) if remote else None}
