"""`ls --metadata` (and --type/--tag/--meta, which HEAD each entry) of a prefix where one object's HEAD cannot be
read (a header line over http.client's 64 KiB: a bad answer): that entry fails, named on stderr (`failed: KEY:
reason`), and shown with `error` set in --json; the others are listed with their metadata; exit 1 (bad_server_answer),
the code of the first failure, as for every command whose items fail one by one. It ended the whole listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultserver import FakeObject, FaultServer

from helpers import fault_cli


def _two(server: FaultServer) -> None:
    server.put_object("frames", "big/a.jpg", FakeObject(b"x" * 10, headers={"x-amz-meta-big": "v" * 100_000}))
    server.put_object("frames", "big/b.jpg", FakeObject(b"y" * 10, headers={"x-amz-meta-note": "kept"}))


@pytest.mark.parametrize("flags", [["--metadata"], ["--meta", "note=kept"]])
def test_one_unreadable_head_fails_its_entry_not_the_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             flags: list[str]) -> None:
    with FaultServer(buckets=("frames",)) as server:
        _two(server)
        cli = fault_cli(server, tmp_path, monkeypatch)
        human = cli("ls", "s3://frames/big/", *flags)
        doc = cli("ls", "s3://frames/big/", *flags, "--json")
    for run in (human, doc):
        said = [line for line in run.stderr.splitlines() if line.strip()]
        assert run.exit_code == 1 and "Traceback" not in run.stderr, run
        assert len(said) == 1 and said[0].startswith("failed: big/a.jpg: ") and "header line" in said[0], run
    assert [line.split()[-1] for line in human.stdout.splitlines()] == ["big/a.jpg", "big/b.jpg"], human
    entries = {e["key"]: e for e in doc.jsonl()}
    assert set(entries) == {"big/a.jpg", "big/b.jpg"}, doc.stdout
    assert "header line" in entries["big/a.jpg"]["error"] and entries["big/a.jpg"]["metadata"] is None
    assert entries["big/b.jpg"]["error"] is None and entries["big/b.jpg"]["metadata"] == {"note": "kept"}
