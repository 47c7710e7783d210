"""core/models.copier: get -r's request for each object (Batch.download_prefix) is the template's
model_copy(update=...) built without pydantic's __copy__ (~22K instructions an object, issue 22 W5); a
pydantic that lays its instance slots out otherwise fails here (slot_setters), as test_listing does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import random_bytes

NAMES = ("key", "size_hint", "etag_hint")


def _templates(tmp_path: Path) -> list[Any]:
    from its_store.core.models import DownloadRequest
    return [DownloadRequest(bucket="b", key="p/", file_path=tmp_path),
            DownloadRequest(bucket="b", key="-", file_path=tmp_path, workers=3, part_size=8 << 20, raw=True,
                            custody=True, sse_c_key=b"k" * 32, version_id="v1"),
            DownloadRequest(bucket="b", key="x", file_path=tmp_path, size_hint=9, etag_hint="old")]


@pytest.mark.parametrize("values", [("a/b.jpg", 100, "0123abcd"), ("é/ü", 0, None), ("k", None, '"W/x"')])
def test_copier_makes_what_model_copy_makes(tmp_path: Path, values: tuple[Any, ...]) -> None:
    from its_store.core.models import copier
    for template in _templates(tmp_path):
        made = copier(template, NAMES)(*values)
        want = template.model_copy(update=dict(zip(NAMES, values, strict=True)))
        assert type(made) is type(want) and made == want and repr(made) == repr(want)
        assert made.model_fields_set == want.model_fields_set
        assert made.model_dump() == want.model_dump() and made.sse_c_key == want.sse_c_key
        assert made.model_extra == want.model_extra and made.__pydantic_private__ == want.__pydantic_private__


def test_copies_share_nothing_with_the_template_or_each_other(tmp_path: Path) -> None:
    from its_store.core.models import copier
    template = _templates(tmp_path)[1]
    make = copier(template, NAMES)
    first, second = make("a", 1, "e1"), make("b", 2, "e2")
    first.workers = 9
    first.model_fields_set.add("length")
    assert (second.key, second.workers, template.key, template.workers) == ("b", 3, "-", 3)
    assert "length" not in second.model_fields_set and "length" not in template.model_fields_set


def test_get_r_copies_no_request_with_model_copy(service: Any, bucket: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard: a counted call, not a time. Each object's request was template.model_copy(update=...)."""
    from its_store import UploadRequest
    from its_store.core.download_models import DownloadRequest
    bodies = {f"frames/f{i}.jpg": random_bytes(5_000 + i, seed=i) for i in range(3)}
    for key, data in bodies.items():
        source = tmp_path / "src" / key
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        service.upload_object(UploadRequest(bucket=bucket, key=key, file_path=source))
    copies: list[dict[str, Any]] = []
    model_copy = DownloadRequest.model_copy

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        copies.append(kwargs.get("update") or {})
        return model_copy(self, *args, **kwargs)

    monkeypatch.setattr(DownloadRequest, "model_copy", counted)
    result = service.batch().download_prefix(bucket, "frames/", tmp_path / "dst", workers=2)
    assert result.failed == 0 and {item.key for item in result.objects} == set(bodies)
    for key, data in bodies.items():
        assert (tmp_path / "dst" / key.removeprefix("frames/")).read_bytes() == data
    assert copies == []


def test_a_template_that_allows_extra_fields_keeps_its_extra_dict() -> None:
    """extra="allow" with no extra field yet: model_extra is {} (falsy), and a copy must keep a dict there, or
    setting an extra attribute on the copy fails (TypeError: 'NoneType' object does not support item assignment)."""
    from pydantic import BaseModel, ConfigDict

    from its_store.core.models import copier

    class Open(BaseModel):
        model_config = ConfigDict(extra="allow")
        key: str = ""

    made = copier(Open(), ("key",))("x")
    assert made.model_extra == Open().model_copy(update={"key": "x"}).model_extra == {}
    made.other = 1
    assert made.model_extra == {"other": 1}
