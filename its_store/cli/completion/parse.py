"""click's option parser in resilient mode, step for step, over the command table of completion/fast.py.

click (vendored by Typer as typer._click.parser._OptionParser) parses the words typed so far to learn
which command they reach, which options were given, and which words are left for the arguments. While
completing it is "resilient": the first usage error (an unknown option, a missing value) ends the
parsing, keeping what was parsed and dropping the rest of the words. Parser does the same from the
table's record of the real parser (long and short options with their action, value count and
constant, the prefixes, whether options may follow arguments, the arguments' word counts).
"""

from __future__ import annotations

from collections import deque
from typing import Any

VALUE_ACTIONS = ("store", "append")  # parser actions that take a value (the others are flags)


class _UsageError(Exception):
    """What click's parser raises on bad input; resilient parsing stops there, keeping what it parsed."""


class _NoSuchOption(_UsageError):
    pass


class Parser:
    """click's _OptionParser, step for step, for the options and arguments recorded in the table."""

    def __init__(self, node: Any, args: list[str]) -> None:
        self.long, self.short = node["long"], node["short"]
        self.prefixes = set(node["prefixes"])
        self.interspersed = node["interspersed"]
        self.arguments = node["arguments"]
        self.opts: dict[str, Any] = {}
        self.largs: list[str] = []
        self.rargs = args

    def parse(self) -> tuple[dict[str, Any], list[str]]:
        try:
            self._options()
            self._arguments()
        except _UsageError:  # resilient: keep what was parsed, drop the words not reached
            pass
        return self.opts, self.largs

    def _options(self) -> None:
        while self.rargs:
            arg = self.rargs.pop(0)
            if arg == "--":
                return
            if arg[:1] in self.prefixes and len(arg) > 1:
                self._option(arg)
            elif self.interspersed:
                self.largs.append(arg)
            else:
                self.rargs.insert(0, arg)
                return

    def _option(self, arg: str) -> None:
        name, sep, explicit = arg.partition("=")
        try:
            self._long(name, explicit if sep else None)
        except _NoSuchOption:
            if arg[:2] in self.prefixes:
                raise
            self._short(arg)

    def _long(self, name: str, explicit: str | None) -> None:
        spec = self.long.get(name)
        if spec is None:
            raise _NoSuchOption
        if spec[1] in VALUE_ACTIONS:
            if explicit is not None:
                self.rargs.insert(0, explicit)
            self._store(spec, self._value(spec[2]))
        elif explicit is not None:
            raise _UsageError
        else:
            self._store(spec, None)

    def _short(self, arg: str) -> None:
        prefix, i = arg[0], 1
        for ch in arg[1:]:
            spec = self.short.get(prefix + ch)
            i += 1
            if spec is None:
                raise _NoSuchOption
            stop = False
            value = None
            if spec[1] in VALUE_ACTIONS:
                if i < len(arg):  # the rest of the word is the value
                    self.rargs.insert(0, arg[i:])
                    stop = True
                value = self._value(spec[2])
            self._store(spec, value)
            if stop:
                break

    def _value(self, nargs: int) -> Any:
        if len(self.rargs) < nargs:
            raise _UsageError
        if nargs == 1:
            return self.rargs.pop(0)
        value = tuple(self.rargs[:nargs])
        del self.rargs[:nargs]
        return value

    def _store(self, spec: Any, value: Any) -> None:
        dest, action, _, const = spec
        if action == "store":
            self.opts[dest] = value
        elif action == "store_const":
            self.opts[dest] = const
        elif action == "append":
            self.opts.setdefault(dest, []).append(value)
        elif action == "append_const":
            self.opts.setdefault(dest, []).append(const)
        else:  # count
            self.opts[dest] = self.opts.get(dest, 0) + 1

    def _arguments(self) -> None:
        values, rest = _unpack_args(self.largs + self.rargs, [nargs for _, nargs in self.arguments])
        for (dest, nargs), value in zip(self.arguments, values, strict=True):
            self.opts[dest] = None if nargs == -1 and value == () else value
        self.largs, self.rargs = rest, []


def _unpack_args(args: list[str], specs: list[int]) -> tuple[list[Any], list[str]]:
    """click's _unpack_args for arguments of 1 or any number (-1) of words (the table has no others)."""
    words, todo = deque(args), deque(specs)
    values: list[Any] = []
    star: int | None = None

    def fetch(queue: deque[Any]) -> Any:
        if not queue:
            return None
        return queue.popleft() if star is None else queue.pop()

    while todo:
        if fetch(todo) == 1:
            values.append(fetch(words))
        else:
            star = len(values)
            values.append(None)
    if star is not None:
        values[star] = tuple(words)
        words = deque()
        values[star + 1:] = reversed(values[star + 1:])
    return values, list(words)
