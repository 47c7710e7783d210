"""Session 31, second attacker: the registry's dedup proof (registry/dedup.same_bytes).

same_bytes copies a dedup source server-side when the server's own CRC32 of it equals the local file's. CRC32
is no proof against a writer of the bucket: it is linear, and any content of the same size can be given any
CRC32 by choosing 4 of its bytes (below: 30 lines, microseconds). The server computes and checks that CRC
itself (SeaweedFS refuses a wrong x-amz-checksum-crc32 with BadDigest), so "the server's own checksum" is
the forger's to choose all the same. The version registered from such a source can never be pulled.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zlib
from pathlib import Path

from conftest import ServerInfo, plain_client


def with_crc32(prefix: bytes, target: int) -> bytes:
    """`prefix` + 4 bytes such that the whole has CRC32 `target` (CRC32 is affine over GF(2): the last 32
    bits are solved for by elimination)."""
    base = zlib.crc32(prefix + bytes(4))
    rows: list[tuple[int, int]] = []  # (effect on the CRC, which of the 32 bits make it), reduced
    for bit in range(32):
        effect, which = zlib.crc32(prefix + (1 << bit).to_bytes(4, "little")) ^ base, 1 << bit
        for row, row_bits in rows:
            if effect ^ row < effect:
                effect, which = effect ^ row, which ^ row_bits
        if effect:
            rows.append((effect, which))
            rows.sort(reverse=True)
    need, bits = base ^ target, 0
    for row, row_bits in rows:
        if need ^ row < need:
            need, bits = need ^ row, bits ^ row_bits
    assert need == 0
    return prefix + bits.to_bytes(4, "little")


def test_a_dedup_source_forged_to_the_files_crc32_is_not_copied(cli, s3_server: ServerInfo,
                                                               buckets: dict[str, str], tmp_path: Path) -> None:
    """Another writer of the models bucket stores bytes of the weights' size AND CRC32 (the server computes
    and checks it) under x-amz-meta-sha256 = the weights' sha256, and an index entry naming them.
    Fails on main (6bbd787): register copies the forged object (copied_files 1) and `model pull` of the
    version is exit 4 for ever. Expected: dedup copies only on a proof a writer cannot forge (a server
    SHA-256 checksum of the source, e.g. x-amz-checksum-sha256), else uploads."""
    real = b"W" * 4096
    forged = with_crc32(b"X" * 4092, zlib.crc32(real))
    assert len(forged) == len(real) and zlib.crc32(forged) == zlib.crc32(real) and forged != real
    weights = tmp_path / "w.onnx"
    weights.write_bytes(real)
    digest = hashlib.sha256(real).hexdigest()
    client = plain_client(s3_server)
    crc = base64.b64encode(zlib.crc32(forged).to_bytes(4, "big")).decode()
    client.put_object(buckets["models"], "other/9.9.9/w.onnx", io.BytesIO(forged), len(forged),
                      metadata={"sha256": digest, "x-amz-checksum-crc32": crc})
    entry = json.dumps({"key": "other/9.9.9/w.onnx", "size": len(real), "sha256": digest}).encode()
    client.put_object(buckets["models"], f"_index/sha256/{digest}", io.BytesIO(entry), len(entry))
    run = cli("--json", "model", "register", str(weights), "--name", "det", "--version", "1.0.0")
    assert run.exit_code == 0, run
    pulled = cli("model", "pull", "det@1.0.0", str(tmp_path / "pulled"))
    assert pulled.exit_code == 0, (run.json(), pulled)


def test_a_manifest_the_previous_release_wrote_stays_readable(cli, s3_server: ServerInfo, buckets: dict[str, str],
                                                              tmp_path: Path) -> None:
    """f6b2857 cut the manifest size rule from 256 MiB to 4 MiB ("the most its-store writes"), for reading too.
    its-store up to b76b436 registered a model of ~19,000+ files with a manifest above 4 MiB (~220 bytes a
    file), and such a version is now refused as "larger than 4,194,304 bytes, the most its-store writes":
    `model list` exits 4 without it, and show/pull of it fail. Passes on b76b436, fails on 6bbd787. Expected:
    what an earlier release wrote stays readable (a read limit at least the old writer's, or a migration)."""
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    assert cli("model", "register", str(weights), "--name", "seed", "--version", "1.0.0").exit_code == 0
    client = plain_client(s3_server)
    resp = client.get_object(buckets["models"], "seed/1.0.0/manifest.json")
    try:
        manifest = json.loads(resp.read())
    finally:
        resp.close()
        resp.release_conn()
    one = manifest["files"][0]
    manifest["name"] = "big"
    manifest["files"] = [dict(one, path=f"shard/part-{i:06d}.bin") for i in range(26_000)] + [one]
    manifest["size"] = one["size"] * len(manifest["files"])
    body = json.dumps(manifest).encode()
    assert len(body) > 4 * 1024 * 1024, len(body)  # what the previous release wrote for 26,001 files
    client.put_object(buckets["models"], "big/1.0.0/manifest.json", io.BytesIO(body), len(body),
                      content_type="application/json")
    run = cli("--json", "model", "list", "big")
    assert run.exit_code == 0, run
    assert [r["version"] for r in run.jsonl()] == ["1.0.0"], run
