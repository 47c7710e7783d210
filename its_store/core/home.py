"""The user's home folder, where local state (MINIO_CACHE_DIR, MINIO_AUDIT_LOG) and remotes.toml go by default."""

from __future__ import annotations

from pathlib import Path

from its_store.core.errors import ConfigError


def home_folder(hint: str = "set HOME, or MINIO_CACHE_DIR and MINIO_AUDIT_LOG") -> Path:
    """This user's home folder, where local state goes by default. A numeric user the system does not know
    (`docker run --user 10001`, a Kubernetes runAsUser) started without HOME has none: ConfigError (exit 78)
    saying what to set, never Python's RuntimeError ("Could not determine home directory")."""
    import os
    try:
        return Path.home()
    except (RuntimeError, KeyError):
        raise ConfigError(f"cannot tell the home folder of this user (uid {os.getuid()}: HOME is not set and the "
                          "system knows no such user), where local state and settings go by default",
                          hint=hint) from None
