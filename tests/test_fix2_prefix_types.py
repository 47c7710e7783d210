"""fix2 (atk2's): a library call given a prefix that is not a str (du, iter_versions, verify) is refused
before any request with InvalidInputError, as other calls are; it used to be "unexpected error: TypeError"
(du, iter_versions: the URL quoting met it) or pydantic's ValidationError (verify: the report model)."""

from __future__ import annotations

from typing import Any

import pytest

from its_store.core import errors as E


@pytest.mark.parametrize("prefix", [5, None, b"cam/", ["cam/"]])
@pytest.mark.parametrize("call", ["disk_usage", "iter_versions", "verify"])
def test_a_prefix_that_is_no_str_is_refused(service: Any, bucket: str, call: str, prefix: object) -> None:
    with pytest.raises(E.InvalidInputError) as caught:
        if call == "iter_versions":
            list(service.versions().iter_versions(bucket, prefix))
        else:
            getattr(service, call)(bucket, prefix)
    assert "prefix must be a str" in str(caught.value.message)
