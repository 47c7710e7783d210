"""What an upload imports: the codecs, the encryption's key handling and the object-lock check only when the
upload uses them. A plain `upload` (and a sync that uploads one changed file) paid ~60M instructions of them
before: codec/compression ~24M with compression off, codec/encryption ~6.5M with no SSE asked, lockcheck's
LockCheck model ~27M with no lock asked. Each runs for real in a fresh interpreter against the session's server
(tests/test_startup_paths._run reports the modules loaded); the uses still work when asked for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_startup_paths import CODE

from helpers import random_bytes

# loaded on use only: a codec set (or `auto`, or SSE-C), an SSE-C key, a lock asked, an encryption to check
ON_USE = {"its_store.codec.compression", "its_store.codec.coders", "its_store.codec.auto",
          "its_store.codec.encryption", "its_store.codec.sse_keys", "its_store.service.lockcheck",
          "its_store.service.ssecheck"}


@pytest.fixture(autouse=True)
def _plain(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Compression and SSE off, as the bench runs (both default on: `auto`, SSE-S3); a test asks for each."""
    monkeypatch.setenv("MINIO_ENABLE_COMPRESSION", "false")
    monkeypatch.setenv("MINIO_ENABLE_ENCRYPTION", "false")


def _run(argv: list[str]) -> tuple[int, set[str], str, str]:
    """(exit code, modules loaded, stderr, stdout) of `its-store --quiet ARGV` in a fresh interpreter (as
    tests/test_startup_paths._run, which also refuses the patterns a lock's answers compile)."""
    done = subprocess.run([sys.executable, "-c", CODE, json.dumps(["--quiet", *argv])], capture_output=True,
                          text=True, timeout=120, check=False)
    head, _, tail = done.stderr.rpartition("\nMODULES ")
    assert tail, done.stderr
    code, modules, _, waiting = json.loads(tail)
    return code, set(modules) - set(waiting), head, done.stdout


def _frame(tmp_path: Path, name: str = "frame.jpg") -> tuple[Path, bytes]:
    data = random_bytes(50_000)
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


def _uploaded(argv: list[str]) -> tuple[dict[str, object], set[str]]:
    code, modules, stderr, stdout = _run(["--json", "upload", *argv])
    assert (code, stderr) == (0, ""), stderr
    return json.loads(stdout), modules


def test_a_plain_upload_imports_no_codec_encryption_or_lock_check(bucket: str, tmp_path: Path) -> None:
    path, _ = _frame(tmp_path)
    result, modules = _uploaded([str(path), f"s3://{bucket}/plain/frame.jpg"])
    assert result["codec"] == "none"  # (the encryption: what the bucket answers, none asked)
    assert not modules & ON_USE, sorted(modules & ON_USE)


def test_a_sync_of_one_changed_file_imports_none_of_them(bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for n in range(3):
        _frame(folder, f"f{n}.jpg")
    assert _run(["sync", str(folder), f"s3://{bucket}/w7/", "--delete"])[0] == 0
    (folder / "f1.jpg").write_bytes(random_bytes(50_001))  # changed: a new content and size
    code, modules, stderr, _ = _run(["sync", str(folder), f"s3://{bucket}/w7/", "--delete"])
    assert (code, stderr) == (0, ""), stderr
    assert not modules & ON_USE, sorted(modules & ON_USE)


@pytest.mark.parametrize("codec", ["zstd", "gzip", "auto"])
def test_a_compressed_upload_loads_the_codec_and_round_trips(bucket: str, tmp_path: Path, codec: str) -> None:
    path = tmp_path / "frame.txt"
    data = b"camera 7 frame metadata line\n" * 5000  # compresses: `auto` chooses zstd
    path.write_bytes(data)
    result, modules = _uploaded([str(path), f"s3://{bucket}/packed/{codec}.txt", "--compress", codec])
    assert result["codec"] == ("zstd" if codec == "auto" else codec)
    assert int(str(result["stored_size"])) < len(data)
    assert "its_store.codec.compression" in modules
    code, _, stderr, _ = _run(["get", f"s3://{bucket}/packed/{codec}.txt", str(tmp_path / "back.txt")])
    assert (code, stderr) == (0, ""), stderr
    assert (tmp_path / "back.txt").read_bytes() == data


def test_an_sse_s3_upload_is_checked(bucket: str, tmp_path: Path) -> None:
    path, _ = _frame(tmp_path)
    result, modules = _uploaded([str(path), f"s3://{bucket}/sse/frame.jpg", "--sse", "s3"])
    assert result["encryption"] == "SSE-S3"
    assert "its_store.service.ssecheck" in modules  # the encryption asked is checked on the stored version
    assert "its_store.codec.compression" not in modules


def test_an_sse_c_upload_reads_its_key_and_round_trips(bucket: str, tmp_path: Path) -> None:
    path, data = _frame(tmp_path)
    key_file = tmp_path / "sse.key"
    key_file.write_bytes(random_bytes(32))
    result, modules = _uploaded([str(path), f"s3://{bucket}/ssec/frame.jpg", "--sse-c-key-file", str(key_file)])
    assert result["encryption"] == "SSE-C"
    assert {"its_store.codec.sse_keys", "its_store.codec.encryption"} <= modules  # KeyedS3 carries the key
    code, _, stderr, _ = _run(["get", f"s3://{bucket}/ssec/frame.jpg", str(tmp_path / "back.jpg"),
                               "--sse-c-key-file", str(key_file)])
    assert (code, stderr) == (0, ""), stderr
    assert (tmp_path / "back.jpg").read_bytes() == data


def test_a_locked_upload_loads_the_lock_check_and_is_held(locked: str, service, tmp_path: Path) -> None:
    path, _ = _frame(tmp_path)
    result, modules = _uploaded([str(path), f"s3://{locked}/held/frame.jpg", "--legal-hold"])
    assert "its_store.service.lockcheck" in modules
    assert service.s3.governance.get_legal_hold(locked, "held/frame.jpg", str(result["version_id"])) is True
