"""Sori application core: configuration, database, blob store, source-facing pages and the command line."""

from intake.app import create_app

__all__ = ["create_app"]
