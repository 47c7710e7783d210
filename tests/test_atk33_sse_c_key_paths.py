"""Session 33 attack: an SSE-C key given on the command line must reach every request that needs it.

`sync` and `sync --watch` take `--sse-c-key-file` (docs/guides/sync.md: "Downloads go through `get`'s
path", and `get` honours the key). Found one step off the tested path:
- `sync s3://B/P/ ./dir --sse-c-key-file K` failed every SSE-C object with "its key is needed": the key
  went to the uploads only, never to the download request;
- `sync DIR s3://B/P/ --watch --sse c --sse-c-key-file K --remove-source` uploaded each file with SSE-C,
  then its read-back check (a HEAD) went without the key: "failed ... its key is needed", the file kept
  and sent again on the next event, a new version each time.
Real SeaweedFS, no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_encryption import new_key
from test_watch import Events, make_watcher
from watchstep import Stepper

from its_store.sync.model import UploadOptions

from conftest import one_line_error


def _sse_c_object(cli: Any, bucket: str, key: str, key_file: Path, data: bytes, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    run = cli("upload", str(src), f"s3://{bucket}/{key}", "--sse", "c", "--sse-c-key-file", str(key_file), "--json")
    assert run.exit_code == 0, run
    assert run.json()["encryption"] == "SSE-C"


def test_sync_download_uses_the_sse_c_key_file_it_was_given(cli: Any, bucket: str, tmp_path: Path) -> None:
    key_file = tmp_path / "sse-c.key"
    new_key(key_file)
    _sse_c_object(cli, bucket, "enc/frame.bin", key_file, b"secret frame bytes", tmp_path)
    run = cli("sync", f"s3://{bucket}/enc/", "down", "--sse-c-key-file", str(key_file), "--json")
    assert run.exit_code == 0, run
    assert [c["path"] for c in run.json()["copied"]] == ["frame.bin"]
    assert (tmp_path / "down" / "frame.bin").read_bytes() == b"secret frame bytes"


def test_sync_download_with_a_wrong_key_fails_that_object_and_writes_nothing(cli: Any, bucket: str,
                                                                             tmp_path: Path) -> None:
    """The key is really sent: a wrong one is a key mismatch (not "key needed"), and no file appears."""
    key_file, wrong = tmp_path / "sse-c.key", tmp_path / "wrong.key"
    new_key(key_file)
    new_key(wrong)
    _sse_c_object(cli, bucket, "enc/frame.bin", key_file, b"secret frame bytes", tmp_path)
    run = cli("sync", f"s3://{bucket}/enc/", "down", "--sse-c-key-file", str(wrong), "--json")
    assert run.exit_code != 0, run
    assert [f["code"] for f in run.json()["failed"]] == ["sse_c_key_mismatch"]
    assert not (tmp_path / "down" / "frame.bin").exists()


@pytest.mark.parametrize("given", ["file", "bytes"])
def test_watch_remove_source_verifies_an_sse_c_upload_with_its_key(service: Any, bucket: str, tmp_path: Path,
                                                                   given: str) -> None:
    """`bytes`: the key given to the library as its bytes (`extra={"sse_c_key": key}`, an UploadRequest field):
    that check HEADed with the key file or the settings' key only, so without it: "its key is needed", the file
    kept and sent again on the next event."""
    key_file = tmp_path / "sse-c.key"
    key = new_key(key_file)
    folder = tmp_path / "drop"
    folder.mkdir()
    data = b"frame under a customer key"
    (folder / "frame_0001.jpg").write_bytes(data)
    events = Events()
    options = UploadOptions(sse="c", sse_c_key_file=key_file) if given == "file" else \
        UploadOptions(sse="c", extra={"sse_c_key": key})
    with Stepper(make_watcher(service, folder, bucket, events, remove_source=True, upload_options=options)) as st:
        st.event("added", "frame_0001.jpg")
        st.idle()
    assert events.of("failed") == []
    assert [(e["key"], e["removed"]) for e in events.of("uploaded")] == [("cams/frame_0001.jpg", True)]
    info = service.stat_object(bucket, "cams/frame_0001.jpg", include_tags=False, sse_c_key_file=key_file)
    assert info.encryption == "SSE-C" and info.size == len(data)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["cp", "mv"])
def test_a_server_side_copy_of_an_sse_c_object_says_why_it_is_refused(cli: Any, bucket: str, tmp_path: Path,
                                                                      command: str) -> None:
    """docs/guides/copy-move.md: an SSE-C object is refused by s3-to-s3 cp (exit 2), "download it with `get
    --sse-c-key-file` and upload it again". That message was unreachable: the source's HEAD (sent without
    the key) failed first, and the user who had given --sse-c-key-file was told to give --sse-c-key-file."""
    key_file = tmp_path / "sse-c.key"
    new_key(key_file)
    _sse_c_object(cli, bucket, "enc/frame.bin", key_file, b"secret frame bytes", tmp_path)
    run = cli(command, f"s3://{bucket}/enc/frame.bin", f"s3://{bucket}/copy/frame.bin", "--sse-c-key-file",
              str(key_file))
    assert run.exit_code == 2, run
    line = one_line_error(run)
    assert "server-side copy" in line and "get --sse-c-key-file" in line, run
    assert cli("stat", f"s3://{bucket}/enc/frame.bin", "--sse-c-key-file", str(key_file)).exit_code == 0  # kept


def test_the_async_stat_takes_the_key_the_sync_one_takes(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """aio.AsyncStorageService.stat_object had (bucket, key, version_id) only: an SSE-C object could not be
    stat'ed through the asyncio facade with a key file, which StorageService.stat_object takes."""
    import asyncio

    from its_store.aio import AsyncStorageService
    key_file = tmp_path / "sse-c.key"
    new_key(key_file)
    _sse_c_object(cli, bucket, "enc/frame.bin", key_file, b"secret frame bytes", tmp_path)

    async def main() -> Any:
        return await AsyncStorageService(service).stat_object(bucket, "enc/frame.bin", include_tags=False,
                                                              sse_c_key_file=key_file)

    info = asyncio.run(main())
    assert info.encryption == "SSE-C" and info.size == len(b"secret frame bytes")
