"""The ONLY place that talks to the server: one minio.Minio client on one urllib3 pool.

Every `import minio` of its-store is in this package, so this is where minio's modules that its commands do
not run (its admin cryptography, most of its request and answer classes) are set to load on first use
(deferred.py: ~60 ms of CPU and ~200M instructions per command)."""

from its_store.s3.deferred import defer_minio_modules

defer_minio_modules()
