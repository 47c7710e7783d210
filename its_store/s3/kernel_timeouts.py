"""Plain-HTTP sockets whose timeouts the kernel keeps: no poll() before every recv and send (issue 22).

A Python socket with a timeout (what urllib3 sets from MINIO_CONNECT_TIMEOUT / MINIO_READ_TIMEOUT) is
non-blocking underneath: CPython calls poll() before each recv() and send(), each call releasing and
taking the GIL again. A 100 KB GET made 5 polls (one of them urllib3's check of a pooled connection)
against the SDK script's 1, and more futex calls (GIL hand-offs between the workers).

KernelTimedSocket is a blocking socket with SO_SNDTIMEO set to the connect timeout and SO_RCVTIMEO to the
read timeout: the timeouts urllib3 gives the socket while it sends a request (the connect timeout) and
while it reads the answer (the read timeout). urllib3 calls settimeout() with one of these two before each
phase; the socket keeps them both already, so that call changes nothing. Any other value (None, 0, another
number: a caller's own per-request timeout) makes it an ordinary Python socket with that timeout again (None
clears the kernel's too), and one of the two pool values later makes it kernel-timed again. A recv asked with
the send timeout (a caller's read timeout equal to the pool's connect timeout), or a send with the recv
timeout, runs on Python's timeout: each call waits what was asked for it, never the kernel's other value.

The kernel reports an expired SO_RCVTIMEO/SO_SNDTIMEO as EAGAIN, which Python raises as BlockingIOError (and
which socket.makefile's reader would take for "no data yet"); this socket raises TimeoutError("timed out")
instead, what CPython raises when its own timeout expires: urllib3, http.client and our error mapping
see the very exception they saw before ("Read timed out", exit 69, the same retries). One difference:
CPython's sendall() timeout bounds the whole call, SO_SNDTIMEO each wait for buffer space (a peer that
keeps taking bytes slowly is not cut off).

Linux only (the timeval layout of the options); elsewhere, and for TLS (ssl wraps the socket inside
urllib3's connect), sockets keep Python's own timeouts.
"""

from __future__ import annotations

import math
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

SUPPORTED = sys.platform.startswith("linux")


_NONE = struct.pack("ll", 0, 0)  # the kernel's "no timeout"


def _timeval(seconds: float) -> bytes:
    """`seconds` (above 0: the settings' bounds) as a timeval of whole microseconds, rounded up: never 0 s 0 µs,
    which the kernel takes for no timeout at all, nor 1,000,000 µs, which it refuses (EDOM)."""
    return struct.pack("ll", *divmod(max(1, math.ceil(seconds * 1_000_000)), 1_000_000))


class KernelTimedSocket(socket.socket):
    """A blocking socket with SO_SNDTIMEO = `send_timeout`, SO_RCVTIMEO = `recv_timeout` (module docstring)."""

    __slots__ = ("_asked", "_cleared", "_kept", "_python_timed")

    _kept: tuple[float, float]
    _asked: float | None
    _python_timed: bool
    _cleared: bool

    @classmethod
    def adopt(cls, sock: socket.socket, send_timeout: float, recv_timeout: float) -> KernelTimedSocket:
        """The connected `sock` (its file descriptor; `sock` itself is detached) as a kernel-timed socket."""
        new = cls(sock.family, sock.type, sock.proto, sock.detach())
        new._kept = (send_timeout, recv_timeout)
        new._kernel(new._kept)
        new._python_timed = True
        new.settimeout(send_timeout)  # blocking from here: the kernel keeps the timeouts
        return new

    def _kernel(self, kept: tuple[float, float] | None) -> None:
        """SO_SNDTIMEO, SO_RCVTIMEO = `kept` (send, recv); None: both cleared (the kernel's "no timeout")."""
        send, recv = (_timeval(kept[0]), _timeval(kept[1])) if kept is not None else (_NONE, _NONE)
        self.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, send)
        self.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, recv)
        self._cleared = kept is None

    def settimeout(self, value: float | None) -> None:
        if value is not None and value in self._kept:
            if self._python_timed:
                if self._cleared:
                    self._kernel(self._kept)
                super().settimeout(None)
                self._python_timed = False
        else:  # a timeout the kernel does not keep: Python's own (non-blocking, with poll)
            if value is None and not self._cleared:  # none at all: blocking, and the kernel's cleared
                self._kernel(None)
            super().settimeout(value)
            self._python_timed = True
        self._asked = value

    def gettimeout(self) -> float | None:
        return self._asked

    def _on_python(self) -> None:
        """The call about to be made waits Python's timeout: the caller's value matched the pool's other one
        (its send timeout before a read, or its read timeout before a send)."""
        super().settimeout(self._asked)
        self._python_timed = True

    def _timed(self, phase: int, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)`, the recv (phase 1) or send (phase 0) of this socket, waiting the timeout asked for it:
        the kernel's when it is the pool's value of that phase, else Python's (_on_python); an expired kernel
        timeout (EAGAIN) raised as CPython's own TimeoutError (module docstring)."""
        if self._asked != self._kept[phase] and not self._python_timed:
            self._on_python()
        try:
            return call(*args)
        except BlockingIOError:
            if self._python_timed:
                raise  # a caller's 0 timeout: EAGAIN is the answer
            raise TimeoutError("timed out") from None

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        return self._timed(1, super().recv_into, buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        return self._timed(1, super().recv, bufsize, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        return self._timed(0, super().send, data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._timed(0, super().sendall, data, flags)
