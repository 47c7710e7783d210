"""A local name that is not UTF-8 is shown by its bytes, as `ls -b` and rclone show it.

Python reads such a name with surrogate escapes (byte 0xff is U+DCFF); human output showed the escape of that
code point, `frame\\udcff.jpg`, which names no byte anyone can type or search for. It now shows `frame\\xff.jpg`
(core/refs.printable), as the watcher's JSON already did (sync/watch_files.escaped); a code point U+0080..U+00FF
that is not printable moves to \\u00HH, so that two names still never show the same. --json is unchanged (JSON
carries the surrogate as \\udcff, which a parser reads back as the same str).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from its_store.core.refs import printable


def test_a_byte_that_is_not_utf8_shows_as_that_byte() -> None:
    assert printable(os.fsdecode(b"frame\xff\xfe.jpg")) == "frame\\xff\\xfe.jpg"
    assert printable(os.fsdecode(b"caf\xe9/x")) == "caf\\xe9/x"


def test_a_name_and_a_code_point_of_the_same_number_never_show_alike() -> None:
    named = {os.fsdecode(b"a\x85"), "a\x85", "a\\x85", os.fsdecode(b"a\xa0"), "a\xa0"}
    assert len({printable(text) for text in named}) == len(named)
    assert printable("a\x85") == "a\\u0085" and printable("a\x1b") == "a\\x1b"


def test_the_cli_error_line_names_the_bytes_and_json_keeps_its_text(cli: Any, bucket: str, tmp_path: Path) -> None:
    missing = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"frame\xff.jpg"))
    run = cli("upload", missing, f"s3://{bucket}/k.jpg")
    assert run.exit_code != 0 and "frame\\xff.jpg" in run.stderr and "udcff" not in run.stderr, run
    doc = cli("upload", missing, f"s3://{bucket}/k.jpg", "--json")
    assert json.loads(doc.stdout or doc.stderr)["error"]["code"], doc
