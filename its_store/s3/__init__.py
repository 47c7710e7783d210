"""The ONLY place that talks to the server: one minio.Minio client on one urllib3 pool.

Every `import minio` of its-store is in this package, so this is where minio's admin cryptography is set to
load on first use (deferred.py: ~60 ms of CPU per command that its-store never needs)."""

from its_store.s3.deferred import defer_minio_crypto

defer_minio_crypto()
