"""The ``sori export`` and ``sori sanctions`` commands (being written)."""

import click


@click.group("export")
def export_cli() -> None:
    """Dossier exports."""


@click.group("sanctions")
def sanctions_cli() -> None:
    """Sanctions lists."""
