"""Migration revisions of the registry, oldest first (``0001_initial`` …)."""
