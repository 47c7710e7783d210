"""Entry point of `its-store` and `python -m its_store`.

`--version` is answered before anything else is imported: it is what a cron job or a completion
script pays on every call.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from ._version import __version__
        sys.stdout.write(f"its-store {__version__}\n")
        return
    from .cli.app import run
    run()


if __name__ == "__main__":
    main()
