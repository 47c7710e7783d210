"""`model register --follow-symlinks` (session 36, after atk36's refusal of links out of the folder): a
Hugging Face snapshot folder (models--ORG--NAME/snapshots/REV/) holds only links into ../../blobs, so
registering it was refused with no way round but copying it. Now --follow-symlinks (as upload -r's) and the
library's follow_symlinks=True follow every link, to files and to folders (never round a loop); without
it the refusal's line names the option."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from its_store import ModelRegistry

from conftest import one_line_error


def hf_snapshot(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A Hugging Face cache entry: blobs named by hash, a snapshot whose files link to them."""
    cache = tmp_path / "models--org--detector"
    content = {"config.json": b'{"model_type": "detr"}', "model.safetensors": b"weights" * 100,
               "sub/preprocessor.json": b'{"size": 640}'}
    (cache / "blobs").mkdir(parents=True)
    snapshot = cache / "snapshots" / "0123abcd"
    (snapshot / "sub").mkdir(parents=True)
    for rel, data in content.items():
        blob = hashlib.sha256(data).hexdigest()
        (cache / "blobs" / blob).write_bytes(data)
        depth = "../" * (rel.count("/") + 2)
        (snapshot / rel).symlink_to(f"{depth}blobs/{blob}")
    return snapshot, content


def test_a_snapshot_folder_is_refused_naming_the_option(cli: Any, tmp_path: Path) -> None:
    snapshot, _ = hf_snapshot(tmp_path)
    run = cli("--quiet", "model", "register", str(snapshot), "--name", "hf_refused", "--version", "1.0.0")
    assert run.exit_code == 2, run
    assert "--follow-symlinks" in one_line_error(run), run  # the message itself, not only its hint


def test_follow_symlinks_registers_a_snapshot_folder(cli: Any, tmp_path: Path) -> None:
    snapshot, content = hf_snapshot(tmp_path)
    run = cli("model", "register", str(snapshot), "--name", "hf_followed", "--version", "1.0.0",
              "--follow-symlinks", "--json")
    assert run.exit_code == 0, run
    files = {f["path"]: f["sha256"] for f in run.json()["files"]}
    assert files == {rel: hashlib.sha256(data).hexdigest() for rel, data in content.items()}
    pulled = tmp_path / "pulled"
    assert cli("model", "pull", "hf_followed@1.0.0", str(pulled)).exit_code == 0
    assert {p.relative_to(pulled).as_posix(): p.read_bytes() for p in pulled.rglob("*")
            if p.is_file() and p.name != "manifest.json"} == content


def test_the_library_follows_links_to_folders_but_not_round_a_loop(service: Any, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "labels.txt").write_text("car\nbus\n")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.onnx").write_bytes(b"onnx")
    (folder / "common").symlink_to(shared)
    (folder / "again").symlink_to(folder)  # a loop: not entered
    registry = ModelRegistry(service)
    rec = registry.register_model(folder, "lib_followed", "1.0.0", follow_symlinks=True)
    assert sorted(f.path for f in rec.files) == ["common/labels.txt", "weights.onnx"]
