"""Shell completion: the fast table-driven path, live s3:// suggestions, the shell scripts."""
