"""Findings of an attack on the promises of issues 19 and 20 (docs/reliability.md: hostile input,
missing privileges, two identities; docs/contributing.md "Tests and servers": four servers, one
behaviour), one step off the tested paths. Each test reproduces one finding against the real servers of
the suite and FAILS until it is fixed; the docstring says what happened and which promise it breaks.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_watch import Events, make_watcher, running

from helpers import boto3_client, random_bytes

BAD_NAME = b"frame\xff\xfe.jpg"  # a file name that is not UTF-8 (Latin-1 firmware, a hostile camera user)


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _no_unexpected(run: Any) -> None:
    assert "unexpected" not in run.stderr, run
    assert "Traceback" not in run.stderr, run


# -- 1. a malformed webhook URL: its token printed, 'unexpected', every model command broken ------------------

def test_malformed_webhook_url_never_prints_its_token_nor_breaks_model_commands(cli, tmp_path: Path) -> None:
    """MINIO_MODEL_WEBHOOK_URL=http://127.0.0.1:99999/hook/TOKEN (a port out of range, a typo) made
    `model register` exit 1 with `its-store: error: unexpected LocationParseError: Failed to parse:
    http://127.0.0.1:99999/hook/TOKEN` (the token printed in full) AFTER the version was stored; then
    every later model command, read-only ones included (`model list`, `model aliases`), died the same
    way (the piggy-backed outbox flush parses the URL outside its try: s3/webhook.post).
    Promised: a webhook never fails the registry command, the URL is shown only as
    scheme://host:port/..., every error is one line with a documented code, never "unexpected"."""
    token = "TOKEN-4f1c9e0b"
    hook = {"MINIO_MODEL_WEBHOOK_URL": f"http://127.0.0.1:99999/hook/{token}"}
    model = tmp_path / "m.pt"
    model.write_bytes(b"weights")
    runs = [cli("model", "register", str(model), "-n", "det", "--version", "1.0.0", extra_env=hook)]
    runs.append(cli("model", "list", extra_env=hook))
    runs.append(cli("model", "aliases", "det", extra_env=hook))
    for run in runs:
        assert token not in run.stdout + run.stderr, run
        _no_unexpected(run)
        assert run.exit_code in (0, 78), run  # delivered later (a warning) or refused as configuration


# -- 2. the watcher stops for good on a file name that is not UTF-8 ------------------------------------------

def test_watcher_survives_a_file_name_that_is_not_utf8(service: Any, bucket: str, tmp_path: Path) -> None:
    """One file named b'frame\\xff\\xfe.jpg' in the watched folder: the kernel-event thread (watchfiles)
    raised 'Unable to decode path ... to string', the watcher emitted `failed ... file events stopped`
    and stopped (exit 1); restarted, it stopped again at once while the file is there. One badly named
    file ends the uploads of a whole camera folder. Promised: a local problem with one item is that
    item's failure (reported), the rest goes on; the watcher keeps running."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    with running(make_watcher(service, folder, bucket, events)) as watcher:
        with open(os.path.join(os.fsencode(folder), BAD_NAME), "wb") as f:
            f.write(b"odd")
        (folder / "good.jpg").write_bytes(random_bytes(2_000, seed=1))
        events.wait(lambda: "cams/good.jpg" in events.uploaded_keys()
                    or any(e.get("code") == "watch_error" for e in events.of("failed")))
        stopped = [e for e in events.of("failed") if e.get("code") == "watch_error"]
        assert not stopped, stopped
        assert watcher.stopped_by != "error"
    assert "cams/good.jpg" in events.uploaded_keys()


# -- 3. a local file name that is not UTF-8: 'unexpected UnicodeEncodeError' ------------------------------------

@pytest.mark.parametrize("command", ["sync", "cp", "upload"])
def test_local_name_that_is_not_utf8_is_that_files_failure(cli, bucket: str, tmp_path: Path, command: str) -> None:
    """A folder holding b'frame\\xff\\xfe.jpg' and ok.jpg: `sync DIR s3://...`, `cp -r` and `upload FILE`
    ended with `its-store: error: unexpected UnicodeEncodeError: 'utf-8' codec can't encode characters
    ...: surrogates not allowed` (exit 1): the key holds the surrogate escapes of the name, validate_key
    lets them through, and the audit log's encode('utf-8') raises. `sync` stopped the whole run there;
    the library's upload_object raises the bare UnicodeEncodeError. Promised: every error one line with
    a documented code, never "unexpected"; a local problem of one item is that item's failure."""
    folder = tmp_path / "up"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), BAD_NAME)
    with open(bad, "wb") as f:
        f.write(b"odd")
    (folder / "ok.jpg").write_bytes(b"fine")
    if command == "sync":
        run = cli("sync", str(folder), f"s3://{bucket}/up/")
    elif command == "cp":
        run = cli("cp", "-r", str(folder), f"s3://{bucket}/up/")
    else:
        run = cli("upload", os.fsdecode(bad), f"s3://{bucket}/up/")
    _no_unexpected(run)
    assert run.exit_code in (1, 2), run
    if command != "upload":
        assert cli("stat", f"s3://{bucket}/up/ok.jpg").exit_code == 0  # the other file went on


# -- 4. a folder swapped for a symlink while a download runs: files written outside ---------------------------

@pytest.mark.parametrize("argv", [["get", "-r"], ["cp", "-r"], ["mv", "-r"], ["sync", "-w", "1"]],
                         ids=["get-r", "cp-r", "mv-r", "sync"])
def test_folder_swapped_for_a_link_during_a_download_is_not_followed(cli, s3_server, tmp_path: Path,
                                                                       argv: list[str]) -> None:
    """get -r / cp -r / mv -r / sync s3 -> local into a folder another local user can write: the
    parent folder of a key is checked (safe_local_path: realpath, cached per folder) before the GET,
    then written by path (atomic_target: open(join(parent, temp)), os.replace). Replacing dest/cam by
    a link to another folder while the GET of cam/a.jpg is in flight (held in a proxy: no timing) made
    every run write cam/*.jpg into that other folder (mv -r then deleted the sources). Promised:
    "nothing escapes a folder"; folder symlinks that lead out of the target folder are refused."""
    client = boto3_client(s3_server)
    name = f"race-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=name)
    for key in ("cam/a.jpg", "cam/b.jpg", "cam/c.jpg"):
        client.put_object(Bucket=name, Key=key, Body=b"FRAME " + key.encode())
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    swapped: list[str] = []

    def answer(seen: Seen) -> bytes | None:  # the other user's move, while the first GET is in flight
        if seen.method == "GET" and seen.path.endswith("/cam/a.jpg") and not swapped:
            swapped.append(seen.path)
            if (dest / "cam").exists():
                os.rename(dest / "cam", tmp_path / "cam.before")
            os.symlink(outside, dest / "cam")
        return None

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli(*argv, f"s3://{name}/", str(dest), extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert swapped, run
    _no_unexpected(run)
    assert sorted(os.listdir(outside)) == [], run


# -- 5. SeaweedFS stores '\\' in a key as '/': sync --delete then hides what it just uploaded ------------------

def test_backslash_in_a_local_name_is_not_uploaded_under_another_key(cli, bucket: str, tmp_path: Path) -> None:
    """A local file 'a\\b.txt' (a legal Linux name): SeaweedFS 4.48 stores the key 'up/a\\b.txt' as
    'up/a/b.txt'. `upload`/`sync` report 'up/a\\b.txt' uploaded (the answer is not checked against the
    key), and every second `sync DIR s3://.../up/ --delete` uploads it again and then deletes
    'up/a/b.txt' as "not in the source": the run says `copy a\\b.txt new` and exits 0, and the file is
    absent from the bucket afterwards. Downloads already refuse a backslash (local_name_problem);
    uploads must not create a key the server renames. Promised: nothing deleted that was not asked for;
    what a run reports as copied is there."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a\\b.txt").write_bytes(b"evidence")
    (folder / "c.txt").write_bytes(b"other")
    for _ in range(2):
        run = cli("sync", str(folder), f"s3://{bucket}/up/", "--delete")
        _no_unexpected(run)
    listed = [e["key"] for e in cli("--json", "ls", "-r", f"s3://{bucket}/up/").jsonl()]
    if run.exit_code == 0:  # it said every file is there: then it is, under the key it reported
        assert "up/a\\b.txt" in listed, (run, listed)
    else:  # or the name is refused and reported, and nothing is deleted in its place
        assert "a\\b.txt" in run.stdout + run.stderr or "a\\\\b.txt" in run.stdout + run.stderr, run
        assert "delete" not in run.stdout, run


# -- 6. sync s3 -> local: a local write error reported as "vanished", exit 0 ---------------------------------

def test_sync_down_local_write_error_is_a_failure_not_vanished(cli, s3_server, tmp_path: Path) -> None:
    """sync s3 -> local, the destination's sub-folder removed while a GET is in flight (another process
    cleaning up; held in a proxy): the write fails with ENOENT, raised as LocalFileNotFoundError, which
    sync's _guarded takes for "the source vanished since it was listed": `skip cam/a.jpg vanished`,
    exit 0, while the object is on the server and the file is not on disk. Promised: a local OS error
    on one item is that item's failure (one line naming the path and the reason), and the run exits 1."""
    client = boto3_client(s3_server)
    name = f"van-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="cam/a.jpg", Body=b"FRAME")
    dest = tmp_path / "dest"
    dest.mkdir()
    removed: list[str] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "GET" and seen.path.endswith("/cam/a.jpg") and not removed:
            removed.append(seen.path)
            shutil.rmtree(dest / "cam", ignore_errors=True)
        return None

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli("--json", "sync", f"s3://{name}/", str(dest), extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert removed, run
    if not (dest / "cam" / "a.jpg").is_file():
        items = [e for e in run.jsonl() if e.get("path", e.get("key", "")).endswith("a.jpg")]
        assert run.exit_code == 1, run
        assert not any(e.get("reason") == "vanished" for e in items), items


# -- 7. upload -r: one odd name refuses the whole folder without naming the file -----------------------------

def test_upload_recursive_names_the_file_whose_name_is_refused(cli, bucket: str, tmp_path: Path) -> None:
    """`upload -r DIR` where one of many files is named 'x\\ny.jpg': the whole upload is refused with
    `its-store: error: object key contains control characters` (exit 2): nothing uploaded and no word of
    which file (cp -r and mv -r of the same folder report `failed: DIR/sub/x\\ny.jpg: ...` and upload the
    rest). Promised: one clear line; a skipped or refused item is reported with its name."""
    folder = tmp_path / "frames"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "x\ny.jpg").write_bytes(b"odd")
    (folder / "ok.jpg").write_bytes(b"fine")
    run = cli("upload", "-r", str(folder), f"s3://{bucket}/f/")
    _no_unexpected(run)
    assert run.exit_code in (1, 2), run
    assert "x\\ny.jpg" in run.stderr, run


# -- 8. model pull into /proc: 'no such file or directory', exit 3 ------------------------------------------

def test_model_pull_into_a_folder_without_new_files_is_exit_1(cli, tmp_path: Path) -> None:
    """`model pull det@1.0.0 /proc/self/x` said `cannot write to /proc/self: no such file or directory`
    and exited 3 (not found), while `get KEY /proc/self/x` says the folder does not allow new files and
    exits 1 (commit 39aeb04 fixed atomic_target; model pull stages elsewhere). Promised: one line with
    the documented code for a local write error (1)."""
    model = tmp_path / "m.pt"
    model.write_bytes(b"weights")
    assert cli("model", "register", str(model), "-n", "det", "--version", "1.0.0").exit_code == 0
    run = cli("model", "pull", "det@1.0.0", "/proc/self/x")
    _no_unexpected(run)
    assert run.exit_code == 1, run
    assert "no such file or directory" not in run.stderr, run



# -- 9. a FIFO in the local state folder hangs every command (and holds the stats lock) ------------------------

def _run_beside_fifo(fifo: Path, argv: list[str], stdin: bytes = b"") -> tuple[int, str, bool]:
    """Run `python -m its_store ARGV`; whenever the FIFO gets a reader (its-store opened it), write one
    byte and close it, which unblocks that reader, and note it. No timing: the loop ends when the
    process does; the deadline is only a net."""
    import subprocess
    import sys
    import time
    source = fifo.parent.parent / "stdin.bin"
    source.write_bytes(stdin)
    with open(source, "rb") as feed:
        proc = subprocess.Popen([sys.executable, "-m", "its_store", *argv], stdin=feed,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    opened = False
    deadline = time.monotonic() + 60
    try:
        while proc.poll() is None:
            assert time.monotonic() < deadline, "its-store hung"
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)  # ENXIO while nobody reads it
            except OSError:
                time.sleep(0.02)
                continue
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):  # the FIFO was set aside, a regular file rebuilt
                os.close(fd)
                time.sleep(0.02)
                continue
            opened = True
            os.write(fd, b"{")
            os.close(fd)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err.decode(errors="replace"), opened


@pytest.mark.parametrize("where", ["stats", "offline"])
def test_a_fifo_in_the_state_folder_is_never_opened_for_reading(env: dict[str, str], bucket: str, cli,
                                                                tmp_path: Path, where: str) -> None:
    """MINIO_CACHE_DIR/stats.json replaced by a FIFO (another user of a shared cache folder, or a
    mistake): `upload`, `get`, `stats` and every command that flushes statistics blocked forever in
    read_text() at exit (state/stats.StatsStore._read), holding stats.lock, so every other its-store
    run on the box queued behind it; the same with a FIFO for an offline manifest
    (models/offline/<id>/manifests/NAME.json): `model list --offline` hung. Promised: no FIFO blocking;
    local state that is not what we wrote is one warning and rebuilt (core/files.open_regular exists
    for this: open without blocking, check the descriptor)."""
    import hashlib
    cache = Path(env["MINIO_CACHE_DIR"])
    if where == "stats":
        cache.mkdir(parents=True, exist_ok=True)
        fifo = cache / "stats.json"
        argv = ["upload", "-", f"s3://{bucket}/x.txt"]
    else:
        model = tmp_path / "m.pt"
        model.write_bytes(b"weights")
        assert cli("model", "register", str(model), "-n", "det", "--version", "1.0.0").exit_code == 0
        assert cli("model", "list").exit_code == 0  # the offline copy now knows det
        digest = hashlib.sha256(f"{env['MINIO_ENDPOINT']}/{env['MINIO_MODELS_BUCKET']}".encode()).hexdigest()[:16]
        fifo = cache / "models" / "offline" / digest / "manifests" / "det.json"
        assert fifo.is_file()
        fifo.unlink()
        argv = ["model", "list", "--offline"]
    os.mkfifo(fifo)
    code, err, opened = _run_beside_fifo(fifo, argv, stdin=b"frame")
    assert not opened, f"its-store opened the FIFO {fifo.name} for reading (it blocks there forever): {err}"
    assert code == 0, err


# -- 10. MINIO_ENDPOINT with user info or an unclosed IPv6 bracket: 'unexpected ValueError' ----------------------

@pytest.mark.parametrize("endpoint", ["http://user:pw@127.0.0.1:9000", "[::1"])
def test_malformed_endpoint_is_a_configuration_error(cli, bucket: str, endpoint: str) -> None:
    """MINIO_ENDPOINT=http://user:pw@127.0.0.1:9000 ended `its-store: error: unexpected ValueError:
    username in endpoint is not allowed` (minio's Minio() constructor), and MINIO_ENDPOINT=[::1 `unexpected
    ValueError: Invalid IPv6 URL`, both exit 1, where every other malformed endpoint (a path, a port out
    of range, an empty port, another scheme) is one line `MINIO_ENDPOINT: ...`, exit 78. Promised: bad
    configuration is exit 78 with one line, never "unexpected"."""
    run = cli("ls", f"s3://{bucket}/", extra_env={"MINIO_ENDPOINT": endpoint})
    _no_unexpected(run)
    assert run.exit_code == 78, run
    assert "pw@" not in run.stderr, run


# -- 11. a folder swapped for a link after the walk: upload -r / cp -r / sync read, mv -r deletes, outside -----

@pytest.mark.parametrize("argv", [["upload", "-r"], ["cp", "-r"], ["mv", "-r"], ["sync"]],
                         ids=["upload-r", "cp-r", "mv-r", "sync"])
def test_folder_swapped_for_a_link_after_the_walk_is_not_read_nor_removed(cli, bucket: str, s3_server,
                                                                            tmp_path: Path, argv: list[str]) -> None:
    """upload -r / cp -r / mv -r / sync of a folder another local user can write (a camera drop folder,
    run by root from cron): the walk skips links, then each file is opened by its whole path
    (core/files.open_regular: O_NOFOLLOW guards the last component only). Replacing src/cam by a link
    to a root-only folder while the first PUT is in flight (held in a proxy: no timing) uploaded that
    folder's b.jpg ('ROOT SECRET') as cam/b.jpg, and mv -r then DELETED the root-only file outside the
    source folder. The watcher opens folder by folder with O_NOFOLLOW (sync/watch_source.open_source);
    these paths do not. Promised: "what is uploaded is what was checked", links are skipped and
    reported, nothing deleted that was not asked for."""
    src, secret = tmp_path / "src", tmp_path / "secret"
    (src / "cam").mkdir(parents=True)
    secret.mkdir()
    (src / "a.jpg").write_bytes(b"frame a")
    (src / "cam" / "b.jpg").write_bytes(b"frame b")
    (secret / "b.jpg").write_bytes(b"ROOT SECRET")
    swapped: list[str] = []

    def answer(seen: Seen) -> bytes | None:  # the other user's move, while a.jpg's PUT is in flight
        if seen.method == "PUT" and seen.path.endswith("/a.jpg") and not swapped:
            swapped.append(seen.path)
            os.rename(src / "cam", tmp_path / "cam.before")
            os.symlink(secret, src / "cam")
        return None

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli(*argv, str(src), "-w", "1", f"s3://{bucket}/up/", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert swapped, run
    _no_unexpected(run)
    assert (secret / "b.jpg").is_file(), f"a file outside the source folder was removed: {run}"
    got = boto3_client(s3_server)
    try:
        stored = got.get_object(Bucket=bucket, Key="up/cam/b.jpg")["Body"].read()
    except Exception:  # noqa: BLE001 - not uploaded at all: what we want (or the original frame)
        stored = b""
    assert stored != b"ROOT SECRET", run
