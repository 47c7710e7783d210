"""Entry point of `its-store` and `python -m its_store`.

Two requests are answered before anything heavy is imported, because scripts and shells pay them on
every call: shell completion (cli/completion/fast.py, from a generated command table; it hands back to the
Typer app whatever it cannot answer exactly like it) and `--version`.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if any(name.endswith("_COMPLETE") for name in os.environ):  # maybe a completion request (TAB)
        from its_store.cli.completion.fast import main as complete
        code = complete()
        if code is not None:
            raise SystemExit(code)
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from its_store._version import __version__
        sys.stdout.write(f"its-store {__version__}\n")
        return
    from its_store.cli.app import run
    run()


if __name__ == "__main__":
    main()
