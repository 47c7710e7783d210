"""Session 33, attacker 2: a machine whose locale is not UTF-8 names the same files and keys as any other.

Python decodes file names and arguments with the locale's encoding unless it runs in UTF-8 mode (which it
picks by itself only for the C and POSIX locales). Under a Latin locale (`tr_TR.ISO-8859-9`, made with
localedef) `upload -r` stored the UTF-8 file name `é.txt` under the key `Ã©.txt` (its bytes read as Latin-9),
so the same folder had other keys on that box than on every other one, and a `sync --delete` from either
side deleted the other's. Under an ASCII one (`LC_ALL=C` with `PYTHONUTF8=0 PYTHONCOERCECLOCALE=0`, the
encoding every machine has) the same folder was refused ("not UTF-8") on upload, and `get -r`/`sync` of a
prefix holding `é.txt` stopped at it with "unexpected UnicodeEncodeError ... report it" (exit 1), the other
objects not fetched. The CLI now always runs in UTF-8 mode: file names are the UTF-8 bytes of the keys,
whatever the locale.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import run_cli_process

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
NAME = "é-ı-İ.txt"  # UTF-8 bytes c3 a9 2d c4 b1 2d c4 b0


def test_get_r_and_sync_write_utf8_names_under_an_ascii_locale(env: dict[str, str], service, bucket: str,
                                                                  tmp_path: Path) -> None:
    """Fails on main (6f7ffca): `get -r` exits 1 with "unexpected UnicodeEncodeError" and fetches nothing
    after the key; `sync` the same. Expected: exit 0, every object written under the UTF-8 bytes of its key."""
    service.s3.put(bucket, f"p/{NAME}", b"accent", {})
    service.s3.put(bucket, "p/plain.txt", b"plain", {})
    for args in (["get", "-r", f"s3://{bucket}/p/", str(tmp_path / "got") + "/"],
                 ["sync", f"s3://{bucket}/p/", str(tmp_path / "synced")]):
        done = run_cli_process(args, {**env, **ASCII_LOCALE}, tmp_path)
        assert done.exit_code == 0, done
        assert "unexpected" not in done.stderr, done
        folder = tmp_path / args[-1].rstrip("/").rsplit("/", 1)[-1]
        assert sorted(os.listdir(os.fsencode(folder))) == sorted([NAME.encode(), b"plain.txt"]), done
        with open(os.fsencode(folder) + b"/" + NAME.encode(), "rb") as written:
            assert written.read() == b"accent"


def test_upload_r_keys_are_the_utf8_file_names_under_an_ascii_locale(env: dict[str, str], service, bucket: str,
                                                                    tmp_path: Path) -> None:
    """Fails on main (6f7ffca): the UTF-8 file name is refused ("its name cannot be an object key: it is not
    UTF-8"), exit 2, under an ASCII locale (and stored as mojibake under a Latin one). Expected: exit 0 and
    the key is the file's name as every UTF-8 machine reads it."""
    folder = tmp_path / "up"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/" + NAME.encode(), "wb") as f:
        f.write(b"accent")
    done = run_cli_process(["upload", "-r", str(folder), f"s3://{bucket}/u/"], {**env, **ASCII_LOCALE}, tmp_path)
    assert done.exit_code == 0, done
    keys = sorted(o.key for o in service.s3.list_objects(bucket, "u/", recursive=True))
    assert keys == [f"u/{NAME}"], keys


LIBRARY_GET_R = """
import sys
from pathlib import Path
from its_store import StorageService, load_settings
svc = StorageService(load_settings())
try:
    result = svc.batch().download_prefix(sys.argv[1], "p/", Path(sys.argv[2]))
except Exception as exc:
    print("RAISED", type(exc).__name__)
    raise SystemExit(0)
print("SKIPPED", [item.reason for item in result.skipped_items])
print("WRITTEN", sorted(item.key for item in result.objects))
"""


def test_library_get_r_skips_a_key_the_locale_cannot_name(env: dict[str, str], service, bucket: str,
                                                           tmp_path: Path) -> None:
    """Fails on main (6f7ffca): a program using the library under an ASCII locale gets UnicodeEncodeError out
    of download_prefix (the other objects not fetched). Expected: that key is skipped with its reason, as a
    key that cannot be a file name is, and the others are written."""
    import subprocess
    import sys

    from tests.helpers import ROOT
    service.s3.put(bucket, f"p/{NAME}", b"accent", {})
    service.s3.put(bucket, "p/plain.txt", b"plain", {})
    done = subprocess.run([sys.executable, "-c", LIBRARY_GET_R, bucket, str(tmp_path / "lib")], cwd=tmp_path,
                          env={**os.environ, **ASCII_LOCALE, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=240, check=False)
    assert "RAISED" not in done.stdout, done
    assert "WRITTEN ['p/plain.txt']" in done.stdout, done
    assert "file names are ascii, which cannot hold it" in done.stdout, done


def test_console_script_run_again_imports_nothing_from_the_working_folder(env: dict[str, str], bucket: str,
                                                                          tmp_path: Path) -> None:
    """The UTF-8 re-exec of the console script (`its-store`) runs the script again, never `python -m`, which
    puts the working folder first on sys.path: a `typer.py` there would run. (Seen failing with the first
    form of the re-exec, `-X utf8 -m its_store` for every start.)"""
    import subprocess
    import sys

    from tests.helpers import ROOT
    script = Path(sys.executable).parent / "its-store"
    assert script.is_file(), "the venv has no its-store console script"
    (tmp_path / "typer.py").write_text('raise SystemExit("typer.py of the working folder was imported")\n')
    done = subprocess.run([str(script), "ls", f"s3://{bucket}/"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, **env, **ASCII_LOCALE, "PYTHONPATH": str(ROOT)}, timeout=240,
                          check=False)
    assert done.returncode == 0, done
    assert "working folder was imported" not in done.stderr, done
