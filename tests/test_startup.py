"""Start-up cost: --version, --help and shell completion must not import the heavy modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_help_imports_no_client_or_models():
    mods = _modules_after(["--help"])
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    # Typer >= 0.2x coerces subcommand parameters with pydantic's TypeAdapter, so pydantic itself is
    # loaded there; our models and settings, the S3 client and the codecs must still not be.
    ours = {"its_store.core.models", "its_store.core.settings", "its_store.service.storage", "its_store.s3.client"}
    for command in ("upload", "ls", "get"):
        mods = _modules_after([command, "--help"])
        assert not {m for m in mods if m.split(".")[0] in HEAVY and not m.startswith("pydantic")}
        assert not mods & ours


@pytest.mark.parametrize("args", [["--help"], ["upload", "--help"], ["bucket", "create", "--help"]])
def test_help_shows_no_bool_metavar(args):
    """Flags take no value: the help shows none for them (Typer's rich help printed `<bool>`, cli/base.py),
    and still shows the type of options that take one."""
    exe = os.path.join(os.path.dirname(sys.executable), "its-store")
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    out = subprocess.run([exe, *args], capture_output=True, text=True, check=True, timeout=60, env=env).stdout
    assert "<bool>" not in out
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("│ --")}
    assert "--help" in rows and "<" not in rows["--help"]
    if args == ["--help"]:
        assert "<" not in rows["--json"] and "<" not in rows["--secure"]
        assert "<str>" in rows["--endpoint"] and "<int range> [0<=x<=20]" in rows["--retries"]
    if args[0] == "upload":
        assert "<" not in rows["--recursive"] and "<int range> [1<=x<=256]" in rows["--workers"]


def test_package_import_is_lazy():
    out = subprocess.run([sys.executable, "-c", "import its_store, sys; print('minio' in sys.modules, "
                          "'pydantic' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_completion_imports_neither_typer_nor_the_client(tmp_path):
    """A TAB with the answer in the completion cache: no Typer, click, rich, pydantic or minio."""
    from helpers import seed_completion_cache
    # nothing listens on 127.0.0.1:9: the answer must come from the cache (filed for this identity)
    seed_completion_cache(tmp_path, "127.0.0.1:9", "minioadmin", "s3cret", {"buckets": ["its-video"]})
    env = {"MINIO_CACHE_DIR": str(tmp_path), "MINIO_ENDPOINT": "127.0.0.1:9", "MINIO_ACCESS_KEY": "minioadmin",
           "MINIO_SECRET_KEY": "s3cret"}
    for line in ("its-store ls s3://its-", "its-store bucket c", "its-store upload f --type "):
        request = {"_ITS_STORE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line, "COLUMNS": "200"}
        answer, mods = _modules_after_completion({**env, **request})
        assert answer.startswith("_arguments") and ("its-video" in answer or "s3" not in line), answer
        assert not {m for m in mods if m.split(".")[0] in ("typer", "click", "rich", *HEAVY)}, line
        assert not mods & {"its_store.core.models", "its_store.core.settings", "its_store.service.storage",
                           "its_store.cli.app"}



def _modules_of(info) -> set[str]:
    """The its_store.cli modules whose functions make up a registered command or group."""
    if getattr(info, "typer_instance", None) is None:  # a command, not a group
        return {info.callback.__module__.rsplit(".", 1)[1]}
    sub = info.typer_instance
    found: set[str] = set()
    for child in [*sub.registered_commands, *sub.registered_groups]:
        found |= _modules_of(child)
    return found


def test_command_index_names_the_modules_of_every_command():
    """cli.app.run builds only the named command's modules: the index must match the registrations."""
    from its_store.cli.app import COMMAND_INDEX, COMMAND_MODULES, full_app
    app = full_app()
    found = {(info.name or info.callback.__name__).replace("_", "-"): _modules_of(info) & set(COMMAND_MODULES)
             for info in [*app.registered_commands, *app.registered_groups]}  # (lifecycle, encryption join bucket)
    assert {name: set(mods) for name, mods in COMMAND_INDEX.items()} == found
    for mods in COMMAND_INDEX.values():  # registered in the full app's order
        assert list(mods) == sorted(mods, key=COMMAND_MODULES.index)


@pytest.mark.parametrize("argv,modules", [
    (["--endpoint", "h:1", "-q", "ls", "s3://b"], {"objects"}),
    (["--json", "model", "list"], {"model", "model_admin"}),
    (["--env-file", "ls", "bucket", "encryption", "show", "b"],
     {"bucket", "encryption", "lifecycle", "retention", "policy"}),
    (["--help"], None), (["nonsense"], None), ([], None),
])
def test_run_builds_only_the_module_it_needs(argv, modules):
    code = ("import sys, json; from its_store.cli import app as a; sys.path.insert(0, 'tests');"
            "from test_startup import _modules_of; built = a.app_for(json.loads(sys.argv[1]));"
            "print(json.dumps(None if a._FULL else sorted(set().union(*map(_modules_of, "
            "built.registered_commands + built.registered_groups)))))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout)
    assert got == (None if modules is None else sorted(modules))
