"""How a process runs a watcher: `sync DIR s3://B/PREFIX/ --watch` builds one from the command's locations
(watcher_for) and runs it in the main thread until SIGTERM or Ctrl-C (serve). Split from sync/watch.py
(the watcher itself), which still offers both names (core/lazy.py).
"""

from __future__ import annotations

from typing import Any

from its_store.core import errors as E
from its_store.sync.watch import Watcher


def watcher_for(service: Any, source: str, dest: str, sync_options: Any = None, **kw: Any) -> Watcher:
    """The Watcher of `sync SOURCE DEST --watch`: SOURCE a local folder, DEST s3://BUCKET[/PREFIX/]
    (a prefix without its trailing '/' gets one, as sync does); anything else is InvalidInputError."""
    from its_store.sync.copy import parse_location
    src, dst = parse_location(source), parse_location(dest)
    if src.remote or not dst.remote:
        raise E.InvalidInputError("--watch uploads a local folder: use `sync DIR s3://BUCKET/PREFIX/ --watch`")
    if sync_options is not None and (sync_options.delete or sync_options.dry_run):
        raise E.InvalidInputError("--watch takes neither --delete nor --dry-run")
    assert src.path is not None and dst.bucket is not None
    if not src.path.is_dir():
        raise E.LocalFileNotFoundError(f"{source} is not a folder")
    prefix = dst.key if (not dst.key or dst.key.endswith("/")) else dst.key + "/"
    upload = sync_options.upload if sync_options is not None else None
    return Watcher(service, src.path.resolve(), dst.bucket, prefix, sync_options=sync_options,
                   upload_options=upload, **kw)


def serve(watcher: Watcher) -> int:
    """Run `watcher` in the main thread until SIGTERM (exit 0), SIGHUP (129) or Ctrl-C / SIGINT (exit 130):
    each finishes the uploads in flight and leaves the rest in the journal. SIGHUP (a closed terminal)
    had the CLI's default, an exception through the loop: the upload in flight finished on its daemon
    thread after the journal was closed, and the next start sent its file again. An ignored SIGHUP (nohup)
    stays ignored, as the CLI leaves it (cli/signals.stop_on_signals), and so does an ignored SIGINT (sh
    starts a background command `... &` with it ignored; Python leaves it so): a Ctrl-C meant for the
    script's foreground command stopped the watcher."""
    import signal

    def on_signal(signum: int, _frame: Any) -> None:
        watcher.stop(signal.Signals(signum).name)

    stops = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {sig: signal.signal(sig, on_signal) for sig in stops
                if sig == signal.SIGTERM or signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        watcher.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return {"SIGINT": 130, "SIGHUP": 129, "error": 1}.get(watcher.stopped_by, 0)
