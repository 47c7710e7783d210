"""Keeping folders and buckets in step: sync (local <-> s3, s3 -> s3), watch, cp and mv between locations."""
