"""Alembic migrations for the Sori database schema."""
