"""What a batch delete imports: a sync --delete (W7 deletes what the folder lost) and `rm -r` say what each
delete did (service/markers.py) without creating service/versions.py's five result models (~11M instructions)
or rm's named and dry-run results (service/delete_results.py). Each runs for real in a fresh interpreter
against the session's server; `rm` of a named object and its dry run, which use those results, still answer.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_upload_imports_on_use import _run

from helpers import random_bytes

NOT_FOR_A_BATCH_DELETE = {"its_store.service.versions", "its_store.service.delete_results"}


def test_a_sync_that_deletes_one_object_creates_no_version_or_rm_models(bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for n in range(3):
        (folder / f"f{n}.jpg").write_bytes(random_bytes(20_000))
    assert _run(["sync", str(folder), f"s3://{bucket}/w7/"])[0] == 0
    (folder / "f2.jpg").unlink()
    code, modules, stderr, stdout = _run(["--json", "sync", str(folder), f"s3://{bucket}/w7/", "--delete"])
    assert (code, stderr) == (0, ""), stderr
    assert json.loads(stdout)["totals"]["deleted"] == 1
    assert not modules & NOT_FOR_A_BATCH_DELETE, sorted(modules & NOT_FOR_A_BATCH_DELETE)
    assert "its_store.service.markers" in modules  # what the delete did is still said


def test_rm_recursive_creates_no_version_or_rm_models(bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "frame.jpg"
    path.write_bytes(random_bytes(20_000))
    for n in range(2):
        assert _run(["upload", str(path), f"s3://{bucket}/gone/{n}.jpg"])[0] == 0
    code, modules, stderr, _ = _run(["rm", f"s3://{bucket}/gone/", "-r", "--yes"])
    assert (code, stderr) == (0, ""), stderr
    assert not modules & NOT_FOR_A_BATCH_DELETE, sorted(modules & NOT_FOR_A_BATCH_DELETE)


def test_rm_of_a_named_object_and_its_dry_run_still_answer(bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "frame.jpg"
    path.write_bytes(random_bytes(20_000))
    assert _run(["upload", str(path), f"s3://{bucket}/named/frame.jpg"])[0] == 0
    code, _, stderr, stdout = _run(["--json", "rm", f"s3://{bucket}/named/frame.jpg", "--dry-run"])
    assert (code, stderr) == (0, ""), stderr
    planned = json.loads(stdout)
    assert planned["dry_run"] is True
    assert [(w["key"], w["size"]) for w in planned["would_delete"]] == [("named/frame.jpg", 20_000)]
    code, _, stderr, stdout = _run(["--json", "rm", f"s3://{bucket}/named/frame.jpg", "--yes"])
    assert (code, stderr) == (0, ""), stderr
    assert [(d["key"], d["deleted"]) for d in json.loads(stdout)["deleted"]] == [("named/frame.jpg", True)]
    assert _run(["stat", f"s3://{bucket}/named/frame.jpg"])[0] == 3  # gone: not found
