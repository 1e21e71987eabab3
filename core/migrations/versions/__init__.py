"""Alembic revision scripts, applied in order by ``sori init``."""
