"""The library examples of the documentation are docs/examples/*.py, and these tests hold them to what they show.

- Each script runs as a user runs it (`python docs/examples/X.py`, a subprocess with the test's MINIO_*
  environment: its own buckets on the session's server) and must exit 0 with nothing on stderr; then one
  effect it promises is checked on the server with a plain minio client, not through its_store.
- mypy checks them all with `--strict --disallow-any-expr`, with the package installed as a user has it
  (the folder holding `its_store` on PYTHONPATH, mypy run elsewhere: the package's `py.typed` is what
  makes its types count, and its own code is not reported). No expression of a script may be `Any`: a typo
  such as `report.copid` or `model.metrics["acuracy"]` must be an error, never silently `Any`.
- The documentation pages (docs/library/*.md) show each script verbatim, included from its file rather than
  copied: a `<!-- docs/examples/X.py -->` line, then a ```python block whose only line is the snippet
  include `--8<-- "docs/examples/X.py"`; every script is shown once, and the page rendered with that include
  (pymdownx.snippets, as the site is built) holds exactly the file's text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import ServerInfo, plain_client
from helpers import DEADLINE, ROOT, user_mypy

EXAMPLES = ROOT / "docs" / "examples"
DOCS = ROOT / "docs"
MARKER = "<!-- docs/examples/"
INCLUDED = re.compile(r'^<!-- (docs/examples/[\w.]+) -->\n```python\n--8<-- "([^"\n]+)"\n```$', re.M)

# What a typed user script sees beyond the examples: the documentation's import lines, every `__all__` name
# explicitly exported, and the process-wide entry points typed (was test_library_typing's user script).
SURFACE_SCRIPT = """\
import asyncio
from typing import assert_type

from its_store import *  # noqa: F403 - every __all__ name is explicitly exported
from its_store import (BucketInfo, DeleteResult, InvalidInputError, ItsStoreError, ModelRegistry,
                       Settings, StorageService, StorageStats, get_model_registry, get_storage_service, load_settings)
from its_store.aio import AsyncModelRegistry, AsyncStorageService
from its_store.aio import get_model_registry as aio_registry
from its_store.aio import get_storage_service as aio_storage

svc = get_storage_service()
assert_type(svc, StorageService)
assert_type(get_model_registry(), ModelRegistry)
own = StorageService(Settings(endpoint="localhost:9000", create_buckets=False))
assert_type(load_settings(), Settings)
assert_type(svc.list_buckets(), list[BucketInfo])
assert_type(svc.delete_objects("b", ["k"]), list[DeleteResult])
rate: float = svc.stats.get_success_rate()
assert_type(svc.get_stats(), StorageStats)
assert issubclass(InvalidInputError, ItsStoreError)
own.close()


async def main() -> None:
    storage = await aio_storage()
    assert_type(storage, AsyncStorageService)
    assert_type(storage.sync, StorageService)
    assert_type(await storage.list_buckets(), list[BucketInfo])
    registry = await aio_registry()
    assert_type(registry, AsyncModelRegistry)
    assert_type(registry.sync, ModelRegistry)
    latest: str = await registry.resolve("yolo11_traffic")
    await storage.close()

asyncio.run(main())
"""


def example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.py"))


# ------------------------------------------------------------------------------------------ pages
def test_docs_show_every_example_verbatim() -> None:
    pages = {page: page.read_text(encoding="utf-8") for page in sorted(DOCS.rglob("*.md"))}
    shown = [(page, name, included) for page, text in pages.items() for name, included in INCLUDED.findall(text)]
    assert sorted(name for _, name, _ in shown) == [f"docs/examples/{n}" for n in example_names()], (
        "every docs/examples/*.py is shown once in docs/, after a <!-- docs/examples/NAME.py --> line, in a "
        '```python block holding only --8<-- "docs/examples/NAME.py"')
    assert [name for _, name, included in shown if name != included] == [], "a marker names another file"
    assert sum(text.count(MARKER) for text in pages.values()) == len(shown), (
        "a <!-- docs/examples/ --> marker not followed by its include (a pasted copy drifts: include the file)")
    for page in sorted({page for page, _, _ in shown}):
        blocks = _python_blocks(pages[page])
        for name, _ in INCLUDED.findall(pages[page]):
            assert (ROOT / name).read_text(encoding="utf-8").rstrip("\n") in blocks, f"{page}: {name} not shown whole"


def _python_blocks(markdown_text: str) -> list[str]:
    """The ```python blocks of a page as the site renders them, snippet includes expanded."""
    import html

    import markdown
    rendered = markdown.markdown(markdown_text, extensions=["fenced_code", "pymdownx.snippets"], extension_configs={
        "pymdownx.snippets": {"base_path": [str(ROOT)], "check_paths": True}})
    return [html.unescape(code).rstrip("\n")
            for code in re.findall(r'<pre><code class="language-python">(.*?)</code></pre>', rendered, re.S)]


# ------------------------------------------------------------------------------------------- mypy
@pytest.fixture
def mypy_cache(mypy_user_cache: Path) -> Path:
    return mypy_user_cache  # shared with the other user-script checks (conftest.py)


def test_examples_pass_mypy_strict_with_no_any(tmp_path: Path, mypy_cache: Path) -> None:
    (tmp_path / "surface.py").write_text(SURFACE_SCRIPT)
    scripts = [str(EXAMPLES / name) for name in example_names()]
    proc = user_mypy(tmp_path, mypy_cache, *scripts, "surface.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(scripts) >= 6


def test_any_in_an_example_is_an_error(tmp_path: Path, mypy_cache: Path) -> None:
    """--disallow-any-expr is what catches an untyped result: the run above would report one."""
    (tmp_path / "untyped.py").write_text(
        "from typing import Any\n\ndef load() -> Any:\n    return {}\n\nprint(load()['accuracy'])\n")
    proc = user_mypy(tmp_path, mypy_cache, "untyped.py")
    assert proc.returncode == 1 and 'Expression has type "Any"' in proc.stdout, proc.stdout + proc.stderr


# ----------------------------------------------------------------------------------- running them
def run_example(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    script = BY_PATH.get(name, EXAMPLES / name)
    assert script.resolve() == (EXAMPLES / name).resolve()
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=DEADLINE)


def body(client: Any, bucket: str, key: str, version_id: str | None = None) -> bytes:
    answer = client.get_object(bucket, key, version_id=version_id)
    try:
        return bytes(answer.read())
    finally:
        answer.close()
        answer.release_conn()


def keys(client: Any, bucket: str, prefix: str) -> list[str]:
    return sorted(o.object_name for o in client.list_objects(bucket, prefix=prefix, recursive=True))


def check_upload(client: Any, env: dict[str, str], out: str) -> None:
    bucket = env["MINIO_VIDEO_BUCKET"]
    stored = body(client, bucket, "camera_001/frame_0001.jpg")
    head = client.stat_object(bucket, "camera_001/frame_0001.jpg")
    assert head.metadata["x-amz-meta-its-sha256"] == hashlib.sha256(stored).hexdigest()
    assert head.metadata["x-amz-meta-camera_id"] == "camera_001"
    assert body(client, bucket, "camera_001/frame_0002.jpg") == stored  # the same frame, sent as bytes
    assert "not found: object_not_found 3" in out


def check_listing(client: Any, env: dict[str, str], out: str) -> None:
    bucket = env["MINIO_VIDEO_BUCKET"]
    assert keys(client, bucket, "camera_002/") == [f"camera_002/frame_{n:04d}.jpg" for n in range(3)] + [
        "camera_002/notes.txt"]
    assert out.splitlines()[0].startswith("camera_002/frame_0001.jpg 2002 ")  # the one frame every filter kept
    assert f"bucket {bucket} " in out


def check_sync(client: Any, env: dict[str, str], out: str) -> None:
    bucket = env["MINIO_VIDEO_BUCKET"]
    sent = [f"cam1/2024-08-12/frame_{n:04d}.jpg" for n in range(3)]
    assert keys(client, bucket, "cam1/") == sent  # the *.tmp file excluded
    assert client.stat_object(bucket, sent[0]).metadata["x-amz-meta-site"] == "a4-north"
    assert out.count("3 copied, 0 skipped, 0 failed, ok=True") == 2, out


def check_versions(client: Any, env: dict[str, str], out: str) -> None:
    from minio.commonconfig import Tags
    bucket, key = env["MINIO_VIDEO_BUCKET"], "calibration/camera_001.json"
    versions = list(client.list_objects(bucket, prefix=key, include_version=True))
    assert len(versions) == 3  # two uploads and the restore's copy
    assert body(client, bucket, key) == b'{"focal_mm": 8.0}'  # the older content is current again
    tags = client.get_object_tags(bucket, key)
    assert isinstance(tags, Tags) and tags["status"] == "restored"


def check_registry(client: Any, env: dict[str, str], out: str) -> None:
    bucket = env["MINIO_MODELS_BUCKET"]
    aliases = json.loads(body(client, bucket, "yolo11_traffic/_aliases.json"))
    newest = max((k.split("/")[1] for k in keys(client, bucket, "yolo11_traffic/") if k.endswith("manifest.json")),
                 key=lambda v: tuple(int(p) for p in v.split(".")))
    assert aliases["aliases"]["production"] == newest
    manifest = json.loads(body(client, bucket, f"yolo11_traffic/{newest}/manifest.json"))
    assert manifest["metrics"]["accuracy"] == 0.94
    assert "trained for 150 epochs" in out


def check_async_api(client: Any, env: dict[str, str], out: str) -> None:
    bucket = env["MINIO_VIDEO_BUCKET"]
    assert keys(client, bucket, "camera_003/") == [f"camera_003/frame_{n:04d}.jpg" for n in range(4, 8)]
    assert any(k.endswith("/manifest.json") for k in keys(client, env["MINIO_MODELS_BUCKET"], "yolo11_edge/"))


def check_integration(client: Any, env: dict[str, str], out: str) -> None:
    """The product documentation's `python examples/minio_integration_example.py` (run by that path): what it
    wrote is gone again, its model is registered, and each part of the demonstration said what it saw."""
    assert keys(client, env["MINIO_VIDEO_BUCKET"], "demo/") == []
    manifests = [k for k in keys(client, env["MINIO_MODELS_BUCKET"], "yolo11_demo/") if k.endswith("manifest.json")]
    assert len(manifests) == 1 and json.loads(body(client, env["MINIO_MODELS_BUCKET"], manifests[0]))["metrics"] == {
        "accuracy": 0.94}
    assert out.splitlines()[1:] == [
        "uploaded 3 frames, 12012 bytes", "downloaded 4004 bytes, verified: True",
        "listed ['frame_0000.jpg', 'frame_0001.jpg', 'frame_0002.jpg']",
        "tags {'camera': 'camera_001', 'type': 'video-frame'}", "presigned PUT 200", "presigned GET 200 True",
        f"model yolo11_demo:{manifests[0].split('/')[1]} pulled True url True", "not found: object_not_found 3",
        "deleted 4", out.splitlines()[-1]]
    assert out.splitlines()[-1].startswith("success rate 100.0%, average upload ")
    assert out.splitlines()[-1].endswith(", health healthy")  # init_buckets() made every configured bucket


CHECKS: dict[str, Callable[[Any, dict[str, str], str], None]] = {
    "upload.py": check_upload, "listing.py": check_listing, "sync.py": check_sync, "versions.py": check_versions,
    "registry.py": check_registry, "async_api.py": check_async_api, "minio_integration_example.py": check_integration,
}
# run by the path the product documentation gives (a link to the docs/examples file), from the checkout
BY_PATH = {"minio_integration_example.py": ROOT / "examples" / "minio_integration_example.py"}


def test_every_example_is_run_and_checked() -> None:
    assert sorted(CHECKS) == example_names()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example_runs_and_does_what_it_shows(name: str, env: dict[str, str], s3_server: ServerInfo,
                                             tmp_path: Path) -> None:
    proc = run_example(name, env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == "", proc.stderr  # no warning, no "Exception ignored" at exit
    CHECKS[name](plain_client(s3_server), env, proc.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "an example leaves nothing in the folder it ran in"


@pytest.mark.parametrize("facade", ["AsyncStorageService", "AsyncModelRegistry"])
def test_async_facades_declare_every_method(facade: str) -> None:
    """The async façades' typed declarations (aio.py, under TYPE_CHECKING) and their written-out methods
    cover every public method of the synchronous class: one left out would be `Any` to a user's type
    checker (it still works at run time, through __getattr__). StorageService.sync and .close are the
    façade's own (`.sync` is the wrapped service)."""
    import ast
    import inspect

    from its_store import ModelRegistry, StorageService, aio
    wrapped = {"AsyncStorageService": StorageService, "AsyncModelRegistry": ModelRegistry}[facade]
    tree = ast.parse(inspect.getsource(aio))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == facade)
    declared = {t.id for n in ast.walk(cls) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    written = {n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    public = {name for name, value in vars(wrapped).items()
              if not name.startswith("_") and inspect.isfunction(value)} - {"sync", "close"}
    assert public - declared - written == set()
    assert declared & written == set()
