"""The library as a type-checked user script sees it: `py.typed` shipped, the `__all__` names exported.

mypy runs as a subprocess on small scripts, with the folder holding `its_store` on PYTHONPATH, so that
mypy treats the package as an installed one, exactly as after `pip install its-store`: without
`py.typed` it is skipped ("missing library stubs or py.typed marker"), and errors inside the package
itself are not reported (only the user's script is checked). The cache lives in pytest's cache folder:
a first run takes a few seconds, later ones well under one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import its_store

PACKAGE = Path(its_store.__file__).parent
ROOT = PACKAGE.parent

# The README's import line and typed uses of what it returns: assert_type fails mypy if a name is Any.
USER_SCRIPT = """\
from pathlib import Path
from typing import assert_type

from its_store import (DownloadRequest, ListObjectsRequest, ObjectNotFoundError, ObjectType,
                       UploadRequest, get_storage_service)
from its_store import (DownloadResponse, InvalidInputError, ItsStoreError, ModelRegistry, ObjectInfo,
                       Settings, StorageService, StorageStats, UploadResponse, load_settings)
from its_store import *  # noqa: F403 - every __all__ name is explicitly exported

svc = get_storage_service()
assert_type(svc, StorageService)
own = StorageService(Settings(endpoint="localhost:9000", create_buckets=False))
assert_type(load_settings(), Settings)
resp = svc.upload_object(UploadRequest(
    file_path=Path("frame_0001.jpg"), key="camera_001/frame_0001.jpg", object_type=ObjectType.VIDEO_FRAME,
    metadata={"camera_id": "camera_001"}, tags={"site": "a4-north"}))
assert_type(resp, UploadResponse)
size: int = resp.total_size
etag: str = resp.etag
for info in svc.iter_objects(ListObjectsRequest(bucket="its-video", prefix="camera_001/",
                                                object_types=[ObjectType.VIDEO_FRAME], size_range=(100, None))):
    assert_type(info, ObjectInfo)
    name: str = info.key
got = svc.download_object(DownloadRequest(bucket="its-video", key="camera_001/frame_0001.jpg",
                                          file_path=Path("out/frame.jpg")))
assert_type(got, DownloadResponse)
verified: bool = got.verified
try:
    svc.stat_object("its-video", "camera_001/missing.jpg")
except ObjectNotFoundError as exc:
    code: str = exc.code
    exit_code: int = exc.exit_code
assert issubclass(InvalidInputError, ItsStoreError)
assert_type(svc.stats, StorageStats)
rate: float = svc.stats.get_success_rate()
registry = ModelRegistry(own)
assert_type(registry, ModelRegistry)
own.close()
"""

# The README's async example, typed the same way.
ASYNC_SCRIPT = """\
import asyncio
from pathlib import Path
from typing import assert_type

from its_store.aio import (AsyncStorageService, DownloadRequest, ItsStoreError, ListObjectsRequest, ObjectInfo,
                           ObjectType, UploadRequest, UploadResponse, get_storage_service)


async def main() -> None:
    storage = await get_storage_service()
    assert_type(storage, AsyncStorageService)
    resp = await storage.upload_object(UploadRequest(
        bucket="its-video", key="camera_001/frame_0001.jpg", file_path=Path("frame.jpg"),
        object_type=ObjectType.VIDEO_FRAME, metadata={"camera_id": "camera_001"}))
    assert_type(resp, UploadResponse)
    frames = await storage.list_objects(ListObjectsRequest(bucket="its-video", prefix="camera_001/"))
    assert_type(frames, list[ObjectInfo])
    await storage.download_object(DownloadRequest(bucket="b", key="k", file_path=Path("o")))
    rate: float = storage.get_stats().get_success_rate()
    assert issubclass(ItsStoreError, Exception)

asyncio.run(main())
"""

# Misspellings a user makes: each must be a mypy error (with `Any` they all passed).
TYPO_SCRIPT = """\
from pathlib import Path

from its_store import UploadRequest, get_storage_service

svc = get_storage_service()
resp = svc.upload_objekt(UploadRequest(file_path=Path("f.jpg")))
print(svc.upload_object(UploadRequest(file_path=Path("f.jpg"))).etgg)
from its_store import UploadRequst
from its_store.aio import UploadRequest as Aio, UploadRespons
"""


def _mypy(tmp_path: Path, cache: Path, **scripts: str) -> tuple[int, str]:
    for name, text in scripts.items():
        (tmp_path / f"{name}.py").write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # an installed package to mypy (needs py.typed)
    env.pop("MYPYPATH", None)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-color-output", "--no-error-summary",
         "--cache-dir", str(cache), *(f"{name}.py" for name in scripts)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def mypy_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache: Any = getattr(request.config, "cache", None)
    return Path(cache.mkdir("mypy")) if cache is not None else tmp_path_factory.mktemp("mypy-cache")


def test_user_script_passes_mypy_strict_with_real_types(tmp_path: Path, mypy_cache: Path) -> None:
    code, out = _mypy(tmp_path, mypy_cache, user=USER_SCRIPT, user_async=ASYNC_SCRIPT)
    assert code == 0, out


def test_misspelt_names_are_type_errors(tmp_path: Path, mypy_cache: Path) -> None:
    code, out = _mypy(tmp_path, mypy_cache, typo=TYPO_SCRIPT)
    assert code == 1, out
    assert '"StorageService" has no attribute "upload_objekt"' in out, out
    assert '"UploadResponse" has no attribute "etgg"' in out, out
    assert 'Module "its_store" has no attribute "UploadRequst"' in out, out
    assert 'Module "its_store.aio" has no attribute "UploadRespons"' in out, out
    assert "py.typed" not in out, out


def test_py_typed_is_shipped() -> None:
    assert (PACKAGE / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["its_store"]
    assert any(dep.startswith("mypy") for dep in project["project"]["optional-dependencies"]["test"])


def test_every_exported_name_loads_and_nothing_else_does() -> None:
    """The literal __all__ and the run-time loader agree: each name resolves, an unknown one is an
    AttributeError (what a type checker also says), and dir() lists exactly __all__."""
    for name in its_store.__all__:
        assert getattr(its_store, name) is not None, name
    with pytest.raises(AttributeError):
        its_store.UploadRequst  # type: ignore[attr-defined]  # noqa: B018
    assert sorted(set(dir(its_store)) & set(its_store.__all__)) == sorted(its_store.__all__)
