"""The ```python blocks of the guides (docs/**/*.md) that are not docs/examples scripts run as written.

tests/test_library_examples.py runs every docs/examples/*.py (each shown through a snippet include); a block
written into a page itself was run by nothing. Each is found here at test time, the set of them is pinned
(a new block fails this file until it is run here), and each runs literally against real servers: the
many-endpoints guide's `edge-07` is the session's SeaweedFS, its `central` a second SeaweedFS, both named
by ITS_STORE_REMOTE_* variables. Only the bucket is the test's (its-video becomes a fresh bucket).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import unique
from helpers import JPEG_HEADER, ROOT, object_bytes, random_bytes

DOCS = ROOT / "docs"
INCLUDE = re.compile(r'^--8<-- "docs/examples/[\w.]+"\n$')
GUIDE = DOCS / "guides" / "many-endpoints.md"


def python_blocks() -> dict[str, list[str]]:
    """{page: [block, ...]} of every ```python block in docs/ that is not a docs/examples include."""
    found: dict[str, list[str]] = {}
    for page in sorted(DOCS.rglob("*.md")):
        for block in re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S):
            if not INCLUDE.match(block):
                found.setdefault(str(page.relative_to(ROOT)), []).append(block)
    return found


def test_the_pages_python_blocks_are_the_ones_run_here() -> None:
    blocks = python_blocks()
    assert list(blocks) == ["docs/guides/many-endpoints.md"], "a new ```python block in docs/: run it in this file"
    assert len(blocks["docs/guides/many-endpoints.md"]) == 2


@pytest.fixture
def edge_and_central(env: dict[str, str], service: Any, second_seaweed: Any, monkeypatch: pytest.MonkeyPatch,
                     tmp_path: Path) -> dict[str, Any]:
    """The remotes `edge-07` (the session's server) and `central` (a second one) from variables only, a fresh
    bucket on each, and the frames under cam_07/ on the edge."""
    from its_store import StorageService, UploadRequest
    from its_store.core.settings import Settings
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path.parent / f"{tmp_path.name}-config"))
    for name in [n for n in os.environ if n.startswith("ITS_STORE_REMOTE_")]:
        monkeypatch.delenv(name)
    for remote, (endpoint, access, secret) in {
            "EDGE_07": (env["MINIO_ENDPOINT"], env["MINIO_ACCESS_KEY"], env["MINIO_SECRET_KEY"]),
            "CENTRAL": (second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key)}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_ENDPOINT", f"http://{endpoint}")
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_ACCESS_KEY", access)
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{remote}_SECRET_KEY", secret)
    bucket = unique("its-video")
    central = StorageService(Settings(endpoint=second_seaweed.endpoint, access_key=second_seaweed.access_key,
                                      secret_key=second_seaweed.secret_key, create_buckets=False,
                                      cache_dir=tmp_path.parent / f"{tmp_path.name}-central",
                                      audit_log=tmp_path.parent / f"{tmp_path.name}-central" / "audit.log"))
    service.s3.make_bucket(bucket)
    central.s3.make_bucket(bucket)
    frames = {f"cam_07/frame_{n}.jpg": JPEG_HEADER + random_bytes(5_000, n) for n in range(3)}
    for key, data in frames.items():
        path = tmp_path / "frame.jpg"
        path.write_bytes(data)
        service.upload_object(UploadRequest(bucket=bucket, key=key, file_path=path))
    return {"bucket": bucket, "frames": frames, "central": central, "edge_endpoint": env["MINIO_ENDPOINT"]}


def run_block(code: str, bucket: str) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "doc_block"}
    exec(compile(code.replace("its-video", bucket), f"<{GUIDE.name}>", "exec"), ns)
    return ns


def test_the_many_endpoints_blocks_run_as_written(edge_and_central: dict[str, Any]) -> None:
    from its_store import ListObjectsRequest
    first, second = python_blocks()["docs/guides/many-endpoints.md"]
    bucket, frames, central = edge_and_central["bucket"], edge_and_central["frames"], edge_and_central["central"]

    edge = run_block(first, bucket)["edge"]  # a service on remote edge-07's endpoint, the default one unread
    assert (edge.settings.remote, edge.settings.endpoint) == ("edge-07", edge_and_central["edge_endpoint"])

    result = run_block(second, bucket)["result"]  # the edge's cam_07/ copied to central, verified
    assert sorted(item.dest for item in result.objects) == [f"s3://{bucket}/{key}" for key in sorted(frames)]
    listed = central.list_objects(ListObjectsRequest(bucket=bucket, prefix="cam_07/"))
    assert {o.key: o.size for o in listed} == {key: len(data) for key, data in frames.items()}
    assert {key: object_bytes(central, bucket, key) for key in frames} == frames
    central.close()
