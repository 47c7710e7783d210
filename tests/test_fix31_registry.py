"""Session 31 fixes in the model registry, each proved against the code before it: registry documents are
held to the size of what its-store writes (registry/validate.limit_of), and `model list` lists every good
model when one version's manifest is bad."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, plain_client


def put(client: Any, bucket: str, key: str, body: bytes) -> None:
    client.put_object(bucket, key, io.BytesIO(body), len(body))


def test_a_manifest_above_four_mib_is_refused_as_not_ours(cli, s3_server, buckets: dict[str, str]) -> None:
    """Was read and parsed up to 256 MiB (a 100 MB manifest: 661 MB RSS, 11 s CPU before its refusal)."""
    put(plain_client(s3_server), buckets["models"], "det/1.0.0/manifest.json", b" " * (4 * 1024 * 1024 + 1))
    run = cli("model", "show", "det@1.0.0")
    assert run.exit_code == 4, run
    assert "larger than 4,194,304 bytes" in one_line_error(run), run


def test_a_dedup_index_entry_is_held_to_the_size_of_one() -> None:
    from its_store.core import errors as E
    from its_store.registry import validate
    assert validate.limit_of("dedup index entry") == 16 * 1024
    with pytest.raises(E.IntegrityError, match="larger than"):
        validate.decode(b" " * (16 * 1024 + 1), "_index/sha256/x", "dedup index entry")


def test_register_refuses_a_manifest_it_could_not_read_back_before_uploading(
        cli, service, buckets: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its own rule on the way out: a manifest larger than readers accept is refused (exit 2) before any
    file is uploaded (the limit made small here: 4 MiB is ~19,000 files)."""
    from its_store.registry import validate
    monkeypatch.setattr(validate, "MAX_DOCUMENT_BYTES", 4096)
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        (folder / f"shard-{i:03d}.bin").write_bytes(b"w%d" % i)
    run = cli("model", "register", str(folder), "--name", "many", "--version", "1.0.0")
    assert run.exit_code == 2, run
    line = one_line_error(run)
    assert "manifest would be" in line and "40 files" in line, line
    assert [o.object_name for o in service.s3.list_objects(buckets["models"], "many/", True)] == []
