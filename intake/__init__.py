"""Sori application core: configuration, database, blob store, source-facing pages and the command line."""
