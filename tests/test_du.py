"""`du` against a known tree on the real server: totals at depth 0, 1 and 2, --versions, human and --json."""

from __future__ import annotations

from pathlib import Path

from its_store.service.usage import folders_of

from conftest import one_line_error, unique

# key -> size: a tree with objects at several levels, a folder marker, and a key outside the prefix
TREE = {
    "site/top.bin": 100,
    "site/cam1/a.jpg": 1_000,
    "site/cam1/b.jpg": 2_000,
    "site/cam1/night/c.jpg": 4_000,
    "site/cam1/night/deep/d.jpg": 8_000,
    "site/cam2/e.jpg": 16_000,
    "site/cam2/day/f.jpg": 32_000,
    "other/g.jpg": 64_000,
}


def _put_tree(service, bucket: str) -> None:
    from helpers import random_bytes
    for i, (key, size) in enumerate(TREE.items()):
        service.s3.put(bucket, key, random_bytes(size, seed=i), {"Content-Type": "image/jpeg"})


def _rows(doc: dict) -> dict[str, tuple[int, int]]:
    return {row["prefix"]: (row["bytes"], row["objects"]) for row in doc["prefixes"]}


def test_folders_of():
    assert folders_of("a/b/c.jpg", 2) == ["a/", "a/b/"]
    assert folders_of("a/b/c.jpg", 1) == ["a/"]
    assert folders_of("a/b/c.jpg", 5) == ["a/", "a/b/"]
    assert folders_of("x.jpg", 3) == [] and folders_of("a/b/c.jpg", 0) == []


NOT_COUNTED = {"noncurrent": None, "noncurrent_bytes": None, "delete_markers": None}  # without --versions


def test_du_depths_against_a_known_tree(cli, service, bucket):
    _put_tree(service, bucket)
    site = {k: v for k, v in TREE.items() if k.startswith("site/")}
    run = cli("du", f"s3://{bucket}/site", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["prefix"] == "site/" and doc["depth"] == 0 and doc["prefixes"] == []
    assert doc["total"] == {"prefix": "site/", "bytes": sum(site.values()), "objects": len(site), **NOT_COUNTED}

    doc = cli("du", f"s3://{bucket}/site/", "--depth", "1", "--json").json()
    assert _rows(doc) == {"site/cam1/": (15_000, 4), "site/cam2/": (48_000, 2)}
    assert doc["total"]["bytes"] == 63_100  # top.bin counts in the total only

    doc = cli("du", f"s3://{bucket}/site/", "-d", "2", "--json").json()
    assert _rows(doc) == {"site/cam1/": (15_000, 4), "site/cam1/night/": (12_000, 2),
                          "site/cam2/": (48_000, 2), "site/cam2/day/": (32_000, 1)}

    whole = cli("du", f"s3://{bucket}", "--depth", "1", "--json").json()
    assert whole["total"] == {"prefix": "", "bytes": sum(TREE.values()), "objects": len(TREE), **NOT_COUNTED}
    assert _rows(whole) == {"other/": (64_000, 1), "site/": (63_100, 7)}

    human = cli("du", f"s3://{bucket}/site/", "--depth", "1")
    assert human.exit_code == 0
    lines = human.stdout.splitlines()
    assert len(lines) == 3 and lines[-1].endswith(f"s3://{bucket}/site/  (total)")
    assert "4 objects" in lines[0] and lines[0].endswith(f"s3://{bucket}/site/cam1/")


def test_du_versions_counts_noncurrent_and_delete_markers(cli, service, bucket):
    _put_tree(service, bucket)
    from helpers import random_bytes
    service.s3.put(bucket, "site/cam1/a.jpg", random_bytes(1_500, seed=99), {})  # a.jpg now has 2 versions
    service.s3.remove(bucket, "site/cam2/e.jpg")  # e.jpg: a delete marker over its one version
    doc = cli("du", f"s3://{bucket}/site/", "--json").json()  # current objects only
    assert doc["total"] == {"prefix": "site/", "bytes": 63_100 + 500 - 16_000, "objects": 6, **NOT_COUNTED}
    doc = cli("du", f"s3://{bucket}/site/", "--depth", "1", "--versions", "--json").json()
    assert doc["versions"] is True
    assert doc["total"] == {"prefix": "site/", "bytes": 63_100 + 1_500, "objects": 6, "noncurrent": 2,
                            "noncurrent_bytes": 1_000 + 16_000, "delete_markers": 1}
    cam2 = next(r for r in doc["prefixes"] if r["prefix"] == "site/cam2/")
    assert cam2 == {"prefix": "site/cam2/", "bytes": 48_000, "objects": 1, "noncurrent": 1,
                    "noncurrent_bytes": 16_000, "delete_markers": 1}
    human = cli("du", f"s3://{bucket}/site/", "--versions")
    assert "2 noncurrent" in human.stdout and "1 delete markers" in human.stdout


def test_du_errors(cli, bucket):
    run = cli("du", f"s3://{unique('nb')}/")
    assert run.exit_code == 3 and "not found" in one_line_error(run)
    run = cli("du", f"s3://{bucket}/", "--depth", "-1")
    assert run.exit_code == 2
    empty = cli("du", f"s3://{bucket}/nothing/", "--json").json()
    assert empty["total"] == {"prefix": "nothing/", "bytes": 0, "objects": 0, **NOT_COUNTED}


def test_du_streams_many_objects_in_bounded_memory(cli, service, bucket, tmp_path: Path, monkeypatch):
    """105 objects in 3 folders (two listing pages of at most 100 keys: the max-keys every listing sends,
    here a tenth of its 1,000): the counts are exact. (1,500 at full size proved no more than 1,050: what
    counts is a second page.)"""
    from concurrent.futures import ThreadPoolExecutor

    from its_store.s3 import listing
    monkeypatch.setattr(listing, "MAX_KEYS", "100")
    keys = [f"m/f{i % 3}/o{i:05d}" for i in range(105)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: service.s3.put(bucket, k, b"x" * 10, {}), keys))
    doc = cli("du", f"s3://{bucket}/m/", "--depth", "1", "--json").json()
    assert doc["total"]["objects"] == 105 and doc["total"]["bytes"] == 1_050
    assert _rows(doc) == {f"m/f{j}/": (350, 35) for j in range(3)}
