"""Start-up cost of one `its-store` command in instructions, per import (and per pydantic class), by callgrind.

    .venv/bin/python bench/import_cost.py ls s3://bench/nothing/          # the tree, nodes >= 1M instructions
    .venv/bin/python bench/import_cost.py --min 3 sync ./frames s3://b/p/  # only nodes >= 3M
    .venv/bin/python bench/import_cost.py --wrap typer._adapters:try_build_adapter ls s3://b/  # + calls of it

`-X importtime` counts wall time, which other work on the machine stretches; this counts instructions (load-
independent). The command runs under `valgrind --tool=callgrind` with a small C library loaded by ctypes whose
one function is callgrind's client request CALLGRIND_DUMP_STATS_AT: the import system's _find_and_load and
pydantic's ModelMetaclass.__new__ are wrapped to call it when an import (or a class creation) begins and ends,
so each dump holds the instructions of one stretch, charged to the innermost import or class running then.
`--wrap MODULE:QUALNAME` (repeatable) marks each call of that function too (`call QUALNAME` nodes), wrapped as
its module is first imported (a name another module from-imported before then is not seen).
The hooks add a little (~1 %). Needs valgrind, its headers (valgrind/callgrind.h) and a C compiler. The
package is byte-compiled first (PYTHONDONTWRITEBYTECODE would make every run compile what it imports).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK_C = "#include <valgrind/callgrind.h>\nvoid mark(const char *s) { CALLGRIND_DUMP_STATS_AT(s); }\n"
HOOK = r'''
import ctypes, sys, _frozen_importlib as fi
_mark = ctypes.CDLL(sys.argv.pop(1)).mark
_mark.argtypes = [ctypes.c_char_p]
_load = fi._find_and_load
def _marked(tag, fn, *args):
    _mark(b"B " + tag.encode())
    try:
        return fn(*args)
    finally:
        _mark(b"E " + tag.encode())
def _class_hook():
    from pydantic._internal._model_construction import ModelMetaclass
    new = ModelMetaclass.__new__
    def created(mcs, name, *rest, **kw):
        return _marked("class " + name, lambda: new(mcs, name, *rest, **kw))
    ModelMetaclass.__new__ = created
_wraps = {}
for spec in filter(None, sys.argv.pop(1).split(",")):
    mod, _, qual = spec.partition(":")
    _wraps.setdefault(mod, []).append(qual)
def _wrap(module, qual):
    *path, attr = qual.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part)
    fn = getattr(owner, attr)
    def wrapped(*args, **kwargs):
        return _marked("call " + qual, lambda: fn(*args, **kwargs))
    setattr(owner, attr, wrapped)
def _find_and_load(name, import_):
    module = _marked(name, _load, name, import_)
    if name == "pydantic._internal._model_construction":
        _class_hook()
    for qual in _wraps.pop(name, ()):
        _wrap(module, qual)
    return module
fi._find_and_load = _find_and_load
sys.argv = ["its-store", *sys.argv[1:]]
from its_store.__main__ import cli
cli()
'''


class Node:
    def __init__(self, name: str, parent: Node | None) -> None:
        self.name, self.parent, self.kids, self.self, self.cum = name, parent, [], 0, 0
        self.kids: list[Node]


def tree(folder: Path) -> Node:
    """The import tree from the dumps (each: the instructions since the previous one, and what triggered it)."""
    dumps = sorted(folder.glob("out.*"), key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else 1 << 30)
    root = Node("<process>", None)
    here = root
    for dump in [*dumps, *folder.glob("out")]:
        trigger, cost = "", 0
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith("desc: Trigger:"):
                trigger = line.split(":", 2)[2].strip()
            elif line.startswith("summary:"):
                cost = int(line.split()[1])
        here.self += cost
        node: Node | None = here
        while node is not None:
            node.cum += cost
            node = node.parent
        if trigger.startswith("Client Request: B "):
            here.kids.append(Node(trigger[len("Client Request: B "):], here))
            here = here.kids[-1]
        elif trigger.startswith("Client Request: E ") and here.parent is not None:
            here = here.parent
    return root


def show(node: Node, least: int, depth: int = 0) -> None:
    if node.cum < least:
        return
    print(f"{'  ' * depth}{node.name} {node.cum / 1e6:.1f}M (self {node.self / 1e6:.1f}M)")
    for kid in node.kids:
        show(kid, least, depth + 1)


def calls(node: Node, totals: dict[str, list[int]], inside: frozenset[str] = frozenset()) -> dict[str, list[int]]:
    """name -> [calls, instructions] of every `call` node (one inside a call of the same name counted once)."""
    for kid in node.kids:
        if kid.name.startswith("call ") and kid.name not in inside:
            entry = totals.setdefault(kid.name, [0, 0])
            entry[0] += 1
            entry[1] += kid.cum
        calls(kid, totals, inside | {kid.name})
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min", type=float, default=1.0, help="smallest node shown, in millions of instructions")
    parser.add_argument("--wrap", action="append", default=[], metavar="MODULE:QUALNAME",
                        help="also mark each call of this function (e.g. its_store.core.settings:Settings.__init__)")
    parser.add_argument("argv", nargs=argparse.REMAINDER, help="the its-store command line")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "its_store")], check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="import-cost-") as tmp:
        folder = Path(tmp)
        (folder / "mark.c").write_text(MARK_C)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(folder / "libmark.so"), str(folder / "mark.c")],
                       check=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder / 'out'}",
                              sys.executable, "-c", HOOK, str(folder / "libmark.so"), ",".join(args.wrap),
                              *args.argv],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        print(f"exit {run.returncode}; {[line for line in run.stderr.splitlines() if 'Collected' in line]}")
        root = tree(folder)
        show(root, int(args.min * 1e6))
        for name, (count, cost) in calls(root, {}).items():
            print(f"{name}: {count} calls, {cost / 1e6:.1f}M")


if __name__ == "__main__":
    main()
