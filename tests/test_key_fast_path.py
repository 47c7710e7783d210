"""The key checks' fast paths (issue 22, W4: a camera frame's key was checked in ~40K instructions) say
exactly what the full checks say: core/refs.validate_key and local_name_problem take printable ASCII in a
few string methods, and everything else through every check in turn. Pure functions, so compared here on
every string of up to four characters of an alphabet of the characters the rules are about, plus the
lengths at the limits."""

from __future__ import annotations

import itertools

import pytest

from its_store.core import refs
from its_store.core.errors import InvalidInputError

_ALPHABET = ["a", ".", "/", "\\", "\x00", "\x1f", "\x7f", " ", "é", "\u202e", "\udcff"]


def _corpus() -> list[str]:
    names = ["".join(p) for n in range(5) for p in itertools.product(_ALPHABET, repeat=n)]
    for n in (255, 256):  # NAME_MAX, one segment and below a folder
        names += ["x" * n, "d/" + "x" * n, "x" * n + "/f", "é" * (n // 2 + 1)]
    for n in (1023, 1024, 1025):  # MAX_KEY_BYTES
        names += ["k" * n, "k/" * (n // 2) + "k" * (n % 2), "é" + "k" * (n - 2)]
    return [*names, "cam01/2024-05-01/frame-000001.jpg", "a/./b", "a/../b", "./a", "a/.", "..", "a//b", "/a"]


def _outcome(check, *args, **kwargs) -> object:
    try:
        return ("ok", check(*args, **kwargs))
    except InvalidInputError as exc:
        return ("refused", str(exc), exc.hint)


def test_local_name_problem_fast_path_says_what_every_check_says() -> None:
    names = _corpus()
    fast = [n for n in names if refs._plain_relative(n)]
    assert len(fast) > 100, "the fast path is taken for the common names"
    assert [refs.local_name_problem(n) for n in names] == [refs._name_problem(n) for n in names]


@pytest.mark.parametrize("allow_prefix", [False, True])
@pytest.mark.parametrize("existing", [False, True])
def test_validate_key_fast_path_says_what_every_check_says(allow_prefix: bool, existing: bool) -> None:
    names = _corpus()
    assert len([n for n in names if refs._plain_new_key(n, allow_prefix)]) > 100
    got = [_outcome(refs.validate_key, n, allow_prefix=allow_prefix, existing=existing) for n in names]
    full = [_outcome(refs._validate_key, n, allow_prefix=allow_prefix, existing=existing) for n in names]
    assert got == full


def test_validate_key_refuses_what_is_not_a_str_as_before() -> None:
    assert _outcome(refs.validate_key, 5) == _outcome(refs._validate_key, 5, allow_prefix=False, existing=False)
    assert _outcome(refs.validate_key, None)[0] == "refused"


@pytest.mark.parametrize("copy_of", [None, "src", "d/"])
def test_validate_new_key_fast_path_says_what_every_check_says(copy_of: str | None) -> None:
    """validate_new_key's printable-ASCII shortcut (a camera frame's key, checked by local_key and again by
    upload_walked) refuses and passes what its every check does, with each message."""
    names = _corpus()
    assert sum(_fits(n) for n in names) > 100, "the common keys are in the corpus"
    got = [_outcome(refs.validate_new_key, n, copy_of=copy_of) for n in names]
    full = [_outcome(refs._validate_new_key, n, copy_of=copy_of) for n in names]
    assert got == full


def _fits(name: str) -> bool:
    return _outcome(refs._validate_new_key, name)[0] == "ok"


@pytest.mark.parametrize("prefix", ["", "p/", "a/b/", "p"])
def test_local_key_says_what_every_check_says(prefix: str) -> None:
    """local_key, its name check inlined, keys or refuses every name as local_name_problem and the full key
    checks do."""
    def full(relative: str) -> str:
        problem = refs._name_problem(relative)
        if problem is not None:
            raise refs.UnsafeNameError(relative, problem)
        return refs._validate_new_key(refs.join_key(prefix, relative))
    names = _corpus()
    assert [_outcome(refs.local_key, prefix, n) for n in names] == [_outcome(full, n) for n in names]
