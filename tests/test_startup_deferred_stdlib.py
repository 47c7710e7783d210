"""The modules the command line loads at start-up but runs only on first use (issue 22, start-up; __main__.DEFERRED):
stdlib modules that Typer, pydantic-settings, urllib3 and our own s3/ modules import for code a `get`, an `ls`, a
`sync` with nothing to do or a `--help` never runs (difflib, gettext, bz2, lzma, calendar, tempfile, mimetypes,
shlex, xml.etree.ElementTree: ~20M instructions of a `get`, callgrind).

Each command runs in a fresh interpreter against the real server and says which of them ran their code. A
from-import of a forwarded name (typer/core.py's `from difflib import get_close_matches`) must not run the
module either: the import statement asks a module for __path__ (is it a package?), which is not a first use.
Then each module, once used, is the whole module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import DEADLINE, ROOT

NEW = ("difflib", "gettext", "bz2", "lzma", "calendar", "tempfile", "mimetypes", "shlex", "xml.etree.ElementTree")

_RUN = """
import json, sys
sys.argv = ["its-store", *sys.argv[1:]]
from its_store.__main__ import main
try:
    main()
except SystemExit as end:
    code = end.code
ran = sorted(n for n in NAMES if n in sys.modules and type(sys.modules[n]).__name__ != "_RunOnFirstUse")
absent = sorted(n for n in NAMES if n not in sys.modules)
sys.stderr.write("\\nRAN " + json.dumps([code, ran, absent]))
""".replace("NAMES", repr(NEW))


def _ran(env: dict[str, str], *argv: str) -> tuple[Any, list[str], list[str]]:
    run = subprocess.run([sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, timeout=DEADLINE,
                         env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
    code, ran, absent = json.loads(run.stderr.rpartition("\nRAN ")[2])
    return code, ran, absent


@pytest.mark.parametrize("command", ["get", "ls", "sync"])
def test_a_command_runs_none_of_the_deferred_stdlib_modules(env: dict[str, str], cli: Any, bucket: str,
                                                            tmp_path: Path, command: str) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"frame" * 100)
    assert cli("sync", str(folder), f"s3://{bucket}/s/").exit_code == 0  # stored; the next sync has nothing to do
    argv = {"get": ["get", f"s3://{bucket}/s/a.jpg", str(tmp_path / "got.jpg")], "ls": ["ls", f"s3://{bucket}/s/"],
            "sync": ["sync", str(folder), f"s3://{bucket}/s/"]}[command]
    code, ran, absent = _ran(env, "--quiet", *argv)
    assert code == 0
    assert (ran, absent) == ([], [])  # each imported (so the stand-in is what the libraries hold), none run
    if command == "get":
        assert (tmp_path / "got.jpg").read_bytes() == b"frame" * 100


def test_help_runs_only_gettext() -> None:
    """--help translates its texts (gettext, used); nothing else of the list runs."""
    code, ran, absent = _ran({}, "--help")
    assert (code, ran) == (0, ["gettext"])
    assert set(absent) <= {"xml.etree.ElementTree", "calendar", "mimetypes"}  # no s3/ module, no urllib3 imported


_USED = r"""
import sys
sys.argv = ['its-store', 'gte']  # a mistyped command: Typer's "did you mean" (difflib, forwarded name)
from its_store.__main__ import main
try:
    main()
except SystemExit as exc:
    assert exc.code == 2, exc.code
import bz2, lzma, calendar, tempfile, mimetypes, shlex, gettext
from xml.etree import ElementTree as ET
from difflib import get_close_matches, SequenceMatcher
with tempfile.TemporaryFile() as spool:
    spool.write(lzma.compress(bz2.compress(b'x' * 100)))
    spool.seek(0)
    back = bz2.decompress(lzma.decompress(spool.read()))
print('\nRESULT', back == b'x' * 100, calendar.timegm((1970, 1, 2, 0, 0, 0)), mimetypes.guess_type('a.json')[0],
      shlex.split("a 'b c'") == ['a', 'b c'], gettext.gettext('x'), ET.fromstring('<a>1</a>').text,
      get_close_matches('gte', ['get', 'ls']), SequenceMatcher.__module__,
      all(type(sys.modules[n]) is type(sys) for n in NAMES))
""".replace("NAMES", repr(NEW))


def test_the_deferred_stdlib_modules_work_once_used(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _USED], capture_output=True, text=True, timeout=DEADLINE,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Did you mean 'get'?" in out.stderr, out.stderr
    assert out.stdout.rpartition("\nRESULT ")[2].split() == \
        ["True", "86400", "application/json", "True", "x", "1", "['get']", "difflib", "True"], out.stdout + out.stderr


def test_a_deferred_module_whose_code_fails_is_not_left_half_run(tmp_path: Path) -> None:
    """A deferred module whose code raises on its first use (lzma or bz2 on a Python built without _lzma/_bz2)
    is taken out of sys.modules, as the import system does: the next import raises again, never a half-run
    module whose missing names are AttributeErrors."""
    (tmp_path / "deferred_and_broken.py").write_text("x = 1\nraise ImportError('no _lzma here')\n")
    code = """
import sys
from its_store.__main__ import _defer
_defer("deferred_and_broken")
import deferred_and_broken
for _ in range(2):
    try:
        deferred_and_broken.compress
    except ImportError as exc:
        print("ImportError", exc, "deferred_and_broken" in sys.modules)
try:
    import deferred_and_broken
except ImportError as exc:
    print("import again: ImportError", exc)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT)))}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=DEADLINE)
    assert done.stdout.splitlines() == ["ImportError no _lzma here False", "ImportError no _lzma here False",
                                        "import again: ImportError no _lzma here"], done.stderr


def test_a_module_whose_c_part_is_missing_is_not_deferred(tmp_path: Path) -> None:
    """bz2 and lzma are deferred only where their C part (_bz2, _lzma) is there: on a Python built without it, a
    deferred one made a library's `try: import lzma / except ImportError` (shutil's archive formats) succeed and
    fail later instead. Here a module needing a C part that is missing: its import fails at once, as without
    its-store; and the real bz2 and lzma, whose C parts this Python has, are still deferred."""
    (tmp_path / "needs_c_part.py").write_text("from _its_store_no_such_c_part import compress\n")
    code = """
import sys
import its_store.__main__ as m
m.__dict__.setdefault("_NEEDS", {})["needs_c_part"] = "_its_store_no_such_c_part"
m._defer("needs_c_part")
try:
    import needs_c_part
    print("imported")
except ImportError:
    print("ImportError")
m._defer("bz2"); m._defer("lzma")
print(type(sys.modules["bz2"]).__name__, type(sys.modules["lzma"]).__name__)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT)))}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=DEADLINE)
    assert done.stdout.splitlines() == ["ImportError", "_RunOnFirstUse _RunOnFirstUse"], done.stderr
