"""An answer's headers (s3 Headers.of over urllib3's HTTPHeaderDict): service/fetch.user_metadata reads their
lower-case names in one comprehension (issue 22, W5). urllib3's private `_container` is not read: iteritems is
public (the brief: a private call only where nothing public exists)."""

from __future__ import annotations

from urllib3 import HTTPHeaderDict

from its_store.s3.messages import Headers

PAIRS = [("Content-Length", "5"), ("ETag", '"abc"'), ("X-Amz-Meta-Its-Sha256", "AB"), ("x-amz-meta-its-sha256", "cd"),
         ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-Amz-Checksum-Crc32", "M7QV2w=="), ("Empty", "")]


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
