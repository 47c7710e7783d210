"""No import statement of its-store's own code runs per object on `get -r`, `verify -r` or a downloading
`sync` (issue 22): in
Python 3.11 each `from M import N` run in a function raises and drops two AttributeErrors inside the import
system (~1 us), and a batch of small objects paid them per object. The modules are imported on first use
(start-up stays lazy), then reached without a statement: the count may grow with the first object of a run,
not with the number of objects.

builtins.__import__ is wrapped to count (no server, library or answer is faked: a wrapped __import__ is
what IMPORT_NAME calls)."""

from __future__ import annotations

import builtins
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import its_store

from helpers import started_from_now

_OURS = str(Path(its_store.__file__).parent)


def _counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Import statements run by its-store's own code from now on, by file:line, in this thread and the threads
    started from now on (the command's): the patch is process-wide, and a thread left running by an earlier
    test (a watcher's loop, an abandoned completion) may import per turn, more turns in the longer run."""
    seen: Counter[str] = Counter()
    real = builtins.__import__
    ours = started_from_now()

    def counted(name: str, *args: Any, **kw: Any) -> Any:
        frame = sys._getframe(1)
        if frame.f_code.co_filename.startswith(_OURS) and ours():
            seen[f"{frame.f_code.co_filename}:{frame.f_lineno} {name}"] += 1
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", counted)
    return seen


def _per_object(seen_small: Counter[str], seen_big: Counter[str], extra: int) -> list[str]:
    """The import statements that ran once more per object of the larger run."""
    return [f"{site} x{seen_big[site]}" for site in seen_big if seen_big[site] - seen_small[site] >= extra]


@pytest.mark.parametrize(("command", "stored"), [("get", "upload"), ("get", "zstd"), ("verify", "upload"),
                                               ("verify", "zstd"), ("verify", "no-sha256"), ("sync", "upload")])
def test_no_import_statement_runs_per_object(cli: Any, service: Any, bucket: str, tmp_path: Path, command: str,
                                             stored: str) -> None:
    """`stored`: uploaded by its-store (its-sha256), compressed, or put with no metadata (the MD5 check)."""
    src = tmp_path / "src"
    for n in (2, 6):
        (src / str(n)).mkdir(parents=True)
        for i in range(n):
            data = bytes([i]) * 2_000
            (src / str(n) / f"f{i}.jpg").write_bytes(data)
            if stored == "no-sha256":
                service.s3.put(bucket, f"p{n}/f{i}.jpg", data, {})
        if stored != "no-sha256":
            codec = ["--compress", "zstd"] if stored == "zstd" else []
            assert cli("upload", str(src / str(n)), f"s3://{bucket}/p{n}/", "-r", *codec).exit_code == 0
    runs = []
    for n in (2, 6):
        args = {"get": ["get", f"s3://{bucket}/p{n}/", str(tmp_path / f"out{n}"), "-r"],
                "verify": ["verify", f"s3://{bucket}/p{n}/", "-r"],
                "sync": ["sync", f"s3://{bucket}/p{n}/", str(tmp_path / f"out{n}")]}[command]
        with pytest.MonkeyPatch.context() as mp:
            seen = _counting(mp)
            assert cli(*args, "-w", "1").exit_code == 0
        runs.append(Counter(seen))
    assert _per_object(runs[0], runs[1], extra=4) == []
