"""Start-up cost: --version, --help and shell completion must not import the heavy modules."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

HEAVY = ("minio", "urllib3", "pydantic", "pydantic_settings", "zstandard", "lz4", "redis", "diskcache")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys, json, io, contextlib\n"
        f"sys.argv = ['its-store', *{args!r}]\n"
        "from its_store.__main__ import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "sys.__stdout__.write(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _modules_after_completion(env: dict[str, str]) -> tuple[str, set[str]]:
    """(answer, modules loaded) of a completion request, which writes to the real stdout as in a shell."""
    code = ("import sys, json\nsys.argv = ['its-store']\nfrom its_store.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nsys.stderr.write(json.dumps(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         env={**{k: v for k, v in os.environ.items() if k != "TERMINAL_WIDTH"}, **env})
    return out.stdout, set(json.loads(out.stderr))


def test_version_imports_nothing_heavy():
    mods = _modules_after(["--version"])
    assert "typer" not in mods and "rich" not in mods
    assert not {m for m in mods if m.split(".")[0] in HEAVY}


def test_help_imports_no_pydantic_rich_or_other_commands():
    """`--help` lists the commands from the table in cli/app.py, `CMD --help` imports CMD's modules only; neither
    loads pydantic (Typer coerces the root's options with it: help does not process them) nor rich (plain help)."""
    for args, modules in ((["--help"], set()), (["upload", "--help"], {"objects"}),
                          (["ls", "-h"], {"objects_info", "objects"}),
                          (["bucket", "lifecycle", "set", "--help"],
                           {"bucket", "lifecycle", "encryption", "retention", "policy"}),
                          (["model", "--help"], {"model", "model_admin"}), ([], set()),
                          (["bucket"], {"bucket", "lifecycle", "encryption", "retention", "policy"})):
        mods = _modules_after(args)
        assert not {m for m in mods if m.split(".")[0] in (*HEAVY, "rich")}, args
        assert _commands_in(mods) == modules, args


def _commands_in(mods: set[str]) -> set[str]:
    return {m.rsplit(".", 1)[1] for m in mods if m.startswith("its_store.cli.commands.")}


@pytest.mark.parametrize("argv,modules", [
    (["--endpoint", "h:1", "-q", "ls", "--help"], {"objects_info", "objects"}),
    (["--json", "model", "list", "--help"], {"model", "model_admin"}),
    (["--env-file", "ls", "bucket", "encryption", "show", "--help"],
     {"bucket", "encryption", "lifecycle", "retention", "policy"}),
    (["nonsense"], set()), ([], set()),
])
def test_a_command_imports_only_its_own_modules(argv, modules):
    """Through click's own parsing (global options first, so no shortcut for help): the lazy group's
    get_command imports the modules of the command named, and an unknown name imports none."""
    assert _commands_in(_modules_after(argv)) == modules


@pytest.mark.parametrize("args", [["--help"], ["upload", "--help"], ["bucket", "create", "--help"]])
def test_help_shows_no_bool_metavar(args):
    """Flags take no value: the help shows none for them, and shows the type of options that take one."""
    exe = os.path.join(os.path.dirname(sys.executable), "its-store")
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    out = subprocess.run([exe, *args], capture_output=True, text=True, check=True, timeout=60, env=env).stdout
    assert "<bool>" not in out
    rows = {word: line for line in out.splitlines() if line.startswith("  -")
            for word in line.replace(",", " ").split()[:3] if word.startswith("--")}
    assert "--help" in rows and "<" not in rows["--help"]
    if args == ["--help"]:
        assert "<" not in rows["--json"] and "<" not in rows["--secure"]
        assert "<str>" in rows["--endpoint"] and "<int range>" in rows["--retries"] and "[0<=x<=20]" in out
    if args[0] == "upload":
        assert "<" not in rows["--recursive"] and "<int range>" in rows["--workers"] and "[1<=x<=256]" in out


def test_help_without_global_options_is_the_same_help():
    """`CMD --help` is answered without processing the global options (cli/app._help_only): the same text as
    click's own route, taken when a global option comes first."""
    exe = os.path.join(os.path.dirname(sys.executable), "its-store")
    env = {**os.environ, "COLUMNS": "100"}
    for args in (["ls"], ["bucket"], ["bucket", "lifecycle", "set"], ["model", "pull"], []):
        short = subprocess.run([exe, *args, "--help"], capture_output=True, text=True, timeout=60, env=env)
        long = subprocess.run([exe, "-q", *args, "--help"], capture_output=True, text=True, timeout=60, env=env)
        assert (short.returncode, short.stdout, short.stderr) == (long.returncode, long.stdout, long.stderr), args
        assert short.returncode == 0 and "Usage: its-store" in short.stdout


def test_a_group_named_alone_shows_its_help_and_exits_2():
    """click's no_args_is_help: `its-store`, `its-store bucket` print the help on stdout as it is and exit 2 (a
    usage error without an error line: that line held the whole help, or nothing under the rich help)."""
    exe = os.path.join(os.path.dirname(sys.executable), "its-store")
    for args in ([], ["bucket"], ["-q", "bucket"], ["model", "webhooks"]):
        run = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
        assert (run.returncode, run.stderr) == (2, ""), (args, run)
        assert run.stdout.startswith(f"Usage: its-store {' '.join(a for a in args if a != '-q')}".rstrip()), args
        assert "Commands:" in run.stdout


def test_package_import_is_lazy():
    out = subprocess.run([sys.executable, "-c", "import its_store, sys; print('minio' in sys.modules, "
                          "'pydantic' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_completion_imports_neither_typer_nor_the_client(tmp_path):
    """A TAB on a name with the answer in the completion cache: no Typer, click, rich, pydantic or minio."""
    from helpers import seed_completion_cache
    # nothing listens on 127.0.0.1:9: the answer must come from the cache (filed for this identity)
    seed_completion_cache(tmp_path, "127.0.0.1:9", "minioadmin", "s3cret", {"buckets": ["its-video"]})
    env = {"MINIO_CACHE_DIR": str(tmp_path), "MINIO_ENDPOINT": "127.0.0.1:9", "MINIO_ACCESS_KEY": "minioadmin",
           "MINIO_SECRET_KEY": "s3cret", "_ITS_STORE_COMPLETE": "names"}
    code = ("import sys, json\nsys.argv = ['its-store', 'object', 's3://its-']\nfrom its_store.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nsys.stderr.write(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                          env={**os.environ, **env})
    mods = set(json.loads(done.stderr))
    assert done.stdout == "s3://its-video/\n"
    assert not {m for m in mods if m.split(".")[0] in ("typer", "click", "rich", *HEAVY)}
    assert not mods & {"its_store.core.models", "its_store.core.settings", "its_store.service.storage",
                       "its_store.cli.app"}



def test_a_completion_cache_miss_starts_as_light_as_a_command(tmp_path):
    """A TAB whose answer is not cached builds the settings and the client (pydantic-settings): like a command,
    without pydantic's plugin scan and without running asyncio's code (__main__._lighter_start)."""
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env.update({"MINIO_CACHE_DIR": str(tmp_path), "MINIO_ENDPOINT": "127.0.0.1:9", "MINIO_ACCESS_KEY": "minioadmin",
                "MINIO_SECRET_KEY": "s3cret", "_ITS_STORE_COMPLETE": "names"})
    # what was loaded, said however the process ends: completion's main() ends with os._exit when its request
    # thread is still running (a loaded machine), which skips any code after it
    code = ("import os, sys, json\nsys.argv = ['its-store', 'object', 's3://its-']\n"
            "def said():\n"
            "    sys.stderr.write(json.dumps([os.environ.get('PYDANTIC_DISABLE_PLUGINS'), sorted(sys.modules)]))\n"
            "    sys.stderr.flush()\n"
            "real_exit = os._exit\nos._exit = lambda code: (said(), real_exit(code))\n"
            "from its_store.__main__ import main\ntry:\n    main()\nexcept SystemExit:\n    pass\nsaid()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                          env=env)
    plugins, mods = json.loads(done.stderr.splitlines()[-1])
    assert "pydantic_settings" in mods  # the cache missed: the settings were built
    assert plugins == "__all__"
    assert "asyncio.base_events" not in mods

def _modules_of(info) -> set[str]:
    """The its_store.cli modules whose functions make up a registered command or group."""
    if getattr(info, "typer_instance", None) is None:  # a command, not a group
        return {info.callback.__module__.rsplit(".", 1)[1]}
    sub = info.typer_instance
    found: set[str] = set()
    for child in [*sub.registered_commands, *sub.registered_groups]:
        found |= _modules_of(child)
    return found


def test_command_table_declares_what_the_modules_register():
    """cli/app.COMMANDS is a declaration: each command is registered by exactly the modules it names, no module
    registers a command it does not declare (built here in a fresh process, every module once), and every module
    under cli/commands/ is named (one left out would silently take its commands out of a group)."""
    code = ("import json; import its_store.cli.app as a\n"
            "for name in a.COMMANDS: a.command(name)\n"
            "import sys; sys.path.insert(0, 'tests'); from test_startup import _modules_of\n"
            "holder = a._HOLDER[0]\n"
            "print(json.dumps({(i.name or i.callback.__name__).replace('_', '-'): sorted(_modules_of(i))\n"
            "                  for i in [*holder.registered_commands, *holder.registered_groups]}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    registered = json.loads(done.stdout)
    from its_store.cli import commands
    from its_store.cli.app import COMMANDS
    assert registered == {name: sorted(modules) for name, (modules, _) in COMMANDS.items()}
    every = {path.stem for path in Path(commands.__file__).parent.glob("*.py") if path.stem != "__init__"}
    assert {module for modules, _ in COMMANDS.values() for module in modules} == every  # none left out


def test_command_table_short_helps_are_the_commands_own():
    """`--help` lists the short help declared in COMMANDS: it must read as the command's own (the first sentence
    of its docstring), cut by click at every width exactly as the command's would be."""
    from typer.core import TyperCommand

    from its_store.cli.app import COMMANDS, command
    for name, (_, short) in COMMANDS.items():
        real, declared = command(name), TyperCommand(name, help=short)
        for limit in (30, 45, 64, 80, 114, 1000):
            assert declared.get_short_help_str(limit) == real.get_short_help_str(limit), (name, limit)


def test_a_groups_subcommands_come_in_one_order_whatever_was_built_first():
    """`retention` registers `bucket retention` into bucket's group: building `retention` before `bucket`
    must not change the order of `bucket`'s subcommands (help, generated reference, completion scripts)."""
    code = ("import sys; from its_store.cli import app; "
            "[app.command(n) for n in sys.argv[1:]]; print(list(app.command('bucket').commands))")
    orders = {subprocess.run([sys.executable, "-c", code, *first], capture_output=True, text=True,
                             check=True).stdout for first in ([], ["retention"], ["legal-hold"])}
    assert len(orders) == 1, orders


# What the path of a transfer command (cp/upload/get/ls/verify/sync) must not load: minio's admin cryptography
# (pycryptodome parses C declarations with cffi/pycparser at import; argon2) and the bucket-admin services.
TRANSFER_PATH = ("import sys, json\n"
                 "from its_store.cli.app import command\n"
                 "for name in ('upload', 'cp', 'get', 'ls', 'verify', 'sync'):\n"
                 "    assert command(name) is not None, name\n"
                 "import its_store.service.storage, its_store.service.batch, its_store.service.objects\n"
                 "import its_store.sync.engine, its_store.sync.copy, its_store.s3.listing, its_store.service.fetch\n"
                 "from its_store.core.settings import Settings\n"
                 "from its_store.s3.client import S3Client\n"
                 "S3Client(Settings(endpoint='127.0.0.1:9'), pool_size=4)\n"  # builds minio.Minio: no request
                 "import minio\n"
                 "json.dump(sorted(sys.modules), sys.stdout)\n")
NOT_ON_TRANSFER_PATH = ("argon2", "Crypto", "cffi", "pycparser", "_argon2_cffi_bindings")


@functools.cache
def _transfer_path_modules() -> frozenset[str]:
    """The modules loaded by TRANSFER_PATH in a fresh interpreter (one process for the tests below)."""
    out = subprocess.run([sys.executable, "-c", TRANSFER_PATH], capture_output=True, text=True, check=True,
                         timeout=120)
    return frozenset(json.loads(out.stdout))


BUCKET_ADMIN = {f"its_store.service.{name}" for name in ("buckets", "lifecycle", "versions", "retention", "policy")}


def test_transfer_path_does_not_load_minios_admin_crypto():
    """s3/deferred.py: `import minio` leaves pycryptodome and argon2 unloaded (~60 ms of CPU per command)."""
    mods = _transfer_path_modules()
    assert {"minio", "minio.api", "minio.minioadmin"} <= mods  # the path did import minio, MinioAdmin included
    assert not {m for m in mods if m.split(".")[0] in NOT_ON_TRANSFER_PATH}


def test_transfer_path_does_not_load_bucket_administration():
    """service/bucket_use.py: a transfer needs a bucket's name and existence, not the bucket-admin services
    (lifecycle presets, retention, versions, policy: their models and rules)."""
    assert not _transfer_path_modules() & BUCKET_ADMIN


def test_minio_imports_from_the_deferred_modules_only_the_forwarded_names():
    """Fails loudly when a minio release changes what its modules import from a deferred module
    (s3/deferred.py DEFERRED): another name would load the real module at `import minio` (correct, but slow);
    and each name is what its stand-in takes it for (in VALUES: a constant of that value; else a capital: a
    class; else a function). Only the modules `import minio` runs count: a deferred module importing from
    another loads it when its own code runs (lifecycleconfig's BaseRule: a real class, to subclass), so no
    stand-in class may be a base class anywhere in minio."""
    import ast
    import importlib.util

    from its_store.s3.deferred import DEFERRED, VALUES
    package = Path(importlib.util.find_spec("minio").origin).parent  # type: ignore[union-attr, arg-type]
    imported: dict[str, set[str]] = {}
    bases: set[str] = set()
    for source in package.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        bases.update(b.id for n in ast.walk(tree) if isinstance(n, ast.ClassDef) for b in n.bases
                     if isinstance(b, ast.Name))
        name = ".".join(("minio", *source.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        if name in DEFERRED:
            continue  # its imports run with its own code, on first use
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and f"minio.{node.module}" in DEFERRED:
                imported.setdefault(f"minio.{node.module}", set()).update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module in DEFERRED:
                imported.setdefault(node.module, set()).update(a.name for a in node.names)
            elif isinstance(node, ast.Import) and any(a.name in DEFERRED for a in node.names):
                imported.setdefault(source.name, set()).add("*")
    assert imported == {module: set(names) for module, names in DEFERRED.items() if module in imported}
    stand_ins = {n for module, names in DEFERRED.items() for n in names if n not in VALUES.get(module, {})}
    assert not bases & {n for n in stand_ins if n[:1].isupper()}
    code = ("import inspect, json, importlib, sys\n"
            f"table, values = {dict(DEFERRED)!r}, {dict(VALUES)!r}\n"
            "wrong = [f'{m}.{n}' for m, names in table.items() for n in names if n not in values.get(m, {})\n"
            "         and inspect.isclass(getattr(importlib.import_module(m), n)) != n[:1].isupper()]\n"
            "wrong += [f'{m}.{n}' for m, given in values.items() for n, v in given.items()\n"
            "          if getattr(importlib.import_module(m), n) != v or n not in table[m]]\n"
            "print(json.dumps(wrong))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(run.stdout) == []


def test_deferred_minio_crypto_is_minios_own_on_first_use():
    """The deferred module is minio's: a round trip through encrypt and decrypt (MinioAdmin's encrypted
    payloads) loads the real code into the same module object, with every other name."""
    code = ("import io, sys, urllib3\n"
            "import its_store.s3, minio, minio.crypto as c\n"
            "from minio.minioadmin import decrypt, encrypt\n"
            "assert 'Crypto' not in sys.modules and 'argon2' not in sys.modules\n"
            "blob = encrypt(b'frame' * 5000, 'pw')\n"
            "assert 'Crypto' in sys.modules and 'argon2' in sys.modules\n"
            "body = urllib3.response.HTTPResponse(body=io.BytesIO(blob), preload_content=False)\n"
            "assert decrypt(body, 'pw') == b'frame' * 5000\n"
            "assert sys.modules['minio.crypto'] is c and c.DecryptReader.__module__ == 'minio.crypto'\n"
            "assert c.encrypt is not encrypt and c.encrypt.__module__ == 'minio.crypto'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_deferred_minio_classes_are_minios_own_on_first_use():
    """s3/deferred.py: the classes minio/api.py imports of a deferred module are stand-ins until first used;
    a construction, an answer parsed through them (`unmarshal`, their `fromxml`), isinstance and issubclass
    are minio's own class's, loaded then, once; what a construction gives is minio's own instance."""
    code = ("import pickle, sys\n"
            "import its_store.s3, minio\n"
            "from minio import api\n"
            "from minio.xml import marshal, unmarshal\n"
            "vc = sys.modules['minio.versioningconfig']\n"
            "assert '__getattr__' in vars(vc) and 'ENABLED' not in vars(vc)  # not run yet\n"
            "config = api.VersioningConfig('Enabled')\n"
            "assert '__getattr__' not in vars(vc) and type(config) is vc.VersioningConfig is not api.VersioningConfig\n"
            "assert isinstance(config, api.VersioningConfig)\n"
            "assert issubclass(vc.VersioningConfig, api.VersioningConfig)\n"
            "assert not isinstance(object(), api.VersioningConfig)\n"
            "again = unmarshal(api.VersioningConfig, marshal(config).decode())\n"
            "assert type(again) is vc.VersioningConfig and again.status == 'Enabled'\n"
            "assert pickle.loads(pickle.dumps(config)).status == 'Enabled'\n"
            "from minio.versioningconfig import VersioningConfig\n"
            "assert VersioningConfig is vc.VersioningConfig\n"
            "assert VersioningConfig.__module__ == 'minio.versioningconfig'\n"
            "assert api.parse_copy_object.__module__ == 'minio.datatypes'\n"
            "assert '__getattr__' in vars(sys.modules['minio.datatypes'])  # a forwarding function: not run\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_deferred_commonconfig_and_admin_are_minios_own_on_first_use():
    """s3/deferred.py: minio.commonconfig (its two constants given, its classes stand-ins) and minio.minioadmin
    wait until used; a class method through a stand-in, a construction and isinstance are then minio's own,
    and MinioAdmin built leaves its cryptography waiting still."""
    code = ("import sys\n"
            "import its_store.s3, minio, minio.credentials\n"
            "from minio import api\n"
            "cc = sys.modules['minio.commonconfig']\n"
            "assert '__getattr__' in vars(cc) and (api.COPY, api.REPLACE) == ('COPY', 'REPLACE')\n"
            "tags = api.Tags.new_object_tags()\n"  # a class method through the stand-in runs minio's module
            "assert '__getattr__' not in vars(cc) and type(tags) is cc.Tags is not api.Tags\n"
            "assert isinstance(tags, api.Tags) and cc.COPY == api.COPY and cc.ENABLED == 'Enabled'\n"
            "assert type(api.CopySource('b', 'k')) is cc.CopySource\n"
            "ma = sys.modules['minio.minioadmin']\n"
            "assert '__getattr__' in vars(ma) and minio.MinioAdmin is not None and 'Crypto' not in sys.modules\n"
            "admin = minio.MinioAdmin(endpoint='localhost:9', credentials=minio.credentials.StaticProvider('a', 'b'))\n"
            "assert type(admin) is ma.MinioAdmin and isinstance(admin, minio.MinioAdmin)\n"
            "assert '__getattr__' not in vars(ma) and 'Crypto' not in sys.modules\n")  # crypto waits still
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_models_are_built_on_first_use():
    """defer_build on the model bases (core/models.py): importing the services builds no validator; the first
    use of a model builds its own."""
    code = ("import its_store.service.objects, its_store.service.batch\n"
            "from its_store.core.models import DeleteResult, ObjectInfo\n"
            "assert not ObjectInfo.__pydantic_complete__ and not DeleteResult.__pydantic_complete__\n"
            "DeleteResult(bucket='b', key='k')\n"
            "assert DeleteResult.__pydantic_complete__ and not ObjectInfo.__pydantic_complete__\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("given,expected", [(None, "__all__"), ("", ""), ("logfire", "logfire")])
def test_the_command_line_runs_without_pydantic_plugins_unless_told(given, expected):
    """__main__: the entry-point scan of pydantic's plugin lookup is skipped (PYDANTIC_DISABLE_PLUGINS) unless
    the environment already says what it wants."""
    code = ("import os, sys\nsys.argv = ['its-store', 'ls', '--no-such-flag']\n"
            "from its_store.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 2, exc.code\n"
            "sys.stdout.write(repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         env=env)
    assert out.stdout == repr(expected)


ASYNCIO_AFTER_MAIN = r"""
import sys
sys.argv = ['its-store', '--json', 'config']  # builds the settings: pydantic-settings imports asyncio
PRE
from its_store.__main__ import main
try:
    main()
except SystemExit as exc:
    assert exc.code == 0, exc.code
assert 'pydantic_settings' in sys.modules
ran_before_use = 'asyncio.base_events' in sys.modules
import asyncio
from asyncio import Queue  # a from-import of a name runs it too
async def answer():
    await asyncio.sleep(0)
    return 42
print('\nRESULT', ran_before_use, asyncio.run(answer()), Queue.__module__, type(asyncio).__name__,
      asyncio is sys.modules['asyncio'])
"""


@pytest.mark.parametrize("pre,expected", [("", "False 42 asyncio.queues module True"),
                                          ("import asyncio", "True 42 asyncio.queues module True")])
def test_the_command_line_runs_asyncio_on_first_use_and_it_works(pre, expected):
    """__main__ defers asyncio's code to its first use (pydantic-settings imports it for a runner its-store never
    calls); once used it is the whole module, and a program that loaded asyncio before keeps it loaded."""
    code = ASYNCIO_AFTER_MAIN.replace("PRE", pre)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.rpartition("\nRESULT ")[2].split() == expected.split()


DEFERRED_AFTER_MAIN = r"""
import sys
sys.argv = ['its-store', '--json', 'config']  # pydantic (its plugin lookup) and pydantic-settings loaded
from its_store.__main__ import main, DEFERRED
try:
    main()
except SystemExit as exc:
    assert exc.code == 0, exc.code
waiting = [n for n in DEFERRED if type(sys.modules[n]).__name__ == '_RunOnFirstUse']
from pydantic.plugin._loader import get_plugins  # what pydantic imported (entry_points: a forwarding function)
import os
os.environ['PYDANTIC_DISABLE_PLUGINS'] = ''
plugins = list(get_plugins())  # the forwarding function runs importlib.metadata's code, then its own
import importlib.metadata
from importlib.metadata import version
import configparser, subprocess, tarfile
parser = configparser.ConfigParser()
parser.read_string('[a]\nb = 1\n')
ran = subprocess.run([sys.executable, '-c', 'print(7)'], capture_output=True, text=True, check=True).stdout
same = importlib.metadata.version('pydantic') == version('pydantic')
print('\nRESULT', sorted(waiting) == sorted(DEFERRED), plugins, same,
      version.__module__, parser['a']['b'], ran.strip(), tarfile.TarInfo('x').name,
      all(type(sys.modules[n]) is type(sys) for n in ('importlib.metadata', 'configparser', 'subprocess', 'tarfile')))
# asyncio has its own test; the stdlib modules deferred for Typer, urllib3 and s3/: test_startup_deferred_stdlib.py
"""


def test_the_deferred_modules_wait_until_used_and_then_work():
    """__main__.DEFERRED: after a command, none of those modules has run its code; a forwarded name
    (importlib.metadata's entry_points, which pydantic from-imported) runs it on its first call, an import and a
    name read run the others; each is then the whole module."""
    out = subprocess.run([sys.executable, "-c", DEFERRED_AFTER_MAIN], capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.rpartition("\nRESULT ")[2].split() == \
        ["True", "[]", "True", "importlib.metadata", "1", "7", "x", "True"], out.stdout


def test_a_deferred_module_asked_by_two_threads_runs_once_and_answers_both(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """__main__._RunOnFirstUse (asyncio's code on first use): a thread asking for a name while another runs
    the module's code waits for it and gets the name; before, it found the half-run module and an
    AttributeError. The code runs once. (No timing decides the outcome: with the lock the second thread can
    only wait; the 0.5 s join only gives it the chance to fail without the lock.)"""
    import builtins
    import importlib.util
    import threading

    from its_store import __main__ as entry
    entered, gate, runs = threading.Event(), threading.Event(), []
    monkeypatch.setattr(builtins, "_its_first_use_probe", (entered, gate, runs), raising=False)
    source = tmp_path / "its_first_use_probe.py"
    source.write_text("import builtins\nentered, gate, runs = builtins._its_first_use_probe\n"
                      "entered.set()\ngate.wait(60)\nruns.append(1)\nvalue = 42\n")
    spec = importlib.util.spec_from_file_location("its_first_use_probe", source)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__class__ = entry._RunOnFirstUse
    answers: dict[str, object] = {}

    def ask(who: str) -> None:
        try:
            answers[who] = module.value
        except AttributeError as exc:
            answers[who] = exc

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert entered.wait(60)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    second.join(0.5)
    gate.set()
    first.join(60)
    second.join(60)
    assert answers == {"first": 42, "second": 42} and runs == [1], answers
    assert type(module) is not entry._RunOnFirstUse


def test_settings_load_without_the_config_view():
    """core/settings_view.py: SettingsView (42 fields, `config` only) is created when `config` asks for it, not by
    every command that loads the settings; `its_store.core.settings.SettingsView` still names it."""
    code = ("import sys\nfrom its_store.core.settings import load_settings\n"
            "settings = load_settings(endpoint='127.0.0.1:9')\n"
            "from its_store.core.models import Result\n"
            "assert 'SettingsView' not in {c.__name__ for c in Result.__subclasses__()}, 'view built'\n"
            "from its_store.core.settings import SettingsView\n"
            "view = settings.public_view()\n"
            "assert type(view) is SettingsView and view.MINIO_ENDPOINT == '127.0.0.1:9', view\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True)


def test_settings_without_a_dotenv_file_skip_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """core/settings._WITH_DOTENV: with no .env file, pydantic-settings' .env source (which walks every field to
    find nothing) is not asked; with one, it is, and its values are read below the environment's."""
    from pydantic_settings import DotEnvSettingsSource

    from its_store.core.settings import load_settings
    asked: list[int] = []
    real, here = DotEnvSettingsSource.__call__, threading.current_thread()

    def counted(self: Any) -> dict[str, Any]:
        if threading.current_thread() is here:  # the patch is process-wide: not another thread's settings
            asked.append(1)
        return real(self)

    monkeypatch.setattr(DotEnvSettingsSource, "__call__", counted)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("MINIO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MINIO_REGION", "eu-west-1")
    assert load_settings().endpoint == "localhost:9000" and asked == []
    (tmp_path / ".env").write_text("MINIO_ENDPOINT=10.0.0.7:9000\nMINIO_REGION=us-east-2\n")
    (tmp_path / ".env").chmod(0o600)
    settings = load_settings()
    assert (settings.endpoint, settings.region, len(asked)) == ("10.0.0.7:9000", "eu-west-1", 1)


def test_commands_are_built_without_the_completion_machinery():
    """cli/completion/callbacks.py: the commands name their autocompletion= callbacks without importing complete.py
    (the cache, the Completer, threading), which a callback imports when a shell asks Typer for names."""
    code = ("import sys\nfrom its_store.cli.app import command\n"
            "for name in ('ls', 'get', 'sync', 'cp', 'model', 'remote', 'retention', 'bucket'):\n"
            "    assert command(name) is not None, name\n"
            "assert 'its_store.cli.completion.complete' not in sys.modules\n"
            "from its_store.cli.completion.callbacks import complete_remote\n"
            "class Asked:\n    meta = {'\\x00kind:': True}\n"
            "assert complete_remote(Asked(), '') == ['\\x00kind:object'], complete_remote(Asked(), '')\n"
            "from its_store.cli.completion.complete import PROBE\nassert PROBE == '\\x00kind:'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
