"""An answer's headers (s3 Headers.of over urllib3's HTTPHeaderDict) are read from its private `_container`
(issue 22, W5: iteritems' two Python generators cost ~70K instructions a GET, ~3K this way), the one private
urllib3 read: these tests fail loudly when an upgrade changes its shape, and hold the fast read to what the
public iteration gives, on hand-made headers and on a real server's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from urllib3 import HTTPHeaderDict

from its_store.core.models import DownloadRequest, UploadRequest
from its_store.s3 import messages
from its_store.s3.messages import Headers

from helpers import write_file

PAIRS = [("Content-Length", "5"), ("ETag", '"abc"'), ("X-Amz-Meta-Its-Sha256", "AB"), ("x-amz-meta-its-sha256", "cd"),
         ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-Amz-Checksum-Crc32", "M7QV2w=="), ("Empty", "")]


def _public(raw: HTTPHeaderDict) -> dict[str, str]:
    return {k.lower(): v for k, v in raw.iteritems()}


def test_the_private_shape_the_fast_read_needs_is_still_urllib3s() -> None:
    raw = HTTPHeaderDict(PAIRS)
    container = raw._container  # the one private urllib3 read (s3/messages._answer_headers)
    assert type(container) is dict
    assert all(name == name.lower() for name in container)
    assert all(type(values) is list and len(values) >= 2 and values[0].lower() == name
               for name, values in container.items())


def test_headers_of_an_answer_are_the_public_iterations_without_iterating(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = HTTPHeaderDict(PAIRS)
    raw.add("X-Amz-Meta-Its-Sha256", "ef")  # a third value: the last one is kept, as the dict comprehension kept it
    want = _public(raw)

    def no_iteration(self: Any) -> Any:
        raise AssertionError("iteritems: the ~70K-instruction path")
    monkeypatch.setattr(HTTPHeaderDict, "iteritems", no_iteration)
    got = Headers.of(raw)
    monkeypatch.undo()
    assert dict(got) == want and got["x-amz-meta-its-sha256"] == "ef" and got.get("ETAG") == '"abc"'
    assert Headers.of(HTTPHeaderDict()) == {}


def test_a_real_servers_answers_read_as_the_public_iteration_reads_them(service: Any, bucket: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[dict[str, str], dict[str, str]]] = []
    fast = messages._answer_headers

    def both(raw: HTTPHeaderDict) -> dict[str, str]:
        got = fast(raw)
        seen.append((got, _public(raw)))
        return got
    monkeypatch.setattr(messages, "_answer_headers", both)
    src = write_file(tmp_path / "f.bin", 3000, seed=3)
    service.upload_object(UploadRequest(bucket=bucket, key="h/f.bin", file_path=src, metadata={"Camera": "cam-7"}))
    got = service.download_object(DownloadRequest(bucket=bucket, key="h/f.bin", file_path=tmp_path / "out.bin"))
    monkeypatch.undo()
    assert got.verified and (tmp_path / "out.bin").read_bytes() == src.read_bytes()
    assert seen and all(fast_read == public for fast_read, public in seen)
    assert any(fast_read.get("x-amz-meta-camera") == "cam-7" and "content-length" in fast_read
               for fast_read, _ in seen)


def test_user_metadata_of_an_answer_is_that_of_its_headers_in_any_case() -> None:
    """service/fetch.user_metadata reads an answer's Headers (lower-case names) in one comprehension: the same
    dict as the case-blind loop over the headers as sent (an equivalence guard: no behaviour changed)."""
    from its_store.service.fetch import user_metadata
    sent = [*PAIRS, ("X-AMZ-META-Camera", "Cam-7"), ("x-amz-meta-", "empty name"), ("X-Amz-Metadata", "not one")]
    headers = Headers.of(HTTPHeaderDict(sent))
    assert headers.names_lower and all(name == name.lower() for name in headers)
    as_sent = {name: value for name, value in HTTPHeaderDict(sent).iteritems()}  # mixed case, a plain dict
    assert user_metadata(headers) == user_metadata(as_sent) == {"its-sha256": "cd", "camera": "Cam-7", "": "empty name"}
    assert user_metadata(None) == {} and user_metadata(Headers()) == {}
