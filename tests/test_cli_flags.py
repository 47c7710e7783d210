"""cli/base.with_flags: a command's options declared once as a typed Flags class (`sync`'s SyncFlags) reach
Typer as the command's own options, in order, and the command as one object. Fails loudly if a Typer
upgrade stops reading a command's signature through inspect.signature (`__signature__`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import write_file


def test_sync_flags_are_the_commands_options_in_order() -> None:
    import inspect

    from its_store.cli.app import command
    from its_store.cli.commands.sync import SyncFlags
    names = [param.name for param in command("sync").params]
    assert names == ["source", "dest", *inspect.get_annotations(SyncFlags), "json_"] and len(names) == 33
    by_name = {param.name: param for param in command("sync").params}
    assert by_name["type_"].opts == ["--type", "-t"] and by_name["settle"].default == 2.0
    assert by_name["exclude"].multiple and by_name["json_"].opts == ["--json"]


def test_sync_flags_reach_the_command(cli: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_file(src / "a.bin", 100)
    write_file(src / "b.tmp", 100)
    run = cli("sync", str(src), f"s3://{bucket}/p/", "--dry-run", "--exclude", "*.tmp", "--size-only",
              "-w", "2", "--json")
    assert run.exit_code == 0, run
    report = json.loads(run.stdout)
    assert report["dry_run"] is True and [item["path"] for item in report["copied"]] == ["a.bin"], report
    refused = cli("sync", str(src), f"s3://{bucket}/p/", "--checksum", "--size-only")
    assert refused.exit_code == 2 and "exclude each other" in refused.stderr, refused
    refused = cli("sync", str(src), f"s3://{bucket}/p/", "--remove-source")
    assert refused.exit_code == 2 and "go with --watch" in refused.stderr, refused
