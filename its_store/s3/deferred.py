"""minio's admin cryptography, loaded on first use instead of at `import minio`.

`import minio` runs minio/__init__.py, which imports MinioAdmin, whose module does
`from .crypto import decrypt, encrypt`; minio/crypto.py imports argon2-cffi and pycryptodome at its top, and
pycryptodome parses its C declarations with cffi/pycparser on import. That was ~40 % of `import minio` (about
60 ms of CPU per command on the bench machine) for code only MinioAdmin's encrypted admin calls run, and
its-store never makes one.

defer_minio_crypto() installs, before minio is first imported, a finder (the public importlib.abc API) for the
one module `minio.crypto`: its module starts with two forwarding functions, `encrypt` and `decrypt` (what
minioadmin imports), and a module __getattr__; the first call of either, or the first access to any other
name, runs minio's own crypto.py in that same module object (its real loader's exec_module), after which every
name is minio's own. Nothing of minio is copied or changed: a MinioAdmin built in this process works as before,
one import later. Should a minio release import another name from .crypto, the module __getattr__ loads the
real code at that import: still correct, only the saving is lost, and tests/test_startup_imports.py fails
loudly (it checks that pycryptodome and argon2 stay unloaded, and which names minioadmin imports).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from functools import partial
from types import ModuleType
from typing import Any

__all__ = ["CRYPTO", "FORWARDED", "defer_minio_crypto"]

CRYPTO = "minio.crypto"
FORWARDED = ("encrypt", "decrypt")  # the names minio/minioadmin.py imports from .crypto (checked by a test)
_LOCK = threading.RLock()


class _Deferred(importlib.abc.Loader):
    """The loader of the deferred `minio.crypto`: forwarding functions now, minio's code on first use."""

    def __init__(self, real: importlib.machinery.ModuleSpec) -> None:
        self.real = real
        self.loaded = False
        self.rest: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        for name in FORWARDED:
            module.__dict__[name] = _forward(self, module, name)
        self.rest = module.__dict__["__getattr__"] = partial(_rest, self, module)

    def load(self, module: ModuleType) -> ModuleType:
        """Run minio's crypto.py in `module`, once (its names replace the forwarding functions)."""
        with _LOCK:
            if not self.loaded:
                assert self.real.loader is not None
                self.real.loader.exec_module(module)
                self.loaded = True
                if module.__dict__.get("__getattr__") is self.rest:  # only now: while minio's code runs,
                    del module.__dict__["__getattr__"]  # another thread asking for a name waits for it (_rest)
        return module


def _rest(loader: _Deferred, module: ModuleType, name: str) -> Any:
    """Any other name of minio.crypto: its code loaded first. Not dunders: the import system asks for
    `__path__` (is it a package?) and friends, whose absence must not load anything."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(loader.load(module), name)


def _forward(loader: _Deferred, module: ModuleType, name: str) -> Any:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(loader.load(module), name)(*args, **kwargs)
    forward.__name__ = forward.__qualname__ = name
    forward.__module__ = CRYPTO  # pickled by reference as minio.crypto's own (the name it stands for)
    forward.__doc__ = f"minio.crypto.{name}, loaded on first call (its_store.s3.deferred)."
    return forward


class _Finder(importlib.abc.MetaPathFinder):
    """Finds `minio.crypto` once, as a deferred module, then leaves sys.meta_path."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None,
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != CRYPTO:
            return None
        with _LOCK:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.loader is None:
            return None  # let the import system say what is missing
        return importlib.util.spec_from_loader(fullname, _Deferred(real), origin=real.origin)


def defer_minio_crypto() -> None:
    """Make `minio.crypto` load on first use (module docstring); a no-op once minio is imported."""
    with _LOCK:
        if "minio" in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
            return
        sys.meta_path.insert(0, _Finder())
