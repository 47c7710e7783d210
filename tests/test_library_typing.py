"""The library as a type-checked user script sees it: `py.typed` shipped, the `__all__` names exported.

The documentation's examples themselves (docs/examples/*.py) and the typed entry points are checked with
`mypy --strict --disallow-any-expr` in tests/test_library_examples.py; here: misspellings are errors.

mypy runs as a subprocess on small scripts, with the folder holding `its_store` on PYTHONPATH, so that
mypy treats the package as an installed one, exactly as after `pip install its-store`: without
`py.typed` it is skipped ("missing library stubs or py.typed marker"), and errors inside the package
itself are not reported (only the user's script is checked). The cache lives in pytest's cache folder:
a first run takes a few seconds, later ones well under one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import its_store

from helpers import user_mypy

PACKAGE = Path(its_store.__file__).parent
ROOT = PACKAGE.parent

# Misspellings a user makes: each must be a mypy error (with `Any` they all passed).
TYPO_SCRIPT = """\
from pathlib import Path

from its_store import UploadRequest, get_storage_service

svc = get_storage_service()
resp = svc.upload_objekt(UploadRequest(file_path=Path("f.jpg")))
print(svc.upload_object(UploadRequest(file_path=Path("f.jpg"))).etgg)
from its_store import UploadRequst
from its_store.aio import UploadRequest as Aio, UploadRespons
"""


def _mypy(tmp_path: Path, cache: Path, **scripts: str) -> tuple[int, str]:
    for name, text in scripts.items():
        (tmp_path / f"{name}.py").write_text(text)
    proc = user_mypy(tmp_path, cache, *(f"{name}.py" for name in scripts))
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def mypy_cache(mypy_user_cache: Path) -> Path:
    return mypy_user_cache  # shared with the other user-script checks (conftest.py)


def test_misspelt_names_are_type_errors(tmp_path: Path, mypy_cache: Path) -> None:
    code, out = _mypy(tmp_path, mypy_cache, typo=TYPO_SCRIPT)
    assert code == 1, out
    assert '"StorageService" has no attribute "upload_objekt"' in out, out
    assert '"UploadResponse" has no attribute "etgg"' in out, out
    assert 'Module "its_store" has no attribute "UploadRequst"' in out, out
    assert 'Module "its_store.aio" has no attribute "UploadRespons"' in out, out
    assert "py.typed" not in out, out


def test_py_typed_is_shipped() -> None:
    assert (PACKAGE / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["its_store"]
    assert any(dep.startswith("mypy") for dep in project["project"]["optional-dependencies"]["test"])


def test_every_exported_name_loads_and_nothing_else_does() -> None:
    """The literal __all__ and the run-time loader agree: each name resolves, an unknown one is an
    AttributeError (what a type checker also says), and dir() lists exactly __all__."""
    for name in its_store.__all__:
        assert getattr(its_store, name) is not None, name
    with pytest.raises(AttributeError):
        its_store.UploadRequst  # type: ignore[attr-defined]  # noqa: B018
    assert sorted(set(dir(its_store)) & set(its_store.__all__)) == sorted(its_store.__all__)
