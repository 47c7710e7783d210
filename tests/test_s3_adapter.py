"""s3.py: the minio private calls we rely on, and error translation."""

from __future__ import annotations

import inspect

import pytest
from minio import Minio
from minio.error import S3Error

from its_store.core import errors as E
from its_store.s3.client import PRIVATE_API, translate


def test_minio_private_api_still_there():
    """Fails loudly if a minio upgrade removes or reshapes the lower-layer calls s3.py uses."""
    expected = {
        "_list_multipart_uploads": ["bucket_name"],
        "_list_parts": ["bucket_name", "object_name", "upload_id", "max_parts", "part_number_marker"],
    }
    assert set(expected) == set(PRIVATE_API)
    for name, params in expected.items():
        fn = getattr(Minio, name)
        actual = list(inspect.signature(fn).parameters)[1:]
        assert actual[: len(params)] == params, name


def _s3_error(code: str) -> S3Error:
    return S3Error(None, code, "msg", "/b/k", "req", "host", bucket_name="b", object_name="k")


@pytest.mark.parametrize("code,cls,exit_code", [
    ("NoSuchBucket", E.BucketNotFoundError, 3), ("NoSuchKey", E.ObjectNotFoundError, 3),
    ("AccessDenied", E.AccessDeniedError, 6), ("SignatureDoesNotMatch", E.AccessDeniedError, 6),
    ("InvalidAccessKeyId", E.AccessDeniedError, 6), ("BucketAlreadyOwnedByYou", E.AlreadyExistsError, 5),
    ("PreconditionFailed", E.ConflictError, 5), ("BucketNotEmpty", E.ConflictError, 5),
    ("SlowDown", E.ServiceUnavailableError, 69), ("InternalError", E.ServiceUnavailableError, 69),
    ("BadDigest", E.IntegrityError, 4), ("InvalidBucketName", E.InvalidInputError, 2),
    ("SomethingNew", E.ItsStoreError, 1),
])
def test_s3_error_translation(code, cls, exit_code):
    err = translate(_s3_error(code), "b", "k")
    assert type(err) is cls and err.exit_code == exit_code


def test_network_errors_translate_to_unavailable():
    import urllib3
    err = translate(urllib3.exceptions.MaxRetryError(None, "/", ConnectionRefusedError("Connection refused")))
    assert isinstance(err, E.ServiceUnavailableError) and "connection refused" in err.message
    assert isinstance(translate(urllib3.exceptions.SSLError("bad handshake")), E.ServiceUnavailableError)


def test_exit_codes_are_distinct_per_class():
    codes = {cls.code for cls in E.ItsStoreError.__subclasses__()}
    assert len(codes) == len(E.ItsStoreError.__subclasses__())
