"""Entry point of `its-store` and `python -m its_store`.

Two requests are answered before anything heavy is imported, because shells and scripts pay them on every
call: a completion script asking for names (`_ITS_STORE_COMPLETE=names`, cli/completion/complete.py: no
Typer, click, rich or pydantic while its cache answers) and `--version`.

The command line runs without pydantic plugins (PYDANTIC_DISABLE_PLUGINS, pydantic's documented switch) unless
the environment names them: looking them up reads the entry points of every installed distribution (~30 ms of
CPU per command in a development environment), for plugins that would instrument the CLI's own models.
`PYDANTIC_DISABLE_PLUGINS=` (empty) or any other value keeps pydantic's own behaviour. The library is not
affected: only this entry point sets it.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if os.environ.get("_ITS_STORE_COMPLETE") == "names":  # a TAB on a bucket, key, model or remote name
        from its_store.cli.completion.complete import main as names
        raise SystemExit(names(sys.argv[1:]))
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from its_store._version import __version__
        from its_store.cli.stdout_lost import printed
        raise SystemExit(printed(f"its-store {__version__}\n"))
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from its_store.cli.app import run
    from its_store.cli.base import ItsCommand
    ItsCommand.freeze_heap = True  # this process is the command's: its start-up heap is frozen (cli/base.py)
    run()


if __name__ == "__main__":
    main()
