"""cp, mv and sync between two endpoints from the command line (cli/locations.cross_endpoint), end to end.

The session SeaweedFS is the default endpoint (MINIO_*, `s3://`) and also the remote `edge`; the second
SeaweedFS (conftest.second_seaweed, shared with test_xcopy.py) is the remote `central`. Both remotes are
defined by variables alone (ITS_STORE_REMOTE_*), as in a systemd unit. Everything is checked on the
destination server itself, key by key. The --json documents keep the shapes pinned for the same commands
within one endpoint (tests/data/json_pinned/).

The edge recipe of README.md's "Many endpoints" section (and of docs/guides/many-endpoints.md) runs here as
written, its command lines read from the README: test_edge_recipe_runs_as_written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import queue
import re
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_json_pinned import PIN_DIR, differences, shape_of
from test_xcopy import body, context_on, described, listed, plain_client_of, put

from its_store.core import errors as E
from its_store.service.context import Context

from conftest import SMALL_THRESHOLD as T
from conftest import Run, cli_runner, one_line_error, unique
from helpers import DEADLINE, JPEG_HEADER, ROOT, random_bytes

DOCS = ROOT / "README.md", ROOT / "docs" / "guides" / "many-endpoints.md"


@dataclass
class Two:
    """The two endpoints of a test: `edge` (the default endpoint and the remote edge) and `central`."""

    cli: Any
    edge: Context
    central: Context
    env: dict[str, str]
    tmp: Path


@pytest.fixture
def two(env: dict[str, str], service: Any, second_seaweed: Any, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Iterator[Two]:
    """No remotes file (an empty XDG_CONFIG_HOME); `edge` with its secret in a variable, `central` with its
    secret in a file, both from variables only."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path.parent / f"{tmp_path.name}-config"))
    for name in list(os.environ):
        if name.startswith("ITS_STORE_REMOTE_"):
            monkeypatch.delenv(name)
    key = tmp_path.parent / f"{tmp_path.name}-central.key"
    key.write_text(second_seaweed.secret_key + "\n")
    for name, value in {"EDGE_ENDPOINT": f"http://{env['MINIO_ENDPOINT']}", "EDGE_ACCESS_KEY": env["MINIO_ACCESS_KEY"],
                        "EDGE_SECRET_KEY": env["MINIO_SECRET_KEY"],
                        "CENTRAL_ENDPOINT": f"http://{second_seaweed.endpoint}",
                        "CENTRAL_ACCESS_KEY": second_seaweed.access_key, "CENTRAL_SECRET_KEY_FILE": str(key)}.items():
        monkeypatch.setenv(f"ITS_STORE_REMOTE_{name}", value)
    central = context_on(second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key,
                         tmp_path.parent / f"{tmp_path.name}-central")
    invoke = cli_runner(env)

    def cli(*args: str, **kw: Any) -> Run:
        run = invoke(*args, **kw)
        assert second_seaweed.secret_key not in run.stdout + run.stderr, "central's secret key in the output"
        return run

    yield Two(cli, service.ctx, central, env, tmp_path)
    central.close()


def ok(run: Run) -> Run:
    assert run.exit_code == 0, run
    return run


def seed(ctx: Context, bucket: str, *, parts: bool = False) -> dict[str, bytes]:
    """Objects of several kinds under cams/: typed, with metadata and tags; tagged only; empty; stored
    zstd-compressed; with `parts`, one of two parts (5 MiB and one byte)."""
    ctx.s3.make_bucket(bucket)
    tree = {"cams/c1/f1.jpg": JPEG_HEADER + random_bytes(3000, 1), "cams/c1/f2.json": b'{"speed": 88}',
            "cams/c1/empty.txt": b"", "cams/c2/log.txt": b"line\n" * 4000}
    put(ctx, bucket, "cams/c1/f1.jpg", tree["cams/c1/f1.jpg"], content_type="image/jpeg",
        metadata={"camera": "c1", "site": "a7"}, tags={"site": "a7", "kind": "frame"})
    put(ctx, bucket, "cams/c1/f2.json", tree["cams/c1/f2.json"], tags={"k": "v"})
    put(ctx, bucket, "cams/c1/empty.txt", b"", content_type="text/plain")
    put(ctx, bucket, "cams/c2/log.txt", tree["cams/c2/log.txt"], compression="zstd", metadata={"shift": "night"})
    if parts:
        tree["cams/c2/clip.bin"] = random_bytes(T + 1, 2)
        put(ctx, bucket, "cams/c2/clip.bin", tree["cams/c2/clip.bin"], part_size=T, metadata={"camera": "c2"})
    return tree


def same_as_source(two: Two, sb: str, db: str, keys: dict[str, str]) -> None:
    """Each source key's copy (keys: source -> destination) has its bytes as stored, content type, user
    metadata and tags, read from each server."""
    for key, there in keys.items():
        assert described(two.central, db, there) == described(two.edge, sb, key), key
        assert body(two.central, db, there) == body(two.edge, sb, key), key


def versioned(ctx: Context, bucket: str) -> str:
    """A versioned bucket, as the pinned samples' (their version_id is a string)."""
    ctx.s3.make_bucket(bucket)
    ctx.s3.set_versioning(bucket, True)
    return bucket


def pinned_shape(pin: str, run: Run) -> None:
    """The --json of `run` keeps the shape pinned for `pin` (the same command within one endpoint)."""
    pinned = json.loads((PIN_DIR / f"{pin}.json").read_text())
    now = shape_of([json.loads(run.stdout)], jsonl=False)
    assert differences(f"cross-endpoint {pin}", pinned["shape"], now) == []


# ---------------------------------------------------------------------------------------- cp and mv
def test_cp_and_cp_r_between_two_remotes(two: Two) -> None:
    sb, db = unique("xs"), versioned(two.central, unique("xd"))
    tree = seed(two.edge, sb, parts=True)
    one = ok(two.cli("cp", f"edge:{sb}/cams/c1/f1.jpg", f"central:{db}/one/", "--json"))
    pinned_shape("cp", one)
    doc = one.json()
    assert doc["objects"][0]["source"] == f"s3://{sb}/cams/c1/f1.jpg" and doc["objects"][0]["verified"] is True
    same_as_source(two, sb, db, {"cams/c1/f1.jpg": "one/f1.jpg"})

    tree_copy = ok(two.cli("cp", "-r", f"edge:{sb}/cams/", f"central:{db}/copy/", "--json"))
    pinned_shape("cp+recursive", tree_copy)
    assert tree_copy.json()["succeeded"] == len(tree) and tree_copy.json()["failed"] == 0
    same_as_source(two, sb, db, {k: "copy/" + k[len("cams/"):] for k in tree})
    assert body(two.central, db, "copy/c2/clip.bin") == tree["cams/c2/clip.bin"]
    assert two.central.s3.stat(db, "copy/c2/log.txt").metadata["x-amz-meta-its-codec"] == "zstd"  # as stored
    assert two.central.s3.list_multipart_uploads(db) == []

    human = ok(two.cli("cp", "-r", f"edge:{sb}/cams/c1/", f"central:{db}/again/"))
    assert f"copied edge:{sb}/cams/c1/ → central:{db}/again/ (3 objects" in human.stderr, human
    assert listed(two.edge, sb) == sorted(tree)  # a copy leaves its source


def test_mv_with_the_default_endpoint_on_either_side(two: Two) -> None:
    """Default endpoint -> remote, then remote -> default endpoint: each source goes only once its copy is
    checked."""
    sb, db = unique("xs"), unique("xd")
    tree = seed(two.edge, sb)
    before = {k: described(two.edge, sb, k) for k in tree}
    moved = ok(two.cli("mv", "-r", f"s3://{sb}/cams/", f"central:{db}/moved/", "--json")).json()
    assert moved["succeeded"] == len(tree) and all(i["deleted"] and i["verified_by"] for i in moved["objects"])
    assert listed(two.edge, sb) == []
    for key, was in before.items():
        assert described(two.central, db, "moved/" + key[len("cams/"):]) == was, key
    ok(two.cli("mv", f"central:{db}/moved/c1/f1.jpg", f"s3://{sb}/back/f1.jpg"))
    assert described(two.edge, sb, "back/f1.jpg") == before["cams/c1/f1.jpg"]
    assert body(two.edge, sb, "back/f1.jpg") == tree["cams/c1/f1.jpg"]
    assert "moved/c1/f1.jpg" not in listed(two.central, db)


# ---------------------------------------------------------------------------------------------- sync
def test_sync_between_endpoints_dry_run_and_delete(two: Two) -> None:
    sb, db = unique("xs"), versioned(two.central, unique("xd"))
    tree = seed(two.edge, sb)
    two.central.s3.put(db, "mirror/stale.txt", b"not in the source", {})
    dry = ok(two.cli("sync", f"edge:{sb}/cams/", f"central:{db}/mirror/", "--delete", "--dry-run", "--json"))
    pinned_shape("sync+dry-run", dry)
    report = dry.json()
    assert report["totals"]["copied"] == len(tree) and report["totals"]["deleted"] == 1
    assert report["source"] == f"edge:{sb}/cams/" and report["dest"] == f"central:{db}/mirror/"  # as typed
    assert listed(two.central, db) == ["mirror/stale.txt"]  # a dry run changes nothing

    done = ok(two.cli("sync", f"edge:{sb}/cams/", f"central:{db}/mirror/", "--delete", "--json"))
    pinned_shape("sync", done)
    assert done.json()["totals"]["copied"] == len(tree) and done.json()["totals"]["deleted"] == 1
    same_as_source(two, sb, db, {k: "mirror/" + k[len("cams/"):] for k in tree})
    assert listed(two.central, db) == sorted("mirror/" + k[len("cams/"):] for k in tree)

    put(two.edge, sb, "cams/c1/f2.json", b'{"speed": 101}', tags={"k": "v2"})  # 13 -> 14 bytes: changed
    lines = ok(two.cli("sync", f"edge:{sb}/cams/", f"central:{db}/mirror/"))
    assert lines.stdout == "copy\tc1/f2.json\tsize differs\n", lines  # one line per item, as within one endpoint
    assert lines.stderr.startswith(f"copied 1 (14 B), deleted 0, unchanged {len(tree) - 1}, "), lines
    assert two.central.s3.get_tags(db, "mirror/c1/f2.json") == {"k": "v2"}

    back = ok(two.cli("sync", f"central:{db}/mirror/", f"s3://{sb}/back/", "--json")).json()  # to the default
    assert back["totals"]["copied"] == len(tree) and back["dest"] == f"s3://{sb}/back/"
    assert body(two.edge, sb, "back/c1/f2.json") == b'{"speed": 101}'


# ------------------------------------------------------------------------------------- what is refused
def test_a_hash_mismatch_is_exit_4_and_mv_keeps_the_source(two: Two) -> None:
    """A source whose bytes are not its its-sha256 (written by another tool): cp and mv stop with exit 4,
    nothing appears on the destination, and mv keeps the source; in a mv -r the good objects still move."""
    sb, db = unique("xs"), unique("xd")
    two.edge.s3.make_bucket(sb)
    data = random_bytes(2000, 5)
    plain_client_of(two.edge).put_object(sb, "cams/bad.bin", io.BytesIO(data), len(data),
                                         metadata={"x-amz-meta-its-sha256": hashlib.sha256(b"other").hexdigest()})
    put(two.edge, sb, "cams/good.bin", b"good frame")
    for verb in ("cp", "mv"):
        run = two.cli(verb, f"edge:{sb}/cams/bad.bin", f"central:{db}/bad.bin")
        assert run.exit_code == E.EXIT_INTEGRITY and "sha256 mismatch" in one_line_error(run), run
    assert not two.central.s3.bucket_exists(db) or listed(two.central, db) == []
    tree = two.cli("mv", "-r", f"edge:{sb}/cams/", f"central:{db}/m/", "--json")
    assert tree.exit_code == E.EXIT_INTEGRITY, tree
    assert [e["key"] for e in tree.json()["errors"]] == ["cams/bad.bin"]
    assert listed(two.edge, sb) == ["cams/bad.bin"] and body(two.edge, sb, "cams/bad.bin") == data
    assert listed(two.central, db) == ["m/good.bin"] and two.central.s3.list_multipart_uploads(db) == []


def test_unknown_remotes_and_misplaced_keys_write_nothing(two: Two) -> None:
    sb, db = unique("xs"), unique("xd")
    seed(two.edge, sb)
    key = two.tmp / "a.key"
    key.write_bytes(secrets.token_bytes(32))
    for args in (["cp", f"nowhere:{sb}/cams/c1/f1.jpg", f"central:{db}/f1.jpg"],
                 ["cp", "-r", f"edge:{sb}/cams/", f"nowhere:{db}/"],
                 ["mv", f"edge:{sb}/cams/c1/f1.jpg", f"nowhere:{db}/f1.jpg"],
                 ["sync", f"edge:{sb}/cams/", f"nowhere:{db}/"], ["sync", f"nowhere:{db}/", f"central:{db}/"]):
        run = two.cli(*args)
        assert run.exit_code == E.EXIT_CONFIG and "unknown remote 'nowhere'" in one_line_error(run), (args, run)
    for args in (["cp", f"s3://{sb}/cams/c1/f1.jpg", f"edge:{sb}/k"], ["sync", str(two.tmp), f"central:{db}/"],
                 ["cp", "-r", f"central:{db}/", str(two.tmp / "down")]):
        run = two.cli(*args, "--source-sse-c-key-file", str(key))  # one endpoint, or a local side: one key
        assert run.exit_code == E.EXIT_USAGE and "--source-sse-c-key-file" in one_line_error(run), (args, run)
    assert not two.central.s3.bucket_exists(db) and not (two.tmp / "down").exists()
    assert listed(two.edge, sb) == sorted(seed_keys())


def seed_keys() -> list[str]:
    return ["cams/c1/empty.txt", "cams/c1/f1.jpg", "cams/c1/f2.json", "cams/c2/log.txt"]


def test_sse_c_key_of_each_side(two: Two) -> None:
    """An SSE-C source read with its own key and stored under another: --source-sse-c-key-file and
    --sse-c-key-file. Without a key for the copy it is refused (exit 2), nothing written."""
    from its_store.codec.encryption import read_key_file
    sb, db = unique("xs"), unique("xd")
    two.edge.s3.make_bucket(sb)
    a, b = two.tmp / "a.key", two.tmp / "b.key"
    a.write_bytes(secrets.token_bytes(32))
    b.write_bytes(secrets.token_bytes(32))
    put(two.edge, sb, "secret.bin", b"plate ABC-123", sse="c", sse_c_key_file=a)
    refused = two.cli("cp", f"edge:{sb}/secret.bin", f"central:{db}/secret.bin", "--source-sse-c-key-file", str(a))
    assert refused.exit_code == E.EXIT_USAGE, refused
    assert not two.central.s3.bucket_exists(db) or listed(two.central, db) == []
    ok(two.cli("cp", f"edge:{sb}/secret.bin", f"central:{db}/secret.bin", "--source-sse-c-key-file", str(a),
               "--sse-c-key-file", str(b)))
    assert body(two.central, db, "secret.bin", read_key_file(b).headers()) == b"plate ABC-123"
    synced = ok(two.cli("sync", f"edge:{sb}/", f"central:{db}/s/", "--source-sse-c-key-file", str(a),
                        "--sse-c-key-file", str(b), "--json")).json()
    assert synced["totals"]["copied"] == 1
    assert body(two.central, db, "s/secret.bin", read_key_file(b).headers()) == b"plate ABC-123"


# ------------------------------------------------------------------------------------- the edge recipe
def recipe(text: str, heading: str) -> list[list[str]]:
    """The `its-store` command lines of the first ```sh block under `heading`: continuation lines joined,
    comments dropped, each split as a shell would."""
    section = text[text.index(heading):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, f"no ```sh block under {heading!r}"
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip().startswith("its-store ")]


def exec_lines(text: str) -> list[list[str]]:
    """The commands of the `ExecStart=` lines and the cron line of the guide's recipe."""
    found = [shlex.split(m) for m in re.findall(r"ExecStart=/usr/local/bin/(its-store [^\n]+)", text)]
    found += [shlex.split(m) for m in re.findall(r"^\*/10 [^\n]*? (its-store sync [^>\n]+?)\s*>>", text, re.M)]
    return found


class Watcher:
    """`its-store sync DIR DEST --watch --json` in a subprocess, its JSON Lines events read as they come."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, errors: Path) -> None:
        with errors.open("w") as stderr:
            self.proc = subprocess.Popen([sys.executable, "-m", "its_store", *argv, "--json"], env=env, cwd=cwd,
                                         stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True)
        self.errors, self.lines, self.seen = errors, queue.Queue[str | None](), list[dict[str, Any]]()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, done: Any, what: str) -> None:
        """Until `done(events)` holds: each event is a line the watcher printed (a real condition; the
        deadline is only a safety net)."""
        deadline = time.monotonic() + DEADLINE
        while not done(self.seen):
            assert time.monotonic() < deadline, f"no {what} from the watcher: {self.seen}"
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            assert line is not None, f"the watcher exited before {what}: {self.seen} {self.errors.read_text()!r}"
            self.seen.append(json.loads(line))

    def uploaded(self) -> set[str]:
        return {e["key"] for e in self.seen if e.get("event") == "uploaded"}

    def stop(self) -> int:
        """SIGTERM, as `systemctl stop` sends; its exit code, once every line it printed is read."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=DEADLINE)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        while (line := self.lines.get(timeout=DEADLINE)) is not None:  # its stdout is closed: the end comes
            self.seen.append(json.loads(line))
        return code


def test_edge_recipe_runs_as_written(two: Two, second_seaweed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """README's edge recipe, its command lines read from README.md (the guide's systemd and cron lines run
    the same commands): the centre added as a remote with a rush-hour timetable, the watcher (a subprocess)
    puts each new frame into the box's own endpoint, stopped by SIGTERM; the replication copies them to the
    centre, where they are checked. Only the names are the test's: servers, key file, folder, bucket.

    The timetable is in force but never makes the test wait: in its slowest slot (512 KiB/s) the budget's
    burst is 128 KiB, more than all the frames together; the replication's bytes pass through the
    process's limiter of that timetable (its counter moves)."""
    readme, guide = (path.read_text() for path in DOCS)
    commands = recipe(readme, "## Many endpoints")
    assert [c[:2] for c in commands] == [["its-store", "remote"], ["its-store", "sync"], ["its-store", "sync"]]
    assert recipe(guide, "## Edge recipe")[0] == commands[0]  # the guide's remote add is the README's
    assert exec_lines(guide)[:2] == commands[1:] and exec_lines(guide)[2] == commands[2]  # units and cron

    bucket, folder, key = unique("its-video"), two.tmp / "cam_07", two.tmp / "central.key"
    folder.mkdir()
    key.write_text(second_seaweed.secret_key + "\n")
    two.edge.s3.make_bucket(bucket)  # the box's MinIO has its bucket (its-store init)
    for name in list(os.environ):  # the recipe adds the remote `central` to the remotes file itself
        if name.startswith("ITS_STORE_REMOTE_CENTRAL_"):
            monkeypatch.delenv(name)
    names = {"https://s3.its-central.example:9000": f"http://{second_seaweed.endpoint}",
             "depot-07": second_seaweed.access_key, "/etc/its/central.key": str(key),
             "/var/lib/cameras/cam_07": str(folder), "its-video": bucket}

    def ours(argv: list[str]) -> list[str]:
        out = []
        for word in argv[1:]:  # without the leading `its-store`
            for theirs, mine in names.items():
                word = word.replace(theirs, mine)
            out.append(word)
        return out

    add, watch, replicate = (ours(c) for c in commands)
    ok(two.cli(*add))
    timetable = ok(two.cli("remote", "show", "central", "--json")).json()["bwlimit"]
    from its_store.core.bwlimit import BURST_SECONDS, parse_bwlimit, shared_limiter
    limit = parse_bwlimit(timetable)
    assert limit == parse_bwlimit("07:00,512k 10:00,4M 16:00,512k 19:00,off") and len(limit.slots) == 4

    frames = {f"frame_{n:04d}.jpg": JPEG_HEADER + random_bytes(20_000, n) for n in range(1, 4)}
    assert sum(map(len, frames.values())) < 512 * 1024 * BURST_SECONDS  # the slowest slot never waits
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    watcher = Watcher(watch, env, two.tmp, two.tmp / "watch.stderr")
    try:
        watcher.wait_for(lambda seen: any(e.get("event") == "pass" for e in seen), "first pass")
        for name, data in frames.items():
            (folder / name).write_bytes(data)
        expected = {f"cam_07/{name}" for name in frames}
        watcher.wait_for(lambda seen: watcher.uploaded() >= expected, "uploaded events of every frame")
    finally:
        code = watcher.stop()
    assert code == 0 and watcher.uploaded() == expected, (code, watcher.seen, watcher.errors.read_text())
    assert [e["event"] for e in watcher.seen][-1] == "stopped"

    limiter = shared_limiter(limit)
    assert limiter is not None
    sent, slept = limiter.moved["up"], limiter.slept["up"]
    run = ok(two.cli(*replicate))
    assert f"copied {len(frames)} (" in run.stderr, run
    assert limiter.moved["up"] - sent >= sum(map(len, frames.values()))  # paced by the centre's timetable ...
    assert limiter.slept["up"] == slept  # ... and, within its burst, never made to wait
    for name, data in frames.items():
        assert body(two.central, bucket, f"cam_07/{name}") == data
        assert described(two.central, bucket, f"cam_07/{name}") == described(two.edge, bucket, f"cam_07/{name}")
    again = ok(two.cli(*replicate, "--json")).json()
    assert again["totals"]["copied"] == 0 and again["totals"]["unchanged"] == len(frames)
