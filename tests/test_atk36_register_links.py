"""Attack on `model register FOLDER` (session 36): a symbolic link inside the model folder that leads out
of it. upload -r, sync and the watcher do not follow links unless asked (whoever may write the folder
could link in a file only the uploader may read), but register hashed and uploaded every link's target:
a link sub/pw -> /etc/passwd (or ~/.aws/credentials) planted in a shared training output folder was
registered as a file of the version, and even chosen as its primary file. Now a link whose target is
outside the folder is refused (exit 2, naming it) before anything is uploaded; a link to a file inside
the folder is still followed (a model folder that links weights.onnx to its versioned file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import one_line_error


def test_a_link_out_of_the_model_folder_is_refused(cli: Any, tmp_path: Path) -> None:
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = not-for-the-registry\n")
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.onnx").write_bytes(b"onnx")
    (folder / "sub" / "creds").symlink_to(secret)
    run = cli("model", "register", str(folder), "--name", "linked_out", "--version", "1.0.0")
    assert run.exit_code == 2, run
    assert "sub/creds" in one_line_error(run), run
    listed = cli("model", "list", "linked_out", "--json").jsonl()  # the models bucket may not even exist yet
    assert [doc for doc in listed if "error" not in doc] == [], "something was registered"


def test_a_link_inside_the_model_folder_is_followed(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "v2").mkdir(parents=True)
    (folder / "v2" / "weights.onnx").write_bytes(b"onnx v2")
    (folder / "weights.onnx").symlink_to(Path("v2") / "weights.onnx")
    run = cli("model", "register", str(folder), "--name", "linked_in", "--version", "1.0.0", "--json")
    assert run.exit_code == 0, run
    assert sorted(f["path"] for f in run.json()["files"]) == ["v2/weights.onnx", "weights.onnx"]
