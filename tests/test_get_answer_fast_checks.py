"""The per-object shortcuts of a listed GET (issue 22 W5) decide as the long way does: check_answer's ETag
check skips its comparable_etag pair only for an answer naming the head's ETag of letters and digits in quotes
(transfer/download._same_etag), and read_uint tests its text as is_uint does, written out."""

from __future__ import annotations

import pytest

ETAGS = ["0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef", "abc-3", "W/abc", " abc", "abc ",
         'W/"abc', "", "é9", "a b", "-", "abc-", "ab\"c", "x" * 40]
NAMED = [None, "", '""', '"0123456789abcdef0123456789abcdef"', '"0123456789ABCDEF0123456789ABCDEF"', '"abc-3"',
         '"abc"', '"W/abc"', 'W/"abc"', '" abc"', '"abc "', '"é9"', '"a b"', '"-"', 'abc', '"abc-"', '"ab"c"',
         '"' + "x" * 40 + '"', "'abc'", '"abc', 'abc"']


class _Answer:
    """What check_answer reads of a GET's answer: its status and s3 Headers (a whole-object 200 here)."""

    def __init__(self, named: str | None, size: int) -> None:
        from its_store.s3.client import Headers
        self.status = 200
        self.headers = Headers({"content-length": str(size), **({} if named is None else {"etag": named})})


def _long_way_refuses(named: str | None, etag: str) -> bool:
    from its_store.transfer.download import comparable_etag
    got = comparable_etag(named)
    return bool(got and etag and got != comparable_etag(etag))


@pytest.mark.parametrize("etag", ETAGS)
def test_check_answer_refuses_exactly_what_comparable_etag_refuses(etag: str) -> None:
    from its_store.core import errors as E
    from its_store.transfer.download import ObjectHead, check_answer
    for named in [*NAMED, f'"{etag}"', etag, f'W/"{etag}"']:
        head = ObjectHead(bucket="b", key="k", size=5, etag=etag)
        try:
            check_answer(_Answer(named, 5), head, 0, 0)
            refused = False
        except E.IntegrityError:
            refused = True
        assert refused == _long_way_refuses(named, etag), (named, etag)


class _Digits(str):
    pass


@pytest.mark.parametrize("text", [None, 0, 7, True, 1.0, b"12", "", "0", "007", "12", " 12", "12 ", "+1", "-1", "1_0",
                                  "1e3", "١٢", "１２", "²", "1\n", "9" * 19, "9" * 20, "1" * 19, "0" * 20,
                                  _Digits("42"), _Digits("")])
def test_read_uint_reads_what_is_uint_accepts(text: object) -> None:
    from its_store.core.units import is_uint, read_uint
    for low, high in ((0, None), (1, None), (0, 12), (13, 100)):
        want = int(str(text)) if is_uint(text) else None
        if want is not None and (want < low or (high is not None and want > high)):
            want = None
        assert read_uint(text, low=low, high=high) == want
