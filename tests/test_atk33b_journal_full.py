"""Session 33, attacker 2: an upload journal that cannot be written is said, not silently dropped.

A multipart upload of a file is journaled under MINIO_CACHE_DIR/uploads so that the next run can continue it
(`--resume`) or abort what a dead server kept. On a full disk (a 1 MiB tmpfs as the cache folder) the
journal was dropped without a word: `upload --resume` said nothing, and after an interruption its hint ("run
the same command again with --resume") would start over and leave the first upload's parts stored. Expected:
the upload itself is done (exit 0), and one warning says the upload is not journaled.
"""

from __future__ import annotations

from pathlib import Path

from helpers import tiny_disk, write_file


def test_resumable_upload_says_when_its_journal_cannot_be_written(cli, env: dict[str, str], bucket: str,
                                                                   tmp_path: Path) -> None:
    """Fails on main (6f7ffca): exit 0 and nothing on stderr but the stats warning."""
    source = write_file(tmp_path / "clip.bin", 11 * 1024 * 1024, seed=3)  # 3 parts of 5 MiB
    cache = Path(env["MINIO_CACHE_DIR"])
    with tiny_disk(cache):
        (cache / "filler").write_bytes(b"\0" * 1024 * 1024)  # the tmpfs takes what fits: now it is full
        run = cli("upload", str(source), f"s3://{bucket}/clip.bin", "--resume")
    assert run.exit_code == 0, run
    warnings = [line for line in run.stderr.splitlines() if "journal" in line]
    assert len(warnings) == 1, run
    assert "cannot be resumed" in warnings[0], run
