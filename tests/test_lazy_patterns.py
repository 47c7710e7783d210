"""The character-class patterns compiled on first need (s3/keys, cli/output, core/refs): their fast path for
printable ASCII answers exactly what the pattern answers, on every character that matters and on mixed text.
(tests/test_startup_paths checks that the bench commands compile none of them.)"""

from __future__ import annotations

import random
import re

from its_store.cli import output
from its_store.core import refs
from its_store.s3 import keys

# every code point below U+3000 (C0, ASCII, DEL, C1, Latin, the bidi and separator blocks), the surrogates, the
# non-characters' block and a sample above
CHARS = [chr(c) for c in (*range(0x3000), *range(0xD7F0, 0xE010), *range(0xFFE0, 0x10010), 0x1F600, 0x10FFFF)]
ASCII_PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]


def _texts() -> list[str]:
    rnd = random.Random(22)
    texts = ["", "cam/2025/frame.jpg", " ", "~", "a b/c~d"]
    texts += [f"cam/{ch}/x" for ch in CHARS]
    for _ in range(2000):
        body = [rnd.choice(ASCII_PRINTABLE) for _ in range(rnd.randrange(0, 12))]
        for _ in range(rnd.randrange(0, 3)):
            body.insert(rnd.randrange(0, len(body) + 1), rnd.choice(CHARS))
        texts.append("".join(body))
    return texts


TEXTS = _texts()


def test_xml_safe_and_as_garbled_answer_as_their_patterns():
    unsafe, invalid = re.compile(keys.XML_UNSAFE), re.compile(keys.XML_INVALID)
    for text in TEXTS:
        assert keys.xml_safe(text) is (unsafe.search(text) is None), ascii(text)
        assert keys.as_garbled(text) == invalid.sub("\ufffd", text), ascii(text)


def test_json_text_is_escaped_as_its_pattern_says():
    raw = re.compile(output.JSON_RAW)
    for text in TEXTS:
        assert output._json_safe(text) == raw.sub(lambda m: f"\\u{ord(m.group()):04x}", text), ascii(text)


def test_a_local_name_is_refused_for_a_control_or_bidi_character_as_its_pattern_says():
    unnameable = re.compile(refs.UNNAMEABLE)
    said = "it holds a control or bidi character, which a file name must not"
    for text in TEXTS:
        name = "d/" + text.replace("/", "_").replace("\\", "_").replace(".", "_") + "x"
        if not refs._is_utf8(name):
            continue
        assert (refs.local_name_problem(name) == said) is bool(unnameable.search(name)), ascii(name)
