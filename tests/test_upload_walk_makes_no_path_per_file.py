"""`upload -r` hands each walked file on as the walk's str: no pathlib.Path is made per file (one made and
printed for the job's name cost ~33k instructions a camera frame, callgrind, issue 22), and each file is still
stored, named in the result and the audit line as before."""

from __future__ import annotations

import json
import pathlib
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_file

FILES = 24


def test_upload_r_makes_no_path_per_file(service: Any, bucket: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(FILES):
        write_file(src / "d" / f"f{i:02d}.jpg", 300 + i, seed=i)
    plain = {"compression": "none", "sse": "none"}  # the bench's settings: each file stored as it is, by one PUT
    write_file(tmp_path / "warm" / "w.jpg", 100, seed=99)
    service.batch().upload_directory(tmp_path / "warm", bucket, "warm/", workers=4, options=plain)  # first-use imports
    made = [0]
    lock = threading.Lock()
    real = pathlib.Path.__new__

    def counted(cls: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            made[0] += 1
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "__new__", staticmethod(counted))
    result = service.batch().upload_directory(src, bucket, "p/", workers=4, options=plain)
    monkeypatch.undo()
    assert result.succeeded == FILES and not result.errors
    assert made[0] < FILES // 4, made[0]  # a few per batch, none per file
    assert sorted(item.source for item in result.objects) == [str(src / "d" / f"f{i:02d}.jpg") for i in range(FILES)]
    assert {item.key for item in result.objects} == {f"p/d/f{i:02d}.jpg" for i in range(FILES)}
    lines = [json.loads(line) for line in Path(service.ctx.settings.audit_log).read_text().splitlines()]
    assert sorted(line["key"] for line in lines if line["key"].startswith("p/")) == \
        [f"p/d/f{i:02d}.jpg" for i in range(FILES)]
    assert all(line["sha256"] for line in lines if line["key"].startswith("p/"))
    assert len(list(service.s3.list_objects(bucket, "p/"))) == FILES
