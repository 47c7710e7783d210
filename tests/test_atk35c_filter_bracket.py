"""Session 35 (atk3): a class whose first member is ']' (`[!]]`, `[]a]`), as fnmatch reads it.

The atomic-group rewrite of sync/filters.py compiles each class on its own; `[!]]` ("any character but ']'")
was cut at its first ']' into `[^]`, which no regex takes: `--exclude '[!]]*'` was refused (exit 2) where it
had been accepted. A ']' just after `[` or `[!` is a member, as in fnmatch; the oracle compares with
fnmatch on names with no '/' (where `*` is fnmatch's star).
"""

from __future__ import annotations

import fnmatch

import pytest

from its_store.sync.filters import Filter

NAMES = ["]", "a", "]a", "a]", "!", "b]", "]]", "-", ""]


@pytest.mark.parametrize("pattern", ["[!]]", "[!]]*", "[]a]", "[!]a]*", "*[]]", "[!!]]"])
def test_a_leading_bracket_is_a_member_as_in_fnmatch(pattern: str) -> None:
    rules = Filter.of(exclude=[pattern])
    for name in NAMES:
        if name:
            assert rules.accepts(name) is not fnmatch.fnmatchcase(name, pattern), (pattern, name)
