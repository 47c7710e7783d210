"""--include / --exclude: which relative paths a sync considers (on both sides, so an excluded object
is neither copied nor deleted).

The rule, kept simple enough to predict: rules are checked in order and the first one that matches
decides; the CLI puts every --exclude before every --include, so an exclude always wins. A path that
no rule matches is included, unless some --include was given: then only what an include matches is
synced ("--include '*.jpg'" means "only the JPEGs").

Patterns (on the relative path, always with `/`): a pattern without `/` matches any one segment
of the path, a file name or a folder name at any depth (`*.tmp`, `cache`); a pattern with `/`
matches the whole relative path, where `*` and `?` stay within one segment and `**` crosses them
(`cam1/*.jpg`, `2024/**/raw/*`); a trailing `/` means "everything under" (`tmp/` is `tmp/**`).
`[abc]` classes work as in fnmatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from its_store.core import errors as E


@dataclass(frozen=True)
class Rule:
    include: bool
    pattern: str


class Filter:
    """An ordered list of include/exclude rules; `Filter([])` accepts everything."""

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self.rules = list(rules or [])
        self._compiled = [(r.include, _compile(r.pattern)) for r in self.rules]
        self._default = not any(r.include for r in self.rules)

    @classmethod
    def of(cls, include: list[str] | None = None, exclude: list[str] | None = None) -> Filter:
        """The CLI's order: every exclude first, then every include."""
        return cls([Rule(False, p) for p in exclude or []] + [Rule(True, p) for p in include or []])

    def __bool__(self) -> bool:
        return bool(self.rules)

    def prunes(self, folder: str) -> bool:
        """True when nothing under `folder` (a relative path, no trailing "/") can be accepted: an
        exclude matching one of its names comes before any include. The walks then skip the folder
        (no listing, and an unreadable excluded folder does not make the listing partial)."""
        parts = folder.split("/")
        for include, (segment, regex) in self._compiled:
            if include:
                return False
            if segment and any(regex.fullmatch(part) for part in parts):
                return True
        return False

    def accepts(self, rel: str) -> bool:
        for include, (segment, regex) in self._compiled:
            if segment:
                if any(regex.fullmatch(part) for part in rel.split("/")):
                    return include
            elif regex.fullmatch(rel):
                return include
        return self._default


@lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[bool, re.Pattern[str]]:
    """(matches one segment?, regex). Bad patterns are InvalidInputError (exit 2)."""
    if not pattern or pattern.strip() != pattern or "\x00" in pattern:
        raise E.InvalidInputError(f"bad filter pattern {pattern!r}", hint="e.g. --exclude '*.tmp'")
    body = pattern.lstrip("/")
    if body.endswith("/"):
        body += "**"
    try:
        return "/" not in body, re.compile(_assemble(_atoms(body, pattern)), re.DOTALL)
    except re.error as exc:
        raise E.InvalidInputError(f"bad filter pattern {pattern!r}: {exc}") from None


# Stars: one segment, anything, and "nothing or anything up to a '/'"; greedy and lazy forms.
_STARS = {"*": ("[^/]*", "[^/]*?"), "**": (".*", ".*?"), "**/": ("(?:.*/)?", "(?:.*?/)??")}


def _atoms(body: str, pattern: str) -> list[tuple[str, str]]:
    """The pattern as (kind, regex) atoms: kind is a star of _STARS, "c" (one character: a literal, `?` or a
    class that never matches '/') or "C" (a class that may match '/': `[!a]`, `[+-9]`)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        star = "**/" if body.startswith("**/", i) else "**" if body.startswith("**", i) else body[i]
        if star in _STARS:
            out.append((star, _STARS[star][0]))
            i += len(star)
        elif star == "?":
            out.append(("c", "[^/]"))
            i += 1
        elif star == "[":
            end = body.find("]", i + 2 if body[i + 1:i + 2] in ("!", "]") else i + 1)
            if end < 0:
                raise E.InvalidInputError(f"bad filter pattern {pattern!r}: '[' without ']'")
            inner = body[i + 1:end]
            inner = "^" + inner[1:] if inner.startswith("!") else inner
            regex = "[" + inner.replace("\\", "\\\\") + "]"
            out.append(("C" if re.fullmatch(regex, "/") else "c", regex))
            i = end + 1
        else:
            out.append(("c", re.escape(star)))
            i += 1
    return out


def _assemble(atoms: list[tuple[str, str]]) -> str:
    """The regex of `atoms`, without catastrophic backtracking: a star followed by fixed characters and then
    another star matches those characters at their first place (an atomic group, as fnmatch does), where
    the first place can never lose a match that a later one finds: the next star crosses '/' (`**`), or both
    are `*` and the characters cannot match a '/' that the first place would put between them. Without it,
    `*a*a*a*a*a*a*a*a*b` took seconds per 40-character name (a hostile key hung a sync)."""
    out: list[str] = []
    for n, (kind, regex) in enumerate(atoms):
        if kind not in _STARS:
            continue
        chunk = n + 1
        while chunk < len(atoms) and atoms[chunk][0] not in _STARS:
            chunk += 1
        fixed = atoms[n + 1:chunk]
        nxt = atoms[chunk][0] if chunk < len(atoms) else ""
        first_place = nxt == "**" or (kind == nxt == "*" and all(k == "c" for k, _ in fixed))
        text = "".join(r for _, r in fixed)
        out.append(f"(?>{_STARS[kind][1]}{text})" if fixed and first_place else regex + text)
    lead = next((n for n, (kind, _) in enumerate(atoms) if kind in _STARS), len(atoms))
    return "".join(r for _, r in atoms[:lead]) + "".join(out)
