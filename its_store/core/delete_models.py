"""DeleteResult: one object (or version) deleted, or not.

Their own module, as download_models.py: a pydantic class costs its creation when its module is imported
(~1-2M instructions each, callgrind), and a command that deletes nothing never builds one. core/models.py re-exports
them by name (tests/test_startup_models.py).
"""

from its_store.core.model_base import Result


class DeleteResult(Result):
    """One object (or version) deleted, or not (`deleted` false, `error` says why, in a batch delete)."""

    bucket: str
    key: str
    version_id: str | None = None
    deleted: bool = True
    error: str | None = None
    delete_marker: bool | None = False  # versioned bucket, no version id: hidden behind a delete marker, still
    #                                     stored (None: unknown, the key may not read the bucket's versioning)
    delete_conditional: bool | None = None  # a delete only-if-unchanged (mv's source): True, as copied; False: the
    #   server ignores If-Match on DELETE and the bucket keeps no versions: a HEAD just before found it as copied,
    #   then a plain DELETE (a rewrite in that last round trip is lost), or the key may not make the probe that
    #   tells (HEADed so, the DELETE with If-Match: exact only where the server honours it); None: a plain `rm`
