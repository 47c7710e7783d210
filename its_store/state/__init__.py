"""What is kept locally: the metadata cache, stats counters, the audit log and its shipping."""
