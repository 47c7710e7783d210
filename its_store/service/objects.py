"""Object I/O over a Context: upload, download (to a file or a stream), stat, head, delete, presign.

Split by concern: service/object_upload.py (upload, plan_shared), service/object_download.py (download,
download_to_stream, head, stat_object), service/object_delete.py (delete, delete_many, remove_batch),
service/object_presign.py (presign, presigned: its PresignedUrl model is built only by `presign`). Every name
stays importable from this module, as before (each module on the first use of one of its names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core.lazy import lazy_names

if TYPE_CHECKING:
    from its_store.service.object_delete import (
        DeletedObjects,
        DeletePlan,
        PlannedDelete,
        delete,
        delete_each,
        delete_many,
        plan_delete,
        remove_batch,
    )
    from its_store.service.object_download import (
        download,
        download_info,
        download_into,
        download_to_stream,
        head,
        stat_object,
    )
    from its_store.service.object_presign import MAX_PRESIGN_SECONDS, PresignedUrl, presign, presigned
    from its_store.service.object_upload import (
        SharedUpload,
        _guess_type,
        _headers,
        _lock_asked,
        _upload,
        plan_shared,
        upload,
        upload_walked,
    )

__all__ = ["MAX_PRESIGN_SECONDS", "DeletePlan", "DeletedObjects", "PlannedDelete", "PresignedUrl", "SharedUpload",
           "_guess_type", "_headers", "_lock_asked", "_upload", "delete", "delete_each", "delete_many", "download",
           "download_info", "download_into", "download_to_stream", "head", "plan_delete", "plan_shared", "presign",
           "presigned", "remove_batch", "stat_object", "upload", "upload_walked"]

# where each name of the split lives: imported on its first use, so that a download does not import the upload
# and delete modules (nor build their models), then kept here (no __getattr__ per object of a batch)
_MOVED = {**dict.fromkeys(("DeletedObjects", "DeletePlan", "PlannedDelete", "delete", "delete_each", "delete_many",
                           "plan_delete", "remove_batch"), "object_delete"),
          **dict.fromkeys(("download", "download_info", "download_into", "download_to_stream", "head",
                           "stat_object"), "object_download"),
          **dict.fromkeys(("SharedUpload", "_guess_type", "_headers", "_lock_asked", "_upload", "plan_shared",
                           "upload", "upload_walked"), "object_upload"),
          **dict.fromkeys(("MAX_PRESIGN_SECONDS", "PresignedUrl", "presign", "presigned"), "object_presign")}


if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above (core/lazy.py)
    __getattr__ = lazy_names(globals(), _MOVED, "its_store.service")

    def __dir__() -> list[str]:
        """The module's names and the split's (help(), dir() and completion list them before their first use)."""
        return sorted({*globals(), *_MOVED})
