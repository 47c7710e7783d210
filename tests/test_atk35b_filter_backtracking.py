"""sync --include/--exclude patterns against hostile names (atk2, s35): each `*` became `[^/]*` in one regex, so
a pattern with several stars backtracked over every way to split a long name that almost matches:
`*a*a*a*a*a*a*a*a*b` took 4.9 s on a 40-character name, and a bucket holding one long key (up to 1,024 bytes)
hung a sync whose pattern had a few stars. sync/filters.py now matches a star's fixed characters at their
first place where that cannot lose a match (an atomic group, as fnmatch does); the oracle below checks that
the rules match what they matched before.

The subprocess deadline (helpers.run_cli_process) is a safety net against the hang, never a timing assertion:
without the change a run takes longer than the age of the universe, with it well under a second.
"""

from __future__ import annotations

import functools
import io
import random
import re
from pathlib import Path

from its_store.sync.filters import Filter

from conftest import ServerInfo, plain_client
from helpers import run_cli_process

HOSTILE = "*a*a*a*a*a*a*a*a*a*a*b"  # ten stars; a name of a's never matches it


def test_a_many_star_exclude_does_not_hang_on_long_names(s3_server: ServerInfo, bucket: str,
                                                           env: dict[str, str], tmp_path: Path) -> None:
    client = plain_client(s3_server)
    long_key = "in/" + "a" * 1000  # one segment of 1,000 a's: no local file could hold the name
    client.put_object(bucket, long_key, io.BytesIO(b"hostile"), 7)
    client.put_object(bucket, "in/keep.jpg", io.BytesIO(b"frame"), 5)
    down = run_cli_process(["sync", f"s3://{bucket}/in/", str(tmp_path / "down"), "--exclude", HOSTILE,
                            "--exclude", "a*"], env, tmp_path)
    assert down.exit_code == 0, down
    assert sorted(p.name for p in (tmp_path / "down").iterdir()) == ["keep.jpg"]
    local = tmp_path / "up"
    local.mkdir()
    (local / ("a" * 250)).write_bytes(b"long name")
    (local / "keep.jpg").write_bytes(b"frame")
    up = run_cli_process(["sync", str(local), f"s3://{bucket}/up/", "--include", "*.jpg", "--exclude", HOSTILE],
                         env, tmp_path)
    assert up.exit_code == 0, up
    assert [o.object_name for o in client.list_objects(bucket, "up/", recursive=True)] == ["up/keep.jpg"]


@functools.cache
def _oracle(pattern: str, name: str) -> bool:
    """The documented rules, matched by plain recursion over (pattern, name) (memoized: no backtracking blow-up):
    `*` any run within a segment, `**/` nothing or anything ending in '/', `**` anything, `?` one character
    but '/', `[..]` a class as re reads it after '!' becomes '^'."""
    if not pattern:
        return not name
    if pattern.startswith("**/"):
        rest = pattern[3:]
        return _oracle(rest, name) or any(_oracle(rest, name[i + 1:]) for i, c in enumerate(name) if c == "/")
    if pattern.startswith("**"):
        return any(_oracle(pattern[2:], name[i:]) for i in range(len(name) + 1))
    if pattern[0] == "*":
        stop = name.find("/")
        return any(_oracle(pattern[1:], name[i:]) for i in range((len(name) if stop < 0 else stop) + 1))
    if not name:
        return False
    if pattern[0] == "?":
        return name[0] != "/" and _oracle(pattern[1:], name[1:])
    if pattern[0] == "[":
        end = pattern.index("]", 2 if pattern[1:2] in ("!", "]") else 1)
        inner = pattern[1:end]
        inner = "^" + inner[1:] if inner.startswith("!") else inner
        in_class = re.fullmatch("[" + inner.replace("\\", "\\\\") + "]", name[0])
        return bool(in_class) and _oracle(pattern[end + 1:], name[1:])
    return name[0] == pattern[0] and _oracle(pattern[1:], name[1:])


def test_patterns_match_as_documented() -> None:
    rng = random.Random(35)
    pieces = ["*", "**", "**/", "a", "b", "/", "?", "[ab]", "[!a]", "[a/]", "[+-0]"]
    for _ in range(3000):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))).lstrip("/") or "a"
        anchored = pattern + "**" if pattern.endswith("/") else pattern
        rule = Filter.of(include=[pattern])
        for _ in range(20):
            name = "".join(rng.choice("ab/+0") for _ in range(rng.randint(1, 9))).strip("/") or "a"
            if "/" in anchored:
                expected = _oracle(anchored, name)
            else:
                expected = any(_oracle(anchored, part) for part in name.split("/"))
            assert rule.accepts(name) is expected, (pattern, name)
