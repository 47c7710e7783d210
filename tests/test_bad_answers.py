"""Answers that break the S3 spec, for every kind of S3 call the CLI makes (issue 20, item 1).

One fake S3 server (tests/faultserver.py + tests/fakes3.py) for the module; each test makes it answer one
call with one form of garbage (fakes3.GARBAGE: an HTML page with 200 or 502, an empty body, truncated XML,
another S3 document, the right root with its elements missing, malformed values, bad JSON, random bytes;
GARBAGE_NO_DOC for calls answered without a document) and runs one command that makes that call, through
the real CLI. Each must end with exactly one `its-store: error:` line and its documented exit code: 69
where the answer is an HTML page (not an S3 API at all, or a proxy's error page), 1 where an S3 server's
answer to one call breaks the spec (`bad_server_answer`, naming the call); never "unexpected", never a
traceback. Report commands (health, bucket info, stat, sync --json) say "unknown" in their report instead
(bucket info: each field of its own call, null with the reason under `unknown`).
A few garbage forms happen to be valid S3 (an empty <VersioningConfiguration> is a bucket never
versioned): VALID lists them with the reason, and those commands succeed.

Calls and the commands that make them are in CASES; calls the CLI never makes are not (ListObjects v1:
the client lists with V2 only; UploadPartCopy above 5 GiB: tested through the library below).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fakes3 import GARBAGE, GARBAGE_NO_DOC, _doc, has_document, s3_call
from faultserver import FakeObject, FaultServer, Request, response

from conftest import Run, ServerInfo, cli_runner, environment_for, one_line_error

BUCKETS = {"default": "bad", "video": "bad-video", "models": "bad-models", "logs": "bad-logs"}
HTML_FORMS = ("html200", "html502")


@dataclass(frozen=True)
class Case:
    call: str  # the S3 call garbled (fakes3.s3_call's name)
    args: tuple[str, ...]  # the command that makes it
    report: str = ""  # a report command: the --json field that must say "unknown" (None) instead
    forms: tuple[str, ...] = ()  # default: every form that applies to the call
    env: dict[str, str] = field(default_factory=dict)
    before: tuple[str, ...] = ()  # a command run first, ungarbled (e.g. a failed upload to resume)

    @property
    def id(self) -> str:
        return f"{self.call}:{'-'.join(a for a in self.args if not a.startswith(('s3:', '-')))}"


def C(call: str, *args: str, **kw: Any) -> Case:
    return Case(call, args, **kw)


UP = ("upload", "--compress", "none", "big.bin", "s3://bad/big.bin")
REPRESENTATIVE = ("html200", "truncated", "other_doc", "random")  # for a second command of the same call

CASES = [
    C("ListBuckets", "ls"), C("ListBuckets", "bucket", "ls", forms=REPRESENTATIVE),
    C("ListBuckets", "init", forms=REPRESENTATIVE),
    C("ListBuckets", "health", "--json", report="checks.endpoint"),
    C("GetBucketLocation", "ls", "s3://bad/", env={"MINIO_REGION": ""},  # no value to malform in it
      forms=tuple(f for f in GARBAGE if f != "bad_value")),
    C("HeadBucket", "bucket", "info", "s3://bad", forms=("html502",)),  # a HEAD has no body to garble
    C("CreateBucket", "bucket", "create", "s3://new-bkt"),
    C("DeleteBucket", "bucket", "rm", "s3://bad-video"),
    C("GetBucketVersioning", "bucket", "versioning", "s3://bad"),
    C("GetBucketVersioning", "bucket", "info", "s3://bad", "--json", report="versioning", forms=REPRESENTATIVE),
    C("PutBucketVersioning", "bucket", "versioning", "s3://bad", "on"),
    C("GetBucketEncryption", "bucket", "encryption", "show", "s3://bad"),
    C("GetBucketEncryption", "bucket", "info", "s3://bad", "--json", report="encryption", forms=REPRESENTATIVE),
    C("PutBucketEncryption", "bucket", "encryption", "set", "s3://bad"),
    C("DeleteBucketEncryption", "bucket", "encryption", "rm", "s3://bad"),
    C("GetBucketTagging", "tag", "get", "s3://bad"),
    C("GetBucketTagging", "bucket", "info", "s3://bad", "--json", report="tags", forms=REPRESENTATIVE),
    C("PutBucketTagging", "tag", "set", "s3://bad", "a=b"),
    C("DeleteBucketTagging", "tag", "rm", "s3://bad"),
    C("GetObjectTagging", "tag", "get", "s3://bad/k"),  # see the note on GetObjectTagging below
    C("GetObjectTagging", "tag", "set", "s3://bad/k", "a=b", forms=REPRESENTATIVE),
    C("PutObjectTagging", "tag", "set", "s3://bad/k", "a=b"),
    C("DeleteObjectTagging", "tag", "rm", "s3://bad/k"),
    C("GetBucketPolicy", "bucket", "policy", "show", "s3://bad"),
    C("GetBucketPolicy", "bucket", "policy", "rm", "s3://bad", "--yes", forms=REPRESENTATIVE),
    C("GetBucketPolicy", "health", "--json", report="public_unknown"),
    C("GetBucketPolicy", "bucket", "info", "s3://bad", "--json", report="public", forms=REPRESENTATIVE),
    C("PutBucketPolicy", "bucket", "policy", "set", "s3://bad", "--public-read", "share/"),
    C("DeleteBucketPolicy", "bucket", "policy", "rm", "s3://bad", "--yes"),
    C("GetBucketLifecycleConfiguration", "bucket", "lifecycle", "show", "s3://bad"),
    C("GetBucketLifecycleConfiguration", "bucket", "info", "s3://bad", "--json", report="lifecycle",
      forms=REPRESENTATIVE),
    C("GetBucketLifecycleConfiguration", "bucket", "lifecycle", "set", "s3://bad", "--expire-days", "3",
      forms=REPRESENTATIVE),
    C("PutBucketLifecycleConfiguration", "bucket", "lifecycle", "set", "s3://bad", "--expire-days", "3"),
    C("DeleteBucketLifecycle", "bucket", "lifecycle", "rm", "s3://bad"),
    C("GetObjectLockConfiguration", "bucket", "retention", "show", "s3://bad"),
    C("GetObjectLockConfiguration", "bucket", "info", "s3://bad", "--json", report="object_lock",
      forms=REPRESENTATIVE),
    # a write that needs the lock: garbage is a bad answer, not "no object lock" (only the bucket's listing is)
    C("GetObjectLockConfiguration", "retention", "set", "s3://bad/k", "--mode", "governance", "--days", "1",
      forms=("empty", "truncated", "missing", "random")),
    C("PutObjectLockConfiguration", "bucket", "retention", "set", "s3://bad", "--mode", "governance", "--days", "1"),
    C("GetObjectRetention", "retention", "show", "s3://bad/k"),
    C("PutObjectRetention", "retention", "set", "s3://bad/k", "--mode", "governance", "--days", "1"),
    C("GetObjectLegalHold", "legal-hold", "show", "s3://bad/k"),
    C("PutObjectLegalHold", "legal-hold", "on", "s3://bad/k"),
    C("HeadObject", "stat", "s3://bad/k", forms=("html502", "bad_header")),
    # a whole `get` takes no HEAD (its GET's answer stands for it: service/fetch.py); a range still does
    C("HeadObject", "get", "s3://bad/k", "out.txt", "--range", "0-1", forms=("html502", "bad_header")),
    C("GetObject", "get", "s3://bad/k", "out.txt", forms=("html502",)),  # any 200 body is the object's
    C("PutObject", "upload", "f.txt", "s3://bad/f.txt", forms=(*HTML_FORMS, "no_etag")),
    C("CreateMultipartUpload", *UP), C("UploadPart", *UP, forms=(*HTML_FORMS, "no_etag")),
    C("CompleteMultipartUpload", *UP),
    C("ListParts", *UP[:1], "--resume", *UP[1:], before=(*UP[:1], "--resume", *UP[1:])),
    C("ListMultipartUploads", "bucket", "info", "s3://bad", "--json", report="uploads_in_progress"),
    C("ListMultipartUploads", "bucket", "rm", "s3://bad-logs", "--force", "--yes", forms=REPRESENTATIVE),
    C("AbortMultipartUpload", "bucket", "rm", "s3://bad-logs", "--force", "--yes"),
    C("ListObjectsV2", "ls", "s3://bad/"), C("ListObjectsV2", "du", "s3://bad/", forms=REPRESENTATIVE),
    C("ListObjectsV2", "rm", "-r", "s3://bad/dir/", "--yes", forms=REPRESENTATIVE),
    C("ListObjectsV2", "model", "list", forms=REPRESENTATIVE),
    C("ListObjectsV2", "sync", "s3://bad/", "local/", "--json", report="failed", forms=REPRESENTATIVE),
    C("ListObjectVersions", "ls", "--versions", "s3://bad/"),
    C("ListObjectVersions", "bucket", "info", "s3://bad", forms=REPRESENTATIVE),
    C("DeleteObject", "rm", "s3://bad/k", "--yes"),
    C("DeleteObjects", "rm", "-r", "s3://bad/dir/", "--yes"),
    C("CopyObject", "cp", "s3://bad/k", "s3://bad/k3"),
]

# Garbage that is valid S3 after all: the command must succeed (and say what the answer means).
VALID = {
    ("GetBucketLocation", "missing"): "an empty <LocationConstraint> is us-east-1",
    ("GetBucketVersioning", "missing"): "an empty <VersioningConfiguration> is a bucket never versioned",
    ("GetBucketLifecycleConfiguration", "missing"): "an empty <LifecycleConfiguration> has no rules",
    ("ListMultipartUploads", "missing"): "an empty listing: no uploads in progress",
    ("ListParts", "missing"): "an empty part list: nothing to resume, every part is sent again",
    ("ListMultipartUploads", "bad_value"): "only Key and UploadId are read; a malformed date is not",
}
# Garbage that reads as valid S3 but did not do what it said: the second listing after a delete shows the
# key still there, and the command says so (exit 1, "still listed after its delete"), never "deleted".
RELISTED: dict[tuple[str, str], str] = {}
# Garbage naming a failure for a key the batch did not ask for: no key of the batch is known deleted, so each is
# a failure (exit 1, "not known to be deleted"), never "deleted" and never the other key's error code.
UNNAMED = {
    ("DeleteObjects", "bad_value"): "the failure it lists is for a key that was not asked for; ours stays",
    ("DeleteObjects", "missing"): "a non-quiet batch delete names each key asked: an answer naming none deleted none",
}
# GetObjectTagging: a server without object tagging (rclone serve s3) answers with the object itself, its
# ETag and bytes: that alone reads as "no tagging" (s3/tagging.py _read_tags; test_server_gaps.py), and `tag
# set` refuses to write tags rather than overwrite the object. Garbage (no ETag) is a bad answer, never
# "no tags".


def forms_of(case: Case) -> tuple[str, ...]:
    if case.forms:
        return case.forms
    return GARBAGE if has_document(case.call) else GARBAGE_NO_DOC


MATRIX = [pytest.param(case, form, id=f"{case.id}:{form}") for case in CASES for form in forms_of(case)]


@pytest.fixture(scope="module")
def fake() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def seed(server: FaultServer) -> None:
    """The fake's state before each test: four buckets, two objects, a policy, lifecycle rules, tags, an
    object lock on `bad`, an unfinished upload in `bad-logs`."""
    server.garble.clear()
    server.handler = None
    server.buckets = set(BUCKETS.values())
    server.objects.clear()
    server.uploads.clear()
    server.configs.clear()
    server.locked = {"bad"}
    server.put_object("bad", "k", FakeObject(b"hi"))
    server.put_object("bad", "dir/k2", FakeObject(b"there"))
    server.configs.update({("bad", "policy"): _doc("GetBucketPolicy", bucket="bad"),
                           ("bad", "lifecycle"): _doc("GetBucketLifecycleConfiguration"),
                           ("bad", "tagging"): _doc("GetBucketTagging"),
                           ("bad/k", "tagging"): _doc("GetObjectTagging")})
    server.uploads["up9"] = ("bad-logs", "half.bin", {})


@pytest.fixture
def fake_cli(fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Callable[..., Any]:
    """cli(...) on the fake server, without retries (a 502 is not sent twice), in an empty folder."""
    seed(fake)
    env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS, monkeypatch,
                          tmp_path)
    monkeypatch.setenv("MINIO_MAX_RETRIES", "0")
    monkeypatch.setenv("MINIO_MULTIPART_THRESHOLD", "1KiB")
    (tmp_path / "f.txt").write_bytes(b"hello")
    (tmp_path / "big.bin").write_bytes(bytes(range(256)) * 12)
    return cli_runner(env)


def _made(fake: FaultServer, call: str, since: int) -> bool:
    with fake._lock:
        return any(s3_call(r) == call for r in fake.requests[since:])


@pytest.mark.parametrize(("case", "form"), MATRIX)
def test_each_call_answered_with_garbage(fake: FaultServer, fake_cli: Any, monkeypatch: pytest.MonkeyPatch,
                                         case: Case, form: str) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if case.before:
        fake.garble["CompleteMultipartUpload"] = "html502"  # a failed upload whose parts stay for --resume
        assert fake_cli(*case.before).exit_code == 69
        fake.garble.clear()
    since = len(fake.requests)
    fake.garble[case.call] = form
    run = fake_cli(*case.args)
    assert _made(fake, case.call, since), f"{case.args} never made {case.call}: the case proves nothing"
    text = run.stdout + run.stderr
    assert "unexpected" not in text and "internal_error" not in text, run
    if (case.call, form) in VALID:
        assert run.exit_code == 0, (VALID[(case.call, form)], run)
    elif (case.call, form) in RELISTED:
        last = run.stderr.strip().splitlines()[-1]  # a batch: its per-item lines, then the one error line
        assert run.exit_code == 1 and last.startswith("its-store: error: ") and "still listed" in last, \
            (RELISTED[(case.call, form)], run)
    elif (case.call, form) in UNNAMED:
        last = run.stderr.strip().splitlines()[-1]
        assert run.exit_code == 1 and last.startswith("its-store: error: ") and "not known to be deleted" in last, \
            (UNNAMED[(case.call, form)], run)
    elif case.report:
        check_report(case, form, run)
    else:
        check_error(case, form, run)


def check_error(case: Case, form: str, run: Any) -> None:
    """One line, the documented code, and a message that says what happened."""
    line = one_line_error(run)
    if form in HTML_FORMS:
        assert run.exit_code == 69, run
        assert "HTML" in line or (case.call.startswith("Head") and "502" in line), line
    elif form == "bad_header" or form in GARBAGE:
        assert run.exit_code == 1, run
        assert f"the server's answer to {case.call}" in line and "is not valid S3" in line, line
    else:  # no_etag
        assert run.exit_code == 1 and "without the ETag" in line, run


def check_report(case: Case, form: str, run: Any) -> None:
    """A report command reports: the field of the garbled call says unknown (None) or names the failure."""
    doc = run.json()
    expected_error = "HTML" if form in HTML_FORMS else f"answer to {case.call}"
    if case.report == "checks.endpoint":  # health: unhealthy (exit 69), the endpoint check says why
        assert run.exit_code == 69 and doc["status"] == "unhealthy", run
        assert not doc["checks"]["endpoint"]["ok"] and expected_error in doc["checks"]["endpoint"]["detail"]
    elif case.report == "public_unknown":  # health: healthy all the same (a warning), unknown is said
        assert run.exit_code == 0 and doc["status"] == "healthy", run
        assert set(doc["public_unknown"]) == set(BUCKETS.values()) and doc["public"] == [], doc
        assert expected_error in doc["public_unknown"]["bad"] and doc["checks"]["public access"]["unknown"]
    elif case.report == "failed":  # sync --json: the listing failed, named in the report
        failed = doc["failed"][0]
        unavailable = form in HTML_FORMS
        # the listing failed as a whole, nothing listed: that error's own exit code (as get -r; atk35)
        assert run.exit_code == (69 if unavailable else 1) and not doc["source_complete"], run
        assert failed["code"] == ("service_unavailable" if unavailable else "bad_server_answer"), failed
        assert expected_error in failed["reason"], failed
    else:  # bucket info: that field unknown (None) and why, the rest reported
        assert run.exit_code == 0 and doc[case.report] is None and doc["bucket"] == "bad", run
        assert list(doc["unknown"]) == [case.report] and expected_error in doc["unknown"][case.report], doc
        assert doc["versions"] == 2 and (case.report == "versioning" or doc["versioning"] == "Off"), doc


@pytest.mark.parametrize("form", GARBAGE)
def test_a_multipart_copy_answered_with_garbage(fake: FaultServer, fake_cli: Any, form: str) -> None:
    """UploadPartCopy (a copy above 5 GiB, here through the library with a 1-byte threshold): the failed
    copy names the call and the cause, as cp would."""
    from its_store import StorageService, load_settings
    from its_store.sync.copy import Copier
    fake.garble["UploadPartCopy"] = form
    result = Copier(StorageService(load_settings()), copy_threshold=1).copy("s3://bad/k", "s3://bad/k5")
    assert result.failed == 1 and not result.objects, result
    error = result.exceptions[0]
    assert error.code == ("service_unavailable" if form in HTML_FORMS else "bad_server_answer"), error
    assert ("HTML" if form in HTML_FORMS else "answer to UploadPartCopy") in error.message, error
    assert ("bad", "k5") not in fake.objects


# -- the one request that is not S3: the registry's webhook -----------------------------------------------
WEBHOOK_FORMS = ("html200", "empty", "truncated", "bad_json", "random", "html404")


@pytest.mark.parametrize("form", WEBHOOK_FORMS)
def test_the_webhook_answered_with_garbage(fake: FaultServer, fake_cli: Any, monkeypatch: pytest.MonkeyPatch,
                                           form: str) -> None:
    """A webhook's answer is read for its status only (s3/webhook.py): a 2xx with any body is a delivery;
    a 404 HTML page (a proxy's) is not, so the event stays in the outbox and `model webhooks flush` exits
    69 saying so. Never unexpected. (A 5xx is retried within the send budget: test_registry_webhooks.)"""
    from its_store import load_settings
    from its_store.registry import webhooks

    def not_found(server: FaultServer, req: Any, conn: Any) -> bool:
        conn.read_body(req)
        conn.send(response(404, b"<html><body><h1>404 Not Found</h1></body></html>", content_type="text/html"))
        return True

    monkeypatch.setenv("MINIO_MODEL_WEBHOOK_URL", f"http://{fake.endpoint}/hook")
    if form == "html404":
        fake.handler = not_found
    else:
        fake.garble[s3_call(Request("POST", "/hook", {}))] = form  # a POST to a "bucket" named hook
    settings = load_settings()
    assert webhooks.enqueue(settings, webhooks.new_event("model.register", bucket="bad-models", model="m",
                                                         version="1.0.0", actor="t@h"))
    run = fake_cli("model", "webhooks", "flush")
    assert "unexpected" not in run.stdout + run.stderr, run
    if form == "html404":
        assert run.exit_code == 69 and "not delivered (HTTP 404)" in run.stderr, run
        assert webhooks.pending_count(settings) == 1
    else:
        assert run.exit_code == 0 and webhooks.pending_count(settings) == 0, run
    assert [r.method for r in fake.requests if r.path == "/hook"][-1:] == ["POST"]



# -- the same on a real server that lacks calls: `rclone serve s3` -------------------------------------------
@pytest.fixture
def rclone_cli(rclone_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
               tmp_path: Any) -> Callable[..., Run]:
    """cli on `rclone serve s3`, with the four configured buckets made by a plain minio client."""
    from minio import Minio

    from conftest import cli_runner
    env = environment_for(rclone_server_info, buckets, monkeypatch, tmp_path)
    client = Minio(rclone_server_info.endpoint, access_key=rclone_server_info.access_key,
                   secret_key=rclone_server_info.secret_key, secure=False, region="us-east-1")
    for name in buckets.values():
        client.make_bucket(name)
    return cli_runner(env)


def test_health_on_rclone_says_public_access_is_unknown(rclone_cli: Any, buckets: dict[str, str]) -> None:
    """rclone answers GET ?policy with a bucket listing: health used to crash with "unexpected
    JSONDecodeError"; it now reports healthy (exit 0) with the public check unknown, and why."""
    run = rclone_cli("health", "--json")
    report = run.json()
    assert run.exit_code == 0 and report["status"] == "healthy", run
    assert report["public"] == [] and set(report["public_unknown"]) == set(buckets.values()), report
    why = report["public_unknown"][buckets["default"]]
    assert "answer to GetBucketPolicy" in why and "ignores ?policy" in why, why
    human = rclone_cli("health")
    assert human.exit_code == 0 and "unknown" in human.stdout and "ignores ?policy" in human.stdout, human


def test_rclone_bucket_sub_resources_it_lacks_are_named_not_read_as_empty(rclone_cli: Any,
                                                                          buckets: dict[str, str]) -> None:
    """GET ?lifecycle / ?object-lock / ?encryption on rclone answer a bucket listing; minio read the first
    as "no rules" and the second as "object lock on". Each is now one line, exit 1, naming the gap."""
    bucket = f"s3://{buckets['default']}"
    for args, call, sub in ((("bucket", "lifecycle", "show", bucket), "GetBucketLifecycleConfiguration", "lifecycle"),
                            (("bucket", "retention", "show", bucket), "GetObjectLockConfiguration", "object-lock"),
                            (("bucket", "encryption", "show", bucket), "GetBucketEncryption", "encryption")):
        run = rclone_cli(*args)
        line = one_line_error(run)
        assert run.exit_code == 1 and f"answer to {call}" in line and f"ignores ?{sub}" in line, run
