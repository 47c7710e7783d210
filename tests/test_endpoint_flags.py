"""The global flags of the default endpoint (--endpoint, --region, --secure/--insecure, --no-verify-tls)
on commands whose locations name remotes (cli/locations.refuse_endpoint_flags).

They set the default endpoint (s3://) and nothing else: a remote takes every one of them from its own
configuration. A command with no s3:// location refuses them (exit 2, one line naming the flag), before
anything is read, sent or written; a copy between a remote and s3:// applies them to the s3:// side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_remotes import LOCATION_COMMANDS, World, config, offline_cli, ok, world  # noqa: F401 (fixtures)

from its_store.core import errors as E

from conftest import one_line_error

FLAGS = [["--endpoint", "127.0.0.1:9"], ["--region", "eu-1"], ["--secure"], ["--insecure"], ["--no-verify-tls"]]


def test_every_command_on_a_remote_refuses_the_default_endpoints_flags(
        offline_cli: Any, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Every command that takes a location, on the remote `edge` only: each flag is refused by name, with
    nothing written (no local file, no remotes file)."""
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", "h:1")
    (tmp_path / "dir").mkdir()
    every = [[a.replace("nosuch", "edge") for a in args] for args in LOCATION_COMMANDS]
    for flag in FLAGS:  # --endpoint on every command; the others (the same rule) on a reader, a writer, a copy
        for args in every if flag[0] == "--endpoint" else [every[0], every[7], every[14]]:
            run = offline_cli(*flag, *args)
            assert run.exit_code == E.EXIT_USAGE, (flag, args, run)
            line = one_line_error(run)
            assert line.startswith(f"its-store: error: {flag[0]} sets the default endpoint"), (args, line)
            assert "remote edge takes its settings from its configuration" in line or \
                "remotes take their settings" in line, line
            assert "its-store remote show " in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "key"]  # nothing written
    assert not config.parent.exists()


@pytest.mark.parametrize("args", [
    ["remote", "add", "edge-07", "http://h:1", "--access-key", "a", "--secret-key-file", "key"],
    ["remote", "ls"], ["remote", "test", "edge"], ["remote", "rm", "edge"],
])
def test_remote_commands_refuse_them(offline_cli: Any, config: Path, args: list[str]) -> None:  # noqa: F811
    run = offline_cli("--endpoint", "h:2", *args)
    assert run.exit_code == E.EXIT_USAGE and "--endpoint sets the default endpoint" in one_line_error(run), run
    assert not config.parent.exists()


def test_a_copy_between_a_remote_and_s3_gives_them_to_the_s3_side(world: World) -> None:  # noqa: F811
    """The default endpoint (MINIO_ENDPOINT) is dead; --endpoint names the live server by another URL
    (localhost, so two endpoints: the copy streams), and the s3:// side of cp and sync uses it."""
    cli, b, server = world.cli, world.bucket, world.server
    live = {"MINIO_ACCESS_KEY": server.access_key, "MINIO_SECRET_KEY": server.secret_key}
    other = f"localhost:{server.endpoint.rpartition(':')[2]}"
    ok(cli("bucket", "create", f"edge:{b}"))
    ok(cli("upload", "-", f"edge:{b}/cam/k", input=b"frame"))
    dead = cli("cp", f"edge:{b}/cam/k", f"s3://{b}/k2", extra_env=live)
    assert dead.exit_code == E.EXIT_UNAVAILABLE, dead
    ok(cli("--endpoint", other, "--insecure", "cp", f"edge:{b}/cam/k", f"s3://{b}/k2", extra_env=live))
    ok(cli("--endpoint", other, "sync", f"s3://{b}/cam/", f"edge:{b}/back/", extra_env=live))
    assert ok(cli("get", f"edge:{b}/k2", "-")).stdout_bytes == b"frame"
    assert ok(cli("get", f"edge:{b}/back/k", "-")).stdout_bytes == b"frame"
    both = cli("--endpoint", other, "cp", f"edge:{b}/cam/k", f"edge:{b}/k3")  # no s3:// side: refused
    assert both.exit_code == E.EXIT_USAGE and "--endpoint" in one_line_error(both)
