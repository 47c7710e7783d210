"""Attack on the library's local paths (session 36): a script's str can hold what argv cannot. A path
with a NUL, a lone surrogate (no escape of a byte) or a name longer than the OS takes reached
os.stat/open deep inside and surfaced as Python's own ValueError ('embedded null byte'),
UnicodeEncodeError or OSError (errno 36), none of them an ItsStoreError, from upload_object,
download_object, the batches, sync and the registry's register/get. Now: InvalidInputError (exit 2) for
the first two, LocalIOError 'file name too long' (exit 1, what the CLI says) for the third, before any
request, and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store import DownloadRequest, InvalidInputError, LocalIOError, ModelRegistry, UploadRequest

BAD = [("a\x00b", InvalidInputError), ("\ud800.jpg", InvalidInputError), ("x" * 256, LocalIOError),
       ("d/" * 2100, LocalIOError)]


def _calls(service: Any, bucket: str, path: str) -> dict[str, Any]:
    registry = ModelRegistry(service)
    return {
        "upload_object": lambda: service.upload_object(UploadRequest(bucket=bucket, key="k", file_path=path)),
        "download_object": lambda: service.download_object(DownloadRequest(bucket=bucket, key="k", file_path=path)),
        "upload_directory": lambda: service.batch().upload_directory(path, bucket, "p/"),
        "download_prefix": lambda: service.batch().download_prefix(bucket, "", path),
        "sync up": lambda: service.sync(path, f"s3://{bucket}/s/"),
        "sync down": lambda: service.sync(f"s3://{bucket}/", path),
        "register_model": lambda: registry.register_model(path, "m"),
        "get_model": lambda: registry.get_model("m", "1.0.0", path),
    }


@pytest.mark.parametrize(("path", "error"), BAD, ids=["nul", "surrogate", "long-name", "long-path"])
def test_a_path_no_os_call_takes_is_its_stores_error(service: Any, bucket: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, path: str,
                                                     error: type[Exception]) -> None:
    monkeypatch.chdir(tmp_path)
    service.upload_object(UploadRequest(bucket=bucket, key="k", data=b"frame"))
    failed = {}
    for name, call in _calls(service, bucket, path).items():
        try:
            call()
        except error as exc:
            assert "\x00" not in str(exc), exc
        except Exception as exc:  # noqa: BLE001 - what leaked is the finding
            failed[name] = f"{type(exc).__name__}: {str(exc)[:80]}"
        else:
            failed[name] = "no error"
    assert failed == {}
    assert list(tmp_path.iterdir()) == [], "something was written"
