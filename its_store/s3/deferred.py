"""minio's modules that its-store's commands do not run, loaded on first use instead of at `import minio`.

`import minio` runs minio/__init__.py, which imports minio.api and MinioAdmin; between them they import every
module of the SDK, most of them only for calls its-store never makes, or makes on a few commands:
- minio/minioadmin.py does `from .crypto import decrypt, encrypt`; minio/crypto.py imports argon2-cffi and
  pycryptodome at its top, and pycryptodome parses its C declarations with cffi/pycparser on import. That was
  ~40 % of `import minio` (about 60 ms of CPU per command) for MinioAdmin's encrypted admin calls.
- minio/api.py from-imports the request and answer classes of every bucket configuration (replication,
  notification, lifecycle, SSE, versioning, object lock), of S3 Select, of multi-object delete, of legal hold,
  retention and tagging, and of the answers in minio/datatypes.py: each a frozen dataclass, whose creation
  generates and compiles its methods. That was ~200M instructions (~15 % of an `ls`) for classes an `ls`,
  `get`, `upload` or `sync` touches none of or a few (bench/import_cost.py shows them).
- minio/commonconfig.py (the classes of server-side copies, tags and bucket-configuration rules: eight
  dataclasses, ~28M instructions) and minio/minioadmin.py (the admin client, ~5M): a `get` of one object and a
  `sync` with nothing to do ran neither; a copy, a tag or a bucket configuration loads them.

defer_minio_modules() installs, before minio is first imported, a finder (the public importlib.abc API) for
the modules of DEFERRED: each starts with a stand-in for every name minio's own modules import of it (a
forwarding function for a function, a stand-in class for a class: _StandIn, the value itself for one of the
two string constants of VALUES, which a test compares with minio's) and a module __getattr__; the
first call of a stand-in, or the first access to any other name, runs minio's own file in that same module
object (its real loader's exec_module), after which every name in the module is minio's own. minio/api.py
keeps the stand-ins it imported: each forwards a call (construction), an attribute (`fromxml`), isinstance
and issubclass to minio's class. Nothing of minio is copied or changed: a client built in this process works
as before, one import later for the first call that needs a deferred module. Should a minio release import
another name from one of them, the module __getattr__ loads the real code at that import: still correct,
only the saving is lost, and tests/test_startup.py fails loudly (it checks which names minio's modules
import of each, and that these stay unrun on the paths of ls, get, upload and sync).
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

__all__ = ["DEFERRED", "defer_minio_modules"]

# module -> the names minio's modules loaded at `import minio` import of it (checked by a test); a name in
# VALUES is a constant, any other starting with a capital a class, any other a function
DEFERRED: dict[str, tuple[str, ...]] = {
    "minio.commonconfig": ("COPY", "REPLACE", "ComposeSource", "CopySource", "SnowballObject", "Tags"),  # api
    "minio.crypto": ("encrypt", "decrypt"),  # minioadmin (itself deferred: its own imports run with its code)
    "minio.datatypes": ("Bucket", "CompleteMultipartUploadResult", "EventIterable", "ListAllMyBucketsResult",
                        "ListMultipartUploadsResult", "ListPartsResult", "Object", "Part", "PostPolicy",
                        "parse_copy_object", "parse_list_objects"),  # api
    "minio.deleteobjects": ("DeleteError", "DeleteObject", "DeleteRequest", "DeleteResult"),
    "minio.legalhold": ("LegalHold",),
    "minio.lifecycleconfig": ("LifecycleConfig",),
    "minio.minioadmin": ("MinioAdmin",),  # minio/__init__.py
    "minio.notificationconfig": ("NotificationConfig",),
    "minio.objectlockconfig": ("ObjectLockConfig",),
    "minio.replicationconfig": ("ReplicationConfig",),
    "minio.retention": ("Retention",),
    "minio.select": ("SelectObjectReader", "SelectRequest"),
    "minio.sseconfig": ("SSEConfig",),
    "minio.tagging": ("Tagging",),
    "minio.versioningconfig": ("VersioningConfig",),
}
# the constants among those names, with their values (a test checks them against minio's own)
VALUES: dict[str, dict[str, str]] = {
    "minio.commonconfig": {"COPY": "COPY", "REPLACE": "REPLACE"},
}
_LOCK = threading.RLock()


class _Deferred(importlib.abc.Loader):
    """The loader of a deferred module: stand-ins now, minio's code on first use."""

    def __init__(self, real: importlib.machinery.ModuleSpec, names: tuple[str, ...]) -> None:
        self.real = real
        self.names = names
        self.loaded = False
        self.rest: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        values = VALUES.get(module.__name__, {})
        for name in self.names:
            module.__dict__[name] = (values[name] if name in values
                                     else _StandIn.of(self, module, name) if name[:1].isupper()
                                     else _forward(self, module, name))
        self.rest = module.__dict__["__getattr__"] = partial(_rest, self, module)

    def load(self, module: ModuleType) -> ModuleType:
        """Run minio's file in `module`, once (its names replace the stand-ins)."""
        with _LOCK:
            if not self.loaded:
                assert self.real.loader is not None
                self.real.loader.exec_module(module)
                self.loaded = True
                if module.__dict__.get("__getattr__") is self.rest:  # only now: while minio's code runs,
                    del module.__dict__["__getattr__"]  # another thread asking for a name waits for it (_rest)
        return module


def _rest(loader: _Deferred, module: ModuleType, name: str) -> Any:
    """Any other name of a deferred module: its code loaded first. Not dunders: the import system asks for
    `__path__` (is it a package?) and friends, whose absence must not load anything."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(loader.load(module), name)


def _forward(loader: _Deferred, module: ModuleType, name: str) -> Any:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(loader.load(module), name)(*args, **kwargs)
    forward.__name__ = forward.__qualname__ = name
    forward.__module__ = module.__name__  # pickled by reference as minio's own (the name it stands for)
    forward.__doc__ = f"{module.__name__}.{name}, loaded on first call (its_store.s3.deferred)."
    return forward


class _StandIn(type):
    """The metaclass of a class of a deferred module before its code ran: every use of the stand-in (a call,
    an attribute, isinstance, issubclass) is a use of minio's own class, loaded then."""

    _its_deferred: tuple[_Deferred, ModuleType, str]

    @classmethod
    def of(mcs, loader: _Deferred, module: ModuleType, name: str) -> Any:
        doc = f"{module.__name__}.{name}, loaded on first use (its_store.s3.deferred)."
        return mcs(name, (), {"__module__": module.__name__, "__qualname__": name, "__doc__": doc,
                              "_its_deferred": (loader, module, name)})

    def real(cls) -> Any:
        """minio's own class (its module run first, once)."""
        loader, module, name = cls._its_deferred
        return getattr(loader.load(module), name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.real())

    def __subclasscheck__(cls, subclass: Any) -> bool:
        return issubclass(subclass, cls.real())

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):  # what introspection probes (__wrapped__, __origin__...): not a use
            raise AttributeError(name)
        return getattr(cls.real(), name)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds each module of DEFERRED once, as a deferred module; leaves sys.meta_path after the last."""

    def __init__(self) -> None:
        self.waiting = set(DEFERRED)

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None,
                  ) -> importlib.machinery.ModuleSpec | None:
        with _LOCK:
            if fullname not in self.waiting:
                return None
            self.waiting.discard(fullname)
            if not self.waiting and self in sys.meta_path:
                sys.meta_path.remove(self)
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.loader is None:
            return None  # let the import system say what is missing
        return importlib.util.spec_from_loader(fullname, _Deferred(real, DEFERRED[fullname]), origin=real.origin)


def defer_minio_modules() -> None:
    """Make the modules of DEFERRED load on first use (module docstring); a no-op once minio is imported."""
    with _LOCK:
        if "minio" in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
            return
        sys.meta_path.insert(0, _Finder())
