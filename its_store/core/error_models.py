"""ErrorDetail and ErrorDocument: what `--json` prints when a command fails.

Their own module, as download_models.py: a pydantic class costs its creation when its module is imported
(~1-2M instructions each, callgrind), and a command that succeeds never builds one. core/models.py re-exports
them by name (tests/test_startup_models.py).
"""

from its_store.core.model_base import Result


class ErrorDetail(Result):
    """What went wrong: the error's stable `code` (core/errors.py), a one-line `message`, and a `hint`."""

    code: str
    message: str
    hint: str | None = None


class ErrorDocument(Result):
    """What `--json` prints (on stdout, or on stderr after a report) when a command fails."""

    error: ErrorDetail
