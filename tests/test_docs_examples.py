"""The product documentation's Python examples, run literally against the real server.

The examples are read at test time from the ```python blocks of the product documentation (vendored
as tests/data/product_storage_doc.md and checked against ../shared/seed/ when that folder is beside the
repository). They are adapted in three documented ways only:

- the import line: `from its_camera_ai.storage import` becomes `from its_store.aio import` (async run)
  or `from its_store import` (sync run, where every `await ` is also dropped);
- the logger name: `logging.getLogger("its_camera_ai.storage")` becomes `logging.getLogger("its_store")`;
- `Path` is predefined, as the documentation uses it without importing it.

The blocks run in order in one namespace (a later block uses `storage` from an earlier one), the async
ones as top-level-await code inside one asyncio.run(). The examples hard-code the buckets its-video
and its-models, so these tests point MINIO_VIDEO_BUCKET / MINIO_MODELS_BUCKET at those names and empty
them first.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import JPEG_HEADER, random_bytes

REPO = Path(__file__).resolve().parents[1]
VENDORED = REPO / "tests" / "data" / "product_storage_doc.md"
SHARED = REPO.parent / "shared" / "seed" / "000_9a775a5909fab477.txt"
FRAME_KEY = "camera_001/frame_20240812_120000.jpg"
REGISTRY_SECTION = "Model Registry Operations"


@dataclass
class Example:
    section: str
    code: str


def doc_text() -> str:
    if not VENDORED.is_file():
        pytest.fail(f"the vendored product documentation is missing: {VENDORED}")
    text = VENDORED.read_text(encoding="utf-8")
    if SHARED.is_file():
        assert SHARED.read_text(encoding="utf-8") == text, (
            f"{VENDORED} differs from {SHARED}: copy the shared one over and re-run")
    return text


def examples() -> list[Example]:
    """Every ```python block with the `### ` heading it sits under, in document order."""
    found, section = [], ""
    for match in re.finditer(r"^### ([^\n]+)$|^```python\n(.*?)^```", doc_text(), re.M | re.S):
        if match.group(1):
            section = match.group(1).strip()
        else:
            found.append(Example(section, match.group(2)))
    return found


def adapt(code: str, *, sync: bool) -> str:
    target = "its_store" if sync else "its_store.aio"
    code = code.replace("from its_camera_ai.storage import", f"from {target} import")
    code = code.replace('logging.getLogger("its_camera_ai.storage")', 'logging.getLogger("its_store")')
    assert "its_camera_ai" not in code, code
    if sync:
        code = re.sub(r"\bawait ", "", code)
    return code


def run_async(blocks: list[Example], ns: dict[str, Any]) -> None:
    async def session() -> None:
        for block in blocks:
            compiled = compile(adapt(block.code, sync=False), f"<doc: {block.section}>", "exec",
                               flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(compiled, ns)
            if asyncio.iscoroutine(result):
                await result

    asyncio.run(session())


def run_sync(blocks: list[Example], ns: dict[str, Any]) -> None:
    for block in blocks:
        exec(compile(adapt(block.code, sync=True), f"<doc: {block.section}>", "exec"), ns)


def run(blocks: list[Example], *, sync: bool) -> dict[str, Any]:
    ns: dict[str, Any] = {"Path": Path, "__name__": "doc_example"}
    (run_sync if sync else run_async)(blocks, ns)
    return ns


# What the examples write, and their batch example deletes: (bucket, prefix).
DOC_PREFIXES = (("its-video", "camera_001/"), ("its-video", "camera_002/"), ("its-models", "yolo11_traffic/"))


@pytest.fixture
def doc_env(env: dict[str, str], s3_server: Any, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Iterator[dict[str, str]]:
    """The documentation's buckets with the examples' prefixes empty; a fresh shared service; input files.

    On the suite's throwaway server the prefixes are wiped first. On an external server
    (ITS_STORE_TEST_ENDPOINT) they must already be empty: the examples delete what they list there,
    so the test refuses to run over data it did not write.
    """
    from its_store import ListObjectsRequest, StorageService, load_settings
    from its_store.service import storage as service_module
    monkeypatch.setenv("MINIO_VIDEO_BUCKET", "its-video")
    monkeypatch.setenv("MINIO_MODELS_BUCKET", "its-models")
    monkeypatch.setattr(service_module, "_shared", None)  # get_storage_service() re-reads the env
    if _registry_present():
        from its_store.registry import registry as registry_module
        monkeypatch.setattr(registry_module, "_shared", None)  # and so does get_model_registry()
    svc = StorageService(load_settings())
    svc.init_buckets()
    svc.s3.set_versioning("its-video", True)  # as MINIO_ENABLE_VERSIONING makes it (it may predate this test)
    for bucket, prefix in DOC_PREFIXES:
        held = svc.list_objects(ListObjectsRequest(bucket=bucket, prefix=prefix, max_keys=1))
        if held and s3_server.seaweed is None:
            pytest.fail(f"s3://{bucket}/{prefix} holds objects on the external test server; the documentation "
                        "examples would delete them. Empty it, or run against the suite's own server.")
        svc.batch().delete_prefix(bucket, prefix).raise_for_failures()
    (tmp_path / "frame.jpg").write_bytes(JPEG_HEADER + random_bytes(50_000, seed=1))
    (tmp_path / "yolo11_traffic_v2.pt").write_bytes(random_bytes(300_000, seed=2))
    yield {**env, "MINIO_VIDEO_BUCKET": "its-video", "MINIO_MODELS_BUCKET": "its-models"}
    for bucket, prefix in DOC_PREFIXES:  # what the examples wrote
        svc.batch().delete_prefix(bucket, prefix).raise_for_failures()


def storage_blocks() -> list[Example]:
    return [b for b in examples() if b.section != REGISTRY_SECTION]


def test_doc_has_the_examples_we_run():
    sections = [b.section for b in examples()]
    assert sections == ["Basic Storage Operations", REGISTRY_SECTION, "Batch Operations", "Presigned URLs",
                        "Debug Mode", "Health Checks", "Monitoring Integration"]


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
def test_storage_examples_run_literally(doc_env, tmp_path, capsys, sync):
    logging.getLogger("its_store").setLevel(logging.NOTSET)
    ns = run(storage_blocks(), sync=sync)
    out = capsys.readouterr().out.splitlines()
    frame = tmp_path / "frame.jpg"

    assert out[0] == f"Uploaded: {FRAME_KEY} ({frame.stat().st_size} bytes)"
    assert out[1] == "Downloaded to: downloaded_frame.jpg"
    assert (tmp_path / "downloaded_frame.jpg").read_bytes() == frame.read_bytes()
    assert out[2] == "Found 1 video frames from camera_001"
    assert [(o.bucket, o.key) for o in ns["objects"]] == [("its-video", FRAME_KEY)]
    assert ns["objects"][0].metadata["camera_id"] == "camera_001"
    # the tags the upload example gives are on what it stored (the batch example deleted it: its version stays)
    from its_store import StorageService, load_settings
    stored = StorageService(load_settings()).stat_object("its-video", FRAME_KEY, version_id=ns["response"].version_id)
    assert ns["response"].version_id and stored.tags == {"camera": "camera_001", "type": "video-frame"}
    assert out[3:] == ["Storage Health: healthy", "Success Rate: 100.0%", "Cache Hit Rate: 0.0%"]
    assert logging.getLogger("its_store").level == logging.DEBUG  # the adapted debug example
    logging.getLogger("its_store").setLevel(logging.NOTSET)

    # The batch example deleted what it listed; the presigned PUT URL lets a client upload without keys.
    from its_store import ListObjectsRequest
    svc = StorageService(load_settings())
    assert svc.list_objects(ListObjectsRequest(bucket="its-video", prefix="camera_001/")) == []
    put = urllib.request.Request(ns["upload_url"], data=b"client bytes", method="PUT")
    with urllib.request.urlopen(put, timeout=10) as resp:
        assert resp.status == 200
    assert svc.stat_object("its-video", "camera_002/new_frame.jpg").size == len(b"client bytes")
    assert "X-Amz-Signature=" in ns["download_url"] and "/its-models/yolo11_traffic/2.0.0/model.pt" in \
        ns["download_url"]

    metrics = ns["metrics"]
    assert metrics["storage_upload_speed_mbps"] > 0
    assert metrics["storage_success_rate"] == 100.0 and metrics["storage_cache_hit_rate"] == 0.0


def _registry_present() -> bool:
    return (REPO / "its_store" / "registry" / "registry.py").is_file()


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
def test_registry_example_runs_literally(doc_env, tmp_path, capsys, sync):
    assert _registry_present(), "its_store/registry/registry.py (the model registry) is missing"
    blocks = [b for b in examples() if b.section == REGISTRY_SECTION]
    ns = run(blocks, sync=sync)
    assert capsys.readouterr().out.splitlines() == ["yolo11_traffic:2.0.0 - Acc: 0.94"]

    model_bytes = (tmp_path / "yolo11_traffic_v2.pt").read_bytes()
    assert (tmp_path / "models" / "current_model.pt").read_bytes() == model_bytes
    with urllib.request.urlopen(ns["url"], timeout=10) as resp:
        assert resp.read() == model_bytes
