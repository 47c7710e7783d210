"""Findings of an attack on "a missing privilege", one step off the tested path: keys with the least
privilege a real deployment gives each box. An edge box's key may only write (PutObject: no GetObject, no
ListBucket, no HeadBucket, no GetBucketVersioning), a training box's only reads, a CI key lists and reads.

The suite tested a read-only key (test_cp_mv.two_keys, test_security.secure_server); nothing tested a key
that may write but not read. SeaweedFS grants per identity: `Write` (PUT, DELETE, multipart, PUT
?versioning), `Read` (GET, HEAD of objects AND of the bucket, GET ?versioning), `List`. Each test FAILS until
its finding is fixed; the docstring says what happened and which promise it breaks. Promised (brief,
docs/reliability.md "missing privileges"): the work the key may do gets done; what it may not do is one
clear line naming what was denied (exit 6); never a false success, never a false failure for work done.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_watch import Events, make_watcher, running

from its_store.testing.devserver import SeaweedServer

from helpers import random_bytes

ACTIONS = {
    "admin": ["Admin", "Read", "List", "Tagging", "Write"],
    "writer": ["Write"],                 # an edge box: PutObject only
    "writerlist": ["Write", "List"],     # an edge box that may also list (sync), never read
    "reader": ["Read"],                  # a training box: GetObject only
    "ci": ["Read:{ci}/cam/*", "List:{ci}"],  # a CI key: lists one bucket, reads one prefix of it
    "tagger": ["Write", "Tagging"],      # a labelling job: PutObjectTagging, not GetObjectTagging
    "copier": ["Read:{ci}", "List:{ci}", "Write:{dst}"],  # a promotion job: reads one bucket, writes another
}
CI_BUCKET = f"lp-ci-{secrets.token_hex(4)}"  # the bucket the "ci" identity may list (named at server start)
DST_BUCKET = f"lp-dst-{secrets.token_hex(4)}"  # the bucket the "copier" identity may write


@pytest.fixture(scope="module")
def least_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    """One SeaweedFS with an admin and three least-privilege identities; {name: MINIO_* environment}."""
    folder = tmp_path_factory.mktemp("least")
    users = {name: ("itsl" + name[:6] + secrets.token_hex(3), secrets.token_urlsafe(18)) for name in ACTIONS}
    (folder / "s3.json").write_text(json.dumps({"identities": [
        {"name": name, "credentials": [{"accessKey": users[name][0], "secretKey": users[name][1]}],
         "actions": [a.format(ci=CI_BUCKET, dst=DST_BUCKET) for a in actions]} for name, actions in ACTIONS.items()]}))
    server = SeaweedServer(access_key=users["admin"][0], secret_key=users["admin"][1], workdir=folder / "server",
                           extra_args=[f"-s3.config={folder / 's3.json'}"]).start()
    yield {name: {"MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": user[0], "MINIO_SECRET_KEY": user[1],
                  "MINIO_MAX_RETRIES": "0"} for name, user in users.items()}
    server.kill()  # SIGKILL: the folder stays in tmp_path for a look (~2 s saved)


@pytest.fixture
def keys(least_server: dict[str, dict[str, str]], env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The identities' environments for `cli(..., extra_env=keys[name])` (after `env` set the rest)."""
    return least_server


def _bucket(cli: Any, keys: dict[str, dict[str, str]], versioned: bool = True) -> str:
    name = f"lp-{secrets.token_hex(4)}"
    run = cli("bucket", "create", f"s3://{name}", "--versioning" if versioned else "--no-versioning",
              extra_env=keys["admin"])
    assert run.exit_code == 0, run
    return name


def _keys_of(cli: Any, keys: dict[str, dict[str, str]], url: str) -> list[str]:
    run = cli("ls", url, "-r", "--json", extra_env=keys["admin"])
    assert run.exit_code == 0, run
    return sorted(o["key"] for o in run.jsonl())


def _service_as(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Any:
    from its_store import StorageService, load_settings
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return StorageService(load_settings())


# -- 1. a PutObject-only key uploads nothing: the bucket's HEAD is asked first and denied ---------------------

@pytest.mark.parametrize("how", ["file", "recursive", "audit-ship"])
def test_a_write_only_key_uploads(cli, keys, tmp_path: Path, how: str) -> None:
    """An edge box whose key may only PutObject: `upload f s3://B/cam/f`, `upload -r DIR s3://B/r/` and
    `audit ship` all ended `its-store: error: access denied (AccessDenied) for s3://B` (exit 6) and uploaded
    nothing: service/bucket_use.ensure_bucket HEADs the bucket before any transfer (S3: HeadBucket needs
    s3:ListBucket; SeaweedFS: Read), and a denied HEAD ends the command. The PUTs themselves are allowed
    (verified by skipping the HEAD: every upload above then succeeds). Promised: the work the key may do
    gets done."""
    bucket = _bucket(cli, keys)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jpg").write_bytes(random_bytes(3_000, seed=1))
    (tmp_path / "d" / "b.jpg").write_bytes(random_bytes(3_000, seed=2))
    writer = keys["writer"]
    if how == "file":
        run = cli("upload", "d/a.jpg", f"s3://{bucket}/cam/a.jpg", extra_env=writer)
        expected = ["cam/a.jpg"]
    elif how == "recursive":
        run = cli("upload", "-r", "d", f"s3://{bucket}/r/", extra_env=writer)
        expected = ["r/a.jpg", "r/b.jpg"]
    else:  # the audit lines of an upload (made with the admin key), shipped by the write-only key
        assert cli("upload", "d/a.jpg", f"s3://{bucket}/cam/a.jpg", extra_env=keys["admin"]).exit_code == 0
        run = cli("audit", "ship", extra_env={**writer, "MINIO_LOGS_BUCKET": bucket})
        expected = None
    assert run.exit_code == 0, run
    stored = _keys_of(cli, keys, f"s3://{bucket}/")
    if expected is None:
        assert any(k.startswith("audit/") for k in stored), stored
    else:
        assert [k for k in stored if k in expected] == expected, stored


# -- 2. a multipart upload stored whole, reported "access denied" ------------------------------------------

def test_a_stored_multipart_upload_is_not_reported_failed(cli, keys, tmp_path: Path) -> None:
    """With a write-only key (and the bucket HEAD of finding 1 out of the way) `upload big.bin` of 6 MiB
    (multipart: CreateMultipartUpload, 2 parts, Complete, all allowed) ended `its-store: error: access
    denied (AccessDenied) for s3://B/cam/big.bin` exit 6, and `--json` printed only that error. The SSE-S3
    that MINIO_ENABLE_ENCRYPTION asks by default is checked on what was stored (service/ssecheck): SeaweedFS's
    CompleteMultipartUpload answer carries no x-amz-server-side-encryption, so one HEAD of the version
    decides, and that HEAD is denied (with MINIO_ENABLE_ENCRYPTION=false the same upload exits 0). The
    object IS stored, whole and encrypted (the admin's `stat`: 6 MiB, SSE-S3). A watcher or a cron job
    retries it for ever and a person believes nothing was uploaded. Promised: never a false failure for
    work that was done; where a read-back is denied, a clear line that the check could not be made."""
    bucket = _bucket(cli, keys)
    (tmp_path / "big.bin").write_bytes(random_bytes(6 * 1024 * 1024, seed=3))
    run = cli("upload", "big.bin", f"s3://{bucket}/cam/big.bin", "--part-size", "5MiB", extra_env=keys["writer"])
    assert _keys_of(cli, keys, f"s3://{bucket}/") == ["cam/big.bin"]  # it was stored, whole
    said = run.stderr.lower()
    assert run.exit_code == 0 or re.search(r"(uploaded|stored).*(not|could not|cannot) (be )?(read|check|verif)",
                                           said), run


# -- 3. `bucket versioning on` done, reported "access denied" -----------------------------------------------

def test_versioning_turned_on_is_not_reported_failed_when_only_the_read_back_is_denied(cli, keys) -> None:
    """`its-store bucket versioning s3://B on` with a key that may PUT ?versioning but not GET it (SeaweedFS
    `Write`; S3: s3:PutBucketVersioning without s3:GetBucketVersioning): exit 6, `access denied
    (AccessDenied) for s3://B`. The server turned versioning on (the admin reads `Enabled`); only the
    read-back (service/kept.read_back) was denied. A script that checks the exit code believes the bucket
    unprotected and a person retries with an admin key. Promised: a denied read-back is a clear line that
    the check could not be made (and what to do), never "access denied" for the write that was done."""
    bucket = _bucket(cli, keys, versioned=False)
    run = cli("bucket", "versioning", f"s3://{bucket}", "on", extra_env=keys["writer"])
    shown = cli("bucket", "versioning", f"s3://{bucket}", "--json", extra_env=keys["admin"])
    assert "Enabled" in shown.stdout, shown  # the server did what was asked
    said = run.stderr.lower()
    assert run.exit_code == 0 or ("read back" in said or "could not check" in said or "cannot check" in said), run


# -- 4. the watcher (the edge box's main job) never sends what was there before it started ------------------

def test_watcher_first_pass_with_a_key_that_may_not_list(service, keys, monkeypatch: pytest.MonkeyPatch,
                                                         cli, tmp_path: Path) -> None:
    """`sync DIR s3://B/cams/ --watch` with a write-only key: the first pass (sync_pass: a dry-run sync, which
    lists the destination) is denied, the watcher emits `pass ok=false reason="access denied
    (AccessDenied) for s3://B"` and goes on watching: every file that was in the folder when it started (a
    reboot, a crash, a watcher stopped for an update) is never uploaded while it runs, and SIGTERM ends it
    with exit 0. New files are sent. Promised: the work the key may do gets done; the first pass of a key
    that may not list falls back to sending what the journal does not know as sent (as --remove-source's
    scan pass does), said once in a line naming the missing right."""
    bucket = _bucket(cli, keys)
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "before.jpg").write_bytes(random_bytes(2_000, seed=4))
    writer = _service_as(monkeypatch, keys["writer"])
    events = Events()
    with running(make_watcher(writer, folder, bucket, events, first_pass=True)):
        events.wait(lambda: "cams/before.jpg" in events.uploaded_keys() or bool(events.of("pass")))
        events.wait(lambda: "cams/before.jpg" in events.uploaded_keys()
                    or any(not e.get("ok") for e in events.of("pass")))
    assert "cams/before.jpg" in _keys_of(cli, keys, f"s3://{bucket}/"), events.items


# -- 5. watch --remove-source with a key that may not read: uploaded, reported failed, never removed --------

def test_watcher_remove_source_with_a_key_that_may_not_read(service, keys, monkeypatch: pytest.MonkeyPatch,
                                                            cli, tmp_path: Path) -> None:
    """`sync DIR s3://B/cams/ --watch --remove-source` with a write-only key (bucket HEAD of finding 1 out of
    the way): every file was PUT (the admin lists them all, whole) and then reported `failed ... access
    denied (AccessDenied) for s3://B/cams/f.jpg` (code access_denied): the HEAD that verifies the upload
    before the removal is denied. The files stay on disk, the folder of an edge box never drains (its disk
    fills), the metrics count failures, and each restart's first pass (a scan with --remove-source)
    uploads every one of them again. Promised: an upload done is reported done (`uploaded`, removed=false)
    and the file is `kept` with a reason naming the check that could not be made."""
    bucket = _bucket(cli, keys)
    folder = tmp_path / "drop"
    folder.mkdir()
    writer = _service_as(monkeypatch, keys["writer"])
    events = Events()
    with running(make_watcher(writer, folder, bucket, events, remove_source=True)):
        (folder / "f.jpg").write_bytes(random_bytes(2_000, seed=5))
        events.wait(lambda: bool(events.of("uploaded") or events.of("failed")))
    failed = [e for e in events.of("failed") if e.get("key") == "cams/f.jpg"]
    if "cams/f.jpg" in _keys_of(cli, keys, f"s3://{bucket}/"):
        assert not failed, failed  # stored on the server: not a failure
    assert events.uploaded_keys() == ["cams/f.jpg"], events.items


# -- 6. sync --delete without GetBucketVersioning: "deleted", "0 bytes still stored", in a versioned bucket ----

def test_sync_delete_does_not_claim_a_deletion_it_could_not_check(cli, keys, tmp_path: Path) -> None:
    """`sync DIR s3://B/s/ --delete --json` with a key that may list, write and delete but not read
    (GET ?versioning denied) in a VERSIONED bucket: the removed key is reported `delete_marker: false`,
    totals `deleted_bytes: 3000, still_stored_bytes: 0`, `delete_markers: false`, and the human line
    "deleted 1"; the data is in fact hidden behind a delete marker, still stored (the admin lists its
    version). service/versions.leaves_delete_markers answers False to any error. A person believes the
    data gone (and the space freed), or a script keeps re-uploading. Promised: never a false statement;
    when the versioning could not be read, say so (delete_marker unknown: null, and a line)."""
    bucket = _bucket(cli, keys)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "old.bin").write_bytes(random_bytes(3_000, seed=6))
    assert cli("sync", "src", f"s3://{bucket}/s/", extra_env=keys["admin"]).exit_code == 0
    (tmp_path / "src" / "old.bin").unlink()
    (tmp_path / "src" / "new.bin").write_bytes(random_bytes(1_000, seed=7))
    run = cli("--json", "sync", "src", f"s3://{bucket}/s/", "--delete", extra_env=keys["writerlist"])
    report = run.json()
    versions = cli("ls", f"s3://{bucket}/s/", "--versions", "--json", extra_env=keys["admin"]).jsonl()
    assert any(v["key"] == "s/old.bin" and not v.get("delete_marker") for v in versions), versions  # still stored
    deleted = [d for d in report["deleted"] if d["key"] == "s/old.bin"]
    assert deleted, report
    assert deleted[0]["delete_marker"] is not False, report


# -- 7. the registry's conditional-write probe left in the models bucket --------------------------------------

def test_model_register_with_a_write_only_key_leaves_no_probe_behind(cli, keys, tmp_path: Path) -> None:
    """`model register m.pt -n det --version 1.1.0` with a write-only key (once finding 1 is fixed, or on S3
    with s3:ListBucket + s3:PutObject): the conditional-write probe PUTs `_index/.probe-<hex>` (write-once,
    If-Match...), then removes it by HEAD (for the version id) + DELETE: the HEAD is denied, the error is
    suppressed (s3/conditional.conditional_write_gap), and the probe object stays in the models bucket, one
    more per run; the command then fails on the manifest's HEAD (exit 6, fine). PASSES on main e4e1197
    only because finding 1 ends the command before the probe; fails once ensure_bucket lets a denied HEAD
    through (checked). Promised: nothing written that was not asked for stays behind."""
    models = _bucket(cli, keys)
    (tmp_path / "m.pt").write_bytes(b"weights" * 100)
    run = cli("model", "register", "m.pt", "-n", "det", "--version", "1.1.0",
              extra_env={**keys["writer"], "MINIO_MODELS_BUCKET": models})
    assert run.exit_code == 6, run
    left = [k for k in _keys_of(cli, keys, f"s3://{models}/") if "/.probe-" in k]
    assert not left, left


# -- 8. "access denied for s3://B": which call, which right? -------------------------------------------------

@pytest.mark.parametrize(("who", "argv", "names"), [
    ("reader", ["get", "-r", "s3://{b}/cam/", "out"], r"list"),
    ("writerlist", ["bucket", "versioning", "s3://{b}"], r"versioning"),
    ("writerlist", ["stat", "s3://{b}/cam/a.jpg"], r"head|getobject|read"),
], ids=["get-r-no-list", "versioning-status-no-read", "stat-no-read"])
def test_access_denied_names_the_call_that_was_denied(cli, keys, tmp_path: Path, who: str, argv: list[str],
                                                     names: str) -> None:
    """Every refusal of a least-privilege key reads `its-store: error: access denied (AccessDenied) for
    s3://B[/key] (hint: check MINIO_ACCESS_KEY and MINIO_SECRET_KEY, and the key's permissions)`: the
    same line for a denied ListObjects, HeadBucket, HeadObject, GetBucketVersioning or GetObjectLock
    configuration, and the hint points at the credentials first. The person setting up a key cannot tell
    which right to add (upload with a write-only key says "access denied for s3://B" about a HEAD of the
    bucket it never asked for). Promised: one clear line naming the missing permission (exit 6)."""
    bucket = _bucket(cli, keys)
    (tmp_path / "a.jpg").write_bytes(b"frame")
    assert cli("upload", "a.jpg", f"s3://{bucket}/cam/a.jpg", extra_env=keys["admin"]).exit_code == 0
    run = cli(*[a.format(b=bucket) for a in argv], extra_env=keys[who])
    assert run.exit_code == 6, run
    line = run.stderr.strip().splitlines()[-1].lower()
    line = line.replace("access denied (accessdenied)", "")
    assert re.search(names, line), run


# -- 9. sync with a key that may list and write but not read: every unchanged file "failed", every run ---------

def test_sync_with_a_write_and_list_key_over_objects_it_did_not_upload(cli, keys, tmp_path: Path) -> None:
    """An edge box's key with Write + List (no Read), objects under the prefix uploaded by someone else (a
    replaced box, a cleared cache, a second uploader): `sync DIR s3://B/p/` lists, then HEADs each object of
    the same size for its mtime/sha256 metadata; every HEAD is denied: each unchanged file is `FAIL ...
    access denied (AccessDenied) for s3://B/p/a.bin`, exit 6, and again on every run (a failed HEAD writes
    no sync state; nothing is uploaded either). A cron job alerts for ever; --size-only is the way out but
    nothing says so. Promised: the work the key may do gets done (upload what it cannot compare, which
    then records its state; or compare by size with one line saying why), or one line naming the right."""
    bucket = _bucket(cli, keys)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(random_bytes(2_000, seed=8))
    assert cli("sync", "src", f"s3://{bucket}/p/", extra_env=keys["admin"]).exit_code == 0
    edge = {**keys["writerlist"], "MINIO_CACHE_DIR": str(tmp_path / "edge-cache")}  # another box: its own state
    runs = [cli("--json", "sync", "src", f"s3://{bucket}/p/", extra_env=edge) for _ in range(2)]
    assert runs[-1].json()["failed"] == [], runs[-1]  # the second run at the latest is clean
    assert runs[-1].exit_code == 0, runs[-1]


# -- 10. a key scoped to a prefix: "access denied for s3://B" for an object that does not exist ------------

@pytest.mark.parametrize("argv", [["stat", "s3://{b}/cam/missing.jpg"], ["get", "s3://{b}/cam/missing.jpg", "m.jpg"]],
                         ids=["stat", "get"])
def test_missing_object_under_a_readable_prefix_is_not_found(cli, keys, argv: list[str]) -> None:
    """A CI key that may list bucket B and read B/cam/*: `stat s3://B/cam/missing.jpg` and `get` of it (the
    server answers the object's HEAD/GET 404 NoSuchKey) ended `access denied (AccessDenied) for s3://B`,
    exit 6: service/heads.stat HEADs the bucket after a 404 to tell a missing bucket from a missing key,
    and that HEAD is denied. A job that treats exit 3 as "not there yet" (poll for a model, a frame) sees a
    permission problem instead. Promised: "not found" stays "not found" (exit 3); a denied check of the
    bucket never replaces the object's own answer."""
    _ensure_ci_bucket(cli, keys)
    run = cli(*[a.format(b=CI_BUCKET) for a in argv], extra_env=keys["ci"])
    assert run.exit_code == 3, run


# -- 11. verify -r / sync s3->local with a key scoped to a prefix: refused at a bucket HEAD it needs not -------

@pytest.mark.parametrize("argv", [["verify", "-r", "s3://{b}/cam/"], ["sync", "s3://{b}/cam/", "out"]],
                         ids=["verify-r", "sync-down"])
def test_a_prefix_scoped_read_key_verifies_and_syncs_what_it_may_read(cli, keys, argv: list[str]) -> None:
    """The same CI key (list B, read B/cam/*): `get -r s3://B/cam/ out` works (LIST + GETs), but `verify -r
    s3://B/cam/` and `sync s3://B/cam/ out` end `access denied (AccessDenied) for s3://B` exit 6 before any
    work: service/scrub._listed and sync/engine HEAD the bucket first to say "bucket not found" (S3:
    HeadBucket needs s3:ListBucket without a prefix condition, which a prefix-scoped key lacks). Promised:
    the work the key may do gets done (the listing itself says NoSuchBucket when the bucket is missing)."""
    _ensure_ci_bucket(cli, keys)
    run = cli(*[a.format(b=CI_BUCKET) for a in argv], extra_env=keys["ci"])
    assert run.exit_code == 0, run


def _ensure_ci_bucket(cli: Any, keys: dict[str, dict[str, str]]) -> None:
    """The CI identity's bucket with one object under cam/ (made once per server)."""
    if cli("stat", f"s3://{CI_BUCKET}/cam/a.jpg", extra_env=keys["admin"]).exit_code == 0:
        return
    assert cli("bucket", "create", f"s3://{CI_BUCKET}", extra_env=keys["admin"]).exit_code == 0
    Path("a.jpg").write_bytes(b"frame")
    assert cli("upload", "a.jpg", f"s3://{CI_BUCKET}/cam/a.jpg", extra_env=keys["admin"]).exit_code == 0


# -- 12. health: the buckets a key may not list are "missing" ------------------------------------------------

@pytest.mark.parametrize("who", ["writer", "reader"])
def test_health_does_not_call_buckets_it_cannot_see_missing(cli, keys, who: str) -> None:
    """`its-store health` with an edge box's write-only key (or a read-only one), the four configured
    buckets created by the admin (`init`): `buckets FAIL missing: its-camera-ai, its-video, its-models,
    its-logs`, status degraded, exit 69, `--json` "buckets": {name: false}. ListBuckets answers only the
    buckets a key may see (SeaweedFS, MinIO filter it by the key's rights; S3 needs
    s3:ListAllMyBuckets), and service/health takes absence from that list for "missing". A monitoring
    probe of every edge box reports degraded for ever and someone runs `init` to "create" them. Promised:
    "not found" only for what is not there; a bucket the key cannot see is HEADed, and a refusal is
    "not visible to this key" (unknown), never "missing"."""
    assert cli("init", extra_env=keys["admin"]).exit_code == 0, "the admin creates the configured buckets"
    run = cli("--json", "health", extra_env=keys[who])
    report = run.json()
    assert "missing" not in report["checks"]["buckets"]["detail"], report
    assert False not in report["buckets"].values(), report


# -- 13. a bucket made on first use, its versioning denied: left unversioned, then used silently -------------

def _no_versioning_right(server: Any, req: Any, conn: Any) -> bool:
    """A key with s3:CreateBucket and s3:PutObject but not s3:PutBucketVersioning (separate IAM actions)."""
    from faultserver import s3_error
    if not req.key and "versioning" in req.query and req.method == "PUT":
        conn.read_body(req)
        conn.send(s3_error(403, "AccessDenied", "Access Denied", req.path))
        return True
    return False


def test_a_bucket_whose_default_versioning_is_denied_is_not_left_for_unversioned_uploads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MINIO_CREATE_BUCKETS and MINIO_ENABLE_VERSIONING on (the defaults), a key that may create buckets and
    write objects but not PutBucketVersioning: the first `upload f s3://new/x` makes the bucket, the
    versioning PUT is denied, exit 6 `access denied for s3://new`, and the bucket STAYS, unversioned
    (service/bucket_use.ensure_bucket removes it again only on SettingNotKeptError). The second, identical
    `upload` finds the bucket, uploads into it with exit 0 and no word about versioning: every later
    overwrite or delete there is final, though the configuration promised versions. Promised: nothing is
    lost; a default the server could not be given is not silently dropped (remove the bucket just made,
    as for a setting not kept, or say on each use that it is unversioned)."""
    from faultserver import FaultServer

    from conftest import cli_runner, fake_server_environment
    with FaultServer(_no_versioning_right) as server:
        env = fake_server_environment(server.endpoint, monkeypatch, tmp_path)
        monkeypatch.chdir(tmp_path)
        cli = cli_runner(env)
        Path("f.jpg").write_bytes(b"frame")
        first = cli("upload", "f.jpg", "s3://fresh-bucket/x.jpg")
        assert first.exit_code == 6, first
        second = cli("upload", "f.jpg", "s3://fresh-bucket/x.jpg")
        assert "fresh-bucket" not in server.buckets or (
            second.exit_code != 0 or "versioning" in second.stderr), (first, second)


# -- 14. tag set --replace with a key that may write tags but not read them: refused by a probe --------------

def test_tag_set_replace_with_a_key_that_may_not_read_tags(cli, keys, tmp_path: Path) -> None:
    """A labelling job's key: PutObjectTagging allowed, GetObjectTagging not (SeaweedFS Write + Tagging;
    boto3 put_object_tagging with it answers 200). `tag set --replace s3://B/k label=car` (which needs no
    merge) ended `access denied (AccessDenied) for s3://B/k`, exit 6, nothing sent: S3Client.set_tags first
    GETs ?tagging to make sure the server is no `rclone serve s3` (which would store a PUT ?tagging as the
    object's content), and that GET is denied. A server that checks per-action rights is no such server:
    a 403 there answers the probe. Promised: the work the key may do gets done."""
    bucket = _bucket(cli, keys)
    (tmp_path / "a.jpg").write_bytes(b"frame")
    assert cli("upload", "a.jpg", f"s3://{bucket}/cam/a.jpg", extra_env=keys["admin"]).exit_code == 0
    run = cli("tag", "set", "--replace", f"s3://{bucket}/cam/a.jpg", "label=car", extra_env=keys["tagger"])
    assert run.exit_code == 0, run
    shown = cli("--json", "tag", "get", f"s3://{bucket}/cam/a.jpg", extra_env=keys["admin"])
    assert "car" in shown.stdout, shown


# -- 15. a server-side copy stored, reported "access denied": the SSE read-back of the copy --------------------

def test_a_stored_server_side_copy_is_not_reported_failed(cli, keys) -> None:
    """A promotion job's key: read bucket A, write bucket B (SeaweedFS `Read:A`, `List:A`, `Write:B`; S3:
    s3:GetObject on A, s3:PutObject on B). `cp -r s3://A/cam/ s3://B/r/` (once finding 1's bucket HEAD is out
    of the way) made every copy (the admin lists them, whole), then reported `3 of 3 objects failed; first:
    ...: access denied (AccessDenied) for s3://B/r/a.jpg`, exit 6: service/copying.checked re-reads the SSE-S3
    it asked for (MINIO_ENABLE_ENCRYPTION) by a HEAD of the copy when the CopyObject answer does not show
    it, and that HEAD is denied. The same path serves mv, sync s3->s3, restore and the registry's dedup
    copies. Promised: never a false failure for work that was done; a denied read-back is a clear line
    that the check could not be made."""
    _ensure_ci_bucket(cli, keys)
    made = cli("bucket", "create", f"s3://{DST_BUCKET}", extra_env=keys["admin"])
    assert made.exit_code in (0, 5), made  # made here, or by an earlier run of this test on this server
    run = cli("cp", "-r", f"s3://{CI_BUCKET}/cam/", f"s3://{DST_BUCKET}/r/", extra_env=keys["copier"])
    stored = "r/a.jpg" in _keys_of(cli, keys, f"s3://{DST_BUCKET}/")
    said = run.stderr.lower()
    assert stored, run
    assert run.exit_code == 0 or re.search(r"(copied|stored).*(not|could not|cannot) (be )?(read|check|verif)",
                                           said), run


# -- fix4: what the fixes above promise beyond the attack's own assertions ---------------------------------

def test_watcher_first_pass_without_list_right_is_no_failure(service, keys, monkeypatch: pytest.MonkeyPatch,
                                                             cli, tmp_path: Path) -> None:
    """The first pass of a write-only key: its listing is denied, so every file is sent (as the attack's test
    checks) with one warning line, and the pass is no failure: no `failed` event (key "", access_denied) that
    a monitor of the events would count on every start."""
    bucket = _bucket(cli, keys)
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "before.jpg").write_bytes(random_bytes(2_000, seed=9))
    writer = _service_as(monkeypatch, keys["writer"])
    events = Events()
    with running(make_watcher(writer, folder, bucket, events, first_pass=True)):
        events.wait(lambda: "cams/before.jpg" in events.uploaded_keys() and bool(events.of("pass")))
    assert not events.of("failed"), events.items
    assert all(e.get("ok") for e in events.of("pass")), events.items


def test_watcher_remove_source_unverified_is_not_sent_again_after_a_restart(
        service, keys, monkeypatch: pytest.MonkeyPatch, cli, tmp_path: Path) -> None:
    """--remove-source with a write-only key: the file is uploaded and kept unverified (its read-back is
    denied), and the journal records it as sent: the next start's scan hands it to the watcher again, which
    drops it unchanged instead of uploading it on every restart of the edge box."""
    from watchstep import Stepper
    bucket = _bucket(cli, keys)
    folder = tmp_path / "drop"
    folder.mkdir()
    writer = _service_as(monkeypatch, keys["writer"])
    events = Events()
    with running(make_watcher(writer, folder, bucket, events, remove_source=True)):
        (folder / "f.jpg").write_bytes(random_bytes(2_000, seed=10))
        events.wait(lambda: bool(events.of("kept") or events.of("failed")))
    assert [e.get("reason") for e in events.of("kept")] == ["not verified: the key may not read it back "
                                                            "(s3:GetObject)"], events.items
    again = Events()
    watcher = make_watcher(writer, folder, bucket, again, remove_source=True)
    with Stepper(watcher) as step:
        watcher.feed.put("scan", "f.jpg")  # what the restart's scan pass hands over
        step.turn()
        step.until(lambda: "f.jpg" not in watcher._pending, "the scanned file checked")
        assert not watcher._ready and not watcher._inflight and not again.of("uploaded"), again.items
        assert len(watcher.journal) == 0


def test_a_denied_read_back_is_said_once_and_marked_on_each_item(cli, keys, tmp_path: Path) -> None:
    """The rule for a read-back the key may not make (service/kept.denied_read_back): the work is reported
    done, each --json item says `unchecked: "sse"`, and one warning line per command (not per object)
    names what could not be checked and the permission it needs."""
    _ensure_ci_bucket(cli, keys)
    for name in ("x.jpg", "y.jpg"):
        (tmp_path / name).write_bytes(random_bytes(1_000, seed=len(name)))
        assert cli("upload", name, f"s3://{CI_BUCKET}/two/{name}", extra_env=keys["admin"]).exit_code == 0
    made = cli("bucket", "create", f"s3://{DST_BUCKET}", extra_env=keys["admin"])
    assert made.exit_code in (0, 5), made
    run = cli("--json", "cp", "-r", f"s3://{CI_BUCKET}/two/", f"s3://{DST_BUCKET}/two/", extra_env=keys["copier"])
    assert run.exit_code == 0, run
    assert [o["unchecked"] for o in run.json()["objects"]] == ["sse", "sse"], run
    said = [line for line in run.stderr.splitlines() if "could not be checked" in line]
    assert len(said) == 1 and "(s3:GetObject)" in said[0], run
    bucket = _bucket(cli, keys)
    (tmp_path / "big.bin").write_bytes(random_bytes(6 * 1024 * 1024, seed=11))
    up = cli("--json", "upload", "big.bin", f"s3://{bucket}/big.bin", "--part-size", "5MiB", extra_env=keys["writer"])
    assert up.exit_code == 0 and up.json()["unchecked"] == "sse", up
