"""The model registry: manifests, aliases, verified pulls and the local blob cache."""
