"""A registration's input, checked before anything is written: bad input exits 2, a parent that does
not exist exits 3, and the bucket stays as it was. Also the model card's small rules (a regular file of
at most 1 MiB, stored as NAME/VERSION/card.md, read back for `model show`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry.manifest import LocalFile, collect_files
from its_store.registry.query import CARD_LIMIT
from its_store.registry.refs import CARD, VARIANTS_DIR, parse_metrics, validate_tags, validate_variant

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext



def prepare(ctx: RegistryContext, model_path: Path | str, metrics: Mapping[str, Any] | None, training_config: Any,
            tags: Mapping[str, Any] | None, description: str, *, force: bool, variant: str | None,
            parents: Iterable[str] | None, datasets: Iterable[str] | None, run_id: str | None,
            git_dir: Path | str | None, card: Path | str | None, dedup: bool,
            follow_symlinks: bool = False) -> tuple[list[LocalFile], dict[str, Any]]:
    """Check every input of a registration and gather its files and the manifest's details."""
    from its_store.registry import lineage as lin
    from its_store.registry.gitinfo import git_info
    metrics_, tags_ = parse_metrics(metrics), validate_tags(tags)
    variant_ = None if variant is None else validate_variant(str(variant))
    if variant_ and force:
        raise E.InvalidInputError("--force cannot be combined with --variant: existing files never change")
    card_ = card_file(card)
    datasets_, run_id_ = lin.check_datasets(list(datasets or [])), check_run_id(run_id)
    files = collect_files(Path(model_path), follow_symlinks=follow_symlinks)
    config, config_file = training_config_of(training_config, files)
    for item in files:
        item.key = f"{VARIANTS_DIR}/{variant_}/{item.path}" if variant_ else ""
    parents_ = lin.resolve_parents(ctx, list(parents or []))
    lineage_ = lin.build(parents_, datasets_, run_id_, git_info(git_dir) if git_dir is not None else None)
    return files, {"metrics": metrics_, "training_config": config, "config_file": config_file, "tags": tags_,
                   "description": str(description or ""), "lineage": lineage_, "card": card_,
                   "variant": variant_, "dedup": dedup}


def card_file(card: Path | str | None) -> LocalFile | None:
    """The model card to store: a regular file (exit 2 otherwise) of at most 1 MiB."""
    if card is None:
        return None
    path = Path(card)
    if not path.is_file():
        raise E.InvalidInputError(f"model card {path} is not a file",
                                  hint="give a Markdown file, e.g. --card README.md")
    if path.stat().st_size > CARD_LIMIT:
        raise E.InvalidInputError(f"model card {path} is larger than 1 MiB")
    return LocalFile(CARD, path, content_type="text/markdown; charset=utf-8", link=path.is_symlink())


def check_run_id(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 256 or any(ord(c) < 32 for c in text):
        raise E.InvalidInputError(f"invalid run id {value!r}: 1-256 printable characters")
    return text


def training_config_of(value: Any, files: list[LocalFile]) -> tuple[Any, str | None]:
    """A dict/list is stored as is; a path is parsed and its file joins the artifact, unaltered."""
    from its_store.registry.manifest import check_file_path, content_type_of, load_training_config
    if value is None or isinstance(value, (dict, list)):
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise E.InvalidInputError("training_config must be JSON-serialisable") from None
        return value, None
    path = Path(value)
    parsed = load_training_config(path)
    rel = check_file_path(path.name)
    for item in files:
        if item.path == rel:
            if item.source.resolve() != path.resolve():
                raise E.InvalidInputError(f"the artifact already has a file named {rel!r}",
                                          hint="rename the config file")
            return parsed, rel
    files.append(LocalFile(rel, path, content_type=content_type_of(rel), link=path.is_symlink()))
    return parsed, rel
