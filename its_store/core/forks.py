"""What an object must redo in a child process after os.fork(), and what a child must do when it ends.

A forked child holds copies of the parent's objects: the S3 client's kept-alive sockets (the parent
still uses them: two processes writing to one connection garble the server's answers), thread pools
whose threads did not survive the fork (work queued to them waits forever), locks another thread held
at the fork, and counts the parent has not saved yet. An object registers a method with
`renew_in_child()`; it runs in every child right after the fork, once per live object (the registry
holds the objects weakly, so it never keeps one alive).

`at_exit_in_child()` runs a method when the child ends: through `atexit` for a child of os.fork() that
exits normally, and through multiprocessing's exit finalizers for its "fork" children, which end with
os._exit() (atexit never runs there).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import types
import weakref
from collections.abc import Callable

log = logging.getLogger("its_store.forks")


class _Bound:
    """A bound method held weakly: its object by a plain weak reference, its function as is.

    Not weakref.WeakMethod: its internal callback dereferences the WeakMethod itself, and at interpreter
    exit, when the WeakMethod is cleared before its object, that prints "Exception ignored in ... _cb:
    AttributeError: 'NoneType' object has no attribute '_alive'" (Python 3.11) into every script's stderr."""

    __slots__ = ("func", "owner")

    def __init__(self, method: Callable[[], None], forget: Callable[[object], object] | None = None) -> None:
        owner = getattr(method, "__self__", None)
        func = getattr(method, "__func__", None)
        if owner is None or func is None:
            raise TypeError("renew_in_child() takes a bound method")
        self.owner = weakref.ref(owner, forget)
        self.func: Callable[[object], None] = func

    def __call__(self) -> Callable[[], None] | None:
        """The bound method again, or None once its object is gone."""
        owner = self.owner()
        return None if owner is None else types.MethodType(self.func, owner)


_renewals: dict[tuple[int, str], _Bound] = {}
_PID = [os.getpid()]


def current_pid() -> int:
    """This process's id, asked of the kernel once (os.getpid() is a system call, paid per temp file and per
    audit line otherwise), and again first thing in a forked child."""
    return _PID[0]

_exits: list[_Bound] = []


def renew_in_child(method: Callable[[], None]) -> None:
    """Call the bound `method` in every child forked while its object is alive."""
    owner = getattr(method, "__self__", None)
    if owner is None:
        raise TypeError("renew_in_child() takes a bound method")
    key = (id(owner), method.__name__)

    def forget(_ref: object, table: dict[tuple[int, str], _Bound] = _renewals) -> None:
        table.pop(key, None)  # the table as a default: still there while the interpreter shuts down

    _renewals[key] = _Bound(method, forget)


def at_exit_in_child(method: Callable[[], None]) -> None:
    """Call the bound `method` when this (forked) process ends; for use in a renew_in_child method."""
    _exits.append(_Bound(method))


def _run_exits() -> None:
    while _exits:
        method = _exits.pop()()
        if method is not None:
            _call(method)


def _call(method: Callable[[], None]) -> None:
    try:
        method()
    except Exception:  # one object's failure must not stop the others (nor the child)
        log.exception("after fork: %s failed", getattr(method, "__qualname__", method))


class _Armed:
    """multiprocessing's after-fork registry holds its objects weakly: this one lives in the module."""


_ARMED = _Armed()


def _arm_multiprocessing(_: object) -> None:
    util = sys.modules["multiprocessing.util"]
    util.Finalize(None, _run_exits, exitpriority=0)  # runs in the child's util._exit_function()


def _after_fork_in_child() -> None:
    _PID[0] = os.getpid()
    _exits.clear()  # the parent's exit work is the parent's
    for ref in list(_renewals.values()):
        method = ref()
        if method is not None:
            _call(method)
    if _exits:
        atexit.register(_run_exits)
        util = sys.modules.get("multiprocessing.util")
        if util is not None:  # a multiprocessing child clears its finalizers after this hook, then runs these
            util.register_after_fork(_ARMED, _arm_multiprocessing)


os.register_at_fork(after_in_child=_after_fork_in_child)
