"""Session 34, small: `mv` whose source DELETE gets no answer (the connection reset after the request was sent).

The DELETE carries If-Match (tests/test_fix34_mv_if_match.py), so it is never re-sent by the transport: a lost
answer ended the move in exit 69 and the user could not tell whether the source went. Now the source is looked at
again (service/object_delete._remove_if_match): gone, the move is done (exit 0, `deleted: true`); still the object
that was copied, it is kept and one line says so, and that the copy exists (exit 69). The faults come from
tests/faultproxy.py in front of the session's SeaweedFS: `lose_answer` passes the DELETE on and drops its answer;
an `answer` hook that raises resets the connection before the DELETE reaches the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from conftest import one_line_error, plain_client, unique


def _source_delete(seen: Seen) -> bool:
    return seen.method == "DELETE" and seen.path.endswith("/src.jpg")


@pytest.fixture
def through(s3_server: Any, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """make(**faults): a FaultProxy in front of SeaweedFS that the CLI reaches it through."""
    made: list[FaultProxy] = []

    def make(**faults: Any) -> FaultProxy:
        made.append(FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), record=True, **faults).start())
        monkeypatch.setenv("MINIO_ENDPOINT", made[-1].endpoint)
        return made[-1]

    yield make
    for one in made:
        one.stop()


def _once(predicate: Any) -> Any:
    fired: list[bool] = []

    def hook(seen: Seen) -> bool:
        if fired or not predicate(seen):
            return False
        fired.append(True)
        return True
    return hook


def _target(bucket: str, dest: str, tmp_path: Path) -> str:
    return f"s3://{bucket}/dst.jpg" if dest == "s3" else str(tmp_path / "dst.jpg")


@pytest.mark.parametrize("dest", ["s3", "local"])
def test_a_lost_answer_to_a_done_delete_is_a_move_done(cli: Any, s3_server: Any, through: Any, tmp_path: Path,
                                                       dest: str) -> None:
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)
    proxy = through(lose_answer=_once(_source_delete))
    assert cli("upload", "-", f"s3://{bucket}/src.jpg", input=b"the frame that is moved").exit_code == 0
    target = _target(bucket, dest, tmp_path)
    run = cli("--json", "mv", f"s3://{bucket}/src.jpg", target)
    assert proxy.counters.lost == 1
    assert run.exit_code == 0, run
    assert [o["deleted"] for o in run.json()["objects"]] == [True], run
    assert cli("stat", f"s3://{bucket}/src.jpg").exit_code == 3
    assert len(proxy.requests_to("DELETE", _source_delete)) == 1  # looked at, not sent again
    copy = cli("get", target, "-") if dest == "s3" else None
    assert copy is None or copy.stdout_bytes == b"the frame that is moved"
    assert dest == "s3" or Path(target).read_bytes() == b"the frame that is moved"


@pytest.mark.parametrize("dest", ["s3", "local"])
def test_a_delete_reset_before_the_server_saw_it_keeps_the_source_and_says_so(
        cli: Any, s3_server: Any, through: Any, tmp_path: Path, dest: str) -> None:
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)
    fire = _once(_source_delete)

    def reset(seen: Seen) -> None:
        if fire(seen):
            raise OSError("reset before the server saw it")  # faultproxy resets the client connection
        return None

    proxy = through(answer=reset)
    assert cli("upload", "-", f"s3://{bucket}/src.jpg", input=b"the frame that is moved").exit_code == 0
    target = _target(bucket, dest, tmp_path)
    run = cli("mv", f"s3://{bucket}/src.jpg", target)
    assert run.exit_code == 69, run
    line = one_line_error(run)
    assert "kept" in line and "src.jpg" in line and "dst.jpg" in line, line
    assert len(proxy.requests_to("DELETE", _source_delete)) == 1  # not sent blindly again
    got = cli("get", f"s3://{bucket}/src.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"the frame that is moved", got
    copy = cli("get", target, "-").stdout_bytes if dest == "s3" else Path(target).read_bytes()
    assert copy == b"the frame that is moved"
