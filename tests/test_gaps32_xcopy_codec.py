"""Session 32 gaps: a copy between endpoints (service/xcopy.py) decodes a compressed source only to check it
against its-sha256, and decoded one without a recorded original size without any bound (CPU only: the
decoded bytes are discarded). `get` and `verify` refuse such an object (codec/compression.recorded_size:
tests/test_atk31_hostile_inputs.py proves their bound); the copy now refuses it by the same rule, before
anything is sent: IntegrityError (exit 4), nothing on the destination.

The source object is written by another client (the raw minio client), with the right its-sha256 of its
decoded bytes: on main (a83dc6e) the copy decoded it whole and stored the copy (no error).
"""

from __future__ import annotations

import gzip
import hashlib
import io
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.service.xcopy import copy_object

from conftest import plain_client


def test_a_copy_refuses_a_compressed_source_without_a_recorded_size(service: Any, s3_server: Any,
                                                                    bucket: str) -> None:
    decoded = b"frame" * 20_000
    body = gzip.compress(decoded)
    plain_client(s3_server).put_object(bucket, "n.bin", io.BytesIO(body), len(body), metadata={
        "its-codec": "gzip", "its-sha256": hashlib.sha256(decoded).hexdigest()})
    with pytest.raises(E.IntegrityError) as refused:
        copy_object(service.ctx, bucket, "n.bin", service.ctx, bucket, "copy.bin")
    assert f"s3://{bucket}/n.bin" in refused.value.message and "original size" in refused.value.message
    assert [o.key for o in service.s3.list_objects(bucket, "copy", True)] == []
