"""Session 34 review (rev3): taking over a former endpoint's record never replaces one written meanwhile.

core/statefile.adopt renamed the former record onto the new name once it saw no file there; a file written under
the new name in between (another process saving its new upload's record) was replaced by the old record:
that upload's record lost (never resumed nor aborted by a later run). The step between the look and the
rename is where another process runs: here it runs inside the look, by the test's hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from its_store.core.statefile import adopt


def test_a_record_written_while_the_former_one_is_taken_over_is_kept(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path, former = tmp_path / "new.json", tmp_path / "old.json"
    former.write_text('{"upload_id": "old"}')
    lexists = os.path.lexists

    def another_process_saves_meanwhile(name: object) -> bool:
        found = lexists(name)  # type: ignore[arg-type]
        if Path(str(name)) == former and not path.exists():
            path.write_text('{"upload_id": "new"}')
        return found

    monkeypatch.setattr(os.path, "lexists", another_process_saves_meanwhile)
    adopt(path, former)
    monkeypatch.undo()
    assert path.read_text() == '{"upload_id": "new"}'
    assert former.read_text() == '{"upload_id": "old"}'  # left as it was: both kept


def test_a_former_record_alone_is_taken_over(tmp_path: Path) -> None:
    path, former = tmp_path / "sub" / "new.json", tmp_path / "old.json"
    former.write_text("x")
    assert adopt(path, former) == path and path.read_text() == "x" and not former.exists()


def test_a_former_folder_is_taken_over(tmp_path: Path) -> None:
    path, former = tmp_path / "new", tmp_path / "old"
    (former / "inner").mkdir(parents=True)
    adopt(path, former)
    assert (path / "inner").is_dir() and not former.exists()
