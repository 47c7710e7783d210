"""`--shard K/N`: split one large job among N machines or scheduler jobs with no coordination.

Each item (an object key, or a path relative to the synced folder, always with `/` separators) belongs
to exactly one shard: the first 8 bytes of its SHA-1, as an unsigned integer, modulo N. SHA-1 here is a
spread function, not a security property: it is stable across machines, Python versions and runs
(Python's own `hash()` of a str is salted per process, so it cannot be used). Shards are numbered from 0,
as Kubernetes numbers an Indexed Job's pods (`JOB_COMPLETION_INDEX`): `--shard $JOB_COMPLETION_INDEX/4`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from its_store.core import errors as E
from its_store.core.units import is_uint, shown

_HINT = "use K/N with 0 <= K < N, e.g. --shard 0/4 (shards are numbered from 0, like JOB_COMPLETION_INDEX)"


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0 <= index < count)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        """A shard that cannot exist matches no key: a library call given Shard(5, 2) (an index from the
        scheduler, a count from a config) did nothing and succeeded (verify: 0 corrupt of 0 read); 0/0 ended
        in ZeroDivisionError. parse_shard() checks the CLI's text; this checks a Shard a script makes."""
        index, count = self.index, self.count
        if not (type(index) is int and type(count) is int and 0 <= index < count):  # bool is no count
            raise E.InvalidInputError(f"shard {index!r}/{count!r} does not exist", hint=_HINT)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and shard_of(name, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(name: str, count: int) -> int:
    """The shard (0..count-1) that `name` belongs to."""
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % count


def checked_shard(shard: object) -> Shard | None:
    """`shard` as a library call was given it: None or a Shard, else InvalidInputError (a tuple (0, 2) where a
    Shard belongs matched no key, and the call did nothing without a word)."""
    if shard is None or isinstance(shard, Shard):
        return shard
    raise E.InvalidInputError(f"shard must be a core.shard.Shard (parse_shard('K/N')), not {type(shard).__name__}",
                              hint=_HINT)


def parse_shard(text: str | None) -> Shard | None:
    """'K/N' -> Shard(K, N); None -> None. Bad input is an InvalidInputError (exit 2)."""
    if text is None or text == "":
        return None
    hint = _HINT
    head, sep, tail = text.strip().partition("/")
    if not sep or not is_uint(head) or not is_uint(tail):  # ASCII digits: "²".isdigit() is true too
        raise E.InvalidInputError(f"--shard {shown(text)} is not K/N", hint=hint)
    index, count = int(head), int(tail)
    if count < 1 or index >= count:
        raise E.InvalidInputError(f"--shard {text}: shard {index} does not exist among {count}", hint=hint)
    return Shard(index, count)
