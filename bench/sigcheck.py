"""Which payloads does each tool sign? A logging proxy on loopback sees every request a tool sends.

The proxy relays bytes both ways unchanged (so SigV4 signatures, which cover the Host header, still
verify upstream). On the way in it parses each HTTP/1.1 request: it records the method, the path, the
`x-amz-content-sha256` header and the SHA-256 of the body it forwarded (Content-Length or chunked
framing). With `certfile`/`keyfile` it terminates TLS with that certificate (clients trust it as
their CA) and forwards plain HTTP, so the same check works for the TLS run. bench/run.py drives each
tool's own upload command lines through it; `classify` turns a request into one verdict:

- `signed`: x-amz-content-sha256 is the hex SHA-256 of exactly the bytes that were sent
- `signed-chunks`: STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): every chunk carries a signature
- `UNSIGNED`: UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER (TLS or a checksum protects it)
- `WRONG-HASH`: a hex value that is not the SHA-256 of the body (the server should refuse it)
- `no-header`: no x-amz-content-sha256 at all
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Request:
    tag: str  # which tool / run the proxy was serving
    method: str
    path: str
    content_sha256: str | None
    body_len: int
    body_sha256: str
    content_encoding: str | None
    query: str = ""  # the target's query ("versioning=" for GetBucketVersioning, "list-type=2&..." for a listing)


SIGNED_STREAMING = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER")
UNSIGNED_VALUES = ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")


def classify(req: Request) -> str:
    value = req.content_sha256
    if value is None:
        return "no-header"
    if value in UNSIGNED_VALUES:
        return "UNSIGNED"
    if value in SIGNED_STREAMING:
        return "signed-chunks"
    return "signed" if value.lower() == req.body_sha256 else "WRONG-HASH"


def summarize(requests: list[Request], min_body: int = 1) -> dict[str, int]:
    """Verdicts of the requests that carried a body of at least `min_body` bytes (PUTs, parts)."""
    return dict(Counter(classify(r) for r in requests if r.body_len >= min_body))


class LoggingProxy:
    """127.0.0.1:<port> -> upstream (host, port), optionally TLS on the listening side.

    Use as a context manager; `tag` names the tool whose requests are being recorded now."""

    def __init__(self, upstream: tuple[str, int], certfile: Path | None = None, keyfile: Path | None = None):
        self.upstream = upstream
        self.tls: ssl.SSLContext | None = None
        if certfile and keyfile:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(str(certfile), str(keyfile))
        self.requests: list[Request] = []
        self.tag = ""
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> LoggingProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = future.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def take(self, tag: str) -> list[Request]:
        return [r for r in self.requests if r.tag == tag]

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls, limit=1 << 20)
        return self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(*self.upstream, limit=1 << 20)
        except OSError:
            client_w.close()
            return
        back = asyncio.ensure_future(self._relay(up_r, client_w))
        try:
            await self._requests(client_r, up_w)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            up_w.close()
            try:
                await asyncio.wait_for(back, timeout=30)
            except (TimeoutError, ConnectionError, ssl.SSLError):
                back.cancel()
            client_w.close()

    @staticmethod
    async def _relay(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Server -> client, byte for byte (100-continue, responses, bodies)."""
        try:
            while data := await src.read(1 << 18):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            if dst.can_write_eof():
                try:
                    dst.write_eof()
                except (OSError, RuntimeError):
                    pass

    async def _requests(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Client -> server: forward each request head and body, recording what the body was."""
        while True:
            try:
                head = await src.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            dst.write(head)
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            digest, length = hashlib.sha256(), 0
            if "chunked" in headers.get("transfer-encoding", "").lower():
                while True:
                    size_line = await src.readuntil(b"\r\n")
                    dst.write(size_line)
                    size = int(size_line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while (trailer := await src.readuntil(b"\r\n")) != b"\r\n":
                            dst.write(trailer)
                        dst.write(b"\r\n")
                        break
                    data = await src.readexactly(size + 2)
                    dst.write(data)
                    digest.update(data[:-2])
                    length += size
                    await dst.drain()
            else:
                left = int(headers.get("content-length", "0") or 0)
                while left:
                    data = await src.read(min(left, 1 << 20))
                    if not data:
                        raise asyncio.IncompleteReadError(b"", left)
                    dst.write(data)
                    digest.update(data)
                    length += len(data)
                    left -= len(data)
                    await dst.drain()
            await dst.drain()
            url = urlsplit(target)
            self.requests.append(Request(self.tag, method, url.path, headers.get("x-amz-content-sha256"),
                                         length, digest.hexdigest(), headers.get("content-encoding"), url.query))
