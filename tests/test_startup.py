"""Start-up cost: --version and --help must not import the heavy modules."""

from __future__ import annotations

import json
import subprocess
import sys

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


def test_version_imports_nothing_heavy():
    mods = _modules_after(["--version"])
    assert "typer" not in mods and "rich" not in mods
    assert not {m for m in mods if m.split(".")[0] in HEAVY}


def test_help_imports_no_client_or_models():
    mods = _modules_after(["--help"])
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    # Typer >= 0.2x coerces subcommand parameters with pydantic's TypeAdapter, so pydantic itself is
    # loaded there; our models and settings, the S3 client and the codecs must still not be.
    ours = {"its_store.models", "its_store.settings", "its_store.service", "its_store.s3"}
    for command in ("upload", "ls", "get"):
        mods = _modules_after([command, "--help"])
        assert not {m for m in mods if m.split(".")[0] in HEAVY and not m.startswith("pydantic")}
        assert not mods & ours


def test_package_import_is_lazy():
    out = subprocess.run([sys.executable, "-c", "import its_store, sys; print('minio' in sys.modules, "
                          "'pydantic' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
