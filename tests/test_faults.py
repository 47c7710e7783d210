"""Faults a real server is not asked for: injected 503 SlowDown, resets mid-body, a server killed
mid-transfer, Ctrl-C, and resuming an interrupted upload. The proxy (tests/faultproxy.py) sits on
loopback between the CLI and the real server; checks read the real server directly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from faultproxy import FaultProxy, Hold

from its_store.core import errors as E
from its_store.testing.devserver import SeaweedServer

from conftest import SMALL_THRESHOLD as T
from helpers import make_frames, random_bytes, write_file


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _tree_equal(a: Path, b: Path) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


@pytest.fixture
def faulty(s3_server):
    proxies = []

    def make(**faults) -> FaultProxy:
        proxy = FaultProxy(_port(s3_server.endpoint), **faults).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


FRAMES = 200  # small frames uploaded and downloaded through the faulty proxy


@pytest.mark.parametrize("faults", [{"slowdown_rate": 0.1}, {"reset_rate": 0.1}], ids=["503", "reset"])
def test_recursive_and_multipart_survive_faults(cli, bucket, faulty, tmp_path: Path, faults):
    """A recursive upload and download and a multipart upload and ranged download through a proxy that
    answers one request in ten with a 503 SlowDown (or resets it mid-body): all complete and intact.
    FRAMES frames: some 40 faults injected in all, twice the 20 asked (500 frames proved no more)."""
    proxy = faulty(seed=11, **faults)
    via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "8"}
    make_frames(tmp_path / "frames", cameras=5, per_camera=FRAMES // 5, size=1500)
    run = cli("upload", "frames", f"s3://{bucket}/site/", "-r", "--json", extra_env=via)
    assert run.exit_code == 0, run
    assert run.json()["succeeded"] == FRAMES
    big = write_file(tmp_path / "big.bin", 4 * T + 4321, seed=3)
    run = cli("upload", str(big), f"s3://{bucket}/big.bin", "--part-size", "5MiB", "--json", extra_env=via)
    assert run.exit_code == 0, run
    assert run.json()["parts"] == 5
    run = cli("get", f"s3://{bucket}/big.bin", "big-through-proxy.bin", "--workers", "4", extra_env=via)
    assert run.exit_code == 0, run
    run = cli("get", f"s3://{bucket}/site/", "frames-through-proxy", "-r", "--json", extra_env=via)
    assert run.exit_code == 0, run
    assert run.json()["succeeded"] == FRAMES
    _tree_equal(tmp_path / "frames", tmp_path / "frames-through-proxy")
    assert not [p for p in (tmp_path / "frames-through-proxy").rglob("*") if p.name.endswith(".its-tmp")]
    injected = proxy.counters.slowdowns + proxy.counters.resets
    assert injected >= 20, proxy.counters

    # every byte checked against the real server, not through the proxy
    assert cli("get", f"s3://{bucket}/site/", "restored", "-r").exit_code == 0
    _tree_equal(tmp_path / "frames", tmp_path / "restored")
    assert cli("get", f"s3://{bucket}/big.bin", "big-direct.bin").exit_code == 0
    assert (tmp_path / "big-direct.bin").read_bytes() == big.read_bytes()
    assert (tmp_path / "big-through-proxy.bin").read_bytes() == big.read_bytes()


# A suite started in the background (`cmd &` in a script) inherits SIGINT *ignored*, and Python then
# installs no KeyboardInterrupt handler: restore the default before exec, as a terminal would have it.
_WITH_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execv(sys.executable, [sys.executable, '-m', 'its_store', *sys.argv[1:]])")


def _spawn_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _WITH_SIGINT, *args], env={**os.environ, **env}, cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert "Traceback" not in text, text
    return proc.returncode, text


@pytest.fixture
def own_server(tmp_path: Path):
    """A server of this test's own, which the test may kill and restart."""
    server = SeaweedServer(workdir=tmp_path / "server").start()
    yield server
    server.kill()  # SIGKILL: the folder stays in tmp_path for a look, no clean stop needed (~2 s)


def test_server_killed_mid_upload_then_rerun(own_server, env, tmp_path: Path):
    from its_store import StorageService, load_settings
    svc = StorageService(load_settings(**_direct(own_server)))
    svc.ensure_bucket("kill-bkt")
    # 4 parts: 2 go on, 2 wait (8 parts proved no more; a SeaweedFS restarted after SIGKILL takes ~6 s for 40 MiB)
    big = write_file(tmp_path / "big.bin", 4 * T, seed=4)
    hold = Hold(2)  # two parts go on; the rest wait until the server is dead: it dies midway
    proxy = FaultProxy(own_server.s3_port, answer=hold).start()
    cli_env = {**env, **_env_for(own_server), "MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "1"}
    args = ["upload", str(big), "s3://kill-bkt/big.bin", "--part-size", "5MiB", "-w", "2"]
    try:
        proc = _spawn_cli(args, cli_env, tmp_path)
        hold.wait()
        own_server.kill()
        hold.release()
        code, err = _finish(proc)
        assert code == E.EXIT_UNAVAILABLE, err
        assert err.count("\n") == 1 and err.startswith("its-store: error: ")
        own_server.restart()
        with pytest.raises(E.ObjectNotFoundError):
            svc.s3.stat("kill-bkt", "big.bin")  # nothing half-done is visible
        assert len(svc.s3.list_multipart_uploads("kill-bkt")) == 1  # the abort could not reach a dead server
        # same command, same endpoint; retries ride out the restarted server's warm-up
        code, err = _finish(_spawn_cli(args, {**cli_env, "MINIO_MAX_RETRIES": "5"}, tmp_path))
    finally:
        proxy.stop()
    assert code == 0, err
    assert svc.s3.list_multipart_uploads("kill-bkt") == []  # the orphan of the first run was aborted
    assert svc.s3.stat("kill-bkt", "big.bin").size == big.stat().st_size


def test_server_killed_mid_download(own_server, env, tmp_path: Path):
    from its_store import StorageService, load_settings
    svc = StorageService(load_settings(**_direct(own_server)))
    svc.ensure_bucket("kill-bkt")
    big = write_file(tmp_path / "big.bin", 6 * T, seed=6)
    svc.upload_object(__import__("its_store").UploadRequest(bucket="kill-bkt", key="big.bin", file_path=big))
    hold = Hold(2, "GET")  # two ranges go on; the rest wait until the server is dead: it dies midway
    proxy = FaultProxy(own_server.s3_port, answer=hold).start()
    dest = tmp_path / "dl"
    dest.mkdir()
    cli_env = {**env, **_env_for(own_server), "MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "1",
               "MINIO_PART_SIZE": "5MiB"}
    try:
        proc = _spawn_cli(["get", "s3://kill-bkt/big.bin", str(dest / "big.bin"), "-w", "2"], cli_env, tmp_path)
        hold.wait()
        own_server.kill()
        hold.release()
        code, err = _finish(proc)
    finally:
        proxy.stop()
    assert code == E.EXIT_UNAVAILABLE, err
    assert list(dest.iterdir()) == []  # no target, no temp file
    own_server.restart()
    # a restarted SeaweedFS answers /healthz before its volumes are back: the retries ride that out
    code, err = _finish(_spawn_cli(["get", "s3://kill-bkt/big.bin", str(dest / "big.bin")],
                                   {**env, **_env_for(own_server), "MINIO_MAX_RETRIES": "5"}, tmp_path))
    assert code == 0, err
    assert (dest / "big.bin").read_bytes() == big.read_bytes()


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_ctrl_c_exits_130_and_leaves_nothing(env, service, bucket, faulty, tmp_path: Path, direction):
    big = write_file(tmp_path / "big.bin", 6 * T, seed=8)
    if direction == "download":
        service.upload_object(__import__("its_store").UploadRequest(bucket=bucket, key="big.bin", file_path=big))
    hold = Hold(2, "PUT" if direction == "upload" else "GET")  # two parts go on, the rest wait for Ctrl-C
    proxy = faulty(answer=hold)
    dest = tmp_path / "dl"
    dest.mkdir()
    args = (["upload", str(big), f"s3://{bucket}/big.bin", "--part-size", "5MiB", "-w", "2"]
            if direction == "upload" else ["get", f"s3://{bucket}/big.bin", str(dest / "big.bin"), "-w", "2"])
    proc = _spawn_cli(args, {**env, "MINIO_ENDPOINT": proxy.endpoint, "MINIO_PART_SIZE": "5MiB"}, tmp_path)
    hold.wait()
    proc.send_signal(signal.SIGINT)
    hold.release()
    code, err = _finish(proc)
    assert code == E.EXIT_INTERRUPTED, err
    assert "its-store: error: interrupted" in err, err  # one line says why (it was silent: Typer's own 130)
    assert list(dest.iterdir()) == []
    if direction == "upload":
        with pytest.raises(E.ObjectNotFoundError):
            service.s3.stat(bucket, "big.bin")
        assert service.s3.list_multipart_uploads(bucket) == []


def test_resume_sends_only_the_missing_parts(cli, service, bucket, faulty, tmp_path: Path):
    size = 8 * T
    big = write_file(tmp_path / "big.bin", size, seed=12)
    proxy = faulty(byte_budget=size // 2 + 1)
    via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "1"}
    first = cli("upload", str(big), f"s3://{bucket}/big.bin", "--part-size", "5MiB", "-w", "2", "--resume",
                extra_env=via)
    assert first.exit_code == E.EXIT_UNAVAILABLE, first
    assert "--resume" in first.stderr
    with pytest.raises(E.ObjectNotFoundError):
        service.s3.stat(bucket, "big.bin")
    proxy.set(byte_budget=None)
    sent_before = proxy.counters.body_bytes_up
    second = cli("upload", str(big), f"s3://{bucket}/big.bin", "--part-size", "5MiB", "-w", "2", "--resume",
                 extra_env=via)
    assert second.exit_code == 0, second
    resent = proxy.counters.body_bytes_up - sent_before
    assert resent <= 0.55 * size, (resent, size)
    assert cli("get", f"s3://{bucket}/big.bin", "back.bin").exit_code == 0
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []


def test_rerun_without_resume_starts_over_and_cleans_up(cli, service, bucket, faulty, tmp_path: Path):
    size = 4 * T
    big = write_file(tmp_path / "big.bin", size, seed=13)
    proxy = faulty(byte_budget=size // 2 + 1)
    via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}
    assert cli("upload", str(big), f"s3://{bucket}/b", "--part-size", "5MiB", "--resume",
               extra_env=via).exit_code == E.EXIT_UNAVAILABLE
    assert len(service.s3.list_multipart_uploads(bucket)) == 1  # kept for --resume
    proxy.set(byte_budget=None)
    assert cli("upload", str(big), f"s3://{bucket}/b", "--part-size", "5MiB", extra_env=via).exit_code == 0
    assert service.s3.list_multipart_uploads(bucket) == []


def test_stdout_stream_survives_resets(cli, service, bucket, faulty):
    data = random_bytes(3 * T + 99, seed=21)
    service.s3.put(bucket, "s.bin", data, {"Content-Type": "application/octet-stream"})
    proxy = faulty(reset_rate=0.2, seed=5)
    run = cli("get", f"s3://{bucket}/s.bin", "-", extra_env={"MINIO_ENDPOINT": proxy.endpoint,
                                                            "MINIO_MAX_RETRIES": "8", "MINIO_PART_SIZE": "5MiB"})
    assert run.exit_code == 0 and run.stdout_bytes == data


def _env_for(server: SeaweedServer) -> dict[str, str]:
    return {"MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": server.access_key,
            "MINIO_SECRET_KEY": server.secret_key}


def _direct(server: SeaweedServer) -> dict[str, object]:
    return {"endpoint": server.endpoint, "access_key": server.access_key, "secret_key": server.secret_key}


def test_stdin_multipart_orphan_is_aborted_by_the_next_upload(cli, service, bucket, faulty):
    """A stream cannot be resumed, but a multipart upload the server could not abort is not left
    behind: the next upload of the same key aborts it."""
    data = random_bytes(3 * T, seed=31)
    proxy = faulty(byte_budget=T + 1)  # the network dies after the first part
    via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0", "MINIO_PART_SIZE": "5MiB"}
    first = cli("upload", "-", f"s3://{bucket}/stream.bin", "--compress", "none", input=data, extra_env=via)
    assert first.exit_code == E.EXIT_UNAVAILABLE, first
    assert len(service.s3.list_multipart_uploads(bucket)) == 1  # the abort could not get through either
    proxy.set(byte_budget=None)
    again = cli("upload", "-", f"s3://{bucket}/stream.bin", "--compress", "none", input=data, extra_env=via)
    assert again.exit_code == 0, again
    assert service.s3.list_multipart_uploads(bucket) == []
    assert cli("get", f"s3://{bucket}/stream.bin", "-").stdout_bytes == data
