"""Session 33, attacker 2: `python -m its_store` names itself `its-store` in its error lines too.

click takes the program's name from sys.argv[0] when none is given; run as `python -m its_store` (as the
README offers, and as systemd units and cron lines written without the console script do) a usage error said
"its-store: error: -m its_store ls: No such option: --bogus", where the console script says "its-store: error:
ls: No such option: --bogus".
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli_process


def test_usage_errors_under_python_m_name_the_command(env: dict[str, str], tmp_path: Path) -> None:
    """Fails on main (6f7ffca): "-m its_store ls: No such option: --bogus"."""
    for args, said in ((["ls", "--bogus"], "its-store: error: ls: No such option: --bogus"),
                       (["remote", "list"], "its-store: error: remote: No such command 'list'")):
        done = run_cli_process(args, env, tmp_path)
        assert done.exit_code == 2, done
        assert "-m its_store" not in done.stderr and said in done.stderr, done
