"""The model classes a command creates (issue 22, start-up): a pydantic class costs its creation when its module
is imported (~1-4M instructions each, callgrind), so the upload and download request/result models live in their
own modules (core/upload_models.py, core/download_models.py), re-exported by core/models.py on first use.

Each command runs in a fresh interpreter against the real server, and says which of those classes exist after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import DEADLINE, ROOT

SPLIT = {"UploadRequest", "UploadResponse", "DownloadRequest", "DownloadResponse"}
# built where they are used (core/list_models.py, bucket_models.py, delete_models.py, error_models.py,
# codec/bucket_encryption.py): a `get` of one object, a `sync` from a folder with nothing to do and a `verify`
# of one object make none of them (~7.5M instructions)
ELSEWHERE = {"ListObjectsRequest", "BucketInfo", "DeleteResult", "ErrorDetail", "ErrorDocument", "BucketEncryption"}
# the reports of the housekeeping commands (state/reports.py) and presign's (service/object_presign.py)
REPORTS = {"CacheInfo", "CacheStats", "CacheCleared", "StatsReset", "PresignedUrl"}

_RUN = """
import json, sys
sys.argv = ["its-store", *sys.argv[1:]]
from its_store.__main__ import main
try:
    main()
except SystemExit as end:
    code = end.code
from pydantic import BaseModel
def every(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from every(sub)
sys.stderr.write("\\nCLASSES " + json.dumps([code, sorted({c.__name__ for c in every(BaseModel)})]))
"""


def _classes(env: dict[str, str], *argv: str) -> tuple[Any, set[str]]:
    run = subprocess.run([sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, timeout=DEADLINE,
                         env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
    code, names = json.loads(run.stderr.rpartition("\nCLASSES ")[2])
    return code, set(names)


@pytest.mark.parametrize("command", ["ls", "verify", "sync", "get"])
def test_a_command_creates_only_the_models_it_uses(env: dict[str, str], cli: Any, bucket: str, tmp_path: Path,
                                                    command: str) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"frame" * 100)
    assert cli("sync", str(folder), f"s3://{bucket}/s/").exit_code == 0  # stored; the next sync has nothing to do
    argv = {"ls": ["ls", f"s3://{bucket}/nothing/"], "verify": ["verify", f"s3://{bucket}/s/a.jpg"],
            "sync": ["sync", str(folder), f"s3://{bucket}/s/"], "get": ["get", f"s3://{bucket}/s/a.jpg", "-"]}
    code, names = _classes(env, *argv[command])
    assert code == 0
    assert "Settings" in names  # the command did load its settings (and models)
    expected = {"DownloadRequest", "DownloadResponse"} if command == "get" else set()
    assert names & SPLIT == expected
    assert names & REPORTS == set()
    assert names & ELSEWHERE == ({"ListObjectsRequest"} if command == "ls" else set())
    if command in ("ls", "sync"):  # nothing counted (a sync with nothing to do): the live counter is never built
        assert names & {"StorageStats", "OpCounter"} == set()


@pytest.mark.parametrize(("argv", "made"), [(["cache", "stats"], {"CacheInfo", "CacheStats"}),
                                            (["cache", "clear"], {"CacheCleared"}),
                                            (["stats", "--reset"], {"StatsReset"})])
def test_a_housekeeping_command_creates_its_report(env: dict[str, str], tmp_path: Path, argv: list[str],
                                                   made: set[str]) -> None:
    code, names = _classes({**env, "MINIO_CACHE_DIR": str(tmp_path / "cache")}, "--json", *argv)
    assert code == 0
    assert made <= names


def test_the_report_models_are_importable_where_they_were() -> None:
    """Each report model is one class, offered by the modules that offered it (the library, cli/schemas.py)."""
    code = ("import sys, its_store.state.service_cache, its_store.state.stats, its_store.service.objects\n"
            "assert 'its_store.state.reports' not in sys.modules\n"
            "assert 'its_store.service.object_presign' not in sys.modules\n"
            "from its_store.state.cache_base import CacheInfo\n"
            "from its_store.state.cache import CacheInfo as C2\n"
            "from its_store.state.service_cache import CacheCleared, CacheStats\n"
            "from its_store.state.stats import StatsReset\n"
            "from its_store.state.stats_model import StatsReset as S2\n"
            "from its_store.service.objects import PresignedUrl, MAX_PRESIGN_SECONDS, presign, presigned\n"
            "import its_store.state.reports as r, its_store.service.object_presign as p\n"
            "assert CacheInfo is C2 is r.CacheInfo and issubclass(CacheStats, CacheInfo)\n"
            "assert CacheCleared is r.CacheCleared and StatsReset is S2 is r.StatsReset\n"
            "assert PresignedUrl is p.PresignedUrl and MAX_PRESIGN_SECONDS == 7 * 24 * 3600\n")
    _python(code)


def test_the_split_models_are_the_models_modules_names() -> None:
    """core/models.py still offers them (the library, `from its_store.core.models import UploadRequest`), each
    the one class of its module, and `its_store.UploadRequest` is the same."""
    code = ("import sys, its_store, its_store.core.models as m\n"
            "assert 'its_store.core.upload_models' not in sys.modules\n"
            "from its_store.core.models import UploadRequest, DownloadResponse\n"
            "from its_store.core.upload_models import UploadRequest as U\n"
            "assert U is UploadRequest is its_store.UploadRequest is m.UploadRequest\n"
            "assert m.DownloadRequest.__module__ == 'its_store.core.download_models'\n"
            "moved = [('ListObjectsRequest', 'list_models'), ('BucketInfo', 'bucket_models'),\n"
            "         ('DeleteResult', 'delete_models'), ('ErrorDetail', 'error_models'),\n"
            "         ('ErrorDocument', 'error_models')]\n"
            "assert not {f'its_store.core.{where}' for _, where in moved} & set(sys.modules)\n"
            "for name, where in moved:\n"
            "    assert getattr(m, name) is getattr(its_store, name, getattr(m, name))\n"
            "    assert getattr(m, name).__module__ == f'its_store.core.{where}'\n")
    _python(code)


def test_bucket_encryption_is_the_encryption_modules_name() -> None:
    """codec/encryption.py still offers BucketEncryption (cli/schemas.py names it there), built on first use."""
    code = ("import sys, its_store.codec.encryption as e\n"
            "assert 'its_store.codec.bucket_encryption' not in sys.modules\n"
            "from its_store.codec.encryption import BucketEncryption\n"
            "from its_store.codec.bucket_encryption import BucketEncryption as B\n"
            "assert B is BucketEncryption is e.BucketEncryption\n"
            "assert BucketEncryption(bucket='b', algorithm='aws:kms').model_dump()['sse'] == 'SSE-KMS'\n")
    _python(code)


def _python(code: str) -> None:
    """Run `code` in a fresh interpreter importing this checkout; a failed assertion fails the test."""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=DEADLINE, env={**os.environ,
                                                                                    "PYTHONPATH": str(ROOT)})
