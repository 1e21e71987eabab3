"""Records pages (being written)."""

from reviewer.records.blueprint import bp  # noqa: F401
