"""The s3 seam: the one minio private call we rely on, and error translation."""

from __future__ import annotations

import inspect

import pytest
from minio import Minio
from minio.error import S3Error

from its_store.core import errors as E
from its_store.s3.client import translate


def test_minio_private_api_still_there():
    """Fails loudly if a minio upgrade removes or reshapes Minio._execute, the one private call of
    s3/client.py (S3Client._raw: multipart steps on our pool, listing uploads and parts, conditional PUT)."""
    params = list(inspect.signature(Minio._execute).parameters)
    assert params[:8] == ["self", "method", "bucket_name", "object_name", "body", "headers", "query_params",
                          "preload_content"], params
    source = inspect.getsource(Minio._url_open) + inspect.getsource(Minio._build_headers)
    assert "sha256_hash(body)" in source and "UNSIGNED-PAYLOAD" in source  # signed bodies over plain HTTP


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("anonymous", [False, True])
def test_payload_minio_builds_minios_own_headers(secure: bool, anonymous: bool):
    """Fails loudly if a minio upgrade changes Minio._build_headers, the one private method s3/payload.py
    overrides (a Payload's SHA-256 signed instead of hashing the body again): for a body and its hash, the
    override's headers are minio's own for that body (its date apart), over HTTP (the hash taken) and over
    TLS (UNSIGNED-PAYLOAD, Content-MD5: minio's own path), signed or anonymous; and minio still builds
    every request's headers through it."""
    import hashlib

    from minio.credentials.credentials import Credentials

    from its_store.s3.payload import PAYLOAD_SHA256, payload_minio
    assert "self._build_headers(" in inspect.getsource(Minio._url_open)
    assert "_build_headers" in vars(payload_minio())
    body = b"frame" * 20_000
    creds = None if anonymous else Credentials("ak", "sk")
    theirs = Minio("127.0.0.1:9", "ak", "sk", secure=secure)
    ours = payload_minio()("127.0.0.1:9", "ak", "sk", secure=secure)
    want, _ = theirs._build_headers("127.0.0.1:9", {"Content-Type": "image/jpeg"}, body, creds)
    got, _ = ours._build_headers("127.0.0.1:9", {"Content-Type": "image/jpeg",
                                                 PAYLOAD_SHA256: hashlib.sha256(body).hexdigest()}, body, creds)
    want.pop("x-amz-date"), got.pop("x-amz-date")
    assert got == want
    assert want.get(PAYLOAD_SHA256) == (None if anonymous else "UNSIGNED-PAYLOAD" if secure
                                        else hashlib.sha256(body).hexdigest())


def test_delete_objects_body_still_built_by_minio():
    """Fails loudly if a minio upgrade moves or reshapes what s3/deleted.request builds DeleteObjects with:
    minio.deleteobjects.DeleteObject / DeleteRequest (public module) and minio.xml.marshal (not in minio's API
    documentation: an internal helper). The body must stay a non-quiet <Delete> in the S3 namespace, one
    <Object> per item (the key escaped, the version id when one is asked), with its Content-MD5."""
    import base64
    import hashlib
    from xml.etree import ElementTree

    from its_store.s3 import deleted
    # first: a process that imported minio through s3/deferred.py holds a stand-in for the module until its
    # first use, whose signature is (*args, **kwargs); building a request runs minio's own module
    body, headers = deleted.request([("a.jpg", None), ("b/c&<d>.jpg", "v/1")])
    from minio.deleteobjects import DeleteRequest
    from minio.xml import marshal

    assert callable(marshal)
    assert "quiet" in inspect.signature(DeleteRequest).parameters
    assert headers == {"Content-MD5": base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()}
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    root = ElementTree.fromstring(body)
    assert root.tag == f"{ns}Delete", body
    quiet = root.find(f"{ns}Quiet")
    assert quiet is None or (quiet.text or "").strip().lower() == "false", body  # every deleted key is named
    objects = [(o.findtext(f"{ns}Key"), o.findtext(f"{ns}VersionId")) for o in root.findall(f"{ns}Object")]
    assert objects == [("a.jpg", None), ("b/c&<d>.jpg", "v/1")], body


def test_http_client_status_hook_still_there():
    """s3/pool.py's FinalResponse overrides http.client's _read_status to skip 1xx answers."""
    import http.client
    assert "_read_status" in vars(http.client.HTTPResponse)
    assert "self._read_status()" in inspect.getsource(http.client.HTTPResponse.begin)


def test_private_minio_call_is_made_in_one_function_only():
    from pathlib import Path
    seam = Path(__file__).resolve().parents[1] / "its_store"
    callers = [str(p) for p in seam.rglob("*.py") if "._execute(" in p.read_text(encoding="utf-8")]
    assert [Path(c).name for c in callers] == ["client.py"]
    assert Path(callers[0]).read_text(encoding="utf-8").count("._execute(") == 1


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
