"""Names a module offers from other modules, imported on their first use and then kept.

A module `__getattr__` (PEP 562) that imports a name's module when the name is first read and stores the
value in the module's namespace, so that every later read is a plain attribute read (no __getattr__ per
object of a batch). The package's public API (its_store/__init__.py: cheap to import) and the modules split
by concern that keep their old names importable (service/objects.py, service/encoded.py) use it. Each of
them defines it only when not TYPE_CHECKING: a type checker reads their explicit imports instead, and a
module __getattr__ would make every misspelt name `Any` to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_names(namespace: dict[str, object], where: Mapping[str, str], package: str) -> Callable[[str], object]:
    """The `__getattr__` of the module whose globals() are `namespace`: a name of `where` (name -> module,
    relative to `package`) is imported from its module now and kept in `namespace`; any other name is an
    AttributeError, worded as Python words it."""
    owner = namespace["__name__"]

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {owner!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
