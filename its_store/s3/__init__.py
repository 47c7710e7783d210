"""The ONLY place that talks to the server: one minio.Minio client on one urllib3 pool."""
