"""Session 31 fixes of local trust, each proved against the code before it: a .env file is checked by the
rule of remotes.toml (core/remote_config.check_access) wherever it comes from, a secret others may read is a
warning only, and an unknown command's error line has one prefix."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import one_line_error


def test_an_env_file_given_by_flag_follows_the_same_rule(cli, tmp_path: Path) -> None:
    """--env-file FILE is checked as ./.env is: others may write it, refused (exit 78) naming it."""
    path = tmp_path / "shared.env"
    path.write_text("MINIO_MAX_WORKERS=3\n")
    os.chmod(path, 0o664)
    run = cli("--env-file", str(path), "config")
    assert run.exit_code == 78, run
    assert "shared.env" in one_line_error(run) and "0664" in run.stderr, run


def test_a_secret_others_may_read_in_dotenv_is_a_warning_not_a_refusal(cli, tmp_path: Path) -> None:
    """A compose .env file is often 0644: read, with one warning naming the file (the secret never shown)."""
    path = tmp_path / ".env"
    path.write_text("MINIO_MAX_WORKERS=3\nexport MINIO_SECRET_KEY='s3cr3t-value'\n")
    os.chmod(path, 0o644)
    run = cli("--json", "config")
    assert run.exit_code == 0, run
    assert run.json()["MINIO_MAX_WORKERS"] == 3, run
    assert "warning" in run.stderr and ".env" in run.stderr and "chmod 600" in run.stderr, run
    assert "s3cr3t-value" not in run.stderr + run.stdout, run
    os.chmod(path, 0o600)  # the control: no warning for a file only its owner may read
    run = cli("--json", "config")
    assert run.exit_code == 0 and "warning" not in run.stderr, run


def test_an_unknown_command_is_one_line_with_one_prefix(cli) -> None:
    """Was `its-store: error: its-store: No such command 'mb'.`: the program's name twice."""
    line = one_line_error(cli("mb"))
    assert line.startswith("its-store: error: No such command 'mb'"), line
    line = one_line_error(cli("bucket", "frob"))
    assert line.startswith("its-store: error: bucket: No such command 'frob'"), line


class _FailingClose:
    """Stands for a service whose close (its stats write) fails in a way nothing below maps: a RuntimeError
    (a MemoryError is mapped since session 33: "out of memory", core/errors.out_of_memory)."""

    def close(self) -> None:
        raise RuntimeError("boom")


def test_a_failure_while_closing_the_service_is_mapped_not_a_traceback(capsys) -> None:
    """cli/app.py closed the service outside the error mapping: after the work was done, a raw traceback
    and exit 1. Now the same mapping: one line, exit 1 (and a command's own failure keeps its code)."""
    from its_store.cli import app
    from its_store.cli import output as out
    out.reset([])
    out.STATE.open_service = _FailingClose()  # type: ignore[assignment]
    assert app._close_service(0) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("its-store: error: unexpected RuntimeError"), err
    out.STATE.open_service = _FailingClose()  # type: ignore[assignment]
    assert app._close_service(4) == 4
    out.reset([])
