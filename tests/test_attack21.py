"""Attacks one step off the tested path of issue 21 ("One context, typed results"): the service's life
(close while another thread works, the process-wide services after close), server answers and stored
documents that the typed results must take or refuse as the server's fault, never as the user's.

Each test drives the real library or CLI against tests/faultserver.py on loopback; nothing is
monkeypatched. No timing: a stalled request is held on an Event until the test has acted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer

from its_store import Settings, StorageService, UploadRequest
from its_store.core.errors import ItsStoreError

from conftest import ServerInfo, cli_runner, environment_for

BUCKETS = {"default": "atk", "video": "atk-video", "models": "atk-models", "logs": "atk-logs"}
SAFETY = 60.0  # seconds: a safety net for a wait that should end at once, never a measure


@pytest.fixture(scope="module")
def fake() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def reset(fake: FaultServer) -> FaultServer:
    """The fake server as new: the four buckets, no objects, documents, handler or requests."""
    with fake._lock:
        fake.requests.clear()
    fake.handler = None
    fake.garble.clear()
    fake.objects.clear()
    fake.uploads.clear()
    fake.configs.clear()
    fake.locked = set()
    fake.buckets = set(BUCKETS.values())
    return fake


@pytest.fixture
def cli(reset: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    env = environment_for(ServerInfo(reset.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS, monkeypatch,
                          tmp_path)
    monkeypatch.setenv("MINIO_MAX_RETRIES", "0")
    monkeypatch.setenv("MINIO_ENABLE_CACHING", "false")
    return cli_runner(env)


def settings_for(server: FaultServer, tmp_path: Path, **more: Any) -> Settings:
    """Settings built in code (no environment) for the fake server, state under tmp_path."""
    return Settings(endpoint=server.endpoint, access_key="fakeaccess", secret_key="fake-secret-key-0123",
                    max_retries=0, cache_dir=tmp_path / "state", audit_log=tmp_path / "state" / "audit.log",
                    default_bucket=BUCKETS["default"], models_bucket=BUCKETS["models"],
                    video_bucket=BUCKETS["video"], logs_bucket=BUCKETS["logs"], **more)


# ---------------------------------------------------------------------------------------------- lifecycle
def test_close_while_another_thread_uploads_stops_its_requests(reset: FaultServer, tmp_path: Path) -> None:
    """close() while a multipart upload runs on another thread: the upload used to go on through the closed
    service's client (parts and CompleteMultipartUpload sent after close, the object stored) and then
    raise "this StorageService is closed" from its post-check, so the caller was told it failed while
    the object was there. Now a closed service's client sends nothing more but the abort of that upload
    (session 32: nothing half-uploaded is left on the server): the upload fails, the object is not stored."""
    arrived, release = threading.Event(), threading.Event()

    def stall_first_part(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method == "PUT" and "partNumber" in req.query and not arrived.is_set():
            conn.read_body(req)
            arrived.set()
            release.wait(SAFETY)
        return False  # then answered as S3 would

    reset.handler = stall_first_part
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (11 * 1024 * 1024))
    svc = StorageService(settings_for(reset, tmp_path, multipart_threshold="5MiB"))
    outcome: dict[str, Any] = {}

    def upload() -> None:
        try:
            outcome["ok"] = svc.upload_object(UploadRequest(bucket=BUCKETS["default"], key="big.bin",
                                                            file_path=source, part_size=5 * 1024 * 1024,
                                                            workers=1, compression="none"))
        except ItsStoreError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=upload)
    worker.start()
    try:
        assert arrived.wait(SAFETY)
        svc.close()
        seen = len(reset.requests)
    finally:
        release.set()
        worker.join(SAFETY)
    assert not worker.is_alive()
    assert "error" in outcome and "closed" in str(outcome["error"]), outcome
    # the one request a closed client still sends: the abort of the upload it leaves (session 32,
    # tests/test_atk32b_library_close.py), on a fresh connection; no further part, no completion
    after = [(r.method, r.target) for r in reset.requests[seen:]]
    assert after == [("DELETE", "/atk/big.bin?uploadId=up1")], after
    assert (BUCKETS["default"], "big.bin") not in reset.objects


def test_the_process_wide_registry_follows_the_process_wide_service(cli: Callable[..., Any],
                                                                   reset: FaultServer) -> None:
    """get_storage_service() builds a new service once the shared one was closed (`with
    get_storage_service() as svc:` closes it); get_model_registry() kept returning the registry over the
    closed one, so every registry call of the process failed with "this StorageService is closed"."""
    from its_store import get_model_registry, get_storage_service
    get_model_registry()  # built over the shared service
    with get_storage_service() as svc:
        pass
    assert svc.closed
    try:
        registry = get_model_registry()
        assert registry.service is get_storage_service() and not registry.service.closed
        assert registry.list_models() == []
        assert reset.seen("GET"), "the registry asked the server"
    finally:
        get_storage_service().close()


def test_a_registry_over_a_closed_service_sends_nothing(reset: FaultServer, tmp_path: Path) -> None:
    """A registry whose service was closed: its compare-and-swap store held the service's S3 client and
    went on reading alias documents through it (one GET after close, a pool silently reopened)."""
    import json

    from faultserver import FakeObject

    from its_store import ModelRegistry
    doc = {"name": "m", "aliases": {"prod": "1.0.0"}, "history": []}
    reset.put_object(BUCKETS["models"], "m/_aliases.json", FakeObject(json.dumps(doc).encode()))
    svc = StorageService(settings_for(reset, tmp_path))
    registry = ModelRegistry(svc)
    assert registry.get_aliases("m").aliases == {"prod": "1.0.0"}
    svc.close()
    seen = len(reset.requests)
    with pytest.raises(ItsStoreError, match="closed"):
        registry.get_aliases("m")
    assert reset.requests[seen:] == []


# ------------------------------------------------------------------------------- stored documents
def _aliases_with(reset: FaultServer, event: dict[str, Any]) -> None:
    import json

    from faultserver import FakeObject
    doc = {"name": "m", "aliases": {"prod": "1.0.0"}, "history": [event]}
    reset.put_object(BUCKETS["models"], "m/_aliases.json", FakeObject(json.dumps(doc).encode()))


@pytest.mark.parametrize("event", [
    {"version": "1.0.0", "action": "promote", "by": "a@b", "at": "2026-01-01T00:00:00Z"},  # no alias
    {"alias": "prod", "version": "1.0.0", "reason": 5},  # a reason that is no text
    {"alias": 7, "version": "1.0.0"},
], ids=["no-alias", "reason-number", "alias-number"])
def test_an_alias_history_event_the_model_cannot_hold_is_the_documents_fault(
        cli: Callable[..., Any], reset: FaultServer, event: dict[str, Any]) -> None:
    """The alias document's check and the AliasEvent model disagreed: an event without "alias", or with a
    "reason" that is no text, passed the check and then failed the model, and `model aliases` said
    `invalid_input` (exit 2: the user's input was bad) about a document in the bucket. It is the stored
    document's fault: integrity_error, exit 4, naming the field."""
    _aliases_with(reset, event)
    run = cli("--json", "model", "aliases", "m")
    assert run.exit_code == 4, run
    error = run.json()["error"]
    assert error["code"] == "integrity_error" and "history[0]." in error["message"], error


def test_an_alias_history_event_with_fields_of_a_newer_version_is_read(cli: Callable[..., Any],
                                                                        reset: FaultServer) -> None:
    _aliases_with(reset, {"alias": "prod", "version": "1.0.0", "ticket": {"id": 42}, "reason": "rollout"})
    run = cli("--json", "model", "aliases", "m")
    assert run.exit_code == 0, run
    assert run.json()["history"][0]["ticket"] == {"id": 42}


# ------------------------------------------------------------------------------- local state files
def _offline_root(tmp_path: Path) -> Path:
    """The offline registry copy of environment_for's cache folder (one folder per endpoint and bucket)."""
    found = list((tmp_path.parent / f"{tmp_path.name}-state" / "cache" / "models" / "offline").glob("*/index.json"))
    assert len(found) == 1, found
    return found[0].parent


DAMAGE = {  # file of the offline copy -> what a hand edit or an older writer left in it
    "index-as-of-number": ("index.json", lambda d: d["models"]["m"].update(as_of=5)),
    "index-as-of-naive": ("index.json", lambda d: d["models"]["m"].update(as_of="2026-01-01T00:00:00")),
    "index-entry-list": ("index.json", lambda d: d["models"].update(m=[1])),
    "index-models-list": ("index.json", lambda d: d.update(models=["m"])),
    "aliases-seen-at-number": ("aliases/m.json", lambda d: d.update(seen_at=5)),
    "manifest-entry-list": ("manifests/m.json", lambda d: d["versions"].update({"1.0.0": [1]})),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_offline_registry_copy_is_never_an_unexpected_error(
        cli: Callable[..., Any], reset: FaultServer, tmp_path: Path, damage: str) -> None:
    """The offline copy (registry/offline.py) is a local file, input like any: its bookkeeping fields
    (as_of, seen_at, the index entries) of another type made `model list --offline`, `model show` and even
    the online `model list` fail with "unexpected TypeError/AttributeError". Now such an entry counts as
    never seen: offline, "never seen online" (exit 69) or the answer without an age; online, rewritten."""
    import json
    (tmp_path / "w.bin").write_bytes(b"weights")
    for args in (("model", "register", "w.bin", "--name", "m", "--version", "1.0.0"),
                 ("model", "promote", "m@1.0.0", "prod"), ("model", "list"), ("model", "show", "m@prod")):
        assert cli(*args).exit_code == 0
    name, change = DAMAGE[damage]
    path = _offline_root(tmp_path) / name
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    for args in (("--json", "model", "list", "--offline"), ("--json", "model", "show", "m@prod", "--offline"),
                 ("--json", "model", "show", "m", "--offline"), ("--json", "model", "list")):
        run = cli(*args)
        assert "unexpected" not in run.stdout + run.stderr, (args, run)
        assert run.exit_code in (0, 69), (args, run)
    assert cli("--json", "model", "list", "--offline").exit_code == 0  # the online list wrote it anew


# ------------------------------------------------------------------------------- server answers
def test_a_policy_whose_statement_is_one_object_is_read(cli: Callable[..., Any], reset: FaultServer) -> None:
    """S3's policy grammar lets "Statement" be one statement object instead of a list (AWS documents both).
    Read back, such a policy was summarized as no statement at all and "public": false, so `bucket policy
    show`, `bucket info` and `health` said a bucket open to anyone was not public."""
    import json
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{BUCKETS['default']}/*"}
    reset.configs[(BUCKETS["default"], "policy")] = json.dumps({"Version": "2012-10-17",
                                                                "Statement": statement}).encode()
    shown = cli("--json", "bucket", "policy", "show", f"s3://{BUCKETS['default']}")
    assert shown.exit_code == 0, shown
    assert shown.json()["public"] is True and len(shown.json()["summary"]) == 1, shown
    health = cli("--json", "health")
    assert BUCKETS["default"] in health.json()["public"], health


_NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
OTHER_RULES = {  # a rule another tool wrote -> (what it must read as, or None: shown, never rewritten)
    # the rule-level <Prefix> of S3's first lifecycle grammar, still answered for rules set that way
    "legacy-prefix": ("<Rule><ID>other</ID><Prefix>old/</Prefix><Status>Enabled</Status>"
                      "<Expiration><Days>3</Days></Expiration></Rule>", {"prefix": "old/", "unsupported": []}),
    "size-filter": ("<Rule><ID>other</ID><Status>Enabled</Status><Filter><And><Prefix>a/</Prefix>"
                    "<ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>"
                    "<Expiration><Days>3</Days></Expiration></Rule>", None),
    "size-only-filter": ("<Rule><ID>other</ID><Status>Enabled</Status><Filter><ObjectSizeGreaterThan>100"
                         "</ObjectSizeGreaterThan></Filter><Expiration><Days>3</Days></Expiration></Rule>", None),
    "empty-filter": ("<Rule><ID>other</ID><Status>Enabled</Status><Filter/><Expiration><Days>3</Days>"
                     "</Expiration></Rule>", {"prefix": "", "unsupported": []}),
    "transition": ("<Rule><ID>other</ID><Status>Enabled</Status><Filter><Prefix>t/</Prefix></Filter>"
                   "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>", None),
    "date-nine-digits": ("<Rule><ID>other</ID><Status>Enabled</Status><Filter><Prefix>d/</Prefix></Filter>"
                         "<Expiration><Date>2030-01-01T00:00:00.000000000Z</Date></Expiration></Rule>",
                         {"prefix": "d/", "expire_date": "2030-01-01"}),
}


@pytest.mark.parametrize("case", sorted(OTHER_RULES))
def test_a_lifecycle_rule_of_another_tool_is_read_as_it_is_and_never_widened(
        cli: Callable[..., Any], reset: FaultServer, case: str) -> None:
    """Lifecycle rules were read by minio, which drops what it does not model: a rule-level <Prefix> (S3's
    first grammar) and size filters were read as a rule for the whole bucket (or for all sizes), shown so,
    and a `lifecycle set` of another rule wrote them back so: a rule expiring old/ after 3 days became one
    expiring every object of the bucket. An empty <Filter/> (every object, valid S3) and a size-only filter
    were refused as a bad answer. Now a rule reads as what it is; a part this tool cannot write back is
    named in `unsupported`, and a merge that would rewrite it is refused (exit 5), sending nothing."""
    import xml.etree.ElementTree as ET
    rule, expected = OTHER_RULES[case]
    where = (BUCKETS["default"], "lifecycle")
    reset.configs[where] = f"<LifecycleConfiguration{_NS}>{rule}</LifecycleConfiguration>".encode()
    shown = cli("--json", "bucket", "lifecycle", "show", f"s3://{BUCKETS['default']}")
    assert shown.exit_code == 0, shown
    [read] = shown.json()["rules"]
    run = cli("--json", "bucket", "lifecycle", "set", f"s3://{BUCKETS['default']}", "--id", "mine",
              "--prefix", "new/", "--expire-days", "30")
    if expected is None:
        assert read["unsupported"], read
        assert run.exit_code == 5 and run.json()["error"]["code"] == "conflict", run
        assert reset.seen("PUT", lambda r: "lifecycle" in r.query) == []
        return
    assert {k: read[k] for k in expected} == expected, read
    assert run.exit_code == 0, run
    written = ET.fromstring(reset.configs[where])
    other = next(r for r in written.findall("{*}Rule") if r.findtext("{*}ID") == "other")
    assert (other.findtext("{*}Filter/{*}Prefix") or "") == expected["prefix"], ET.tostring(other)


def test_a_closed_service_is_never_reported_as_an_unhealthy_or_private_server(reset: FaultServer,
                                                                             tmp_path: Path) -> None:
    """Use after close() is an error, except where a report swallows errors: get_health_status() of a closed
    service said the endpoint was unhealthy ("this StorageService is closed" as the endpoint check's
    detail), and policies().is_public() said "unknown" (None). Closing is the caller's doing, not the
    server's state: both raise ClosedError (code "closed"), an ItsStoreError like every use after close."""
    from its_store.core.errors import ClosedError
    svc = StorageService(settings_for(reset, tmp_path))
    assert svc.get_health_status().status == "healthy"
    svc.close()
    seen = len(reset.requests)
    for call in (svc.get_health_status, lambda: svc.policies().is_public(BUCKETS["default"]),
                 lambda: svc.stat_object(BUCKETS["default"], "k"), svc.list_buckets):
        with pytest.raises(ClosedError, match="closed") as caught:
            call()
        assert caught.value.code == "closed" and isinstance(caught.value, ItsStoreError)
    assert reset.requests[seen:] == []


def _listing_of(entries: str) -> Callable[[FaultServer, Any, Any], bool]:
    """A handler answering every ListObjectsV2 with one page holding `entries` (XML)."""
    from faultserver import XML, response

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "GET" or req.query.get("list-type") != "2":
            return False
        conn.send(response(200, (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult{_NS}><Name>'
                                 f"{req.bucket}</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000"
                                 f"</MaxKeys><IsTruncated>false</IsTruncated>{entries}</ListBucketResult>").encode(),
                           content_type=XML))
        return True
    return handler


LISTED_WRONG = {
    "empty-key": "<Contents><Key></Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;x&quot;"
                 "</ETag><Size>5</Size></Contents>",
    "negative-size": "<Contents><Key>k</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                     "<ETag>&quot;x&quot;</ETag><Size>-5</Size></Contents>",
}


@pytest.mark.parametrize("case", sorted(LISTED_WRONG))
def test_a_listing_entry_that_breaks_the_spec_is_the_servers_fault(cli: Callable[..., Any], reset: FaultServer,
                                                                   case: str) -> None:
    """A listing entry with an empty key or a negative size (no S3 object has either) was taken as is:
    `ls` printed "-5 B" and an empty name, `du` summed -5 bytes, and `ls --metadata` failed with an empty
    message ("its-store: error: ", exit 2 invalid_input) from the HEAD of the empty key. It is an answer
    that breaks the spec: bad_server_answer (exit 1) naming ListObjectsV2, for every command that lists."""
    reset.handler = _listing_of(LISTED_WRONG[case])
    for args in (("ls", "s3://atk/"), ("ls", "--metadata", "s3://atk/"), ("du", "s3://atk/"),
                 ("rm", "-r", "--yes", "s3://atk/")):
        run = cli("--json", *args)
        assert run.exit_code == 1, (args, run)
        error = json.loads(run.stdout.strip().splitlines()[-1])["error"]
        assert error["code"] == "bad_server_answer" and "ListObjectsV2" in error["message"], (args, error)
    assert reset.seen("DELETE") == [] and reset.seen("POST") == []


def test_an_error_message_is_never_empty(reset: FaultServer, tmp_path: Path) -> None:
    """minio refuses an empty object name with a ValueError without a message; the seam turned it into
    InvalidInputError("") and the CLI printed "its-store: error: " and nothing else."""
    with StorageService(settings_for(reset, tmp_path)) as svc, pytest.raises(ItsStoreError) as caught:
        svc.s3.stat(BUCKETS["default"], "")
    assert caught.value.message.strip(), caught.value


_COLLECTED_MID_IMPORT = r'''
import gc, sys
from its_store import Settings, StorageService
folder = sys.argv[1]
svc = StorageService(Settings(endpoint="127.0.0.1:9", cache_dir=folder, audit_log=folder + "/audit.log"))
svc.stats.record("upload", ok=True, nbytes=5)
svc.cycle = svc  # never closed, and freed only by the cycle collector
del svc


class CollectMidImport:
    """Garbage collection runs at any allocation; here, for certain, while filelock is half imported."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith("filelock.") and "filelock" in sys.modules:
            sys.meta_path.remove(self)
            gc.collect()
        return None


assert "filelock" not in sys.modules
sys.meta_path.insert(0, CollectMidImport())
import filelock  # noqa: E402,F401 - the program's own first import of it, or the lock's
'''


def test_a_service_collected_while_filelock_is_imported_keeps_its_counts(tmp_path: Path) -> None:
    """A service never closed saves its counts when it is garbage-collected (weakref.finalize). Since the
    stats lock is filelock, imported on first use, the collector could run that flush while filelock was
    half imported (it runs at any allocation): "Exception ignored in: <finalize object>" and an ImportError
    traceback in the program's stderr, and the counts lost. Now they are saved at exit instead."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", _COLLECTED_MID_IMPORT, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=SAFETY)
    assert done.returncode == 0 and "Exception ignored" not in done.stderr, done.stderr
    saved = json.loads((tmp_path / "stats.json").read_text())
    assert saved["operations"]["upload"]["count"] == 1, saved


@pytest.mark.parametrize("number", ["1e400", "-1e400", "9" * 400])
def test_a_stats_file_number_json_reads_as_infinite_is_an_unreadable_file(cli: Callable[..., Any], tmp_path: Path,
                                                                           number: str) -> None:
    """stats.json holding 1e400 (valid JSON, read by Python as infinity) passed the file's check, and `stats
    --json` printed `Infinity`, which is no JSON (jq refuses the whole document). A number that is not
    finite is an unreadable stats file: one warning, set aside, counting starts from zero."""
    state = tmp_path.parent / f"{tmp_path.name}-state" / "cache"
    state.mkdir(parents=True, exist_ok=True)
    (state / "stats.json").write_text('{"version": 1, "operations": {"upload": {"count": 1, "failures": 0, '
                                      f'"bytes": 5, "seconds": {number}}}}}, "gauges": {{"g": {number}}}}}')
    run = cli("--json", "stats")
    assert run.exit_code == 0, run
    json.loads(run.stdout, parse_constant=lambda name: pytest.fail(f"--json printed {name}"))
    assert "unreadable" in run.stderr and (state / "stats.json.corrupt").exists(), run


def test_a_raw_validation_error_is_bad_data_not_the_users_input(capsys: pytest.CaptureFixture[str]) -> None:
    """Request models raise InvalidInputError (exit 2) themselves; a pydantic ValidationError reaching the
    CLI comes from a result model refusing data that was read (a server's answer, a state file): exit 1,
    code invalid_data, one line naming the model and field, not "invalid_input" (the user's fault)."""
    from pydantic import ValidationError

    from its_store.cli import output
    from its_store.cli.failures import handle
    from its_store.core.models import ObjectInfo
    try:
        ObjectInfo.model_validate({"bucket": "b", "key": "k", "size": "many"})
    except ValidationError as exc:
        error = exc
    output.reset([])
    assert handle(error) == 1
    err = capsys.readouterr().err
    assert err.startswith("its-store: error: data read for ObjectInfo does not fit it: size: ") and err.count("\n") == 1
