from datetime import timedelta

import pytest

from its_store.core.errors import InvalidInputError
from its_store.core.units import human_size, parse_duration, parse_pairs, parse_size


@pytest.mark.parametrize("text,expected", [
    ("0", 0), ("1024", 1024), ("5M", 5_000_000), ("5MiB", 5 * 1024**2), ("1.5GB", 1_500_000_000),
    ("64mib", 64 * 1024**2), ("100K", 100_000), ("2 KiB", 2048), (7, 7),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "5X", "-1", "1.2.3M", "MiB"])
def test_parse_size_rejects(text):
    with pytest.raises(InvalidInputError):
        parse_size(text)


@pytest.mark.parametrize("text,seconds", [
    ("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200), ("7d", 604800), ("1w", 604800),
    ("1h30m", 5400), ("1.5h", 5400),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "5y", "1h 30m", "-5m", "m5", "1hh"])
def test_parse_duration_rejects(text):
    with pytest.raises(InvalidInputError):
        parse_duration(text)


def test_parse_pairs_splits_on_first_equals():
    assert parse_pairs(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}


@pytest.mark.parametrize("item", ["novalue", "=v", " =v"])
def test_parse_pairs_rejects(item):
    with pytest.raises(InvalidInputError):
        parse_pairs([item])


def test_human_size():
    assert human_size(0) == "0 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(5 * 1024**3) == "5.0 GiB"
