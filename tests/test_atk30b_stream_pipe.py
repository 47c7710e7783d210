"""Attack on stdout streaming (session 30 brief: `get -` to a stdout that goes away). A compressed object
streamed to a pipe whose reader stops early (`get KEY - | head`) was reported as "cannot decompress ...:
BrokenPipeError ... the stored data is corrupt; fetch it as is with `get --raw`" (exit 4, integrity): the
sink's failure was taken for the codec's. It must end as an uncompressed object's does (a closed pipe:
nothing said, exit 141: the rule of tests/test_gaps_closed_pipe.py), and never call good stored data
corrupt. A real process and a real pipe: the reader
takes a few bytes and closes its end while the object (2 MB decoded, far more than a pipe holds) is still
being written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("codec", ["zstd", "gzip"])  # a C library calling the sink, and Python code
def test_a_compressed_stream_to_a_closed_pipe_is_no_corruption(cli: Any, env: dict[str, str], bucket: str,
                                                               tmp_path: Path, codec: str) -> None:
    src = tmp_path / "log.txt"
    src.write_text(os.urandom(1_000_000).hex())  # 2 MB decoded, ~1.1 MB stored (a tiny one went another way)
    assert cli("--quiet", "upload", str(src), f"s3://{bucket}/log", "--compress", codec).exit_code == 0
    child = subprocess.Popen([sys.executable, "-m", "its_store", "get", f"s3://{bucket}/log", "-"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})
    assert child.stdout is not None and child.stderr is not None
    assert len(child.stdout.read(10)) == 10
    child.stdout.close()  # the reader goes away (head -c 10)
    err = child.stderr.read().decode()
    code = child.wait(timeout=120)
    assert err == "", err  # a closed pipe is no error of ours: nothing said
    assert code == 141, (code, err)  # as an uncompressed object's (it was 0 or 1: 0 when a short write hid it)


def test_a_compressed_stream_to_a_full_stdout_is_a_local_error(cli: Any, env: dict[str, str], bucket: str,
                                                               tmp_path: Path) -> None:
    """stdout on a full disk (/dev/full): "cannot write <stdout>: no space left on device" (exit 1), as for
    an uncompressed object; it was "cannot decompress ...: OSError ... the stored data is corrupt" (exit 4)."""
    src = tmp_path / "log.txt"
    src.write_bytes(b"frame 000123 ok\n" * 4_096)
    assert cli("--quiet", "upload", str(src), f"s3://{bucket}/log", "--compress", "zstd").exit_code == 0
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "its_store", "get", f"s3://{bucket}/log", "-"], stdout=full,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, **env}, timeout=120, check=False)
    assert done.returncode == 1, done
    assert done.stderr.startswith("its-store: error: cannot write <stdout>") and "corrupt" not in done.stderr, done
