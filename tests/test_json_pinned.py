"""The shape of every `--json` output, pinned: a script's field names are a public API (issue 21).

Each command with a `--json` option runs once, in a realistic state, against the session's SeaweedFS (one
module-scoped setup). Its output is reduced to a *shape*: for every key path (nested objects joined by ".",
list items merged under "[]") the set of JSON types seen there (str, number, bool, null, object, array;
int and float are one "number"). The shapes are committed under tests/data/json_pinned/, one file per
sample, and compared on every run:

- every pinned path is still there, with a type that was pinned for it;
- a path pinned as null may now hold anything; a path may become null only where the pin had null;
- new paths are fine (adding a field is allowed; renaming or dropping one is not).

JSON Lines outputs (listings, audit lines, the watcher's events) are pinned line by line: the lines are
merged into one shape per kind of line, told by the fields of LINE_KINDS (a watcher event, an audit
operation, a prefix or an object, a delete marker or a version), and each pinned kind must still be
printed. Values are never compared (ETags, times, version ids change from run to run); random bucket
names and the work folder, where they become keys, are written <tag> and <work>.

Where a sample needs a server feature, SeaweedFS has it (object lock, default encryption, policies,
lifecycle); the watcher runs as a subprocess (SIGTERM ends it); the webhook receiver is a local HTTP
server that first refuses (HTTP 400), then accepts.

A new command with `--json` fails `test_every_json_command_is_pinned` until it has a sample here. To
(re)write the pins after a deliberate change: `ITS_STORE_PIN_JSON=write pytest tests/test_json_pinned.py`,
then review the diff of tests/data/json_pinned/ like any other change to a public API.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, app_command, cli_runner, environment_for
from helpers import DEADLINE, ROOT, make_frames, write_file

PIN_DIR = Path(__file__).parent / "data" / "json_pinned"
WRITE = os.environ.get("ITS_STORE_PIN_JSON") == "write"
WATCH_EVENTS = ("started", "pass", "uploaded", "stopped")  # the watcher's events the scenario waits for
LINE_KINDS = ("event", "operation", "is_prefix", "is_delete_marker")  # fields that say what a JSON line is


# -- which commands have --json -----------------------------------------------------------------------

def json_commands() -> dict[str, Any]:
    """Every leaf command of the app with a `--json` option, by its words ("bucket lifecycle show")."""
    found: dict[str, Any] = {}

    def walk(command: Any, words: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)  # a group (click's public Group.commands)
        if subcommands is not None:
            for name, sub in subcommands.items():
                walk(sub, (*words, name))
        elif any("--json" in getattr(param, "opts", ()) for param in command.params):
            found[" ".join(words)] = command

    walk(app_command(), ())
    return found


# -- shapes ---------------------------------------------------------------------------------------------

def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def add_shape(value: Any, into: dict[str, set[str]], path: str = "$") -> dict[str, set[str]]:
    """Record the type of `value` at `path` and of everything below it (list items merged under [])."""
    into.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            add_shape(item, into, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            add_shape(item, into, f"{path}[]")
    return into


def group_of(line: Any) -> str:
    """The group a JSON Lines document is merged into, by the fields that say what kind of line it is
    (a watcher event, an audit operation, a prefix or an object, a delete marker or a version): merged
    with lines of other kinds, a field that is null in one kind would pin nothing for the other."""
    if not isinstance(line, dict):
        return "line"
    kinds = [f"{name}={json.dumps(line[name])}" for name in LINE_KINDS if name in line]
    return ",".join(kinds) or "line"


def shape_of(docs: list[Any], jsonl: bool) -> dict[str, dict[str, set[str]]]:
    """{group: {path: types}} of a command's output: one "document", or the JSON Lines grouped."""
    groups: dict[str, dict[str, set[str]]] = {}
    for doc in docs:
        add_shape(doc, groups.setdefault(group_of(doc) if jsonl else "document", {}))
    return groups


def differences(name: str, pinned: dict[str, dict[str, str]], now: dict[str, dict[str, set[str]]]) -> list[str]:
    """Each way `now` breaks `pinned` (see the module docstring), one readable line each."""
    problems = []
    for group, paths in sorted(pinned.items()):
        if group not in now:
            problems.append(f"{name}: no output line of kind {group!r} any more (pinned paths: {len(paths)}; "
                            f"kinds now: {sorted(now)})")
            continue
        for path, types in sorted(paths.items()):
            was = set(types.split("|"))
            got = now[group].get(path)
            if got is None:
                problems.append(f"{name}: [{group}] {path}: pinned {types}, now MISSING (renamed or dropped?)")
            elif "null" not in was and not got <= was:
                problems.append(f"{name}: [{group}] {path}: pinned {types}, now {'|'.join(sorted(got))}")
    return problems


def encoded(shape: dict[str, dict[str, set[str]]]) -> dict[str, dict[str, str]]:
    return {group: {path: "|".join(sorted(types)) for path, types in sorted(paths.items())}
            for group, paths in sorted(shape.items())}


# -- the samples ----------------------------------------------------------------------------------------

@dataclass
class Sample:
    """One CLI run whose --json output is pinned as `name` (tests/data/json_pinned/NAME.json)."""

    name: str
    command: str      # the command's words, as json_commands() names it
    argv: list[str]   # with this run's random names replaced by placeholders
    expect_exit: int
    jsonl: bool
    exit_code: int
    stdout: str
    stderr: str

    def docs(self) -> list[Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        if self.jsonl:
            return [json.loads(line) for line in lines]
        assert len(lines) == 1, f"{self.name}: --json printed {len(lines)} lines, not one document: {self.stdout!r}"
        return [json.loads(lines[0])]

    def check_ran(self) -> None:
        assert self.exit_code == self.expect_exit, (
            f"{self.name}: `its-store {' '.join(self.argv)}` exited {self.exit_code}, expected {self.expect_exit}; "
            f"stdout {self.stdout[:1500]!r} stderr {self.stderr[:1500]!r}")
        assert self.docs(), f"{self.name}: no JSON on stdout; stderr {self.stderr[:1500]!r}"


@dataclass
class World:
    """The module's one environment: server, buckets, a work folder, and the samples taken in it."""

    env: dict[str, str]
    cli: Callable[..., Run]
    work: Path
    tag: str
    samples: dict[str, Sample] = field(default_factory=dict)

    def hide(self, text: str) -> str:
        return text.replace(str(self.work), "<work>").replace(self.tag, "<tag>")

    def pin(self, name: str, *args: str, expect_exit: int = 0, jsonl: bool = False, input: bytes | None = None,
            extra_env: dict[str, str] | None = None) -> Sample:
        """Run `its-store ARGS --json` and keep it as sample `name`."""
        run = self.cli(*args, "--json", input=input, extra_env=extra_env)
        return self.keep(name, list(args), run.exit_code, run.stdout, run.stderr, expect_exit, jsonl)

    def keep(self, name: str, args: list[str], exit_code: int, stdout: str, stderr: str, expect_exit: int = 0,
             jsonl: bool = False) -> Sample:
        assert name not in self.samples, f"two samples named {name}"
        commands = json_commands()
        words = [w for w in args if not w.startswith("-")]
        command = next((" ".join(words[:n]) for n in range(len(words), 0, -1) if " ".join(words[:n]) in commands),
                       None)
        assert command is not None, f"{name}: {args[:3]} is no command with --json"
        sample = Sample(name, command, [self.hide(a) for a in [*args, "--json"]], expect_exit, jsonl, exit_code,
                        stdout, stderr)
        self.samples[name] = sample
        return sample

    def ok(self, *args: str, input: bytes | None = None, extra_env: dict[str, str] | None = None) -> Run:
        """Set-up through the CLI (not pinned): must succeed."""
        run = self.cli(*args, input=input, extra_env=extra_env)
        assert run.exit_code == 0, run
        return run


def take_samples(w: World) -> None:
    """Every sample, in an order that builds the state each needs (and removes things last)."""
    b, lk, empty = f"its-{w.tag}-data", f"its-{w.tag}-locked", f"its-{w.tag}-empty"
    models = w.env["MINIO_MODELS_BUCKET"]
    frame = write_file(w.work / "frame_0001.jpg", 20_000, seed=1)
    make_frames(w.work / "frames", cameras=2, per_camera=3, size=5_000)

    # -- admin and buckets
    w.pin("config", "config")
    w.pin("init", "init")
    w.pin("health", "health")
    w.pin("bucket_create", "bucket", "create", f"s3://{b}", "--preset", "video")
    w.pin("bucket_create+object-lock", "bucket", "create", f"s3://{lk}", "--object-lock")
    w.ok("bucket", "create", f"s3://{empty}")
    w.pin("bucket_ls", "bucket", "ls", jsonl=True)
    w.pin("bucket_versioning", "bucket", "versioning", f"s3://{b}")
    w.pin("bucket_versioning+on", "bucket", "versioning", f"s3://{b}", "on")

    # -- objects
    first = w.pin("upload", "upload", str(frame), f"s3://{b}/cam1/frame_0001.jpg", "--type", "video_frame",
                  "--meta", "camera_id=cam1", "--tag", "site=a4")
    w.pin("upload+stdin", "upload", "-", f"s3://{b}/cam1/frame_0001.jpg", "--type", "video_frame",
          input=b"second version")
    w.pin("upload+recursive", "upload", str(w.work / "frames"), f"s3://{b}/frames/", "-r", "--type", "video_frame")
    w.pin("upload+compress", "upload", str(frame), f"s3://{b}/packed/frame.jpg", "--compress", "zstd")
    w.pin("stat", "stat", f"s3://{b}/cam1/frame_0001.jpg")
    w.pin("stat+compressed", "stat", f"s3://{b}/packed/frame.jpg")
    w.ok("upload", "-", f"s3://{b}/readme.txt", input=b"an object beside the prefixes")
    w.pin("ls", "ls", f"s3://{b}/", jsonl=True)
    w.pin("ls+buckets", "ls", jsonl=True)
    w.pin("ls+recursive-metadata", "ls", f"s3://{b}/", "-r", "--metadata", jsonl=True)
    w.pin("get", "get", f"s3://{b}/cam1/frame_0001.jpg", str(w.work / "got.jpg"))
    w.pin("get+recursive", "get", f"s3://{b}/frames/", str(w.work / "got"), "-r")
    w.pin("presign", "presign", f"s3://{b}/cam1/frame_0001.jpg", "--expires", "30m")
    w.pin("tag_set", "tag", "set", f"s3://{b}/cam1/frame_0001.jpg", "review=done", "incident=42")
    w.pin("tag_get", "tag", "get", f"s3://{b}/cam1/frame_0001.jpg")
    w.pin("tag_rm", "tag", "rm", f"s3://{b}/cam1/frame_0001.jpg", "review")
    w.pin("tag_set+bucket", "tag", "set", f"s3://{b}", "team=cv")
    w.pin("cp", "cp", f"s3://{b}/cam1/frame_0001.jpg", f"s3://{b}/copy/")
    w.pin("cp+recursive", "cp", f"s3://{b}/frames/camera_001/", f"s3://{b}/copies/", "-r")
    w.pin("mv", "mv", f"s3://{b}/copy/frame_0001.jpg", f"s3://{b}/moved/")
    w.pin("du", "du", f"s3://{b}")
    w.pin("du+versions", "du", f"s3://{b}", "--versions")
    w.pin("verify", "verify", f"s3://{b}/frames/", "-r")
    w.pin("verify+folder", "verify", str(w.work / "frames"), f"s3://{b}/frames/")
    w.pin("sync", "sync", str(w.work / "frames"), f"s3://{b}/synced/")
    w.pin("sync+dry-run", "sync", str(w.work / "frames"), f"s3://{b}/planned/", "--dry-run")
    watch_sample(w, f"s3://{b}/watched/")

    # -- bucket configuration
    w.pin("bucket_lifecycle_show", "bucket", "lifecycle", "show", f"s3://{b}")
    w.pin("bucket_lifecycle_set", "bucket", "lifecycle", "set", f"s3://{b}", "--id", "tmp", "--prefix", "tmp/",
          "--expire-days", "7")
    w.pin("bucket_lifecycle_rm", "bucket", "lifecycle", "rm", f"s3://{b}", "--id", "tmp")
    w.pin("bucket_encryption_set", "bucket", "encryption", "set", f"s3://{b}")
    w.pin("bucket_encryption_show", "bucket", "encryption", "show", f"s3://{b}")
    w.pin("bucket_encryption_rm", "bucket", "encryption", "rm", f"s3://{b}")
    w.pin("bucket_policy_set", "bucket", "policy", "set", f"s3://{b}", "--public-read", "share/")
    w.pin("bucket_policy_show", "bucket", "policy", "show", f"s3://{b}")
    w.pin("bucket_policy_rm", "bucket", "policy", "rm", f"s3://{b}", "--yes")
    w.pin("bucket_info", "bucket", "info", f"s3://{b}")

    # -- versions and deletes
    v1 = json.loads(first.stdout)["version_id"]
    w.pin("rm+dry-run", "rm", f"s3://{b}/cam1/frame_0001.jpg", "--dry-run")
    w.pin("rm", "rm", f"s3://{b}/cam1/frame_0001.jpg")
    w.pin("ls+versions", "ls", f"s3://{b}/cam1/", "--versions", jsonl=True)
    w.pin("restore", "restore", f"s3://{b}/cam1/frame_0001.jpg", "--version-id", v1)
    w.pin("rm+recursive-dry-run", "rm", f"s3://{b}/frames/", "-r", "--dry-run")
    w.pin("rm+recursive", "rm", f"s3://{b}/frames/", "-r", "--yes")
    w.pin("rm+all-versions-dry-run", "rm", f"s3://{b}/moved/frame_0001.jpg", "--all-versions", "--dry-run")
    w.pin("rm+all-versions", "rm", f"s3://{b}/moved/frame_0001.jpg", "--all-versions", "--yes")

    # -- object lock (SeaweedFS has it)
    w.ok("upload", "-", f"s3://{lk}/ev/f.jpg", input=b"evidence")
    w.pin("retention_set", "retention", "set", f"s3://{lk}/ev/f.jpg", "--mode", "governance", "--days", "1")
    w.pin("retention_show", "retention", "show", f"s3://{lk}/ev/f.jpg")
    w.pin("legal-hold_on", "legal-hold", "on", f"s3://{lk}/ev/f.jpg")
    w.pin("legal-hold_show", "legal-hold", "show", f"s3://{lk}/ev/f.jpg")
    w.pin("legal-hold_off", "legal-hold", "off", f"s3://{lk}/ev/", "-r")
    w.pin("bucket_retention_set", "bucket", "retention", "set", f"s3://{lk}", "--mode", "governance", "--days", "1")
    w.pin("bucket_retention_show", "bucket", "retention", "show", f"s3://{lk}")
    w.pin("bucket_retention_rm", "bucket", "retention", "rm", f"s3://{lk}")

    # -- the model registry
    weights = write_file(w.work / "det.pt", 3_000, seed=7)
    folder = w.work / "det_folder"
    write_file(folder / "weights.pt", 2_000, seed=8)
    write_file(folder / "labels" / "names.txt", 100, seed=9)
    w.pin("model_register", "model", "register", str(weights), "--name", "det", "--version", "1.0.0",
          "-m", "accuracy=0.91", "--tag", "team=cv", "--dataset", "s3://datasets/traffic@3", "--run-id", "run-1",
          "--description", "first")
    w.ok("model", "register", str(weights), "--name", "det", "--version", "1.0.1", "--no-git")
    w.ok("model", "register", str(weights), "--name", "det", "--version", "1.0.2", "--no-git")
    w.pin("model_register+folder", "model", "register", str(folder), "--name", "det", "--version", "1.1.0",
          "-m", "accuracy=0.94", "--parent", "det@1.0.0")
    w.pin("model_register+variant", "model", "register", str(weights), "--name", "det", "--version", "1.1.0",
          "--variant", "onnx")
    w.pin("model_list", "model", "list", "det", jsonl=True)
    w.pin("model_list+offline", "model", "list", "det", "--offline", jsonl=True)
    w.pin("model_show", "model", "show", "det@1.1.0")
    w.pin("model_show+offline", "model", "show", "det@1.1.0", "--offline")
    w.pin("model_promote", "model", "promote", "det@1.1.0", "production")
    w.pin("model_aliases", "model", "aliases", "det")
    w.pin("model_lineage", "model", "lineage", "det@1.1.0")
    w.pin("model_diff", "model", "diff", "det@1.0.0", "@1.1.0")
    w.pin("model_verify", "model", "verify", "det@1.1.0")
    w.pin("model_url", "model", "url", "det@1.1.0", "--expires", "30m")
    w.pin("model_url+one-file", "model", "url", "det@1.0.0")
    w.pin("model_pull", "model", "pull", "det@production", str(w.work / "pulled"))
    w.pin("model_pull+one-file", "model", "pull", "det@1.0.0", str(w.work / "pulled.pt"))
    w.pin("model_seal", "model", "seal", "det@1.0.0")
    w.pin("model_rm", "model", "rm", "det@1.0.2", "--yes")
    w.pin("model_gc+dry-run", "model", "gc", "det", "--keep-last", "1", "--older-than", "0s", "--dry-run")
    w.pin("model_gc", "model", "gc", "det", "--keep-last", "1", "--older-than", "0s", "--yes")
    webhook_samples(w)

    # -- local state
    w.pin("cache_stats", "cache", "stats")
    w.pin("cache_prune", "cache", "prune", "--max-size", "0")
    w.pin("cache_clear", "cache", "clear")
    w.pin("stats", "stats")
    w.pin("stats+reset", "stats", "--reset")
    w.pin("audit_tail", "audit", "tail", jsonl=True)
    w.pin("audit_ship", "audit", "ship")

    # -- named remotes: one on the same server, in a config folder of its own
    config = {"XDG_CONFIG_HOME": str(w.work / "config")}
    (w.work / "edge.key").write_text(w.env["MINIO_SECRET_KEY"])
    w.pin("remote_add", "remote", "add", "edge", f"http://{w.env['MINIO_ENDPOINT']}", "--access-key",
          w.env["MINIO_ACCESS_KEY"], "--secret-key-file", str(w.work / "edge.key"), "--region", "us-east-1",
          extra_env=config)
    w.pin("remote_ls", "remote", "ls", jsonl=True, extra_env=config)
    w.pin("remote_show", "remote", "show", "edge", extra_env=config)
    w.pin("remote_test", "remote", "test", "edge", extra_env=config)
    w.pin("ls+remote", "ls", f"edge:{b}/", jsonl=True, extra_env=config)
    w.pin("remote_rm", "remote", "rm", "edge", extra_env=config)

    # -- removals last, and one error document
    w.pin("bucket_rm", "bucket", "rm", f"s3://{empty}")
    w.pin("bucket_rm+force", "bucket", "rm", f"s3://{b}", "--force", "--yes")
    w.pin("error+not-found", "stat", f"s3://{models}/no/such/key.bin", expect_exit=3)
    w.pin("error+hint", "get", f"s3://{models}/det/", str(w.work / "x"), expect_exit=2)


def webhook_samples(w: World) -> None:
    """`model webhooks flush`: first while the receiver refuses (HTTP 400: the event stays in the outbox,
    exit 69; a refusal is not retried, so no backoff is waited out), then once it accepts."""
    answer = [400]
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(answer[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # a quick shutdown()
    hook = {"MINIO_MODEL_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/hooks/its",
            "MINIO_MODEL_WEBHOOK_SECRET": "whsec-pinned"}
    try:
        w.ok("model", "promote", "det@1.0.0", "staging", extra_env=hook)  # refused: kept in the outbox
        w.pin("model_webhooks_flush+refused", "model", "webhooks", "flush", expect_exit=69, extra_env=hook)
        answer[0] = 204
        w.pin("model_webhooks_flush", "model", "webhooks", "flush", extra_env=hook)
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 3, received  # the promote's try, the refused flush, the delivery


def watch_sample(w: World, dest: str) -> None:
    """`sync DIR DEST --watch --json` in a subprocess: started, pass; a file dropped, uploaded; SIGTERM,
    stopped. Only those events are kept (others, like settling, depend on timing)."""
    folder = w.work / "drop"
    folder.mkdir()
    args = ["sync", str(folder), dest, "--watch", "--settle", "0.3"]
    errors = w.work / "watch.stderr"
    with errors.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "its_store", *args, "--json"], stdout=subprocess.PIPE,
                                stderr=stderr, text=True, cwd=w.work, stdin=subprocess.DEVNULL,
                                env={**os.environ, **w.env, "PYTHONPATH": str(ROOT)})
    stdout = proc.stdout
    assert stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()  # None: the watcher closed its stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []

    def wait_for(event: str) -> None:
        deadline = time.monotonic() + DEADLINE  # a safety net only: the condition is the event itself
        while not any(json.loads(line).get("event") == event for line in seen):
            assert time.monotonic() < deadline, f"no {event!r} event from the watcher: {seen}"
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            assert line is not None, f"the watcher exited before {event!r}: {seen} {errors.read_text()!r}"
            seen.append(line)

    try:
        wait_for("pass")
        write_file(folder / "frame.jpg", 4_000, seed=5)
        wait_for("uploaded")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=DEADLINE)
        reader.join(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (line := lines.get()) is not None:
        seen.append(line)
    kept = [line for line in seen if json.loads(line).get("event") in WATCH_EVENTS]
    w.keep("sync+watch", args, proc.returncode, "".join(kept), errors.read_text(), jsonl=True)


@pytest.fixture(scope="module")
def world(s3_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One environment and every sample, taken once for the module."""
    tag = f"pin{secrets.token_hex(4)}"
    buckets = {"default": f"its-{tag}-default", "video": f"its-{tag}-video", "models": f"its-{tag}-models",
               "logs": f"its-{tag}-logs"}
    work = tmp_path_factory.mktemp("json_pinned")
    patch = pytest.MonkeyPatch()
    try:
        env = environment_for(s3_server, buckets, patch, work)
        w = World(env, cli_runner(env), work, tag)
        take_samples(w)
        if WRITE:
            write_pins(w)
        yield w
    finally:
        patch.undo()


def write_pins(w: World) -> None:
    """ITS_STORE_PIN_JSON=write: the pins from this run (each sample must have run as expected)."""
    for sample in w.samples.values():
        sample.check_ran()
    PIN_DIR.mkdir(parents=True, exist_ok=True)
    for old in PIN_DIR.glob("*.json"):
        old.unlink()
    for sample in w.samples.values():
        shape = encoded(shape_of(sample.docs(), sample.jsonl))
        shape = {group: {w.hide(path): types for path, types in paths.items()} for group, paths in shape.items()}
        doc = {"command": sample.command, "argv": sample.argv, "exit_code": sample.expect_exit,
               "format": "jsonl" if sample.jsonl else "json", "shape": shape}
        (PIN_DIR / f"{sample.name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def pinned_names() -> list[str]:
    return sorted(p.stem for p in PIN_DIR.glob("*.json"))


# -- the tests ------------------------------------------------------------------------------------------

def test_every_json_command_is_pinned(world: World) -> None:
    """A command with --json and no sample fails here: add a w.pin(...) to take_samples() and write the pins."""
    pinned = {json.loads((PIN_DIR / f"{name}.json").read_text())["command"] for name in pinned_names()}
    sampled = {s.command for s in world.samples.values()}
    missing = sorted(set(json_commands()) - (sampled & pinned))
    assert not missing, (
        f"these commands have --json but no pinned sample: {missing}. Add a w.pin(...) for each to take_samples() "
        f"in tests/test_json_pinned.py, then run `ITS_STORE_PIN_JSON=write pytest tests/test_json_pinned.py` "
        f"and commit tests/data/json_pinned/")
    assert set(pinned_names()) == set(world.samples), (
        f"pins without a sample: {sorted(set(pinned_names()) - set(world.samples))}; samples without a pin: "
        f"{sorted(set(world.samples) - set(pinned_names()))} (ITS_STORE_PIN_JSON=write rewrites the pins)")


@pytest.mark.parametrize("name", pinned_names())
def test_json_shape_is_kept(world: World, name: str) -> None:
    """Every pinned key path is still there with a pinned type (see the module docstring)."""
    sample = world.samples.get(name)
    if WRITE and sample is None:
        return  # ITS_STORE_PIN_JSON=write just removed this stale pin (it was collected before the rewrite)
    assert sample is not None, f"{name} is pinned but take_samples() no longer takes it"
    pin = json.loads((PIN_DIR / f"{name}.json").read_text())
    sample.check_ran()
    now = {group: {world.hide(path): types for path, types in paths.items()}
           for group, paths in shape_of(sample.docs(), sample.jsonl).items()}
    problems = differences(f"its-store {' '.join(pin['argv'])}", pin["shape"], now)
    assert not problems, "the --json output changed shape (a renamed or dropped field breaks scripts):\n" + \
        "\n".join(problems)


def test_shape_rules() -> None:
    """The comparison itself: renamed, dropped, retyped and newly-null fields fail; added fields, int vs
    float and anything where the pin had null pass."""
    pinned = encoded(shape_of([{"a": 1, "b": None, "c": [{"d": "x"}], "e": "s"}], jsonl=False))
    same = shape_of([{"a": 2.5, "b": {"z": 1}, "c": [{"d": "y", "new": 1}], "e": "t", "f": True}], jsonl=False)
    assert differences("x", pinned, same) == []
    renamed = shape_of([{"a": 1, "b": None, "c": [{"dd": "x"}], "e": "s"}], jsonl=False)
    assert differences("x", pinned, renamed) == ["x: [document] $.c[].d: pinned str, now MISSING (renamed or dropped?)"]
    nulled = shape_of([{"a": 1, "b": None, "c": [{"d": None}], "e": 3}], jsonl=False)
    assert differences("x", pinned, nulled) == ["x: [document] $.c[].d: pinned str, now null",
                                                "x: [document] $.e: pinned str, now number"]
    events = encoded(shape_of([{"event": "a", "k": "x"}, {"event": "b", "n": 1}], jsonl=True))
    assert differences("x", events, shape_of([{"event": "a", "k": "y"}], jsonl=True)) == [
        "x: no output line of kind 'event=\"b\"' any more (pinned paths: 3; kinds now: ['event=\"a\"'])"]
    listing = [{"key": "p/", "is_prefix": True, "etag": None}, {"key": "k", "is_prefix": False, "etag": "e"}]
    assert sorted(shape_of(listing, jsonl=True)) == ["is_prefix=false", "is_prefix=true"]


def modelled() -> list[str]:
    """The pinned samples whose command's result model is listed in cli/schemas.RESULTS, and the error
    documents (samples named error+...)."""
    from its_store.cli.schemas import RESULTS
    names = []
    for name in pinned_names():
        pin = json.loads((PIN_DIR / f"{name}.json").read_text())
        if name.startswith("error+") or pin["command"] in RESULTS:
            names.append(name)
    return names


@pytest.mark.parametrize("name", modelled())
def test_json_is_a_model_dump(world: World, name: str) -> None:
    """`--json` prints `model_dump(mode="json")` of the command's result model and nothing else: each document
    validates as one of the command's models (cli/schemas.RESULTS; the error document for a failure) and dumps
    back to exactly what was printed."""
    from its_store.cli import schemas
    sample = world.samples[name]
    sample.check_ran()
    paths = (schemas.ERROR,) if name.startswith("error+") else schemas.RESULTS[sample.command].models
    if sample.expect_exit != 0:  # a report on stdout (exit 1, 69, ...) or the error document
        paths = (*paths, schemas.ERROR)
    for doc in sample.docs():
        dumps = []
        for path in paths:
            try:
                dumps.append(schemas.model(path).model_validate(doc).model_dump(mode="json"))
            except ValueError:
                continue
        assert doc in dumps, f"{name}: {json.dumps(doc)[:600]} is not a dump of any of {paths}"
