"""Objects stored compressed and/or encrypted: the names this module held before it was split by concern,
still importable from here (sync/copy.py and callers outside its-store import them from here).

- service/upload_plan.py: the upload half, what to store (UploadOptions, UploadPlan, Stored);
- service/decoding.py: the download half, decoding and verifying (download_file, download_stream,
  Fetched), SSE-C heads (stat_with_key, open_head) and the stat fields (annotate).

The download half's names are imported with this module; the upload half's on their first use
(`__getattr__`), so that importing this module for a download does not import transfer/upload.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core.lazy import lazy_names
from its_store.service.decoding import (
    Fetched,
    annotate,
    download_file,
    download_stream,
    open_head,
    stat_with_key,
)

if TYPE_CHECKING:
    from its_store.service.upload_plan import HEAD_BUDGET, Stored, UploadOptions, UploadPlan, file_sha256

__all__ = ["HEAD_BUDGET", "Fetched", "Stored", "UploadOptions", "UploadPlan", "annotate", "download_file",
           "download_stream", "file_sha256", "open_head", "stat_with_key"]

_UPLOAD_HALF = dict.fromkeys(("HEAD_BUDGET", "Stored", "UploadOptions", "UploadPlan", "file_sha256"), "upload_plan")


if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above (core/lazy.py)
    __getattr__ = lazy_names(globals(), _UPLOAD_HALF, "its_store.service")

    def __dir__() -> list[str]:
        """The module's names and the upload half's (help(), dir() and completion list them before their use)."""
        return sorted({*globals(), *_UPLOAD_HALF})
