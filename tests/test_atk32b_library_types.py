"""Session 32, second attacker: "Every error is an ItsStoreError subclass" and "a bad field of a request ...
raises InvalidInputError naming it" (docs/library/index.md), one step off the typed path: values a script
gets wrong at run time (a text stream, a key that is not a str, None for a key list) escape as TypeError or
AttributeError from deep inside. mypy --strict catches them in a typed script; an untyped one (the product
documentation's examples are untyped) gets a bare builtin exception that `except ItsStoreError` misses.
"""

from __future__ import annotations

import io
from typing import Any

import pytest


@pytest.mark.parametrize("call", ["text-stream", "int-key", "none-keys"])
def test_a_wrong_value_from_a_script_is_an_invalid_input_error(service: Any, bucket: str, call: str) -> None:
    """Fails on main (a83dc6e): text-stream raises TypeError "can't concat str to bytearray", int-key
    AttributeError "'int' object has no attribute 'encode'", none-keys TypeError "'NoneType' object is not
    iterable". Expected: InvalidInputError naming the field (stream must be a binary file; key must be a
    str; keys must be a list of keys), as delete_objects(bucket, "one-str") already says."""
    from its_store import InvalidInputError, UploadRequest

    with pytest.raises(InvalidInputError):
        if call == "text-stream":
            service.upload_object(UploadRequest(bucket=bucket, key="cam/log.txt", stream=io.StringIO("text")))
        elif call == "int-key":
            service.stat_object(bucket, 5)
        else:
            service.delete_objects(bucket, None)
