"""Every MINIO_* variable the product documentation names is honoured: from a .env file written in the
documentation's own layout, from the environment over that file, and from a flag over the environment.

The variables are read at test time from the documentation's "Environment Variables" block (the vendored
tests/data/product_storage_doc.md, kept equal to the shared copy by test_docs_examples), so a variable
added there is checked here without editing this file. Settings ignores unknown MINIO_* names (a MinIO
server's own MINIO_ROOT_USER shares the prefix), so a documented name that maps to no setting would be
silently ignored: each must be a setting (or an alias of one) and must change it.

The prose names the settings `multipart_threshold`, `multipart_chunksize` and `create_buckets` too: each is
honoured under its MINIO_ name and as a keyword of Settings(...).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from its_store.core.settings import Settings, load_settings

from helpers import run_cli_process

DOC = Path(__file__).resolve().parent / "data" / "product_storage_doc.md"
# the flags of the CLI that set a documented variable (`its-store --help`: "beats MINIO_...")
FLAGS = {"MINIO_ENDPOINT": "--endpoint", "MINIO_REGION": "--region", "MINIO_SECURE": "--secure/--insecure"}
# the settings the prose names in backticks, by their field names (Troubleshooting, Security)
PROSE_NAMES = ("multipart_threshold", "multipart_chunksize", "create_buckets", "secure")


def documented_block() -> str:
    """The ```bash block under "### Environment Variables", as the documentation writes it."""
    found = re.search(r"^### Environment Variables\n+```bash\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)
    assert found, f"{DOC} has no Environment Variables block"
    return found.group(1)


def documented_names() -> list[str]:
    return re.findall(r"^(MINIO_\w+)=", documented_block(), re.M)


def field_of(name: str) -> str:
    """The Settings field a MINIO_ variable (or a prose name) sets: its own name, or the one whose
    validation alias it is."""
    key = name.lower().removeprefix("minio_")
    for field, info in Settings.model_fields.items():
        aliases = getattr(info.validation_alias, "choices", [])
        if key == field or key in aliases or name in aliases:
            return field
    raise AssertionError(f"{name}: no setting reads it (a documented variable would be silently ignored)")


def value_for(name: str, layer: int) -> str:
    """A valid value of `name` for one layer (1: .env, 2: environment, 3: flag), unlike the default and
    unlike every other layer's."""
    field = field_of(name)
    default = Settings.model_fields[field].get_default(call_default_factory=True)
    if isinstance(default, bool):  # two values only: the file's is not the default, the environment's is
        return str(not default if layer % 2 else default).lower()
    if isinstance(default, int):
        return str(default + layer)
    plain = default.get_secret_value() if isinstance(default, SecretStr) else str(default)
    if field == "endpoint":
        return f"layer{layer}.example:{9000 + layer}"
    return f"layer{layer}-{plain}"


def shown(settings: Settings, name: str) -> str:
    value = getattr(settings, field_of(name))
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str(value).lower() if isinstance(value, bool) else str(value)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("MINIO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def write_dotenv(folder: Path, layer: int) -> Path:
    """The documentation's block with each value replaced, its comments, blank lines and the inline
    `# 64MB` kept: the file a user makes by copying it."""
    text = re.sub(r"^(MINIO_\w+)=(\S+)", lambda m: f"{m.group(1)}={value_for(m.group(1), layer)}",
                  documented_block(), flags=re.M)
    path = folder / ".env"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # it holds a secret key: a looser file is warned about
    return path


def test_the_documentation_names_the_variables_we_check() -> None:
    assert len(documented_names()) == 16 and "MINIO_ENABLE_COMPRESSION" in documented_names()
    for name in [*documented_names(), *PROSE_NAMES]:
        field_of(name)


def test_each_documented_variable_is_read_from_the_dotenv_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_dotenv(tmp_path, 1)
    settings = load_settings()
    assert {n: shown(settings, n) for n in documented_names()} == {n: value_for(n, 1) for n in documented_names()}


def test_the_environment_beats_the_dotenv_file_variable_by_variable(clean_env: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    write_dotenv(tmp_path, 1)
    names = documented_names()
    for name in names:
        clean_env.setenv(name, value_for(name, 2))
        settings = load_settings()
        got = {n: shown(settings, n) for n in names}
        set_here = names[:names.index(name) + 1]
        assert got == {n: value_for(n, 2 if n in set_here else 1) for n in names}, name


def test_the_flags_beat_the_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_dotenv(tmp_path, 1)
    env = {name: value_for(name, 2) for name in documented_names()}
    clean_env.setenv("MINIO_SECURE", "false")
    assert load_settings(endpoint="layer3.example:9003", region="layer3-us-east-1", secure=True).model_dump(
        include={"endpoint", "region", "secure"}) == {"endpoint": "layer3.example:9003", "region": "layer3-us-east-1",
                                                      "secure": True}
    # the same through the CLI's own flags, in a process of its own (the flags the --help names)
    assert set(FLAGS) <= set(documented_names())
    done = run_cli_process(["--endpoint", "layer3.example:9003", "--region", "layer3-us-east-1", "--insecure",
                            "config", "--json"], {**env, "MINIO_SECURE": "true"}, tmp_path)
    assert done.exit_code == 0, done
    shown_config: dict[str, Any] = json.loads(done.stdout)
    assert (shown_config["MINIO_ENDPOINT"], shown_config["MINIO_REGION"], shown_config["MINIO_SECURE"]) == (
        "layer3.example:9003", "layer3-us-east-1", False)
    assert shown_config["MINIO_VIDEO_BUCKET"] == value_for("MINIO_VIDEO_BUCKET", 2)  # no flag: the environment's


@pytest.mark.parametrize("where", ["environment", "dotenv", "keyword"])
def test_multipart_chunksize_sets_the_part_size(clean_env: pytest.MonkeyPatch, tmp_path: Path, where: str) -> None:
    """The documentation's troubleshooting advice ("increase multipart_threshold and multipart_chunksize"):
    MINIO_MULTIPART_CHUNKSIZE was silently ignored, the part size staying at its default."""
    if where == "environment":
        clean_env.setenv("MINIO_MULTIPART_CHUNKSIZE", "16MiB")
    elif where == "dotenv":
        (tmp_path / ".env").write_text("MINIO_MULTIPART_CHUNKSIZE=16MiB\n", encoding="utf-8")
    settings = Settings(multipart_chunksize="16MiB") if where == "keyword" else load_settings()
    assert settings.part_size == 16 * 1024 * 1024
    assert settings.public_view()["MINIO_PART_SIZE"] == 16 * 1024 * 1024


def test_multipart_chunksize_yields_to_part_size_and_to_the_environment(clean_env: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MINIO_MULTIPART_CHUNKSIZE=16MiB\n", encoding="utf-8")
    clean_env.setenv("MINIO_PART_SIZE", "6MiB")
    assert load_settings().part_size == 6 * 1024 * 1024  # the environment over .env, whichever name
    clean_env.setenv("MINIO_MULTIPART_CHUNKSIZE", "7MiB")
    assert load_settings().part_size == 6 * 1024 * 1024  # both in one place: MINIO_PART_SIZE, our name
    assert Settings(part_size="5MiB").part_size == 5 * 1024 * 1024


def test_an_upload_is_cut_into_multipart_chunksize_parts(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    """On the real server: 6 MiB over a 5 MiB threshold is 1 part of the default 8 MiB, 2 of 5 MiB."""
    from its_store import StorageService, UploadRequest
    frame = tmp_path / "big.bin"
    frame.write_bytes(os.urandom(6 * 1024 * 1024))
    monkeypatch.setenv("MINIO_MULTIPART_THRESHOLD", "5MiB")
    monkeypatch.setenv("MINIO_MULTIPART_CHUNKSIZE", "5MiB")
    with StorageService(load_settings()) as svc:
        done = svc.upload_object(UploadRequest(bucket=env["MINIO_VIDEO_BUCKET"], key="big.bin", file_path=frame))
        stored = svc.stat_object(env["MINIO_VIDEO_BUCKET"], "big.bin")
    assert (done.parts, stored.etag.rpartition("-")[2], stored.size) == (2, "2", frame.stat().st_size)
