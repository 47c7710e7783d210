"""A hostile-key corpus (tests/helpers.hostile_keys), stored by another client (boto3), walked by every
command that lists keys: ls, rm -r, sync both ways (with --delete), get -r, mv -r, verify, du, audit
tail, ls --versions / rm --all-versions, model pull. Promises checked on every server that stores the keys:
- nothing escapes a folder (a file is written only where its key maps under the destination);
- no key blocks the others (one key XML 1.0 cannot carry does not fail a batch delete);
- human output is escaped (every line printable, one line per key) and --json is exact;
- every skipped key is reported, with its reason.

What each server refuses to store (boto3 PUT, the versions in the test extra): SeaweedFS refuses every
'.'/'..' segment and 'back\\..\\x' (InvalidRequest) and the 256-byte segment (KeyTooLongError), and
stores 'double//slash' as 'double/slash'; moto refuses keys holding a newline (404: its URL routing),
stores everything else, dot segments included; `rclone serve s3` (a folder) refuses dot segments,
'//', the 256-byte segment and 'both/child' beside the file 'both'. SeaweedFS's version listing
ignores encoding-type=url and writes U+FFFD for characters XML cannot hold; moto's writes them raw
(unparsable XML), rclone has no versions: the version tests run on SeaweedFS.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from its_store.cli.output import safe
from its_store.core.refs import local_name_problem

from helpers import Corpus, boto3_client, corpus_on, held_keys, hostile_keys


@pytest.fixture(params=["seaweedfs", "moto", "rclone"])
def every_server(request, buckets, monkeypatch, tmp_path) -> Corpus:
    """The corpus on each server (the listing and delete promises)."""
    return corpus_on(request, request.param, buckets, monkeypatch, tmp_path)


@pytest.fixture(params=["seaweedfs", "moto"])
def walk_server(request, buckets, monkeypatch, tmp_path) -> Corpus:
    """The corpus on the servers that hold a file and a folder of one name (the local-path promises)."""
    return corpus_on(request, request.param, buckets, monkeypatch, tmp_path)


def printable_lines(text: str, sep: str = "") -> list[str]:
    """The lines of `text`, asserting each is printable (no control character reached the terminal)
    but for the field separator `sep` (a tab in sync's item lines)."""
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    bad = [line for line in lines if not line.replace(sep or "\n", "").isprintable()]
    assert not bad, bad[:3]
    assert "\r" not in text and "\x1b" not in text
    return lines


def unsafe(corpus: Corpus) -> dict[str, str]:
    """{key: why} of the keys the local-path rule refuses (core/refs.local_name_problem)."""
    found = {k: local_name_problem(k[len("h/"):]) for k in corpus.held}
    return {k: why for k, why in found.items() if why}


def escaped_files(corpus: Corpus, test_dir: Path, dest: Path) -> list[str]:
    """Files written outside `dest`: corpus content (a key's own bytes) anywhere else in the test's
    folder, or at the place a key naively joined to `dest` would reach ('a/../../../../etc/x')."""
    import os
    found = []
    for path in test_dir.rglob("*"):
        if path.is_file() and not path.is_symlink() and dest not in path.parents:
            if path.read_bytes()[:2] == b"h/":
                found.append(str(path))
    for key in corpus.held:
        naive = os.path.normpath(os.path.join(dest, key[len("h/"):]))
        if not naive.startswith(str(dest) + os.sep) and os.path.isfile(naive):
            if Path(naive).read_bytes() == corpus.content[key]:
                found.append(naive)
    return found


# -- the corpus itself ---------------------------------------------------------------------------------

def test_corpus_covers_what_the_issue_names():
    keys = hostile_keys()
    assert len(keys) >= 40 and len(set(keys)) == len(keys)
    assert {chr(c) for c in [*range(1, 0x20), 0x7F]} <= {k[9] for k in keys if k.startswith("h/ctl/")}
    assert {"h/..", "h/.", "h/../escape", "h/./dot", "h/a/../../../../etc/x"} <= set(keys)
    assert any(len(k.split("/")[-1].encode()) == 255 for k in keys)
    assert any(len(k.split("/")[-1].encode()) == 256 for k in keys)
    assert any(len(k.encode()) == 1024 for k in keys)
    assert {"h/nf/caf\u00e9", "h/nf/cafe\u0301", "h/pct/a%2Fb", "h/both", "h/both/child"} <= set(keys)
    assert {"h/trail/name.", "h/trail/name "} <= set(keys)


def test_every_server_stores_most_of_the_corpus(every_server):
    c = every_server
    assert len(c.held) >= 40, c.refused
    if c.kind == "seaweedfs":  # the server refuses the dot segments itself
        assert "h/../escape" in c.refused and "h/ctl/01-\x01-x" in c.held
    if c.kind == "moto":  # moto stores them: the local-path rule is what keeps them in the folder
        assert "h/../escape" in c.held and "h/a/../../../../etc/x" in c.held


# -- listing and deleting: every server --------------------------------------------------------------

def test_ls_is_exact_in_json_and_escaped_for_humans(every_server):
    c = every_server
    as_json = c.cli("ls", f"s3://{c.bucket}/h/", "-r", "--json")
    assert as_json.exit_code == 0, as_json
    assert sorted(item["key"] for item in as_json.jsonl()) == c.held  # exact, byte for byte
    human = c.cli("ls", f"s3://{c.bucket}/h/", "-r")
    assert human.exit_code == 0, human
    lines = printable_lines(human.stdout)
    assert len(lines) == len(c.held)  # the key holding a newline did not forge a line
    for key in c.held:
        assert sum(line.endswith("  " + safe(key)) for line in lines) == 1, key
    assert not any(line.startswith("2026-01-01 00:00:00") for line in lines)  # no forged line
    top = c.cli("ls", f"s3://{c.bucket}/h/")
    assert top.exit_code == 0, top
    printable_lines(top.stdout)
    meta = c.cli("ls", f"s3://{c.bucket}/h/", "-r", "--metadata", "--json")  # a HEAD per key
    assert meta.exit_code == 0, meta
    assert sorted(item["key"] for item in meta.jsonl()) == c.held


def test_rm_r_deletes_every_key_and_none_blocks_the_others(every_server):
    c = every_server
    dry = c.cli("rm", "-r", "--dry-run", f"s3://{c.bucket}/h/")
    assert dry.exit_code == 0, dry
    assert sorted(printable_lines(dry.stdout)) == sorted(safe(k) for k in c.held)
    printable_lines(dry.stderr)
    run = c.cli("rm", "-r", "--yes", f"s3://{c.bucket}/h/", "--json")
    doc = run.json()
    deleted, failed = {o["key"] for o in doc["objects"]}, {e["key"] for e in doc["errors"]}
    left = set(held_keys(c.client, c.bucket, "h/"))
    assert deleted | failed == set(c.held) and not deleted & failed
    assert not deleted & left and failed <= left  # reported deleted = gone; what is left is reported
    # every key is deleted, but one rclone lists after refusing its PUT (a 256-byte name it cannot
    # make a file of) and cannot delete either
    assert failed == {k for k in c.held if k in c.refused}, doc["errors"]
    assert run.exit_code == (0 if not failed else 1), run
    tail = c.cli("audit", "tail", "-n", "1000", "--json")
    assert {e["key"] for e in tail.jsonl() if e.get("operation") == "rm"} == set(c.held)
    human = c.cli("audit", "tail", "-n", "1000")
    assert human.exit_code == 0, human
    printable_lines(human.stdout)


def test_sync_delete_removes_every_hostile_key(every_server, tmp_path: Path):
    c = every_server
    src = tmp_path / "src"
    src.mkdir()
    (src / "keep.txt").write_bytes(b"keep")
    run = c.cli("sync", str(src), f"s3://{c.bucket}/h/", "--delete")
    phantom = {k[len("h/"):] for k in c.held if k in c.refused}
    assert run.exit_code == (0 if not phantom else 1), run
    lines = printable_lines(run.stdout, "\t")
    assert sorted(line.split("\t")[1] for line in lines if line.startswith("delete\t")) == \
        sorted(safe(k) for k in c.relative() if k not in phantom)
    assert sorted(line.split("\t")[1] for line in lines if line.startswith("FAIL\t")) == sorted(phantom)
    phantom = sorted(k for k in c.held if k in c.refused)  # rclone's: listed, never stored (see above)
    assert held_keys(c.client, c.bucket, "h/") == sorted(["h/keep.txt", *phantom])


# -- writing keys as files: SeaweedFS and moto ----------------------------------------------------------

def test_get_r_keeps_every_key_in_its_folder_and_reports_each_skip(walk_server, tmp_path: Path):
    c = walk_server
    skip = unsafe(c)
    assert skip  # control characters on both servers, dot segments too on moto
    run = c.cli("get", f"s3://{c.bucket}/h/", "out", "-r", "--json")
    doc = run.json()
    assert {s["key"]: s["reason"] for s in doc["skipped_items"]} == skip  # exact keys, each with its reason
    assert doc["skipped"] == len(skip)
    # the file "both" and the folder "both/" cannot both exist: exactly one of them fails, alone
    assert [e["key"] for e in doc["errors"]] in (["h/both"], ["h/both/child"]), doc["errors"]
    assert run.exit_code != 0
    out = tmp_path / "out"
    failed = {e["key"] for e in doc["errors"]}
    for key in c.held:
        if key not in skip and key not in failed:
            assert (out / key[len("h/"):]).read_bytes() == c.content[key], key
    assert escaped_files(c, tmp_path, out) == []
    human = c.cli("get", f"s3://{c.bucket}/h/", "again", "-r")
    lines = printable_lines(human.stderr)
    assert sorted(line for line in lines if line.startswith("skipped: ")) == \
        sorted(f"skipped: {safe(k)}: {safe(why)}" for k, why in skip.items())


def test_sync_down_then_up_with_delete(walk_server, tmp_path: Path):
    c = walk_server
    skip = unsafe(c)
    down = c.cli("sync", f"s3://{c.bucket}/h/", "down", "--json")
    doc = down.json()
    assert {s["key"]: s["reason"] for s in doc["skipped"]} == skip
    failed = [f["key"] for f in doc["failed"]]
    assert failed in (["h/both"], ["h/both/child"]), doc["failed"]  # one name, a file and a folder
    copied = sorted(i["path"] for i in doc["copied"])
    assert copied == sorted(k[len("h/"):] for k in c.held if k not in skip and k not in failed)
    assert escaped_files(c, tmp_path, tmp_path / "down") == []
    human = c.cli("sync", f"s3://{c.bucket}/h/", "down2")
    lines = printable_lines(human.stdout, "\t")
    assert len([line for line in lines if line.startswith("skip\t")]) == len(skip)
    up = c.cli("sync", "down", f"s3://{c.bucket}/u/", "--json")
    assert up.exit_code == 0, up
    assert held_keys(c.client, c.bucket, "u/") == sorted("u/" + p for p in copied)  # keys as long as h/'s
    # --delete back onto the corpus: every key the folder lacks goes, XML-unsafe ones included
    back = c.cli("sync", "down", f"s3://{c.bucket}/h/", "--delete", "--json")
    assert back.exit_code == 0, back
    assert held_keys(c.client, c.bucket, "h/") == sorted("h/" + p for p in copied)


def test_mv_r_moves_what_it_can_and_leaves_the_rest(walk_server, tmp_path: Path):
    c = walk_server
    skip = unsafe(c)
    run = c.cli("mv", f"s3://{c.bucket}/h/", "moved/", "-r", "--json")
    doc = run.json()
    assert {s["key"]: s["reason"] for s in doc["skipped_items"]} == skip
    failed = [e["key"] for e in doc["errors"]]
    assert failed in (["h/both"], ["h/both/child"]), doc["errors"]
    left = held_keys(c.client, c.bucket, "h/")
    assert left == sorted([*skip, *failed])  # only what was moved and verified is gone
    assert escaped_files(c, tmp_path, tmp_path / "moved") == []
    for key in set(c.held) - set(left):
        assert (tmp_path / "moved" / key[len("h/"):]).read_bytes() == c.content[key]


def test_verify_du_report_every_key(walk_server):
    c = walk_server
    run = c.cli("verify", f"s3://{c.bucket}/h/", "-r", "--json")
    doc = run.json()
    problems = {o["key"] for s in ("corrupt", "unreadable", "unverifiable") for o in doc[s]}
    assert doc["objects"] == len(c.held) and doc["counts"]["corrupt"] == 0, doc
    assert doc["counts"]["ok"] + len(problems) == len(c.held)
    # a key with a '.' or '..' segment cannot be read by URL without reaching another key: unreadable
    assert problems == {k for k in c.held if any(s in (".", "..") for s in k.split("/"))}
    human = c.cli("verify", f"s3://{c.bucket}/h/", "-r")
    printable_lines(human.stdout + human.stderr)
    du = c.cli("du", f"s3://{c.bucket}/h/", "--depth", "3", "--json")
    assert du.exit_code == 0, du
    total = du.json()["total"]
    assert total["objects"] == len(c.held)
    assert total["bytes"] == sum(len(v) for v in c.content.values())
    human = c.cli("du", f"s3://{c.bucket}/h/", "--depth", "3")
    printable_lines(human.stdout)


# -- versions (SeaweedFS: its version listing cannot carry some names) ---------------------------------

@pytest.fixture
def versioned_corpus(request, buckets, monkeypatch, tmp_path) -> Corpus:
    return corpus_on(request, "seaweedfs", buckets, monkeypatch, tmp_path, versioned=True)


def test_erasure_never_claims_a_key_that_still_answers(versioned_corpus):
    c = versioned_corpus
    listing = c.cli("ls", f"s3://{c.bucket}/h/", "--versions", "-r")
    printable_lines(listing.stdout)
    run = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/", "--json")
    doc = run.json()
    erased = {e["key"] for e in doc["entries"]}
    still = set(held_keys(c.client, c.bucket, "h/"))
    assert not erased & still  # nothing reported erased is still there
    for key in still:  # and whatever is still there is reported as not erased, with the reason
        assert any(e["key"] == key or "\ufffd" in e["key"] for e in doc["errors"]), key
    assert run.exit_code == (0 if not still else 1), run
    human = c.cli("rm", "-r", "--all-versions", "--yes", f"s3://{c.bucket}/h/")
    printable_lines(human.stdout + human.stderr)


# -- model pull: a manifest naming hostile paths -----------------------------------------------------

@pytest.mark.parametrize("path", ["../escape", "a/../../../../etc/x", "/abs", "ctl/\x1b]0;pwned\x07",
                                  "nl/x\ny", "seg/" + "b" * 256, "bidi/\u202etxt.exe"])
def test_model_pull_refuses_a_manifest_with_a_hostile_path(cli, env, s3_server, buckets, tmp_path: Path,
                                                           path: str):
    weights = tmp_path / "w" / "a.bin"
    weights.parent.mkdir()
    weights.write_bytes(b"weights")
    reg = cli("model", "register", str(weights.parent), "--name", "hk", "--version", "1.0.0", "--json")
    assert reg.exit_code == 0, reg
    client = boto3_client(s3_server)
    bucket = buckets["models"]
    key = "hk/1.0.0/manifest.json"
    manifest = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body = b"h/hostile"
    entry = {"path": path, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
             "content_type": "application/octet-stream"}
    manifest["files"].append(entry)
    try:
        client.put_object(Bucket=bucket, Key=f"hk/1.0.0/{path}", Body=body)
    except Exception:  # noqa: BLE001 - a server refusing the key: the manifest still names it
        pass
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())
    dest = tmp_path / "pulled" / "model"
    run = cli("model", "pull", "hk@1.0.0", str(dest))
    assert run.exit_code != 0, run
    printable_lines(run.stdout + run.stderr)
    assert not dest.exists()  # all or nothing
    import os
    naive = os.path.normpath(os.path.join(dest, path))
    assert not (os.path.isfile(naive) and Path(naive).read_bytes() == body)  # written nowhere
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == body]
