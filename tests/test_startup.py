"""Start-up cost: --version, --help and shell completion must not import the heavy modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

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
    ours = {"its_store.models", "its_store.settings", "its_store.service", "its_store.s3"}
    for command in ("upload", "ls", "get"):
        mods = _modules_after([command, "--help"])
        assert not {m for m in mods if m.split(".")[0] in HEAVY and not m.startswith("pydantic")}
        assert not mods & ours


def test_package_import_is_lazy():
    out = subprocess.run([sys.executable, "-c", "import its_store, sys; print('minio' in sys.modules, "
                          "'pydantic' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_completion_imports_neither_typer_nor_the_client(tmp_path):
    """A TAB with the answer in the completion cache: no Typer, click, rich, pydantic or minio."""
    server = "127.0.0.1:9|minioadmin"  # nothing listens there: the answer must come from the cache
    cache = {"version": 1, "entries": {f"{server}\nbuckets": {"t": time.time(), "items": ["its-video"]}}}
    (tmp_path / "completion.json").write_text(json.dumps(cache))
    env = {"MINIO_CACHE_DIR": str(tmp_path), "MINIO_ENDPOINT": "127.0.0.1:9", "MINIO_ACCESS_KEY": "minioadmin"}
    for line in ("its-store ls s3://its-", "its-store bucket c", "its-store upload f --type "):
        request = {"_ITS_STORE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line, "COLUMNS": "200"}
        answer, mods = _modules_after_completion({**env, **request})
        assert answer.startswith("_arguments") and ("its-video" in answer or "s3" not in line), answer
        assert not {m for m in mods if m.split(".")[0] in ("typer", "click", "rich", *HEAVY)}, line
        assert not mods & {"its_store.models", "its_store.settings", "its_store.service", "its_store.cli.app"}

