"""Codec names and level ranges: the checks a request makes before anything is compressed.

Pure data and checks, no codec library: core.models validates an UploadRequest with them (core imports
nothing above core), and codec/coders.py builds its codecs (encoders, decoders) and codec/auto.py `auto` on them, so
a name or a range is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass

from its_store.core import errors as E

AUTO_CODEC = "zstd"  # what `auto` compresses with when it compresses
CHUNK = 1024 * 1024  # input read size while compressing (or hashing a file before it is sent)


@dataclass(frozen=True)
class CodecLevels:
    """A codec's name, the levels it takes and its default level."""

    name: str
    levels: tuple[int, int]
    default_level: int

    def level(self, requested: int | None) -> int:
        """The level to use; out-of-range levels are a usage error naming the valid range."""
        if requested is None:
            return self.default_level
        low, high = self.levels
        if not low <= requested <= high:
            raise E.InvalidInputError(f"compression level {requested} is out of range for {self.name}",
                                      hint=f"{self.name} levels are {low}..{high} (default {self.default_level})")
        return requested


LEVELS: dict[str, CodecLevels] = {
    "none": CodecLevels("none", (0, 0), 0),
    "gzip": CodecLevels("gzip", (1, 9), 6),
    "lz4": CodecLevels("lz4", (0, 16), 0),
    "zstd": CodecLevels("zstd", (1, 22), 3),
}


def unknown_compression(name: object) -> E.InvalidInputError:
    """The usage error for a compression flag that names no codec."""
    return E.InvalidInputError(f"unknown compression {name!r}", hint="use auto, none, gzip, lz4 or zstd")


def levels_of(name: str) -> CodecLevels:
    """The levels of the codec called `name` (any case); an unknown name is a usage error."""
    found = LEVELS.get(str(name).strip().lower())
    if found is None:
        raise unknown_compression(name)
    return found


def resolve(choice: str | None, enabled_by_default: bool) -> str:
    """The requested choice as a lowercase name: None means `auto` if compression is enabled, else `none`."""
    if choice is None:
        return "auto" if enabled_by_default else "none"
    name = str(getattr(choice, "value", choice)).strip().lower()
    if name != "auto":
        levels_of(name)
    return name


def check_level(choice: str | None, level: int | None) -> None:
    """Validate `level` against the codec it would apply to (`auto` means zstd)."""
    if level is None:
        return
    name = str(getattr(choice, "value", choice) or "auto").strip().lower()
    if name == "none":
        raise E.InvalidInputError("--level needs a codec", hint="use --compress zstd|gzip|lz4|auto")
    levels_of(AUTO_CODEC if name == "auto" else name).level(level)
