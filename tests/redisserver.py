"""A throwaway real `redis-server` (Debian's redis-server package) on a free loopback port.

Used by the session fixture `redis_server` in conftest.py, and directly by tests that must kill a Redis
of their own mid-run. No persistence (`--save '' --appendonly no`), data in a temp folder. A missing
binary raises: the tests that need Redis then fail, never skip (`make test` installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from its_store.testing.children import spawn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="its-redis-"))
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> RedisServer:
        exe = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists()
                                               else None)
        if exe is None:
            raise RuntimeError("redis-server not found: apt-get install -y redis-server (`make test` does it)")
        for _ in range(5):
            self.port = free_port()
            log = self.dir / "redis.log"
            self.proc = spawn(  # dies with this process (its_store/testing/children.py)
                [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.dir), "--logfile", str(log), "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _pong(self.port):
                    return self
                time.sleep(0.05)
            self.kill()  # port taken meanwhile, or too slow: try another port
        text = (self.dir / "redis.log").read_text(errors="replace")[-2000:] if (self.dir / "redis.log").exists() \
            else ""
        raise RuntimeError(f"redis-server did not start; log:\n{text}")

    def kill(self) -> None:
        """SIGKILL: the way a crashed or unplugged Redis looks to clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
