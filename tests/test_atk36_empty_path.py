"""Attack on empty local paths (session 36): '' is what an unset variable gives (`its-store upload -r
"$FRAMES" s3://...` in a cron job whose environment lacks FRAMES). Path('') is the current folder, so
`upload -r ''` uploaded the folder the command ran in (a home folder: its keys), `get -r PREFIX ''` and
`get KEY ''` wrote into it, and the library's upload_directory(''), register_model('') and requests
with file_path='' did the same. sync, cp and mv already refused ''. Now each is refused in one line
(exit 2, InvalidInputError) before any request: nothing uploaded, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store import DownloadRequest, InvalidInputError, ListObjectsRequest, ModelRegistry, UploadRequest

from conftest import one_line_error


@pytest.fixture
def home_like(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder a command runs in, holding a file nobody asked to upload."""
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "id_ed25519").write_bytes(b"private key")
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("args", [("upload", "-r", "", "s3://{b}/up/"), ("upload", "", "s3://{b}/up/x"),
                                  ("get", "-r", "s3://{b}/src/", ""), ("get", "s3://{b}/src/f.jpg", "")],
                         ids=["upload -r", "upload", "get -r", "get"])
def test_the_cli_refuses_an_empty_path(cli: Any, service: Any, bucket: str, home_like: Path,
                                       args: tuple[str, ...]) -> None:
    service.upload_object(UploadRequest(bucket=bucket, key="src/f.jpg", data=b"frame"))
    run = cli(*(arg.format(b=bucket) for arg in args))
    assert run.exit_code == 2, run
    assert "empty path" in one_line_error(run), run
    assert sorted(p.name for p in home_like.iterdir()) == ["id_ed25519"], "written into the current folder"
    assert service.list_objects(ListObjectsRequest(bucket=bucket, prefix="up/")) == []


def test_the_library_refuses_an_empty_path(service: Any, bucket: str, home_like: Path) -> None:
    service.upload_object(UploadRequest(bucket=bucket, key="src/f.jpg", data=b"frame"))
    registry = ModelRegistry(service)
    calls = {
        "UploadRequest": lambda: UploadRequest(bucket=bucket, key="up/k", file_path=""),
        "DownloadRequest": lambda: DownloadRequest(bucket=bucket, key="src/f.jpg", file_path=""),
        "upload_directory": lambda: service.batch().upload_directory("", bucket, "up/"),
        "download_prefix": lambda: service.batch().download_prefix(bucket, "src/", ""),
        "register_model": lambda: registry.register_model("", "empty_path_model"),
        "get_model": lambda: registry.get_model("empty_path_model", None, ""),
    }
    done = {}
    for name, call in calls.items():
        try:
            call()
            done[name] = "no error"
        except InvalidInputError:
            pass
    assert done == {}
    assert sorted(p.name for p in home_like.iterdir()) == ["id_ed25519"], "written into the current folder"
    assert service.list_objects(ListObjectsRequest(bucket=bucket, prefix="up/")) == []
