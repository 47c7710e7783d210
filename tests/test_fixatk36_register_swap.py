"""The race atk36 left in `model register FOLDER` (session 36): links were checked when the folder was read,
but hashing and upload then opened every file following a link, so whoever may write the folder could swap
a regular file for a link (to ~/.aws/credentials) between the check and the read, and register its target.
Now a file that was no link when the folder was read is opened with O_NOFOLLOW (and fstat-checked as a
regular file): a link swapped in is refused, exit 2 (InvalidInputError), and nothing stays registered."""

from __future__ import annotations

from pathlib import Path

import pytest

from its_store import InvalidInputError, ModelRegistry, StorageService, load_settings
from its_store.registry.manifest import collect_files, hash_files


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "credentials"
    path.write_bytes(b"aws_secret_access_key = not-for-the-registry\n")
    return path


def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("a.onnx", "b.onnx", "z.onnx"):
        (folder / name).write_bytes(name.encode() * 1000)
    return folder


def swap_for_link(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


def test_a_link_swapped_in_before_hashing_is_refused(tmp_path: Path, secret: Path) -> None:
    folder = model_folder(tmp_path)
    files = collect_files(folder)
    swap_for_link(folder / "z.onnx", secret)
    with pytest.raises(InvalidInputError, match=r"z\.onnx became a symbolic link"):
        hash_files(files, 1)


def test_a_link_swapped_in_before_upload_is_refused_and_nothing_is_registered(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secret: Path) -> None:
    monkeypatch.setenv("MINIO_MAX_WORKERS", "1")  # one file at a time: z.onnx is opened after a.onnx's upload
    registry = ModelRegistry(StorageService(load_settings()))
    folder = model_folder(tmp_path)

    def swap_once(_: int) -> None:  # during the first file's upload: after hashing, before z.onnx is opened
        if not (folder / "z.onnx").is_symlink():
            swap_for_link(folder / "z.onnx", secret)

    with pytest.raises(InvalidInputError, match=r"z\.onnx became a symbolic link"):
        registry.register_model(folder, "swapped_model", "1.0.0", progress=swap_once, dedup=False)
    assert registry.versions("swapped_model") == []
    bucket = registry.context.bucket
    assert list(registry.service.s3.list_objects(bucket, "swapped_model/", recursive=True)) == [], "left behind"


def test_a_file_renamed_over_one_hashed_is_refused_and_nothing_is_registered(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Another regular file renamed over one already hashed: its bytes are not those the manifest would
    list (the pull of the version would then fail its check). The upload opens the file hashed or none."""
    monkeypatch.setenv("MINIO_MAX_WORKERS", "1")
    registry = ModelRegistry(StorageService(load_settings()))
    folder = model_folder(tmp_path)
    other = tmp_path / "other.onnx"
    other.write_bytes(b"not the bytes hashed" * 100)

    def swap_once(_: int) -> None:
        if other.exists():
            other.rename(folder / "z.onnx")

    with pytest.raises(InvalidInputError, match=r"z\.onnx was replaced by another file"):
        registry.register_model(folder, "replaced_model", "1.0.0", progress=swap_once, dedup=False)
    assert registry.versions("replaced_model") == []
    bucket = registry.context.bucket
    assert list(registry.service.s3.list_objects(bucket, "replaced_model/", recursive=True)) == [], "left behind"


def test_a_model_card_swapped_for_a_link_before_hashing_is_refused(tmp_path: Path, secret: Path) -> None:
    """The model card (--card) is read as the folder's files are: a card that was no link when it was
    checked is opened with O_NOFOLLOW, so a link swapped in (to the credentials) is refused, not stored."""
    from its_store.registry.inputs import card_file
    card = tmp_path / "README.md"
    card.write_text("# model\n")
    item = card_file(card)
    assert item is not None
    swap_for_link(card, secret)
    with pytest.raises(InvalidInputError, match=r"README\.md became a symbolic link"):
        hash_files([item], 1)
