"""The plain minio-py baseline of bench/run.py: the SDK alone, no its-store code, on a thread pool.

    sdk_baseline.py W4 SRC_DIR PREFIX | W5 PREFIX DST_DIR | W6 PREFIX | W2 FILE KEY | W3 KEY FILE | V1 PREFIX -
                    [WORKERS]

Bucket `bench`; endpoint and keys from MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY, MINIO_SECURE and
MINIO_CA_BUNDLE (run.py's Tools.env). Over plain HTTP minio signs every payload (x-amz-content-sha256), as
every peer does. W4 puts each file, W5 lists then GETs each key into its file, W6 lists, W2 puts one file
in 64 MiB parts 4 at a time, W3 writes 8 ranged GETs into one file. No temp file, no check, no record:
what the SDK costs per object, the floor its-store's per-object path is measured against. V1 is the floor
of `its-store verify` (the scrub): list, then GET each key and compare the SHA-256 of its body with the
its-sha256 its upload recorded (exit 4 if one differs or has none); nothing written.
"""
import hashlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import urllib3
from minio import Minio

B, MiB = "bench", 1024 * 1024
W, A, Z = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
N = int(sys.argv[4]) if len(sys.argv) > 4 else 16
ca = os.environ.get("MINIO_CA_BUNDLE")
c = Minio(os.environ["MINIO_ENDPOINT"], os.environ["MINIO_ACCESS_KEY"], os.environ["MINIO_SECRET_KEY"],
          secure=os.environ.get("MINIO_SECURE") == "true", region="us-east-1",
          http_client=urllib3.PoolManager(maxsize=N, ca_certs=ca, retries=urllib3.Retry(3, backoff_factor=0.2)))


def put(path: str, key: str) -> None:
    with open(path, "rb") as fh:
        c.put_object(B, key, fh, os.fstat(fh.fileno()).st_size)


def get(key: str, path: str, offset: int = 0, length: int = 0, fd: int | None = None) -> None:
    resp = c.get_object(B, key, offset=offset, length=length)
    try:
        if fd is None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(resp.read())
        else:
            for chunk in resp.stream(MiB):
                offset += os.pwrite(fd, chunk, offset)
    finally:
        resp.close()
        resp.release_conn()


def sha_ok(key: str) -> bool:
    resp = c.get_object(B, key)
    try:
        return hashlib.sha256(resp.read()).hexdigest() == resp.headers.get("x-amz-meta-its-sha256")
    finally:
        resp.close()
        resp.release_conn()


with ThreadPoolExecutor(N) as pool:
    if W == "W4":
        files = [os.path.join(d, f) for d, _, fs in os.walk(A) for f in fs]
        list(pool.map(lambda p: put(p, f"{Z}/{os.path.relpath(p, A)}"), files))
    elif W == "W5":
        keys = [o.object_name for o in c.list_objects(B, A + "/", recursive=True)]
        list(pool.map(lambda k: get(k, os.path.join(Z, k[len(A) + 1:])), keys))
    elif W == "V1":
        keys = [o.object_name for o in c.list_objects(B, A + "/", recursive=True)]
        if not all(list(pool.map(sha_ok, keys))):
            sys.exit(4)
    elif W == "W6":
        sys.stdout.writelines(f"{o.object_name}\t{o.size}\n" for o in c.list_objects(B, A + "/", recursive=True))
    elif W == "W2":
        with open(A, "rb") as fh:
            c.put_object(B, Z, fh, os.fstat(fh.fileno()).st_size, part_size=64 * MiB, num_parallel_uploads=4)
    elif W == "W3":
        size, fd = c.stat_object(B, A).size or 0, os.open(Z, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        step = -(-size // 8)
        list(pool.map(lambda o: get(A, Z, o, min(step, size - o), fd), range(0, size, step)))
        os.close(fd)
