"""The library API: StorageService and its parts (objects, buckets, versions, tags, lifecycle, batches)."""
