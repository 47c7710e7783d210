"""Every temp entry its-store makes beside a target has the one temp form (core/files.TEMP_NAME), so the walks
of sync, upload -r and the watcher pass it over: the registry's pull named its blob and staging folder with
tempfile's random names (`.NAME.RANDOM.its-tmp`), which only the old, wider rule (any `.*.its-tmp`) matched;
after session 32 narrowed the rule, a sync or watcher over a models folder during a pull would have taken the
pull's half-filled staging folder for data."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from its_store.core.files import create_temp, create_temp_folder, is_own_temp


def test_a_temp_folder_has_the_one_form_and_is_private(tmp_path: Path) -> None:
    made = [create_temp_folder("yolo-v8.onnx", tmp_path) for _ in range(3)]
    assert len(set(made)) == 3  # each exclusive
    for folder in made:
        assert folder.parent == tmp_path and is_own_temp(folder.name), folder.name
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_a_temp_file_has_the_one_form(tmp_path: Path) -> None:
    fd, tmp = create_temp("0123456789ab", folder=tmp_path)
    os.close(fd)
    assert is_own_temp(Path(tmp).name), tmp


def test_the_registry_pull_makes_no_temp_name_of_another_form() -> None:
    """registry/pull.py names its temp entries through core/files only (no tempfile random names beside a
    target, except the `.its-old` folder of a replaced model, which is no `.its-tmp`)."""
    import inspect

    from its_store.registry import pull
    source = inspect.getsource(pull)
    assert "mkstemp(" not in source
    assert all(".its-tmp" not in line for line in source.splitlines() if "mkdtemp(" in line)
