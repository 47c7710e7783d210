"""The environment of a program its-store starts (git, nvidia-smi, dpkg-query): this process's, without
its-store's own variables.

Those hold the secrets (MINIO_SECRET_KEY, MINIO_SSE_C_KEY, the webhook secret, a Redis or proxy URL with
its password, the remotes' keys), and a child hands its environment on to whatever it starts in turn: a
checkout's `core.fsmonitor` or hook, a wrapper on PATH, a crash reporter. None of these programs needs a
setting of ours, and none asks the network, so the proxy variables go too.
"""

from __future__ import annotations

import os

OURS = ("MINIO_", "ITS_STORE_")  # every setting of ours, the remotes' (ITS_STORE_REMOTE_<NAME>_...) too
SECRET_BEARING = frozenset({"REDIS_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"})  # read as fallbacks


def child_environment() -> dict[str, str]:
    """os.environ without its-store's variables and the common ones it reads secrets from."""
    return {name: value for name, value in os.environ.items()
            if not name.upper().startswith(OURS) and name.upper() not in SECRET_BEARING}
