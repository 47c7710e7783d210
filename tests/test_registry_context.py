"""The registry's services work over the storage Context, never the StorageService facade (issue 21).

RegistryContext holds a service/context.Context; register, query, share, verify, pull, rm and gc reach
storage through the focused services over it (service/objects.py, buckets.py, versions.py, copying.py).
Only the ModelRegistry facade (registry/registry.py) knows StorageService.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from helpers import write_file

REGISTRY = Path(__file__).resolve().parent.parent / "its_store" / "registry"
FACADE = "its_store.service.storage"


def _facade_imports(path: Path) -> list[int]:
    """Lines of `path` importing the storage facade (TYPE_CHECKING blocks and function bodies included)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name == FACADE for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (
                node.module == FACADE or (node.module == "its_store.service"
                                          and any(a.name == "storage" for a in node.names))):
            lines.append(node.lineno)
    return lines


def test_only_the_registry_facade_imports_the_storage_facade():
    found = {p.name: lines for p in sorted(REGISTRY.glob("*.py")) if (lines := _facade_imports(p))}
    assert set(found) <= {"registry.py"}, found


def test_registry_services_work_over_a_bare_storage_context(env, buckets, tmp_path: Path):
    """No StorageService anywhere: a Context, a RegistryDocs and a RegistryContext are enough for the
    whole life of a version, with the same audit lines the facade path writes."""
    from its_store import load_settings
    from its_store.registry.context import RegistryContext
    from its_store.registry.docs import ProcessCache, RegistryDocs
    from its_store.registry.pull import pull_version
    from its_store.registry.query import list_models, show_model
    from its_store.registry.register import register_model
    from its_store.registry.removal import delete_model
    from its_store.registry.share import download_urls
    from its_store.registry.verify import verify_model
    from its_store.service.context import Context

    storage = Context(load_settings())
    bucket = buckets["models"]
    ctx = RegistryContext(storage, bucket, RegistryDocs(storage, bucket, ProcessCache()), actor="t@host",
                          offline=False)
    src = write_file(tmp_path / "w.pt", 70_000, seed=7)
    card = tmp_path / "card.md"
    card.write_text("# w\n", encoding="utf-8")
    try:
        rec = register_model(ctx, src, "ctxm", "1.0.0", card=card)
        assert rec.version == "1.0.0" and ctx.manifest_exists("ctxm", "1.0.0")
        register_model(ctx, src, "ctxm", "1.0.1")  # same bytes: a server-side copy (dedup.py)
        assert [m.version for m in list_models(ctx, "ctxm")] == ["1.0.1", "1.0.0"]
        assert show_model(ctx, "ctxm", "1.0.0").card == "# w\n"
        assert verify_model(ctx, "ctxm", "1.0.1").ok
        assert download_urls(ctx, "ctxm", "1.0.0").url.startswith("http")
        pulled = pull_version(ctx, "ctxm", "1.0.0", tmp_path / "out.pt", force=False, variant=None, gpu_arch=None,
                              trt_version=None)
        assert (tmp_path / "out.pt").read_bytes() == src.read_bytes() and pulled.downloaded_files == 1
        removal = delete_model(ctx, "ctxm", "1.0.0")
        assert removal.delete_markers is ctx.leaves_delete_markers()
    finally:
        storage.close()
    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    lines: list[Any] = [(a["operation"], a.get("version"), a["result"]) for a in audit
                        if a["operation"].startswith("model")]
    assert lines == [("model_register", "1.0.0", "ok"), ("model_register", "1.0.1", "ok"),
                     ("model_rm", "1.0.0", "ok")]
