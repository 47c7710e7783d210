"""Entry point of `its-store` and `python -m its_store`.

Two requests are answered before anything heavy is imported, because shells and scripts pay them on every
call: a completion script asking for names (`_ITS_STORE_COMPLETE=names`, cli/completion/complete.py: no
Typer, click, rich or pydantic while its cache answers) and `--version`.

The command line runs without pydantic plugins (PYDANTIC_DISABLE_PLUGINS, pydantic's documented switch) unless
the environment names them: looking them up reads the entry points of every installed distribution (~30 ms of
CPU per command in a development environment), for plugins that would instrument the CLI's own models.
`PYDANTIC_DISABLE_PLUGINS=` (empty) or any other value keeps pydantic's own behaviour. The library is not
affected: only this entry point sets it.

A few modules that libraries import at start-up for code its-store never runs on a command's path are loaded
on first use (DEFERRED, _defer): asyncio (pydantic_settings.main, for its own CLI-app runner: ~50M
instructions, ~4 % of an `ls` on an empty prefix), importlib.metadata (pydantic's plugin lookup, switched off
here, and urllib3's HTTP/2 probe of h2's version), configparser (minio's credential-file providers), tarfile
(minio's snowball upload) and subprocess (Typer's editor and shell detection): ~27M more together; and
stdlib modules loaded for messages, archives and forms no usual command needs (difflib, gettext, bz2, lzma,
calendar, tempfile, mimetypes, shlex) and the XML tree of s3/ (xml.etree.ElementTree: a GET or HEAD reads no XML,
a listing is read by expat itself): ~21M of a `get`, `ls` or `sync`, ~3-7M of `--help` and Typer's completion.
The module object runs its code on the first read of one of its names (_RunOnFirstUse; the stdlib's LazyLoader
runs it at the next import statement on 3.11); a name a library from-imports at start-up is a forwarding
function that runs the module's code on its first call (importlib.metadata's entry_points and version,
difflib's get_close_matches, gettext's gettext and ngettext). Only this entry
point does it, before anything imported them; a program importing the library keeps its own modules as they
are.

No cyclic collection runs while the command line starts (core/heap.collect_rarely_during_start_up): the
~50,000 objects of the imports and builds live until the process exits, and ~100 collections walked them for
nothing (~25-30 ms of CPU of an `ls`). The S3 client's construction ends the start-up (heap.start_up_done:
frozen, thresholds given back); a command that builds none runs with only the youngest generation's threshold
raised.

The command line runs in Python's UTF-8 mode whatever the locale (_in_utf8_mode): file names are the UTF-8
bytes of object keys on every machine. Under a Latin locale (tr_TR.ISO-8859-9) Python read the file name
`é.txt` as `Ã©.txt` and `upload -r` stored it under that key, so one folder had other keys there than anywhere
else; under an ASCII one a key such as `é.txt` could not be written at all. A process started in another mode
runs itself again with `-X utf8` (arguments and environment as they came: an argument's bytes are kept).

The console script and `python -m its_store` enter through `cli()`, which also skips the interpreter's
teardown once every exit handler has run (core/teardown.py); `main()` alone (a test, a caller that catches
SystemExit) ends as any Python program does.
"""

from __future__ import annotations

import _thread
import os
import sys
import types

from its_store.core import (
    heap,  # small (contextlib, which site has loaded): first, so no collection runs before it
    teardown,  # atexit and os only
)


def cli() -> None:
    """The process's own entry (console script, `python -m its_store`): main(), ended without the teardown."""
    _in_utf8_mode()
    teardown.end_without_teardown()
    try:
        main()
    except SystemExit as end:
        teardown.finished(end.code, sys._getframe(1))
        raise
    teardown.finished(0, sys._getframe(1))


def _in_utf8_mode() -> None:
    """Run again in UTF-8 mode when the locale gave file names another encoding (module docstring): the
    arguments go back to their bytes (os.execv encodes them as they were decoded), and the new process
    reads them, and every file name, as UTF-8. Where that cannot be done, this process goes on as it is.
    It starts as this one did (restart_argv): every interpreter flag, the same entry, the same arguments. Once:
    the process started again is marked (RESTARTED, taken out of its environment at once), and one still not in
    UTF-8 mode then (an interpreter that ignores -X utf8: an embedding or frozen executable) goes on as it is."""
    if os.environ.pop(RESTARTED, None) is not None:
        return
    if sys.flags.utf8_mode or sys.getfilesystemencoding().replace("-", "").lower() == "utf8" or not sys.executable:
        return
    try:
        os.execve(sys.executable, restart_argv(), {**os.environ, RESTARTED: "1"})
    except (OSError, ValueError):
        return


RESTARTED = "_ITS_STORE_UTF8_RESTARTED"  # in the environment of the process _in_utf8_mode started again


def restart_argv() -> list[str]:
    """The command line of this process again, in UTF-8 mode: `sys.orig_argv` as the interpreter got it, with
    `-X utf8` first (the first -X utf8 given wins: an `-X utf8=0` of the caller cannot make it run again and
    again). So every flag is kept as it was written: -I, -E, -s, -P (what is imported, and from where: a
    service started with -P never imports from its working folder, nor may it when run again), -O, and -u,
    -W, -X dev, -X importtime, ... which a list rebuilt from sys.flags dropped; the entry too (`-m
    its_store`, the console script as the script it is, a `-c` program). When sys.argv's arguments are not
    the tail of sys.orig_argv after the entry sys.argv[0] stands for (a program set sys.argv itself before
    calling cli(); with no arguments too, whose empty tail every command line has), the command is rebuilt:
    the flags that decide imports (interpreter_flags), `-m its_store` or the script, and sys.argv's arguments."""
    given, args = list(getattr(sys, "orig_argv", ())), sys.argv[1:]
    at = len(given) - len(args)  # where sys.argv's arguments start in sys.orig_argv, if they are its tail
    if at > 1 and given[at:] == args and _entry_is(given[:at], sys.argv[0] if sys.argv else ""):
        return [sys.executable, "-X", "utf8", *given[1:]]
    script = sys.argv[0] if sys.argv and sys.argv[0] and not sys.argv[0].endswith("__main__.py") else None
    again = [script] if script and os.path.isfile(script) else ["-m", "its_store"]
    return [sys.executable, *interpreter_flags(), "-X", "utf8", *again, *args]


def _entry_is(head: list[str], first: str) -> bool:
    """Whether `first` (sys.argv[0]) is what Python made of the entry that ends `head` (sys.orig_argv before the
    arguments): the script as given, `-c` for `-c CODE` (`-cCODE`), the module's file (its full path) for `-m
    MODULE` (`-mMODULE`). Not a program read from stdin (`-`): read to its end, run again it would be empty."""
    if first == "-":
        return False
    if head[-1] == first:
        return True
    option = head[-2] if len(head) > 2 and head[-2] in ("-c", "-m") else head[-1][:2]
    return (option == "-c" and first == "-c") or (option == "-m" and os.path.isabs(first))


def interpreter_flags() -> list[str]:
    """The flags this interpreter was started with that decide what it imports and from where (-I, -E, -s,
    -P), and -O: what restart_argv keeps when it cannot take sys.orig_argv as it is."""
    flags = sys.flags
    if flags.isolated:
        given = ["-I"]  # -E, -s and -P with it
    else:
        given = [flag for flag, on in (("-E", flags.ignore_environment), ("-s", flags.no_user_site),
                                       ("-P", getattr(flags, "safe_path", False))) if on]
    return given + (["-" + "O" * flags.optimize] if flags.optimize else [])


def main() -> None:
    heap.collect_rarely_during_start_up()  # until the S3 client exists (heap.start_up_done), or the end
    try:
        _main()
    finally:
        heap.start_up_done(freeze=False)  # no client built (a help, a cached name): the thresholds back all the same


def _main() -> None:
    if sys.stdout is None or sys.stderr is None:  # closed at start (`>&-`, `2>&-`): thrown away, no traceback
        from its_store.cli.stdout_lost import open_closed_streams
        open_closed_streams()
    if not (_blocking(0) and _blocking(1) and _blocking(2)):  # a pipe left O_NONBLOCK: wait, never fail or cut
        from its_store.cli.stdout_lost import wait_when_full
        wait_when_full()
    if os.environ.get("_ITS_STORE_COMPLETE") == "names":  # a TAB on a bucket, key, model or remote name
        _lighter_start()  # a cache miss builds the settings and the client
        from its_store.cli.completion.complete import main as names
        raise SystemExit(names(sys.argv[1:]))  # a cache miss builds the settings and the client: a start-up too
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from its_store._version import __version__
        from its_store.cli.stdout_lost import printed
        raise SystemExit(printed(f"its-store {__version__}\n"))
    _lighter_start()
    from its_store.core.limits import raise_open_files_limit
    raise_open_files_limit()  # --workers N needs descriptors: the soft limit up to the hard one (core/limits.py)
    from its_store.cli.app import run
    from its_store.cli.base import ItsCommand
    ItsCommand.freeze_heap = True  # this process is the command's: its start-up heap is frozen (cli/base.py)
    run()


def _blocking(fd: int) -> bool:
    """Whether `fd` is in blocking mode (True too when it cannot be asked: nothing to repair then)."""
    try:
        return os.get_blocking(fd)
    except OSError:
        return True


def _lighter_start() -> None:
    """What this process's start-up skips before it imports pydantic (module docstring): the plugin scan
    (unless the environment names plugins) and the code of the DEFERRED modules."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for name, forwarded in DEFERRED.items():
        _defer(name, forwarded)


class _RunOnFirstUse(types.ModuleType):
    """A module whose code runs on the first read of a name it does not have yet (its __spec__, __name__,
    __path__ and __file__ it has from the start, so that import statements find it without running it).

    The stdlib's importlib.util.LazyLoader cannot serve here on Python 3.11: every import statement reads
    the module's __spec__, which runs a LazyLoader module, so pydantic-settings' `import asyncio` would.
    One lock (_FIRST_USE) runs the code once: another thread asking for a name meanwhile waits until the
    code has run (it found a half-run module and an AttributeError before), while a name the code itself
    looks up before defining it is a plain miss, never a second run.

    A module that is not a package has no __path__, and its code defines none: asked for it, it says so
    without running. Every `from MODULE import NAME` asks (the import statement checks whether MODULE is a
    package), so a from-import of a forwarded name (`from difflib import get_close_matches`) ran the module."""

    def __getattr__(self, name: str) -> object:
        if name == "__path__" and self.__spec__ is not None and self.__spec__.submodule_search_locations is None:
            raise AttributeError(name)  # not a package (a package's __path__ is set from its spec at the start)
        if not _run(self):  # the module's own code, on a name it has not defined yet
            raise AttributeError(name)
        return getattr(self, name)


_FIRST_USE = _thread.RLock()  # _thread: no import (threading would be one more module at every start)
_RUNNING: set[int] = set()  # id() of the _RunOnFirstUse modules whose code runs now

# module -> the names libraries from-import of it at start-up (forwarding functions until its code runs)
DEFERRED: dict[str, tuple[str, ...]] = {
    "asyncio": (),  # pydantic_settings.main
    "importlib.metadata": ("entry_points", "version"),  # pydantic/plugin/_loader.py, urllib3/http2/__init__.py
    "configparser": (),  # minio/credentials/providers.py
    "tarfile": (),  # minio/api.py
    "subprocess": (),  # typer/main.py, typer/_completion_shared.py
    # stdlib modules imported at start-up for code no command's usual path runs (callgrind, instructions):
    "difflib": ("get_close_matches",),  # typer/core.py: "did you mean" of a mistyped command
    "gettext": ("gettext", "ngettext"),  # typer/core.py, argparse (pydantic_settings): messages translated
    "bz2": (), "lzma": (),  # shutil (typer): its archive formats
    "calendar": (),  # email/_parseaddr.py (urllib3, http.client): mktime_tz
    "tempfile": (),  # importlib/resources/_common.py (pydantic_settings), dotenv/main.py: rewrite()
    "mimetypes": (),  # urllib3/fields.py (multipart forms); its-store's own (core/mime.py) on upload
    "shlex": (),  # pydantic_settings' CLI source
    # its-store's own s3/ modules: the XML answers a command's usual path reads are parsed by expat itself
    # (s3/listing_page.py), or not read at all (a GET, a HEAD); a tree is built for the rest (governance, a
    # listing in an unusual form, multipart answers): ~6M instructions of a `get`
    "xml.etree.ElementTree": (),
}
# a deferred module whose import fails without its C part (a Python built without it): deferred only where that
# part is there, so that a library's `try: import lzma / except ImportError` still sees the truth (shutil's does)
_NEEDS: dict[str, str] = {"bz2": "_bz2", "lzma": "_lzma"}


def _run(module: types.ModuleType) -> bool:
    """Run the code of a _RunOnFirstUse `module` once (any thread: the others wait); False when called from
    inside that code itself (a name it has not defined yet), True once it has run. Code that raises (lzma on a
    Python built without _lzma) leaves no half-run module: out of sys.modules, still deferred (_forget)."""
    with _FIRST_USE:
        if id(module) in _RUNNING:
            return False
        if type(module) is _RunOnFirstUse:
            spec = module.__spec__
            assert spec is not None and spec.loader is not None
            _RUNNING.add(id(module))
            try:
                spec.loader.exec_module(module)
            except BaseException:  # kept deferred, so a name read again runs it again (and fails again)
                _forget(module)  # as the import system does: the next import statement imports it anew
                raise
            finally:
                _RUNNING.discard(id(module))
            module.__class__ = types.ModuleType  # type: ignore[assignment]  # back to a plain module
    return True


def _forget(module: types.ModuleType) -> None:
    """Take a deferred `module` whose code failed out of sys.modules (and its parent's attribute), as the
    import system takes a module whose import failed: never left half-run for the next import."""
    name = module.__name__
    if sys.modules.get(name) is module:
        del sys.modules[name]
    parent, _, child = name.rpartition(".")
    if parent and getattr(sys.modules.get(parent), child, None) is module:
        delattr(sys.modules[parent], child)


def _defer(name: str, forwarded: tuple[str, ...] = ()) -> None:
    """Make `import NAME` give a module whose code runs on first use (_RunOnFirstUse), with a forwarding
    function for each name in `forwarded` (module docstring). Nothing when NAME is loaded already (an
    embedding program keeps its own), or when the C module it needs (_NEEDS) is missing: imported then, it fails
    at once as it would have."""
    if name in sys.modules:
        return
    from importlib.util import find_spec, module_from_spec
    spec = find_spec(name)
    if spec is None or spec.loader is None or (name in _NEEDS and find_spec(_NEEDS[name]) is None):
        return
    module = module_from_spec(spec)
    for attr in forwarded:
        setattr(module, attr, _forwarding(module, attr))
    module.__class__ = _RunOnFirstUse
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:  # what the import system sets on a loaded submodule: `importlib.metadata` an attribute too
        setattr(sys.modules[parent], child, module)


def _forwarding(module: types.ModuleType, name: str) -> object:
    """`name` of a deferred module, before its code ran: the module's own function, run on first call.
    (No typing import for the hints: this module runs before anything else is loaded.)"""
    def forward(*args: object, **kwargs: object) -> object:
        _run(module)
        return getattr(module, name)(*args, **kwargs)
    forward.__name__ = forward.__qualname__ = name
    forward.__module__ = module.__name__
    return forward


if __name__ == "__main__":
    # `python -m its_store` runs this file as the process's __main__; runpy.run_module(..., run_name="__main__")
    # in another program does not (its caller may catch the SystemExit and go on): main() alone there
    if sys.modules["__main__"].__dict__ is globals():
        cli()
    else:
        main()
