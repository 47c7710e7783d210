"""The shape of the library API, counted from the source: the numbers issue 21 asks for, before and after.

    .venv/bin/python bench/api_shape.py [PACKAGE_DIR]        (default: its_store; prints JSON)

Counted statically (ast; nothing imported except for the façade member counts, which import the package):
- `public_ops`: public callable members of StorageService and ModelRegistry (inherited ones included), and
  of the objects their methods hand out (svc.versions(), ...);
- `any_in_public_signatures`: public functions and methods (no leading underscore, in a module without one)
  whose parameters or return annotation mention `Any`;
- result styles: pydantic models (classes deriving from BaseModel or from a class that does), dataclasses,
  hand-written `to_dict` methods, and functions annotated to return `dict[str, Any]` or a list of them;
- `mixins`: classes named *Facets/*Operations/*Mixin, or whose docstring calls them a mixin;
- `private_reach_ins`: `x._name` where x is a plain name other than self/cls (a module's private function
  called through its module alias counts too: it is still a reach-in);
- `lines`: lines of .py files (and without the generated completion table).
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from pathlib import Path


def _annotation_text(node: ast.AST | None) -> str:
    return ast.unparse(node) if node is not None else ""


def _is_public(mod: str, name: str) -> bool:
    return not name.startswith("_") and not any(p.startswith("_") for p in mod.split(".")[1:])


def count(root: Path) -> dict[str, object]:
    files = sorted(root.rglob("*.py"))
    models: set[str] = {"BaseModel", "BaseSettings"}
    classes: list[tuple[str, list[str]]] = []
    mixins: set[str] = set()
    dataclasses = to_dict = dict_returns = any_sigs = reach = 0
    lines = lines_no_table = 0
    dict_re = re.compile(r"^(list\[)?dict\[str, Any\]\]?$")
    for path in files:
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        lines += n
        if path.name != "_table.py":
            lines_no_table += n
        mod = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [_annotation_text(b).split(".")[-1] for b in node.bases]
                classes.append((node.name, bases))
                doc = ast.get_docstring(node) or ""
                if re.search(r"(Facets|Operations|Mixin)$", node.name) or re.search(r"\bmixin\b", doc, re.I):
                    mixins.add(node.name)
                if any("dataclass" in _annotation_text(d) for d in node.decorator_list):
                    dataclasses += 1
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "to_dict":
                        to_dict += 1
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                ret = _annotation_text(node.returns)
                if dict_re.match(ret):
                    dict_returns += 1
                if _is_public(mod, node.name):
                    args = node.args.args + node.args.kwonlyargs + node.args.posonlyargs
                    extra = [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
                    anns = [_annotation_text(a.annotation) for a in args + extra] + [ret]
                    if any(re.search(r"\bAny\b", a) for a in anns):
                        any_sigs += 1
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.attr.startswith("_") and not node.attr.startswith("__")
                        and node.value.id not in ("self", "cls", "os", "sys")):
                    reach += 1
    changed = True
    while changed:  # classes deriving from a model class are models too
        changed = False
        for name, bases in classes:
            if name not in models and any(b in models for b in bases):
                models.add(name)
                changed = True
    pydantic = sum(1 for name, _ in classes if name in models)
    return {"pydantic_models": pydantic, "dataclasses": dataclasses, "to_dict_methods": to_dict,
            "dict_returning_functions": dict_returns, "any_in_public_signatures": any_sigs,
            "private_reach_ins": reach, "mixins": sorted(mixins), "lines": lines, "lines_without_completion_table":
            lines_no_table, "modules": len(files)}


def public_ops() -> dict[str, int]:
    from its_store.registry.registry import ModelRegistry
    from its_store.service.storage import StorageService

    def ops(cls: type) -> int:
        return sum(1 for name, _ in inspect.getmembers(cls) if not name.startswith("_"))
    out = {"StorageService": ops(StorageService), "ModelRegistry": ops(ModelRegistry)}
    bases = [b.__name__ for cls in (StorageService, ModelRegistry) for b in cls.__mro__[1:] if b is not object]
    out["facade_base_classes"] = len(bases)
    out["facade_methods_with_any"] = _facade_any(StorageService, ModelRegistry)
    return out


def _facade_any(*facades: type) -> int:
    """Public methods of the façades, and of the classes their methods return (svc.versions(), ...),
    whose annotations (read as text: nothing is resolved) mention Any: what a script author sees untyped."""
    import importlib
    import pkgutil

    import its_store
    for info in pkgutil.walk_packages(its_store.__path__, "its_store."):
        if ".cli" not in info.name and ".testing" not in info.name:
            try:
                importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 - an optional dependency missing: its classes are not reached
                pass
    classes = {name: obj for mod in list(sys.modules.values()) if getattr(mod, "__name__", "").startswith("its_store")
               for name, obj in vars(mod).items() if isinstance(obj, type) and obj.__module__.startswith("its_store")}
    seen: set[type] = set()
    todo = list(facades)
    count = 0
    while todo:
        cls = todo.pop()
        if cls in seen or hasattr(cls, "model_fields"):
            continue
        seen.add(cls)
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or not callable(member):
                continue
            notes = {k: str(v) for k, v in getattr(member, "__annotations__", {}).items()}
            if any(re.search(r"\bAny\b", v) for v in notes.values()):
                count += 1
            ret = notes.get("return", "")
            if ret in classes:
                todo.append(classes[ret])
    return count


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "its_store").resolve()
    result = count(root)
    result.update(public_ops())
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
