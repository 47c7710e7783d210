"""Session 32, second attacker: object keys one step off the tested path, on the servers other than the default.

- SeaweedFS collapses an empty key segment: a PUT of `dd//b.txt` stores (and overwrites) `dd/b.txt`, and the
  listing then shows only `dd/b.txt`. its-store refuses '.'/'..' segments for this very reason (a request URL
  would reach another key) but sends '//' as is, so an upload silently replaces another object.
- rclone answers a HEAD of a key it cannot hold (`a//b.txt`) with a bare 400; explain_read_error() calls any
  bare 400 on a HEAD "probably encrypted with SSE-C": the library raises SseKeyRequiredError (exit 2 with an
  SSE-C hint) for an object that cannot exist there.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import ServerInfo, environment_for, plain_client, unique


@pytest.mark.parametrize("twin", ["dd//b.txt", "/dd/b.txt"])
def test_an_upload_to_a_key_with_an_empty_segment_does_not_replace_another_object(
        service: Any, s3_server: ServerInfo, tmp_path: Path, twin: str) -> None:
    """Fails on main (a83dc6e): on SeaweedFS the second upload reports key 'dd//b.txt' (or '/dd/b.txt')
    and succeeds, and 'dd/b.txt' (an unversioned bucket: its only copy) now holds the second file's bytes.
    Expected: a key with an empty segment is refused for writing (InvalidInputError, exit 2), as '.'/'..'
    segments are, or the upload proves the server stored the key it was given; either way 'dd/b.txt' keeps its bytes."""
    from its_store import DownloadRequest, InvalidInputError, UploadRequest

    name = unique("b")
    plain_client(s3_server).make_bucket(name)  # unversioned: an overwrite is a loss
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first camera frame")
    second.write_bytes(b"SECOND")
    service.upload_object(UploadRequest(bucket=name, key="dd/b.txt", file_path=first))
    try:
        service.upload_object(UploadRequest(bucket=name, key=twin, file_path=second))
    except InvalidInputError:
        pass
    back = tmp_path / "back"
    service.download_object(DownloadRequest(bucket=name, key="dd/b.txt", file_path=back))
    assert back.read_bytes() == b"first camera frame"


@pytest.fixture
def rclone_service(rclone_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                   tmp_path: Path) -> Any:
    from its_store import StorageService, load_settings
    environment_for(rclone_server_info, buckets, monkeypatch, tmp_path)
    return StorageService(load_settings())


def test_a_bare_400_on_a_plain_bucket_is_not_called_sse_c(rclone_service: Any,
                                                         rclone_server_info: ServerInfo) -> None:
    """Fails on main (a83dc6e): stat_object raises SseKeyRequiredError "the server refused to read
    s3://B/a//b.txt (BadRequest); it is probably encrypted with SSE-C and needs its key" (hint: --sse-c-key
    ...). rclone has no SSE-C at all and cannot store that key. Expected: an error that says what the server
    said (InvalidInputError / NotFoundError), not an SSE-C guess; the guess could at least require that the
    server or bucket can hold SSE-C objects (the bucket's encryption probe, or a HEAD of a plain sibling)."""
    from its_store import ItsStoreError
    from its_store.core.errors import SseKeyRequiredError

    name = unique("b")
    client = plain_client(rclone_server_info)
    client.make_bucket(name)
    client.put_object(name, "a/b.txt", io.BytesIO(b"plain"), 5)
    with pytest.raises(ItsStoreError) as caught:
        rclone_service.stat_object(name, "a//b.txt")
    assert not isinstance(caught.value, SseKeyRequiredError), repr(caught.value)
    assert "SSE-C" not in str(caught.value)
