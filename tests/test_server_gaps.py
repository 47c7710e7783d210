"""Where the four servers differ and its-store kept a promise only on some (issue 20; issue 19 for deletes):
each test runs on the real server that showed the gap (tests/servers.py), and on one that does not where
the difference matters.

- SSE taken and not done: radosgw with rgw_crypt_require_ssl=false (a gateway behind a TLS proxy, say)
  answers an SSE-S3 PUT with 200 and stores the object unencrypted; `rclone serve s3` keeps an SSE-C key as
  metadata. The write is checked (service/ssecheck.py): exit 78 `encryption_not_kept`, and the unencrypted
  version is removed again where it can be named exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import CephServer

from conftest import ServerInfo, cli_runner, environment_for, one_line_error, plain_client, unique
from helpers import audit_lines, write_file

MiB = 1024 * 1024


class CephTakingSse(CephServer):
    """radosgw that takes SSE headers over plain HTTP (rgw_crypt_require_ssl=false), as behind a TLS proxy.
    It has no KMS and no rgw_crypt_default_encryption_key: what it is asked to encrypt, it stores as is."""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "CEPH_ARGS": "--rgw-crypt-require-ssl=false"}


@pytest.fixture(scope="module")
def ceph_sse_info() -> Iterator[ServerInfo]:
    server = CephTakingSse().start()
    try:
        yield ServerInfo(server.endpoint, server.access_key, server.secret_key, kind="ceph", server=server)
    finally:
        server.stop()


def server_cli(info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
               **extra: str) -> tuple[Any, dict[str, str]]:
    env = environment_for(info, buckets, monkeypatch, tmp_path)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    return cli_runner({**env, **extra}), {**env, **extra}


# ------------------------------------------------------------------------ SSE asked, checked after the write
@pytest.fixture
def sse_ceph(ceph_sse_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> tuple[Any, dict[str, str], Any]:
    """cli on the radosgw that takes SSE and does not encrypt, with SSE-S3 by default (MINIO_ENABLE_ENCRYPTION)."""
    cli, env = server_cli(ceph_sse_info, buckets, monkeypatch, tmp_path, MINIO_ENABLE_ENCRYPTION="true")
    return cli, env, plain_client(ceph_sse_info)


def versions_of(client: Any, bucket: str) -> list[tuple[str, str | None]]:
    return [(o.object_name, o.version_id) for o in client.list_objects(bucket, recursive=True, include_version=True)]


def test_sse_taken_but_not_done_fails_and_the_plaintext_version_is_removed(sse_ceph, tmp_path: Path):
    cli, env, client = sse_ceph
    bucket = unique("b")
    client.make_bucket(bucket)
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig
    client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    big = write_file(tmp_path / "clip.bin", 6 * MiB, seed=5)  # above the 5 MiB threshold: multipart
    for source, key, flags in (("-", "f.jpg", ()), (str(big), "clip.bin", ("--sse", "s3"))):
        run = cli("upload", source, f"s3://{bucket}/{key}", *flags, "--json", input=b"frame")
        assert run.exit_code == 78, run
        error = run.json()["error"]
        assert error["code"] == "encryption_not_kept" and "WITHOUT the SSE-S3 encryption asked for" in error["message"]
        assert "was removed again" in error["message"] and "--sse none" in error["hint"], error
        assert "SSE-S3" not in run.stdout.replace(error["message"], ""), run  # no result claims it
    assert versions_of(client, bucket) == []  # nothing unencrypted stays
    lines = [e for e in audit_lines(env) if e["operation"] == "upload"]
    assert [(e["key"], e["result"], e["error"], e["encryption_verified"], e["encryption_removed"]) for e in lines] == [
        ("f.jpg", "error", "encryption_not_kept", False, True),
        ("clip.bin", "error", "encryption_not_kept", False, True)]
    assert all(e["encryption_version_id"] for e in lines), lines

    human = cli("upload", "-", f"s3://{bucket}/g.jpg", input=b"frame")
    assert human.exit_code == 78 and "encryption asked for" in one_line_error(human), human
    plain = cli("upload", "-", f"s3://{bucket}/g.jpg", "--sse", "none", "--json", input=b"frame")
    assert plain.exit_code == 0 and plain.json()["encryption"] is None, plain  # asked for none: stored


def test_sse_not_kept_in_an_unversioned_bucket_is_reported_not_deleted(sse_ceph):
    """Without versions a DELETE names the key, not the write: it could remove what another writer stored
    meanwhile. The object stays and the error says so."""
    cli, env, client = sse_ceph
    bucket = unique("b")
    client.make_bucket(bucket)
    run = cli("upload", "-", f"s3://{bucket}/f.jpg", input=b"frame")
    line = one_line_error(run)
    assert run.exit_code == 78 and "still stored, unencrypted" in line and "its-store rm" in line, run
    assert [name for name, _ in versions_of(client, bucket)] == ["f.jpg"]
    [entry] = [e for e in audit_lines(env) if e["operation"] == "upload"]
    assert (entry["error"], entry["encryption_verified"], entry["encryption_removed"]) == (
        "encryption_not_kept", False, False)


def test_sse_kept_is_verified_from_the_answer_or_a_head(cli, env, bucket, rclone_server_info, buckets, monkeypatch,
                                                        tmp_path: Path):
    """SeaweedFS answers a PUT with x-amz-server-side-encryption: verified from the answer. rclone answers
    nothing but shows it on a HEAD (it stores the headers as metadata; docs/guides/compression-encryption.md:
    it does not encrypt): the HEAD decides, and it answers the request's own x-amz-date and
    x-amz-content-sha256 back beside it: an echo, no SSE-S3 (exit 78; it was believed until session 35). An
    SSE-C key that rclone then answers to a HEAD is no SSE-C: exit
    78, the key named exposed."""
    run = cli("upload", "-", f"s3://{bucket}/f.jpg", "--sse", "s3", "--json", input=b"frame")
    assert run.exit_code == 0 and run.json()["encryption"] == "SSE-S3", run
    [entry] = [e for e in audit_lines(env) if e["operation"] == "upload"]
    assert (entry["encryption_verified"], entry["encryption_seen"]) == (True, "SSE-S3"), entry

    (tmp_path / "rc").mkdir()
    rclone, _ = server_cli(rclone_server_info, buckets, monkeypatch, tmp_path / "rc")
    rbucket = unique("b")
    plain_client(rclone_server_info).make_bucket(rbucket)
    run = rclone("upload", "-", f"s3://{rbucket}/f.jpg", "--sse", "s3", "--json", input=b"frame")
    error = run.json()["error"]  # its HEAD echoes the request's headers, x-amz-date too: no encryption (s35 atk1)
    assert run.exit_code == 78 and error["code"] == "encryption_not_kept", run
    assert "the upload request's own headers" in error["message"] and "still stored" in error["message"], error
    key_file = tmp_path / "k.key"
    key_file.write_bytes(bytes(range(32)))
    run = rclone("upload", "-", f"s3://{rbucket}/c.jpg", "--sse", "c", "--sse-c-key-file", str(key_file), "--json",
                 input=b"frame")
    error = run.json()["error"]
    assert run.exit_code == 78 and error["code"] == "encryption_not_kept", run
    assert "stores the SSE-C key with the object" in error["message"] and "still stored" in error["message"], error
    assert json.dumps(error).find("AAECAwQF") < 0  # the key itself (base64 of bytes 0..31) is never shown


# ------------------------------------------------------------------------------------- metadata names
def test_the_metadata_names_its_store_relies_on_hold_no_underscore():
    """radosgw turns `_` into `-` in a metadata name: every name its-store reads back must be `-` safe."""
    from its_store.codec.compression import CODEC_META
    from its_store.service.listing import INTERNAL_META
    from its_store.sync.mtime import META_MTIME
    names = {*INTERNAL_META, *CODEC_META, META_MTIME}
    assert {"its-sha256", "its-codec", "its-original-size", "its-part-size", "its-type", "mtime"} <= names
    assert [name for name in names if "_" in name or name != name.lower()] == []


@pytest.fixture
def ceph(ceph_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
         tmp_path: Path) -> tuple[Any, dict[str, str], Any]:
    cli, env = server_cli(ceph_server_info, buckets, monkeypatch, tmp_path)
    return cli, env, plain_client(ceph_server_info)


def test_on_radosgw_its_metadata_reads_back_and_a_renamed_user_name_is_said_once(ceph, tmp_path: Path):
    cli, _, client = ceph
    bucket = unique("b")
    client.make_bucket(bucket)
    big = write_file(tmp_path / "site" / "cam1" / "clip.log", 6 * MiB, seed=7)
    run = cli("upload", str(big), f"s3://{bucket}/c/clip.log", "--compress", "zstd", "--json")
    assert run.exit_code == 0 and run.json()["codec"] == "zstd", run
    got = cli("get", f"s3://{bucket}/c/clip.log", "back.log", "--json")  # its-codec, -original-size, -sha256
    assert got.exit_code == 0 and got.json()["verified"] is True and Path("back.log").read_bytes() == big.read_bytes()
    assert cli("sync", "site", f"s3://{bucket}/site/", "--json").exit_code == 0
    again = cli("sync", "site", f"s3://{bucket}/site/", "--no-state", "--json")  # mtime read back from the server
    assert again.exit_code == 0 and again.json()["copied"] == [] and again.json()["totals"]["unchanged"] == 1, again

    first = cli("upload", "-", f"s3://{bucket}/m/a.jpg", "--meta", "camera_id=cam_1", "--meta", "site-x=a4",
                input=b"frame")
    assert first.exit_code == 0, first
    warning = [line for line in first.stderr.splitlines() if line.startswith("its-store: warning:")]
    assert len(warning) == 1 and "camera_id as camera-id" in warning[0] and "site-x" not in warning[0], first
    stat = cli("stat", f"s3://{bucket}/m/a.jpg", "--json").json()
    assert stat["metadata"] == {"camera-id": "cam_1", "site-x": "a4"}, stat


def test_a_metadata_name_kept_as_sent_gets_no_warning(cli, bucket):
    run = cli("upload", "-", f"s3://{bucket}/a.jpg", "--meta", "camera_id=cam_1", input=b"frame")
    assert run.exit_code == 0 and "warning" not in run.stderr, run
    assert cli("stat", f"s3://{bucket}/a.jpg", "--json").json()["metadata"] == {"camera_id": "cam_1"}


# ------------------------------------------------------------------------- buckets on a server without features
@pytest.fixture
def rclone(rclone_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> tuple[Any, dict[str, str], Any]:
    """cli on `rclone serve s3` (no versioning, no object lock), MINIO_ENABLE_VERSIONING at its default (on)."""
    cli, env = server_cli(rclone_server_info, buckets, monkeypatch, tmp_path)
    return cli, env, plain_client(rclone_server_info)


def bucket_names(client: Any) -> set[str]:
    return {b.name for b in client.list_buckets()}


def test_bucket_create_on_rclone_leaves_no_half_made_bucket_and_a_default_is_no_promise(rclone):
    cli, env, client = rclone
    for flags, code, words in ((("--object-lock",), 78, "does not implement object lock"),
                               (("--versioning",), 1, "does not support versioning"),
                               (("--preset", "video"), 1, "does not support versioning")):
        name = unique("new")
        run = cli("bucket", "create", f"s3://{name}", *flags)
        line = one_line_error(run)
        assert run.exit_code == code and words in line and "removed again" in line, (flags, run)
        assert name not in bucket_names(client), (flags, "a half-made bucket was left")

    name = unique("new")
    run = cli("bucket", "create", f"s3://{name}", "--json")  # versioning by MINIO_ENABLE_VERSIONING: a default
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["versioning"] == "Off" and "without versioning" in doc["warnings"][0], doc
    [entry] = [e for e in audit_lines(env) if e["operation"] == "bucket_create" and e["result"] == "ok"]
    assert (entry["bucket"], entry["versioning"], entry["versioning_unavailable"]) == (name, False, "NotImplemented")
    on = cli("bucket", "versioning", f"s3://{name}", "on")
    assert on.exit_code == 1 and "does not support" in one_line_error(on), on


def test_init_and_first_writes_on_rclone_work_and_say_once_that_versioning_is_missing(rclone, buckets):
    cli, env, client = rclone
    run = cli("init")
    assert run.exit_code == 0, run
    warnings = [line for line in run.stderr.splitlines() if line.startswith("its-store: warning:")]
    assert len(warnings) == 1 and "without versioning" in warnings[0], run  # once, not per bucket
    assert set(buckets.values()) <= bucket_names(client)
    new = unique("auto")
    up = cli("upload", "-", f"s3://{new}/a.jpg", "--json", input=b"frame")  # created on first use
    assert up.exit_code == 0 and up.json()["version_id"] is None, up
    assert "without versioning" in up.stderr, up
    made = [e for e in audit_lines(env) if e["operation"] == "bucket_create"]
    assert len(made) == 5 and all(e["result"] == "ok" and e["versioning_unavailable"] for e in made), made


def test_bucket_info_on_rclone_names_each_field_it_cannot_read(rclone):
    """rclone answers ?lifecycle, ?tagging, ?encryption, ?object-lock and ?policy with the bucket listing and
    has no version listing: each of those fields is unknown with its reason, the counts come from the
    plain listing (one version per object), exit 0. It used to fail as a whole on the lifecycle."""
    cli, _, client = rclone
    bucket = unique("b")
    client.make_bucket(bucket)
    assert cli("upload", "-", f"s3://{bucket}/a.jpg", input=b"frame").exit_code == 0
    run = cli("bucket", "info", f"s3://{bucket}", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    counts = (doc["objects"], doc["versions"], doc["size"], doc["delete_markers"], doc["versioning"])
    assert counts == (1, 1, 5, 0, "Off"), doc
    assert {"lifecycle", "tags", "encryption", "object_lock", "public"} <= set(doc["unknown"]), doc
    assert all(doc[field] is None for field in ("lifecycle", "tags", "encryption", "object_lock", "public")), doc
    assert "ignores ?lifecycle" in doc["unknown"]["lifecycle"], doc
    human = cli("bucket", "info", f"s3://{bucket}")
    assert human.exit_code == 0 and "unknown (the server's answer to GetBucketLifecycleConfiguration" in " ".join(
        human.stdout.split()), human


# ---------------------------------------------------------------------------------- deletes that only hide
def test_batch_deletes_say_when_the_data_is_only_hidden(service, bucket, env):
    """delete_objects() (sync and async) in a versioned bucket: each key `deleted` with `delete_marker` true,
    as delete_object() says; every rm audit line of a batch (rm -r, sync, the registry) says so too. In a
    bucket without versions the data is gone: delete_marker false, and no such field on the audit line."""
    import asyncio

    from its_store import UploadRequest
    from its_store.aio import AsyncStorageService
    plain = unique("p")
    service.s3.make_bucket(plain)
    for name in (bucket, plain):
        for key in ("a.jpg", "b.jpg", "c.jpg"):
            service.upload_object(UploadRequest(bucket=name, key=key, data=b"frame"))
    done = service.delete_objects(bucket, ["a.jpg", "b.jpg"])
    assert [(r.key, r.deleted, r.delete_marker) for r in done] == [("a.jpg", True, True), ("b.jpg", True, True)]
    later = asyncio.run(AsyncStorageService(service).delete_objects(bucket, ["c.jpg"]))
    assert [(r.key, r.deleted, r.delete_marker) for r in later] == [("c.jpg", True, True)]
    gone = service.delete_objects(plain, ["a.jpg", "b.jpg"])
    assert [(r.deleted, r.delete_marker) for r in gone] == [(True, False), (True, False)]
    lines = [(e["bucket"], e["key"], e.get("delete_marker")) for e in audit_lines(env) if e["operation"] == "rm"]
    assert lines == [(bucket, "a.jpg", True), (bucket, "b.jpg", True), (bucket, "c.jpg", True),
                     (plain, "a.jpg", None), (plain, "b.jpg", None)]


def test_rm_recursive_audit_lines_say_delete_marker(cli, bucket, env):
    for key in ("d/a.jpg", "d/b.jpg"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=b"frame").exit_code == 0
    assert cli("rm", f"s3://{bucket}/d/", "-r", "--yes").exit_code == 0
    rm = [e for e in audit_lines(env) if e["operation"] == "rm"]
    assert [(e["key"], e["delete_marker"], e["size"]) for e in rm] == [("d/a.jpg", True, 5), ("d/b.jpg", True, 5)]


class Receiver:
    """A webhook listener on loopback that records each event and answers 204."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        events = self.events = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                events.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()  # a quick shutdown()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def test_model_rm_and_gc_webhook_events_say_the_data_is_hidden(cli, env, monkeypatch, receiver, tmp_path: Path):
    """The models bucket is versioned (MINIO_ENABLE_VERSIONING): `model rm` and `model gc` hide the files
    behind delete markers. Their `model.rm` events say `hidden: true` and the bytes still stored. An event
    is delivered or, past the send budget on a loaded machine, waits in the outbox: both are read."""
    monkeypatch.setenv("MINIO_MODEL_WEBHOOK_URL", receiver.url)
    weights = write_file(tmp_path / "w.onnx", 3_000, seed=9)
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        run = cli("model", "register", str(weights), "--name", "det", "--version", version, "--json")
        assert run.exit_code == 0, run
    rm = cli("model", "rm", "det@1.0.0", "--yes", "--json")
    assert rm.exit_code == 0 and rm.json()["hidden"] is True, rm
    gc = cli("model", "gc", "--keep-last", "1", "--older-than", "0s", "--yes", "--json")
    assert gc.exit_code == 0, gc
    queued = [json.loads(p.read_text()) for p in (Path(env["MINIO_CACHE_DIR"]) / "webhooks" / "outbox").rglob("*.json")]
    events = list({e["id"]: e for e in [*receiver.events, *queued]}.values())
    removed = sorted((e["version"], e.get("reason"), e["hidden"], e["hidden_bytes"]) for e in events
                     if e["event"] == "model.rm")
    assert [(v, reason, hidden) for v, reason, hidden, _ in removed] == [
        ("1.0.0", None, True), ("1.1.0", "gc", True)], events
    assert removed[0][3] == rm.json()["hidden_bytes"] and removed[1][3] >= 3_000, removed


# ------------------------------------------------------------------------ registry documents from the cache
def test_a_manifest_planted_in_the_metadata_cache_is_refused_like_one_from_the_server(cli, env, buckets,
                                                                                       tmp_path: Path):
    """The disk cache is a folder anyone with the cache dir can write: a manifest read back from it is checked
    again (registry/validate.py). A planted one (a file path that leaves the version's folder) is dropped,
    said in one warning, and the server's copy is used; the next process reads the good copy, quietly."""
    import copy
    import subprocess
    import sys

    from its_store import StorageService, load_settings
    weights = write_file(tmp_path / "w.onnx", 2_000, seed=3)
    assert cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0").exit_code == 0
    assert cli("model", "list", "--json").exit_code == 0  # files the manifest in the disk cache
    svc = StorageService(load_settings())
    key = "det/1.0.0/manifest.json"
    parts = ("model-registry", buckets["models"], key, svc.s3.stat(buckets["models"], key).etag.strip('"'))
    good = svc.cache.remember(parts, lambda: pytest.fail("the manifest is not in the disk cache"))
    bad = copy.deepcopy(good)
    bad["files"][0]["path"] = "../../outside.onnx"
    svc.cache.forget(parts)
    svc.cache.remember(parts, lambda: bad)
    svc.close()

    def model_list() -> subprocess.CompletedProcess[str]:  # a new process: its in-memory cache is empty
        return subprocess.run([sys.executable, "-m", "its_store", "model", "list", "--json"], capture_output=True,
                              text=True, check=False, timeout=120)
    first = model_list()
    assert first.returncode == 0, first
    [row] = [json.loads(line) for line in first.stdout.splitlines()]
    assert [f["path"] for f in row["files"]] == ["w.onnx"], row
    warnings = [line for line in first.stderr.splitlines() if line.startswith("its-store: warning:")]
    assert len(warnings) == 1 and "metadata cache held a copy" in warnings[0] and "files[0].path" in warnings[0], first
    second = model_list()
    assert second.returncode == 0 and second.stderr == "" and json.loads(second.stdout)["files"] == row["files"]
