"""Attack on registry/pull (session 36): a one-file model pulled onto a name that is a named pipe, a
device or a link to one. `get` refuses such a target (core/overwrite.take_over: as root `get KEY
/dev/null` replaced the machine's /dev/null), but `model pull NAME@V DEST` renamed the pulled file over
whatever DEST was: as root `model pull m@1 /dev/null` (or /dev/stdout, a link into /proc) made the
machine's /dev/null a regular file holding the model. The tests use a FIFO and a link to one in
tmp_path: the same decision, nothing of the machine at stake."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from conftest import one_line_error
from helpers import write_file


def _registered(cli: Any, tmp_path: Path, name: str) -> None:
    weights = write_file(tmp_path / "w.pt", 5_000, seed=3)
    run = cli("model", "register", str(weights), "--name", name, "--version", "1.0.0")
    assert run.exit_code == 0, run
    weights.unlink()


@pytest.mark.parametrize("through_link", [False, True])
def test_pull_onto_a_fifo_keeps_it(cli: Any, tmp_path: Path, through_link: bool) -> None:
    """Refused in one line (exit 2) as `get` refuses it: the FIFO (and the link to it) stays what it was,
    and no staging folder is left beside it."""
    _registered(cli, tmp_path, "fifo_target")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    dest = fifo
    if through_link:
        dest = tmp_path / "out"
        dest.symlink_to(fifo)
    run = cli("model", "pull", "fifo_target@1.0.0", str(dest))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), f"the FIFO was replaced by the model: {run}"
    assert os.path.islink(dest) == through_link, run
    assert run.exit_code == 2, run
    assert "named pipe" in one_line_error(run), run
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"pipe", dest.name}), "a staging folder was left"


def test_pull_over_a_file_keeps_its_mode(cli: Any, tmp_path: Path) -> None:
    """A pull over an existing regular file replaces it (as before) and keeps its permission bits, as
    `get` does: a 0600 model file stayed 0600 only by luck of the umask."""
    _registered(cli, tmp_path, "mode_target")
    dest = tmp_path / "model.pt"
    dest.write_bytes(b"old")
    dest.chmod(0o600)
    old = os.umask(0o022)
    try:
        run = cli("model", "pull", "mode_target@1.0.0", str(dest))
    finally:
        os.umask(old)
    assert run.exit_code == 0, run
    assert dest.stat().st_size == 5_000
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600, oct(dest.stat().st_mode)


def test_pull_onto_a_fifo_fetches_nothing(cli: Any, s3_server: Any, tmp_path: Path) -> None:
    """The FIFO is refused before the model file is fetched (registry/pull._final_target), not after a
    download of what may be gigabytes into a staging folder: no GET of the model's file reaches the server."""
    weights = write_file(tmp_path / "w.pt", 5_000, seed=4)
    run = cli("model", "register", str(weights), "--name", "fifo_fetch", "--version", "1.0.0")
    assert run.exit_code == 0, run
    weights.unlink()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    seen: list[Seen] = []
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=lambda s: seen.append(s)) as proxy:
        run = cli("model", "pull", "fifo_fetch@1.0.0", str(fifo), extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert run.exit_code == 2 and "named pipe" in one_line_error(run), run
    assert seen, "the pull went around the proxy: nothing would be seen"
    assert [s.target for s in seen if s.method == "GET" and s.path.endswith("/w.pt")] == [], "the file was fetched"
