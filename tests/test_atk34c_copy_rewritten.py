"""Session 34 attack (atk3): a source rewritten between the HEAD of a multipart server copy and its parts.

A server copy above the copy threshold (5 GiB; a library Copier may set it lower) is a multipart copy, which
copies no metadata: its-store sends the source's again, its custody sha256 (x-amz-meta-its-sha256) among them,
read from the HEAD it took first. minio's compose_object HEADs the source again and holds each UploadPartCopy
to THAT ETag: a source rewritten between the two HEADs was copied whole, new bytes under the old bytes'
sha256 (exit 0 for `cp`): a copy no verified download can read (IntegrityError, exit 4), and a custody record
that names other bytes. The parts are now held to the ETag of the HEAD whose metadata the copy carries: the
rewrite fails the copy (the server refuses the part: exit 5), nothing is left under the destination.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import random_bytes

MiB = 1024 * 1024


def test_a_source_rewritten_before_its_parts_are_copied_is_not_copied_under_its_old_hash(
        cli: Any, service: Any, bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.s3.copies import ServerCopies
    from its_store.sync.copy import Copier
    first, second = random_bytes(11 * MiB, seed=1), random_bytes(11 * MiB, seed=2)
    assert cli("upload", "-", f"s3://{bucket}/cam/clip.mp4", input=first).exit_code == 0
    copy_multipart = ServerCopies.copy_multipart

    def rewritten_meanwhile(self: Any, *args: Any, **kwargs: Any) -> Any:
        assert cli("upload", "-", f"s3://{bucket}/cam/clip.mp4", input=second).exit_code == 0
        return copy_multipart(self, *args, **kwargs)

    monkeypatch.setattr(ServerCopies, "copy_multipart", rewritten_meanwhile)
    result = Copier(service, copy_threshold=5 * MiB, copy_part_size=5 * MiB).copy(
        f"s3://{bucket}/cam/clip.mp4", f"s3://{bucket}/old/clip.mp4")
    monkeypatch.setattr(ServerCopies, "copy_multipart", copy_multipart)
    got = cli("get", f"s3://{bucket}/old/clip.mp4", "-")
    assert got.exit_code != 4, (result, got.stderr)  # no copy whose bytes are not those its sha256 names
    assert result.failed and got.exit_code == 3, (result, got.exit_code)
    assert [e.code for e in result.errors] == ["conflict"], result.errors  # the server refused the part: exit 5
    assert service.s3.list_multipart_uploads(bucket, "old/") == []  # the parts copied before are not kept
