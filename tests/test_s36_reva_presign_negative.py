"""Session 36 (reva): a negative expiry given to presign is refused with the line every expiry out of range gets
("expiry must be between 1 second and 7 days"), as before the library's scalars were checked
(tests/test_atk36_library_scalars.py): that check's own bound (0..) answered first, "expires_in_seconds -60 is
out of range (0..)", a range that 0 is not in either, and without the hint.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("expiry", [-60, -60.0, 0, 604_801])
def test_an_expiry_out_of_range_says_the_range(expiry: float, service: Any, bucket: str) -> None:
    from its_store.core.errors import InvalidInputError
    with pytest.raises(InvalidInputError) as raised:
        service.presign(bucket, "k", expiry)
    assert "between 1 second and 7 days" in raised.value.message, raised.value.message
    assert "604800" in (raised.value.hint or ""), raised.value.hint
