"""Data makers shared by tests."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import its_store

ROOT = Path(its_store.__file__).resolve().parents[1]  # the checkout a subprocess must import
DEADLINE = 240  # seconds; a safety net against a hang, never a timing assertion

JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def named_by(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """What an os call's first argument names, for a count narrowed to a test's own files (a process-wide
    patch also sees other threads: a leftover thread of an earlier test, a collected service's stats flush,
    linecache's stat of a .py file): a path as given (relative ones against dir_fd or the working folder), a
    descriptor as the file behind it (/proc/self/fd). "" when it names nothing (or a descriptor already gone)."""
    def behind(fd: int) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""
    first = args[0] if args else None
    if isinstance(first, int) and not isinstance(first, bool):
        return behind(first)
    if not isinstance(first, (str, bytes, os.PathLike)):
        return ""
    name = os.fsdecode(first)
    if os.path.isabs(name):
        return name
    dir_fd = kwargs.get("dir_fd")
    return os.path.join(behind(dir_fd) if dir_fd is not None else os.getcwd(), name)


def inside(top: Path, *, itself: bool = True) -> Callable[[str], bool]:
    """Whether a name (named_by's answer) is in `top` (or `top` itself, unless itself=False), `top` taken as
    given and resolved. Resolved here, before any patch: Path.resolve() stats, so inside a patched os.stat
    it would call itself."""
    roots = tuple({str(top), str(top.resolve())})

    def check(name: str) -> bool:
        return any((itself and name == root) or name.startswith(root + os.sep) for root in roots)
    return check


def started_from_now() -> Callable[[], bool]:
    """Whether the calling thread is this one or one started after this call: a count under a process-wide
    patch kept to the test's own work (the threads its command starts), without the threads an earlier test
    left running. Threads are compared as objects (an ident is reused once a thread ended)."""
    earlier = set(threading.enumerate()) - {threading.current_thread()}
    return lambda: threading.current_thread() not in earlier


def fds_under(folder: Path) -> list[str]:
    """What this process's open descriptors name under `folder` (another thread's files, opened or closed
    meanwhile, do not count: a bare count of /proc/self/fd was off by one under load)."""
    named = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile (the listing's own descriptor too)
            continue
        if target == str(folder) or target.startswith(f"{folder}/"):
            named.append(target)
    return named


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def object_bytes(service: Any, bucket: str, key: str) -> bytes:
    """The stored bytes of s3://bucket/key, read with the service's own client (its connection given back)."""
    with service.s3.get(bucket, key) as resp:
        return bytes(resp.read())


def as_central(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Any) -> None:
    """`server` (a ServerInfo: the suite's SeaweedFS, a second one) as the remote `central`, in a config folder of
    the test's own: a copy to `central:BUCKET/...` goes between two endpoints (service/xcopy)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, value in {"ENDPOINT": f"http://{server.endpoint}", "ACCESS_KEY": server.access_key,
                        "SECRET_KEY": server.secret_key}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_CENTRAL_{name}", value)


def copied_to_central(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, central: Any,
                      *args: str) -> Any:
    """The CLI run of `args` (a cp or sync to `central:...`) on the fault server `server` (one worker, one
    connection, no SSE asked), `central` (a ServerInfo) as the remote `central` (as_central)."""
    cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_WORKERS="1", MINIO_MAX_POOL_CONNECTIONS="1",
                    MINIO_ENABLE_ENCRYPTION="false")
    as_central(monkeypatch, tmp_path, central)
    return cli(*args)


def write_file(path: Path, size: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random_bytes(size, seed))
    return path


def make_frames(root: Path, cameras: int = 2, per_camera: int = 5, size: int = 20_000) -> list[Path]:
    """Fake camera frames (JPEG header + random bytes) under root/camera_00N/frame_000M.jpg."""
    paths = []
    for cam in range(1, cameras + 1):
        for n in range(1, per_camera + 1):
            path = root / f"camera_{cam:03d}" / f"frame_{n:04d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(JPEG_HEADER + random_bytes(size - len(JPEG_HEADER), seed=cam * 1000 + n))
            paths.append(path)
    return paths


def wait_for_server_clock(service: Any, bucket: str, moment: datetime) -> None:
    """Return once the server dates a new object later than `moment` (its Last-Modified has one-second
    resolution): from then on the server's clock is past `moment`, and what is written afterwards is
    dated apart from what was written before. A condition on the server's own clock, where a sleep
    would guess it; writes the object `clock-probe` in `bucket` (again and again)."""
    deadline = time.monotonic() + 60  # a safety net only
    while True:
        service.s3.put(bucket, "clock-probe", b"", {})
        stamped = service.s3.stat(bucket, "clock-probe").last_modified  # uncached: a HEAD each time
        if stamped is not None and stamped > moment:
            return
        assert time.monotonic() < deadline, f"the server's clock did not pass {moment}"
        time.sleep(0.05)  # the pace of the poll, not a synchronisation: the condition above decides


def audit_lines(env: dict[str, str]) -> list[dict]:
    """The audit log of a test's environment (MINIO_AUDIT_LOG), one dict per line; [] before any."""
    path = Path(env["MINIO_AUDIT_LOG"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def put_stdin(cli, bucket: str, key: str, *flags: str, data: bytes = b"frame") -> str:
    """`upload - s3://bucket/key FLAGS` through the CLI; the new version id."""
    run = cli("upload", "-", f"s3://{bucket}/{key}", *flags, "--json", input=data)
    assert run.exit_code == 0, run
    return run.json()["version_id"]


def put_sse_c(cli, bucket: str, key: str, tmp_path: Path, data: bytes = b"sealed") -> Path:
    """Upload `data` to s3://bucket/key encrypted with a new SSE-C key; the key file (tmp_path/sse.key, made once)."""
    from test_encryption import new_key
    key_file = tmp_path / "sse.key"
    if not key_file.exists():
        new_key(key_file)
    src = tmp_path / "sealed.bin"
    src.write_bytes(data)
    run = cli("upload", str(src), f"s3://{bucket}/{key}", "--sse", "c", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 0, run
    return key_file


def list_versions(cli, bucket: str, prefix: str = "") -> list[dict]:
    """Every version and delete marker under s3://bucket/prefix (ls --versions -r --json)."""
    run = cli("ls", f"s3://{bucket}/{prefix}", "--versions", "-r", "--json")
    assert run.exit_code == 0, run
    return run.jsonl()


def refused_without_lock(cli, *args: str, input: bytes | None = None) -> None:
    """`its-store ARGS` on a bucket without object lock (every bucket of `rclone serve s3`, which has none)
    is refused before anything is stored or changed: one line, exit 78, object_lock_not_enabled."""
    run = cli(*args, input=input)
    assert run.exit_code == 78, (args, run)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: ") and "has no object lock" in lines[0], run


def refused_unsupported(cli, *args: str, input: bytes | None = None) -> None:
    """`its-store ARGS` that needs what the server lacks (`rclone serve s3`: versions) is one line, exit 1:
    "the server does not support this operation (NotImplemented, ...)"."""
    run = cli(*args, input=input)
    assert run.exit_code == 1, (args, run)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: the server does not support this operation "
                                                   "(NotImplemented"), run


def seed_completion_cache(cache_dir: Path, endpoint: str, access_key: str, secret: str,
                          answers: dict[str, list[str]], age: float = 0.0) -> None:
    """Put answers in the completion cache as a completion by this identity would have filed them
    (cli/completion/complete.py): `answers` maps a key tail ("buckets", "keys\\nBUCKET\\nPREFIX") to names."""
    import time

    from its_store.cli.completion.complete import CACHE_FILE, CACHE_VERSION
    from its_store.core.identity import identity_of
    path = cache_dir / CACHE_FILE
    doc = json.loads(path.read_text()) if path.is_file() else {"version": CACHE_VERSION, "entries": {}}
    server = f"{endpoint}|{identity_of(endpoint, access_key, secret)}"
    for tail, items in answers.items():
        doc["entries"][f"{server}\n{tail}"] = {"t": time.time() - age, "items": items, "complete": True}
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def patient_completion(mp: Any) -> None:
    """Completion's network limits (cli/completion/complete.py) made generous on the monkeypatch `mp`: for a
    loaded CI machine, where a test needs the server's real answer. The real limits are exercised by the
    hung- and slow-server tests, which do not use it."""
    from its_store.cli.completion import complete
    for name, value in (("DEADLINE_SECONDS", 30.0), ("COLD_DEADLINE_SECONDS", 30.0), ("HARD_CAP_SECONDS", 60.0),
                        ("CONNECT_TIMEOUT", 5.0), ("READ_TIMEOUT", 20.0)):
        mp.setattr(complete, name, value)


@contextmanager
def silent_tcp_server() -> Iterator[str]:
    """A TCP server on loopback that accepts connections and never answers (a hung S3 endpoint): its
    host:port."""
    import socket
    import threading
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
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in conns:
            conn.close()
        sock.close()


# -- a hostile-key corpus, stored by "another client" (boto3) ----------------------------------------

def hostile_keys(prefix: str = "h/") -> list[str]:
    """More than 40 keys another client may store (tests/test_hostile_keys.py): every C0 control and
    DEL, every '.' / '..' form, segments of 255 and 256 bytes, a 1,024-byte key, NFC/NFD twins,
    trailing dots and spaces, '%2F', C1 and bidi controls, an OSC sequence, a newline that forges a
    listing line, and a key that is both a file and a folder. Servers refuse some (see the test)."""
    keys = [f"{prefix}ctl/{c:02x}-{chr(c)}-x" for c in [*range(1, 0x20), 0x7F]]
    keys += [prefix + k for k in (
        "..", ".", "../escape", "./dot", "a/../../../../etc/x", "a/.", "a/..", "...", "..x", "x..",
        "double//slash", "back\\..\\x", "seg/" + "a" * 255, "seg/" + "b" * 256,
        "nf/caf\u00e9", "nf/cafe\u0301", "trail/name.", "trail/name ", "trail/name...",
        "pct/a%2Fb", "both", "both/child", "c1/\u009b31m", "bidi/\u202etxt.exe", "ls/\u2028x",
        "esc/\x1b]0;pwned\x07", "forge/x\n2026-01-01 00:00:00        1 B  h/forged", "plus/a+b c",
        "ok/plain.txt")]
    deep = prefix + "deep/"
    while len(deep.encode()) < 1024 - 201:
        deep += "d" * 200 + "/"
    keys.append(deep + "e" * (1024 - len(deep.encode())))  # 1,024 bytes, no segment over 255
    return keys


def boto3_client(server) -> object:
    """A boto3 S3 client for a test server (tests/conftest.ServerInfo): "another client" that stores
    whatever the server accepts, with none of its-store's key rules."""
    import boto3
    from botocore.config import Config
    from botocore.handlers import add_expect_header
    client = boto3.client("s3", endpoint_url=f"http://{server.endpoint}", aws_access_key_id=server.access_key,
                          aws_secret_access_key=server.secret_key, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    # No `Expect: 100-continue` on PUTs: a server that refuses a key without a 100 (rclone) made boto3 wait
    # 1 s for it before each refusal (~10 s for the hostile corpus). The same request and body otherwise.
    client.meta.events.unregister("before-call.s3", add_expect_header)
    return client


def store_keys(client, bucket: str, keys: list[str]) -> dict[str, str]:
    """PUT each key (its own UTF-8 bytes, up to 64, as content); return {key: error} of those refused."""
    refused = {}
    for key in keys:
        try:
            client.put_object(Bucket=bucket, Key=key, Body=key.encode()[:64])
        except Exception as exc:  # noqa: BLE001 - a server's refusal, recorded for the report
            refused[key] = str(exc)[:120]
    return refused


def held_keys(client, bucket: str, prefix: str = "") -> list[str]:
    """Every key the server holds under `prefix`, as boto3 lists them (URL-encoded listing, decoded)."""
    keys, token = [], {}
    while True:
        page = client.list_objects_v2(Bucket=bucket, Prefix=prefix, **token)
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return sorted(keys)
        token = {"ContinuationToken": page["NextContinuationToken"]}


SERVER_FIXTURES = {"seaweedfs": "s3_server", "moto": "moto_server_info", "rclone": "rclone_server_info"}


@dataclass
class Corpus:
    """Keys stored by another client in a fresh bucket of one server, and a CLI on that server."""

    kind: str
    bucket: str
    client: Any
    cli: Any
    env: dict[str, str]
    held: list[str]            # what the server lists under h/ after the PUTs
    refused: dict[str, str]    # key -> the server's refusal
    content: dict[str, bytes]  # held key -> its bytes (the stored key's own, which a server may rename)

    def relative(self) -> list[str]:
        return [k[len("h/"):] for k in self.held]


_REFUSED: dict[tuple[str, bool], dict[str, str]] = {}  # (server kind, versioned) -> key -> its refusal


def corpus_on(request, kind: str, buckets: dict[str, str], monkeypatch, tmp_path: Path, *,
              versioned: bool = False, keys: list[str] | None = None) -> Corpus:
    """Store `keys` (default: hostile_keys()) with boto3 on the server `kind` ("seaweedfs", "moto",
    "rclone") and point the test's environment and CLI at it."""
    from conftest import cli_runner, environment_for, unique
    server = request.getfixturevalue(SERVER_FIXTURES[kind])
    env = environment_for(server, buckets, monkeypatch, tmp_path)
    client = boto3_client(server)
    bucket = unique("hk")
    client.create_bucket(Bucket=bucket)
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    wanted = hostile_keys() if keys is None else keys
    known = _REFUSED.setdefault((kind, versioned), {})  # rclone takes ~1 s to refuse each: ask once a session
    refused = {**{k: why for k, why in known.items() if k in wanted},
               **store_keys(client, bucket, [k for k in wanted if k not in known])}
    known.update(refused)
    held = held_keys(client, bucket, "h/")
    content = {}
    for key in held:
        try:
            content[key] = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception:  # noqa: BLE001 - rclone lists an entry it failed to store (test_hostile_keys)
            content[key] = b""
    return Corpus(server.kind, bucket, client, cli_runner(env), env, held, refused, content)


@dataclass
class Done:
    """What a subprocess run of the CLI did."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"<Done exit={self.exit_code} stdout={self.stdout[:1500]!r} stderr={self.stderr[:1500]!r}>"


def run_cli_process(args: list[str], env: dict[str, str], cwd: Path, *, prefix: tuple[str, ...] = (),
                    pool: int = 2) -> Done:
    """`python -m its_store ARGS` in a subprocess of this checkout (after `prefix`, e.g. setpriv), with
    `pool` connections and workers, killed at DEADLINE: a hang fails the test, naming the command."""
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT), "MINIO_MAX_POOL_CONNECTIONS": str(pool),
            "MINIO_MAX_WORKERS": str(pool)}
    try:
        proc = subprocess.run([*prefix, sys.executable, "-m", "its_store", *args], env=full, cwd=cwd,
                              capture_output=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`its-store {' '.join(args[:3])}` did not finish in {DEADLINE} s (hung); "
                    f"stderr: {(exc.stderr or b'')[-2000:]!r}")
    return Done(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))


@contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """`chattr +i` (root ignores mode bits, not this), always undone."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@contextmanager
def tiny_disk(folder: Path) -> Iterator[None]:
    """A 1 MiB tmpfs mounted on `folder`, always unmounted."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", str(folder)], check=True)
    try:
        yield
    finally:
        if subprocess.run(["umount", str(folder)]).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=True)


_RESERVED: list[Any] = []  # closed_port()'s socket: bound, never listening, kept for the process's life


def closed_port() -> int:
    """A loopback port nothing listens on: a dead endpoint (a connection is refused). Its socket stays bound
    without listening (one for the whole run), so no server started meanwhile (another test's, another
    process's) is given the port, as it could once a released port was handed out again."""
    if not _RESERVED:
        import atexit
        import socket
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        _RESERVED.append(sock)
        atexit.register(sock.close)
    return int(_RESERVED[0].getsockname()[1])


# A suite started in the background inherits SIGINT ignored: restore the default before exec, as a terminal has it
WITH_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "os.execv(sys.executable, [sys.executable, '-m', 'its_store', *sys.argv[1:]])")


def ctrl_c_when(ready: threading.Event, args: list[str], env: dict[str, str], cwd: Path, what: str) -> tuple[int, str]:
    """(exit code, stderr) of `its-store ARGS` in a child sent SIGINT once `ready` is set (a server hook saw
    the state to interrupt). Fails the test if the CLI ends before that, or if the Ctrl-C is not obeyed within
    DEADLINE (a safety net: the tests set back-offs of a day): `what` says what it would have waited for."""
    proc = subprocess.Popen([sys.executable, "-c", WITH_SIGINT, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not ready.wait(0.5):
            if proc.poll() is not None:
                pytest.fail(f"the CLI ended before {what}: {proc.communicate()[1].decode()}")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"Ctrl-C waited for {what}")
    return proc.returncode, err.decode()


def fault_cli(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: str) -> Any:
    """The CLI runner on a fault server (tests/faultserver.py), in an environment of its own: every MINIO_*
    variable and REDIS_URL of the session cleared, no retries, state under tmp_path, the working folder
    tmp_path; `extra`: more MINIO_* settings."""
    from conftest import ServerInfo, cli_runner
    for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
        monkeypatch.delenv(name)
    env = {**ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(), "MINIO_MAX_RETRIES": "0",
           "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"), "MINIO_AUDIT_LOG": str(tmp_path / "state" / "a.log"),
           **extra}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return cli_runner(env)


@contextmanager
def rewritten_at(server: Any, at: Callable[[Any], str | None], new: bytes,
                 answer: Callable[[Any], bytes | None] | None = None) -> Iterator[Any]:
    """A FaultProxy to `server` that, at the first request for which `at(seen)` names an object ("bucket/key"),
    first writes `new` there itself (another writer, straight to the server, at that request's very moment);
    `proxy.done` lists the keys it wrote. `answer`: the proxy's answer hook besides (canned answers)."""
    import io

    from faultproxy import FaultProxy, Seen

    from conftest import plain_client
    direct = plain_client(server)
    done: list[str] = []

    def rewrite(seen: Seen) -> bytes | None:
        target = at(seen)
        if target is not None and not done:
            bucket, _, key = target.partition("/")
            direct.put_object(bucket, key, io.BytesIO(new), len(new))
            done.append(key)
        return None if answer is None else answer(seen)

    proxy = FaultProxy(int(server.endpoint.rpartition(":")[2]), answer=rewrite).start()
    proxy.done = done
    try:
        yield proxy
    finally:
        proxy.stop()


def rewritten_at_delete(server: Any, name: str, new: bytes) -> AbstractContextManager[Any]:
    """rewritten_at: at the first DELETE of a key ending `/name`, that key."""
    return rewritten_at(server, lambda seen: seen.path.lstrip("/") if seen.method == "DELETE"
                        and seen.path.endswith(f"/{name}") else None, new)


def user_mypy(cwd: Path, cache: Path, *scripts: str) -> subprocess.CompletedProcess[str]:
    """`mypy --strict --disallow-any-expr` of a user's `scripts` (run in `cwd`), with the folder holding
    `its_store` on PYTHONPATH: the package as an installed one (its py.typed needed, its own errors not
    reported), as after `pip install its-store`. --disallow-any-expr is set for the scripts' modules only
    (a user's code), and every other module is checked with exactly the options of `mypy --strict its_store`
    in the checkout (pyproject.toml's [tool.mypy]): so the package and every library it uses come from the
    cache `mypy_package_run` (conftest.py) filled, not checked again (~10 s of a cold run each)."""
    import tomllib
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]

    def section(name: str, options: dict[str, Any]) -> list[str]:
        return ["", f"[mypy-{name}]" if name else "[mypy]",
                *(f"{k} = {', '.join(v) if isinstance(v, list) else v}" for k, v in options.items())]

    lines = section("", {"strict": True, **{k: v for k, v in conf.items() if k != "overrides"}})
    for override in conf.get("overrides", []):
        modules = override["module"]
        lines += section(",".join(modules if isinstance(modules, list) else [modules]),
                         {k: v for k, v in override.items() if k != "module"})
    for script in scripts:
        lines += section(Path(script).stem, {"disallow_any_expr": True})
    config = cwd / "user-mypy.ini"
    config.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # an installed package to mypy (needs py.typed)
    env.pop("MYPYPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-color-output", "--no-error-summary",
         "--cache-dir", str(cache), *scripts],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=DEADLINE)
