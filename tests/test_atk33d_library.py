"""Session 33 round 2 attack: the library as a Python user holds it after this session's splits.

- `from its_store.service.objects import upload` still works (a lazy `__getattr__`), but `dir()` of the module
  no longer named what it exports, so neither did `help()` (pydoc lists a module's members by dir()), nor
  tab completion: objects.upload, download, delete ... and encoded.UploadOptions were gone from both.
- BatchResult.count_only (list_items=False): `model_dump()` says `succeeded: N, bytes: B`, but the document
  read back (`BatchResult.model_validate(dump)`, a result sent through a queue or a file) said 0 and 0.
- The async façade's delete_object had no `bypass_governance`, so an asyncio service could not delete a
  governance-retained version that StorageService.delete_object deletes (a TypeError).

Real SeaweedFS for the delete; no mocks.
"""

from __future__ import annotations

import asyncio
import importlib
import pydoc
from typing import Any

import pytest

from helpers import list_versions, put_stdin


@pytest.mark.parametrize("module", ["its_store.service.objects", "its_store.service.encoded", "its_store.aio"])
def test_dir_and_help_name_every_lazily_exported_name(module: str) -> None:
    mod = importlib.import_module(module)
    exported = set(mod.__all__)
    assert exported <= set(dir(mod)), sorted(exported - set(dir(mod)))
    text = pydoc.render_doc(mod, renderer=pydoc.plaintext)
    public = [name for name in exported if not name.startswith("_") and callable(getattr(mod, name))]
    missing = [name for name in public if f"{name}(" not in text and f"class {name}" not in text]
    assert missing == [], missing


def test_a_counted_batch_result_reads_back_as_dumped() -> None:
    from its_store.service.batch import BatchItem, BatchResult
    result = BatchResult(action="upload", bucket="b", prefix="p/").count_only()
    for size in (5, 7):
        result.done(BatchItem(source="f", dest="s3://b/p/f", size=size))
    dumped = result.model_dump()
    assert (dumped["succeeded"], dumped["bytes"], dumped["objects"]) == (2, 12, [])
    for back in (BatchResult.model_validate(dumped), BatchResult.model_validate_json(result.model_dump_json())):
        assert (back.succeeded, back.bytes) == (2, 12)
        assert back.model_dump() == dumped
    listed = BatchResult(action="upload", bucket="b", prefix="p/")
    listed.done(BatchItem(source="f", dest="s3://b/p/f", size=5))
    assert BatchResult.model_validate(listed.model_dump()).model_dump() == listed.model_dump()


def test_async_delete_object_bypasses_governance(cli: Any, service: Any, locked: str) -> None:
    from its_store.aio import AsyncStorageService
    version = put_stdin(cli, locked, "g.jpg", "--retain", "2d")

    async def delete() -> Any:
        async with AsyncStorageService(service) as storage:
            return await storage.delete_object(locked, "g.jpg", version, bypass_governance=True)

    done = asyncio.run(delete())
    assert done.version_id == version
    assert list_versions(cli, locked) == []


def test_a_batch_result_pickled_before_count_only_still_reads() -> None:
    """A BatchResult pickled by its-store before count_only (a job queue, a multiprocessing pool across an
    upgrade) has no counters in its private state: `succeeded`, `bytes` and model_dump() raised
    AttributeError('_unlisted'). Its state is the one pickled now less the three counters count_only added."""
    import pickle

    from its_store.service.batch import BatchItem, BatchResult
    result = BatchResult(action="upload", bucket="b", prefix="p/")
    result.done(BatchItem(source="f", dest="s3://b/p/f", size=5))
    state = result.__getstate__()
    private = state["__pydantic_private__"]
    assert {"_listed", "_unlisted", "_unlisted_bytes"} <= set(private)  # what an older version did not have
    old = {**state, "__pydantic_private__": {k: v for k, v in private.items()
                                             if k not in ("_listed", "_unlisted", "_unlisted_bytes")}}
    restored = BatchResult.__new__(BatchResult)
    restored.__setstate__(pickle.loads(pickle.dumps(old)))
    assert (restored.succeeded, restored.bytes) == (1, 5)
    assert restored.model_dump() == result.model_dump()
    restored.done(BatchItem(source="g", dest="s3://b/p/g", size=2))
    assert restored.succeeded == 2
