"""A MINIO_* name that is no setting but close to one: a typo, warned of once (core/settings.load_settings).

`MINIO_ENABLE_COMPRESION=false` was silently ignored: an operator's typo in a systemd unit or a cron line
went unnoticed for months. Unknown MINIO_* names cannot simply be refused: the MinIO server's own variables
(MINIO_ROOT_USER, MINIO_VOLUMES, MINIO_KMS_*, ...) share the prefix and often sit in the same .env file or
compose file. So a name warns only when it is none of ours (nor an alias), none of the server's, and close
to one of ours (difflib, CUTOFF). The warning names the variable, never its value (it may be a secret).

Start-up cost: none for a run whose environment holds only settings and that reads no .env file (this module
is not imported: core/settings._unknown_in_environment is the gate). Else this small module, one set lookup per
MINIO_* variable and, for a .env file, one regex search of its bytes; python-dotenv's second reading of the
.env file only when a MINIO_* word in it is not one of ours, and difflib only when a MINIO_* name is neither
ours nor the server's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)
# the typos warned of in this process: one line per name, however many times a command builds its settings
# (the CLI forgets them at each invocation: cli/output.reset)
_WARNED: set[str] = set()
ENV_FILE_LIMIT = 1024 * 1024  # how much of a .env file is searched (core/settings.MAX_ENV_FILE)

# How close a name must be to one of ours (difflib's ratio) to be taken for a typo of it. Checked against
# every server variable of tests/test_setting_typos.py (none warns even without SERVER_NAMES) and a
# set of typos (one letter dropped, doubled, swapped or wrong: all warn).
CUTOFF = 0.86

# The MinIO server's own variables (docs.min.io, reference/minio-server/settings/*): never warned of, however
# close to ours (MINIO_REGION_NAME, MINIO_CACHE_EXPIRY, MINIO_COMPRESSION_ENABLE).
SERVER_NAMES = frozenset({
    "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ROOT_USER_FILE", "MINIO_ROOT_PASSWORD_FILE",
    "MINIO_ACCESS_KEY_FILE", "MINIO_ACCESS_KEY_OLD", "MINIO_SECRET_KEY_OLD", "MINIO_VOLUMES", "MINIO_OPTS",
    "MINIO_CONFIG_ENV_FILE", "MINIO_SERVER_URL", "MINIO_DOMAIN", "MINIO_PUBLIC_IPS", "MINIO_REGION_NAME",
    "MINIO_CERT_PASSWD", "MINIO_CI_CD", "MINIO_LICENSE", "MINIO_UPDATE", "MINIO_UPDATE_MINISIGN_PUBKEY",
    "MINIO_SHUTDOWN_TIMEOUT", "MINIO_ERASURE_SET_DRIVE_COUNT", "MINIO_WORM", "MINIO_BROWSER",
    "MINIO_LOG_QUERY_URL", "MINIO_LOG_QUERY_AUTH_TOKEN", "MINIO_FS_OSYNC", "MINIO_DISK_USAGE_CRAWL_ENABLE",
    "MINIO_CACHE", "MINIO_CACHE_DRIVES", "MINIO_CACHE_EXCLUDE", "MINIO_CACHE_QUOTA", "MINIO_CACHE_AFTER",
    "MINIO_CACHE_WATERMARK_LOW", "MINIO_CACHE_WATERMARK_HIGH", "MINIO_CACHE_RANGE", "MINIO_CACHE_COMMIT",
    "MINIO_CACHE_EXPIRY", "MINIO_CACHE_ENCRYPTION_SECRET_KEY", "MINIO_CACHE_ENABLE", "MINIO_CACHE_ENDPOINT",
    "MINIO_CACHE_BLOCK_SIZE", "MINIO_CACHE_MAXUSE", "MINIO_SSE_MASTER_KEY", "MINIO_SSE_AUTO_ENCRYPTION",
})
# ... and their families, whose names go on (MINIO_IDENTITY_OPENID_CONFIG_URL_PRIMARY): none of ours starts so
SERVER_FAMILIES = (
    "MINIO_ROOT_", "MINIO_KMS_", "MINIO_IDENTITY_", "MINIO_POLICY_", "MINIO_NOTIFY_", "MINIO_AUDIT_WEBHOOK_",
    "MINIO_AUDIT_KAFKA_", "MINIO_LOGGER_", "MINIO_API_", "MINIO_SCANNER_", "MINIO_HEAL_", "MINIO_STORAGE_CLASS_",
    "MINIO_COMPRESSION_", "MINIO_ETCD_", "MINIO_PROMETHEUS_", "MINIO_BROWSER_", "MINIO_CONSOLE_", "MINIO_SITE_",
    "MINIO_CALLHOME_", "MINIO_SUBNET_", "MINIO_ILM_", "MINIO_BATCH_", "MINIO_STS_", "MINIO_FTP_", "MINIO_SFTP_",
    "MINIO_DNS_", "MINIO_DRIVE_", "MINIO_CONN_", "MINIO_KES_", "MINIO_OPERATOR_", "MINIO_PROFILE",
)


def warn_typos(env_file: Path | None, ours: frozenset[str]) -> None:
    """One warning per MINIO_* name of the environment or of `env_file` (the .env file read) that is a typo
    of one of `ours` (core/settings.setting_names), naming it, never its value."""
    unknown = unknown_names(os.environ, ours)
    if env_file is not None:
        unknown += _unknown_in_file(env_file, ours)
    if not unknown:
        return
    for name, setting in typos(unknown, ours):
        if name.upper() not in _WARNED:
            _WARNED.add(name.upper())
            log.warning(warning(name, setting))


def forget_warnings() -> None:
    """Warn again of the typos already warned of (the CLI, at the start of each invocation)."""
    _WARNED.clear()


def unknown_names(names: Iterable[str], ours: frozenset[str]) -> list[str]:
    """The MINIO_* names of `names` (any case, as Settings reads them) that are none of `ours`."""
    return [name for name in names if name[:6].upper() == "MINIO_" and name.upper() not in ours]


def _unknown_in_file(path: Path, ours: frozenset[str]) -> list[str]:
    """The unknown MINIO_* names the .env file at `path` sets (core/env_file's descriptor name of the file
    Settings read). Read at offset 0 by pread, which moves no offset a /dev/fd/N name shares, and parsed by
    python-dotenv, as Settings reads it, only when a MINIO_* word in it is unknown (a value may hold one)."""
    if not hasattr(os, "pread"):
        return []
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            data = os.pread(fd, ENV_FILE_LIMIT, 0)
        finally:
            os.close(fd)
    except OSError:
        return []
    import re
    if not unknown_names({word.decode() for word in re.findall(rb"(?i)minio_\w+", data)}, ours):
        return []
    import io

    from dotenv import dotenv_values
    return unknown_names(dotenv_values(stream=io.StringIO(data.decode("utf-8", "replace"))), ours)


def is_server_name(name: str) -> bool:
    """Whether `name` (upper case) is one of the MinIO server's own variables."""
    return name in SERVER_NAMES or name.startswith(SERVER_FAMILIES)


def typos(unknown: Iterable[str], ours: Iterable[str]) -> list[tuple[str, str]]:
    """(name, the setting it is close to) for each name of `unknown` that is a typo of one of `ours`,
    in the order given, each once. difflib is imported only for a name that is not the server's either."""
    names = [name for name in dict.fromkeys(unknown) if not is_server_name(name.upper())]
    if not names:
        return []
    import difflib
    candidates = sorted(ours)
    found = []
    for name in names:
        close = difflib.get_close_matches(name.upper(), candidates, n=1, cutoff=CUTOFF)
        if close:
            found.append((name, close[0]))
    return found


def warning(name: str, setting: str) -> str:
    """The one line of a typo (after `its-store: warning: `): the name, never its value."""
    return f"{name} is not a setting (did you mean {setting}?); it is ignored"
