"""Session 32, second attacker: the metadata cache in a folder someone else owns or may write.

.env and remotes.toml follow ssh's rule (core/remote_config.check_access): another user's file, or one
others may write, is refused. The disk cache (MINIO_CACHE_DIR / XDG_CACHE_HOME, e.g. a shared /srv/cache or
a folder made by another account first) follows no such rule: a cache.db another user owns, world-writable,
is used as is. That user reads the identity fingerprints of the entries written into it and rewrites an
entry's value: `its-store stat` (and StorageService.stat_object) then shows a forged custody SHA-256 and
metadata, served from the cache without asking the server (the TTL is an hour by default).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from conftest import ServerInfo, plain_client, unique

FORGED = "f" * 64


def test_a_cache_another_user_can_write_does_not_answer_stat(env: dict[str, str], s3_server: ServerInfo,
                                                          tmp_path: Path) -> None:
    """Fails on main (a83dc6e): the second service's stat_object returns sha256 'fff...f' (the forged
    entry) and metadata {'camera_id': 'forged'}. Expected: a cache folder or database owned by another
    user, or writable by others, is not used (a warning, then the next cache level or none), as a .env or
    remotes.toml of that kind is refused; at least the answer comes from the server."""
    from its_store import StorageService, UploadRequest, load_settings

    metadata = Path(env["MINIO_CACHE_DIR"]) / "metadata"
    metadata.mkdir(parents=True)
    name = unique("b")
    plain_client(s3_server).make_bucket(name)
    frame = tmp_path / "frame.jpg"
    frame.write_bytes(b"\xff\xd8\xff camera frame")
    first = StorageService(load_settings())
    first.upload_object(UploadRequest(bucket=name, key="cam/f.jpg", file_path=frame,
                                      metadata={"camera_id": "cam-1"}))
    real = first.stat_object(name, "cam/f.jpg").sha256  # the stat is cached now
    first.close()
    assert real and real != FORGED

    # the folder and database belong to another user, who may write them (made first by that account)
    for path in (metadata.parent, metadata, *metadata.iterdir()):
        shutil.chown(path, "nobody", "nogroup")
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    with sqlite3.connect(metadata / "cache.db") as db:  # what that user does
        for rowid, value in db.execute("SELECT rowid, value FROM Cache").fetchall():
            if isinstance(value, str) and real in value:
                entry = json.loads(value)
                entry["v"]["sha256"] = FORGED
                entry["v"]["metadata"] = {"camera_id": "forged"}
                db.execute("UPDATE Cache SET value = ? WHERE rowid = ?", (json.dumps(entry), rowid))

    second = StorageService(load_settings())
    try:
        info: Any = second.stat_object(name, "cam/f.jpg")
    finally:
        second.close()
    assert info.sha256 == real, info
    assert info.metadata.get("camera_id") == "cam-1", info


def test_an_audit_log_another_user_may_rewrite_is_neither_written_nor_shown(cli, env: dict[str, str],
                                                                            bucket: str, tmp_path: Path) -> None:
    """Fails on main (a83dc6e): the upload appends its line to an audit.log owned by `nobody`, mode 0666 (a
    file whose owner can rewrite or drop any line), exit 0, no word on stderr; and `audit tail --json` shows
    the delete line that user wrote as if this account had done it. A symlink there is refused ("is a
    symbolic link, not a regular file ... its audit line is lost"); expected the same for a file another
    user owns or may write: the one error line, and `audit tail` refusing it (exit 78), as for a .env."""
    log = Path(env["MINIO_AUDIT_LOG"])
    log.parent.mkdir(parents=True, exist_ok=True)
    forged = {"time": "2026-12-07T07:00:00.000Z", "operation": "delete", "bucket": bucket, "key": "cam/evidence.jpg",
              "version_id": None, "size": 0, "result": "ok"}
    log.write_text(json.dumps(forged) + "\n")
    shutil.chown(log, "nobody", "nogroup")
    os.chmod(log, 0o666)
    (tmp_path / "f.jpg").write_bytes(b"\xff\xd8\xff frame")
    run = cli("upload", "f.jpg", f"s3://{bucket}/cam/f.jpg")
    assert run.exit_code == 74, run  # stored, its audit line lost: said, and exit 74 (state/audit.py)
    assert "audit" in run.stderr, run  # the line was not kept in a file another user controls: said
    tail = cli("--json", "audit", "tail")
    assert "cam/evidence.jpg" not in tail.stdout, tail


def test_a_shared_redis_entry_written_by_another_client_does_not_answer_stat(
        env: dict[str, str], s3_server: ServerInfo, redis_server: Any, monkeypatch: Any, tmp_path: Path) -> None:
    """Fails on main (a83dc6e): same forgery through a Redis several machines share (the set-up the cache
    module names). The identity fingerprint sits in the hash field's name, readable by any Redis client, so
    whoever may write the Redis rewrites the value: stat_object returns sha256 'fff...f'. The registry's
    documents read back from Redis are validated again (registry/docs.py), object stats are not, and no
    validation can tell a forged SHA-256 from a real one. Expected: a cached value carries a MAC keyed by
    the credentials (e.g. HMAC-SHA256 with a key derived from the secret, as identity_of already derives
    one), and one that does not verify is a miss."""
    import redis

    from its_store import StorageService, UploadRequest, load_settings

    monkeypatch.setenv("MINIO_REDIS_URL", redis_server.url)
    name = unique("b")
    plain_client(s3_server).make_bucket(name)
    frame = tmp_path / "frame.jpg"
    frame.write_bytes(b"\xff\xd8\xff camera frame")
    first = StorageService(load_settings())
    first.upload_object(UploadRequest(bucket=name, key="cam/f.jpg", file_path=frame))
    real = first.stat_object(name, "cam/f.jpg").sha256
    first.close()
    assert real and real != FORGED

    other = redis.Redis.from_url(redis_server.url)  # another machine's client of the shared Redis
    forged = 0
    for group in other.scan_iter(match="its-store:meta:*"):
        if name.encode() not in group:
            continue
        for item, value in other.hgetall(group).items():
            if real.encode() in value:
                other.hset(group, item, value.replace(real.encode(), FORGED.encode()))
                forged += 1
    assert forged == 1

    second = StorageService(load_settings())
    try:
        info: Any = second.stat_object(name, "cam/f.jpg")
    finally:
        second.close()
    assert info.sha256 == real, info


def test_a_forged_cache_entry_does_not_steer_the_documented_filtered_delete(env: dict[str, str],
                                                                         s3_server: ServerInfo) -> None:
    """Fails on main (a83dc6e): the product documentation's "Batch Operations" lists with
    object_types=[VIDEO_FRAME], include_metadata=True and deletes what comes back. The object type of each
    listed object comes from the metadata cache (checked against the listing's ETag and size only), so a
    rewritten entry (a cache.db others may write, or a shared Redis: see above) makes a model artifact a
    "video frame": list_objects returns seed/model.pt and the documented loop deletes it. Expected: a
    listing filter that feeds deletes never rests on a cache value that is not authenticated."""
    from its_store import ListObjectsRequest, ObjectType, StorageService, UploadRequest, load_settings

    metadata = Path(env["MINIO_CACHE_DIR"]) / "metadata"
    metadata.mkdir(parents=True)
    name = unique("b")
    plain_client(s3_server).make_bucket(name)
    request = ListObjectsRequest(bucket=name, prefix="seed/", object_types=[ObjectType.VIDEO_FRAME],
                                 include_metadata=True)
    first = StorageService(load_settings())
    first.upload_object(UploadRequest(bucket=name, key="seed/frame.jpg", data=b"\xff\xd8\xff frame",
                                      object_type=ObjectType.VIDEO_FRAME))
    first.upload_object(UploadRequest(bucket=name, key="seed/model.pt", data=b"weights",
                                      object_type=ObjectType.MODEL_ARTIFACT))
    assert [o.key for o in first.list_objects(request)] == ["seed/frame.jpg"]  # every stat is cached now
    first.close()
    for path in (metadata.parent, metadata, *metadata.iterdir()):
        shutil.chown(path, "nobody", "nogroup")
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    with sqlite3.connect(metadata / "cache.db") as db:  # what the other user does
        for rowid, key, value in db.execute("SELECT rowid, key, value FROM Cache").fetchall():
            if "seed/model.pt" in str(key) and '"stat"' in str(key):
                entry = json.loads(value)
                entry["v"]["object_type"] = "video_frame"
                db.execute("UPDATE Cache SET value = ? WHERE rowid = ?", (json.dumps(entry), rowid))

    second = StorageService(load_settings())
    try:
        listed = [o.key for o in second.list_objects(request)]
    finally:
        second.close()
    assert listed == ["seed/frame.jpg"]


class _Receiver:
    """A webhook receiver on loopback that keeps every POST (headers, body) it gets and answers 204."""

    def __init__(self) -> None:
        import http.server
        import threading

        got: list[tuple[dict[str, str], bytes]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.got = got
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_outbox_another_user_may_write_does_not_get_its_events_signed(cli, env: dict[str, str]) -> None:
    """Fails on main (a83dc6e): the outbox lives in the cache folder (<cache dir>/webhooks/outbox/<target>/),
    and every JSON file with an "id" found there is signed with MINIO_MODEL_WEBHOOK_SECRET and POSTed by the
    next model command or `model webhooks flush`. With that folder writable by another user (the cache folder
    made by another account, or shared), that user's `model.promote ... production` event reaches the receiver
    with a valid X-Its-Signature: the HMAC proves nothing any more. Expected: an outbox folder, or an event
    file, that another user owns or may write is not sent (one warning, set aside as FIFOs are)."""
    import hashlib
    import hmac

    from its_store.core.settings import load_settings
    from its_store.registry.webhooks import outbox_dir

    receiver = _Receiver()
    try:
        extra = {"MINIO_MODEL_WEBHOOK_URL": receiver.url, "MINIO_MODEL_WEBHOOK_SECRET": "hook-secret"}
        os.environ.update(extra)  # monkeypatch-restored: env() set MINIO_* through monkeypatch
        try:
            outbox = outbox_dir(load_settings())
        finally:
            for name in extra:
                del os.environ[name]
        outbox.mkdir(parents=True)
        for path in (*reversed(outbox.parents[:3]), outbox):  # its-store/webhooks/outbox/<target>: another's
            if str(path).startswith(env["MINIO_CACHE_DIR"]):
                shutil.chown(path, "nobody", "nogroup")
                os.chmod(path, 0o777)
        forged = {"id": "f" * 32, "event": "model.promote", "model": "yolo11_traffic", "version": "6.6.6",
                  "alias": "production", "actor": "ci@build", "time": "2026-12-07T08:00:00.000Z"}
        event = outbox / f"{0:020d}-{'f' * 32}.json"
        event.write_text(json.dumps(forged))
        shutil.chown(event, "nobody", "nogroup")

        run = cli("model", "webhooks", "flush", extra_env=extra)
        signed = [(h, b) for h, b in receiver.got
                  if h.get("x-its-signature") == "sha256=" + hmac.new(b"hook-secret", b, hashlib.sha256).hexdigest()]
        assert not any(b"6.6.6" in body for _h, body in signed), (run, receiver.got)
    finally:
        receiver.close()
